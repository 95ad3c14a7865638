import type { AlertRecord, Instrument, Registry } from '../store/index.js';
import { intervalOf, type DueBasis, type Interval } from '../analytics/due.js';
import { instrumentScope, seesAlert, seesAll, type Principal } from './auth/tenant.js';
import { stateRow, type InstrumentStateRow, type OfflineRule } from './states.js';

/**
 * What an instrument's state is computed from, for the whole fleet and every tenant: the
 * instrument, all its live alerts, its last calibration, its service. The parts that depend on
 * the time (online, days until due) and on the caller (which alerts and instruments it sees) are
 * applied when a row is read, so one cache serves every tenant and every moment.
 */
interface Entry {
  inst: Instrument;
  live: AlertRecord[];
  due: DueBasis | undefined;
  lab: string | null;
  interval: Interval | null;
}

/**
 * Everything is read again after this long: calibrations, services (serving lab, interval),
 * names, sites and removed instruments carry no change counter. Instruments seen, created or
 * re-registered and alerts opened, changed or cleared are followed exactly by the change
 * counters of registry migration 6 (instrumentsRev, alertsRev).
 */
export const FULL_READ_MS = 5000;
/** More changes than this since the last look: read everything again rather than one by one. */
const INCREMENTAL_MAX = 500;

/** One per dashboard (plugins/app.ts decorates it as `states`), shared by /overview, /instruments/{id}/state and /events. */
export class StateCache {
  private entries = new Map<string, Entry>();
  private order: string[] = [];
  private sorted = true;
  private instrumentsRev = -1;
  private alertsRev = -1;
  private readAt = -Infinity;

  constructor(
    private readonly registry: Registry,
    /** Monotonic clock for FULL_READ_MS, apart from the `now` the rows are computed at. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The state of every instrument the principal sees, ordered by id as the registry lists them. */
  statesFor(p: Principal, now: number, offline: OfflineRule): InstrumentStateRow[] {
    this.sync();
    return this.visibleIds(p).flatMap((id) => {
      const e = this.entries.get(id);
      return e ? [this.row(e, p, now, offline)] : [];
    });
  }

  /**
   * One instrument's state (the caller has checked that the principal sees it), read afresh
   * (a few queries) so its page shows a calibration or service just recorded; the cache keeps it.
   */
  stateOf(id: string, p: Principal, now: number, offline: OfflineRule): InstrumentStateRow | undefined {
    this.sync();
    this.reread([id]);
    const e = this.entries.get(id);
    return e && this.row(e, p, now, offline);
  }

  private row(e: Entry, p: Principal, now: number, offline: OfflineRule): InstrumentStateRow {
    // The alerts the principal sees (the one rule, auth/tenant.ts); e.lab serves this instrument now.
    const live = e.live.filter((a) => seesAlert(p, a, () => e.lab));
    return stateRow(e.inst, live, e.due, e.lab, e.interval, now, offline);
  }

  private visibleIds(p: Principal): string[] {
    if (seesAll(p)) return this.ids();
    if (p.role === 'enterprise') return p.org ? this.ids().filter((id) => this.entries.get(id)!.inst.org === p.org) : [];
    // A lab sees what it serves now, an inspector the subjects of its visits: asked of the store
    // by the one scope rule (auth/tenant.ts), never from a cached service.
    return this.registry.listInstruments({ ...instrumentScope(p), limit: 1_000_000 }).items.map((i) => i.id);
  }

  private ids(): string[] {
    if (!this.sorted) {
      this.order = [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.sorted = true;
    }
    return this.order;
  }

  /** Brings the cache up to the stores: everything after FULL_READ_MS, else the instruments changed since the last look. */
  private sync(): void {
    if (this.clock() - this.readAt >= FULL_READ_MS) return this.readAll();
    const instruments = this.registry.changedInstruments(this.instrumentsRev, INCREMENTAL_MAX + 1);
    const alerts = this.registry.analytics.changedAlerts(this.alertsRev, INCREMENTAL_MAX + 1);
    if (instruments.items.length > INCREMENTAL_MAX || alerts.items.length > INCREMENTAL_MAX) return this.readAll();
    const ids = new Set([...instruments.items.map((i) => i.id), ...alerts.items.flatMap((a) => (a.instrument ? [a.instrument] : []))]);
    if (ids.size) this.reread([...ids]);
    this.instrumentsRev = instruments.rev;
    this.alertsRev = alerts.rev;
    // Removing an instrument moves no counter; a count that differs is read again in full.
    if (this.registry.listInstruments({ limit: 1 }).total !== this.entries.size) this.readAll();
  }

  private readAll(): void {
    const { registry } = this;
    // Counters first: a change made while reading is read again at the next look.
    this.instrumentsRev = registry.instrumentsRev();
    this.alertsRev = registry.analytics.alertsRev();
    this.readAt = this.clock();
    const live = new Map<string, AlertRecord[]>();
    for (const a of registry.analytics.listAlerts({ state: 'live', limit: 1_000_000 }).items) {
      if (a.instrument) (live.get(a.instrument) ?? live.set(a.instrument, []).get(a.instrument)!).push(a);
    }
    const due = registry.analytics.lastCalibrationDates();
    const services = new Map(registry.analytics.listServices().map((s) => [s.instrument, s]));
    const instruments = registry.listInstruments({ limit: 1_000_000 }).items;
    this.entries = new Map(instruments.map((i) => [i.id, entry(i, live.get(i.id) ?? [], due.get(i.id), services.get(i.id))]));
    this.order = instruments.map((i) => i.id);
    this.sorted = true;
  }

  private reread(ids: string[]): void {
    const { registry } = this;
    const due = registry.analytics.lastCalibrationDatesOf(ids);
    for (const id of ids) {
      const inst = registry.getInstrument(id);
      if (!inst) {
        if (this.entries.delete(id)) this.sorted = false;
        continue;
      }
      if (!this.entries.has(id)) this.sorted = false;
      const live = registry.analytics.listAlerts({ state: 'live', instrument: id, limit: 100_000 }).items;
      this.entries.set(id, entry(inst, live, due.get(id), registry.analytics.getService(id)));
    }
  }
}

function entry(
  inst: Instrument,
  live: AlertRecord[],
  due: DueBasis | undefined,
  service: { lab: string | null; intervalDays: number | null } | undefined,
): Entry {
  return { inst, live, due, lab: service?.lab ?? null, interval: intervalOf(inst.kind, service?.intervalDays) };
}
