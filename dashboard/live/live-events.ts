import type { ServerResponse } from 'node:http';
import type { Instrument, Registry } from '../../store/index.js';
import type { Principal } from '../auth/tenant.js';
import { alertView } from '../alert-view.js';
import type { StateCache } from '../state-cache.js';
import { statesOf, type OfflineRule } from '../states.js';
import type { ChangeFeed, Cursor } from './change-feed.js';
import { StateDiff } from './state-diff.js';
import { StreamHub, type EventStream } from './stream-hub.js';
import { TenantFilter } from './tenant-filter.js';

const TICK_MS = 1000;
/** States need more work than values: recomputed every few ticks. */
const STATE_EVERY = 3;

interface Listener {
  p: Principal;
  stream: EventStream;
  diff: StateDiff;
}

export interface LiveEventsOptions {
  registry: Registry;
  states: StateCache;
  changes: ChangeFeed;
  offline: OfflineRule;
  now: () => number;
  log: { error(obj: object, msg: string): void };
  /** dashboard.maxStreamsPerUser (issue 16): streams one user may hold open; the next is refused until one closes. */
  maxStreamsPerUser?: number;
}

/**
 * Live updates (issue 7), one stream per page (GET /api/v1/events, routes/events.ts):
 *   `values`  instruments whose latest readings moved: {id, lastSeen, channels:[{channel,value,ts,status,unit}]}
 *   `alert`   an alert opened, changed, acknowledged or cleared (the alert as GET /alerts/{id})
 *   `states`  instruments whose state changed: [{id, state, online, openAlerts}]
 * One shared look per second at the change feed (change-feed.ts); each listener gets what its
 * tenant may see (tenant-filter.ts) and, of states, only those that changed for it
 * (state-diff.ts); the streams themselves are the hub's (stream-hub.ts). The look runs only
 * while someone listens.
 */
export class LiveEvents {
  private readonly hub: StreamHub<Listener>;
  private readonly filter: TenantFilter;
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private cursor: Cursor = { instrumentsRev: 0, alertsRev: 0, at: 0 };
  /** Instruments whose state may have changed since the last states push. */
  private pending = new Map<string, Instrument>();

  constructor(private readonly o: LiveEventsOptions) {
    this.filter = new TenantFilter(o.registry);
    this.hub = new StreamHub<Listener>({
      onActive: () => this.start(),
      onIdle: () => this.stop(),
      ownerOf: (c) => c.p.user,
      maxPerOwner: o.maxStreamsPerUser,
    });
  }

  /**
   * Whether the caller may open a held stream now: false when they hold maxStreamsPerUser already.
   * Asked before the response is hijacked, so a refusal is an ordinary API error. A one-shot stream
   * (`once`) holds nothing and is always admitted.
   */
  admits(p: Principal, once: boolean): boolean {
    return once || this.hub.admits(p.user);
  }

  /** A listener's stream on a hijacked response: hello, every state it sees, then the changes (with `once`, ends after the states). */
  open(p: Principal, res: ServerResponse, once: boolean): void {
    const c: Listener = { p, stream: this.hub.open(res), diff: new StateDiff() };
    // The cursor is taken before the opening states, so no change falls between the two.
    if (!once && this.hub.size === 0) this.restart();
    c.stream.send('hello', { user: p.user, role: p.role });
    // The current states first, so a page knows where it starts.
    c.stream.send('states', c.diff.all(this.o.states.statesFor(p, this.o.now(), this.o.offline)));
    if (once) return c.stream.end();
    this.hub.add(c, res);
  }

  /** Stops the look and ends every stream. */
  close(): void {
    this.stop();
    this.hub.close();
  }

  private restart(): void {
    this.cursor = this.o.changes.cursor(this.o.now());
    this.pending = new Map();
  }

  private start(): void {
    this.timer ??= setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        this.o.log.error({ err }, 'events tick failed');
      }
    }, TICK_MS);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.ticks++;
    const changes = this.o.changes.since(this.cursor, this.o.now());
    this.cursor = changes.cursor;
    for (const i of changes.instruments) this.pending.set(i.id, i);
    this.pushValues(changes.instruments.filter((i) => i.lastSeen !== null));
    for (const a of changes.alerts) {
      this.hub.broadcast('alert', alertView(this.o.registry, a), (c) => this.filter.seesAlert(c.p, a));
      if (a.instrument && !this.pending.has(a.instrument)) {
        const inst = this.o.registry.getInstrument(a.instrument);
        if (inst) this.pending.set(inst.id, inst);
      }
    }
    for (const i of changes.wentOffline) this.pending.set(i.id, i);
    if (this.ticks % STATE_EVERY === 0 && this.pending.size) this.pushChangedStates();
  }

  /** The latest values of the instruments that reported, to those who see each. */
  private pushValues(moved: Instrument[]): void {
    if (!moved.length) return;
    const channels = this.o.registry.listChannelsOf(moved.map((i) => i.id));
    const payload = moved.map((i) => ({
      inst: i,
      data: {
        id: i.id,
        lastSeen: i.lastSeen ?? null,
        channels: (channels.get(i.id) ?? []).map((c) => ({
          channel: c.channel,
          unit: c.unit,
          value: c.lastValue ?? null,
          ts: c.lastTs ?? null,
          status: c.lastStatus ?? null,
        })),
      },
    }));
    for (const c of this.hub) {
      const mine = payload.filter((x) => this.filter.seesInstrument(c.p, x.inst)).map((x) => x.data);
      if (mine.length) c.stream.send('values', mine);
    }
  }

  /** States of the pending instruments, computed once per tenant scope, sent where they changed. */
  private pushChangedStates(): void {
    const instruments = [...this.pending.values()];
    this.pending = new Map();
    const byScope = new Map<string, Listener[]>();
    for (const c of this.hub) {
      const key = this.filter.scope(c.p);
      (byScope.get(key) ?? byScope.set(key, []).get(key)!).push(c);
    }
    for (const group of byScope.values()) {
      const p = group[0]!.p;
      const visible = instruments.filter((i) => this.filter.seesInstrument(p, i));
      const rows = statesOf(this.o.registry, p, visible, this.o.now(), this.o.offline);
      for (const c of group) {
        const changed = c.diff.changed(rows);
        if (changed.length) c.stream.send('states', changed);
      }
    }
  }
}
