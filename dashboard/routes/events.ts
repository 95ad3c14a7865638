import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServerResponse } from 'node:http';
import type { AlertRecord, Instrument, Registry } from '../../store/index.js';
import { canSeeInstrument, type Principal } from '../auth/tenant.js';
import type { DashboardDeps } from '../app.js';
import { analyticsOf } from './analytics-deps.js';
import { offlineAfter, offlineRuleOf, statesOf } from './states.js';
import { stateCacheOf } from '../state-cache.js';
import { alertView } from './alerts.js';

const TICK_MS = 1000;
/** States need more work than values: recomputed every few ticks. */
const STATE_EVERY = 3;
const HEARTBEAT_MS = 15_000;
/** Most changed rows read per tick and table; a larger burst is read over the next ticks. */
const BATCH = 5000;

interface Client { p: Principal; res: ServerResponse; states: Map<string, string> }

/**
 * Live updates (issue 7) as server-sent events on GET /api/v1/events, one stream per page:
 *   `values`  instruments whose latest readings moved: {id, lastSeen, channels:[{channel,value,ts,status,unit}]}
 *   `alert`   an alert opened, changed, acknowledged or cleared (the alert as GET /alerts/{id})
 *   `states`  instruments whose state changed: [{id, state, online, openAlerts}]
 * One shared poll per second asks the stores what changed since its last look (change counters
 * of registry migration 6: instruments seen, created or re-registered; alerts opened, changed or
 * cleared; instruments whose last reading just became older than the offline threshold), so its
 * cost follows the changes, not the size of the fleet. Each client gets only what its tenant may
 * see (the same rules as the REST routes). The poll runs only while someone listens.
 */
export const eventRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const { registry } = deps;
  const engine = analyticsOf(deps);
  const now = deps.now ?? Date.now;
  const offline = offlineRuleOf(deps);
  const states = stateCacheOf(registry);
  const thresholds = [...new Set([offline.afterMs, ...Object.values(offline.byKind ?? {}).filter((v): v is number => v !== undefined)])];
  const clients = new Set<Client>();
  let timer: NodeJS.Timeout | undefined;
  let ticks = 0;
  let instrumentsRev = 0;
  let alertsRev = 0;
  let lastTick = 0;
  /** Instruments whose state may have changed since the last states push. */
  let pending = new Map<string, Instrument>();

  const send = (c: Client, event: string, data: unknown) => c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  function snapshot() {
    instrumentsRev = registry.instrumentsRev();
    alertsRev = registry.analytics.alertsRev();
    lastTick = now();
    pending = new Map();
  }

  function tick() {
    ticks++;
    const t = now();
    const changed = registry.changedInstruments(instrumentsRev, BATCH);
    instrumentsRev = changed.rev;
    const moved = changed.items.filter((i) => i.lastSeen !== null);
    for (const i of changed.items) pending.set(i.id, i);
    if (moved.length) {
      const channels = registry.listChannelsOf(moved.map((i) => i.id));
      const payload = moved.map((i) => ({ inst: i, data: { id: i.id, lastSeen: i.lastSeen ?? null, channels: (channels.get(i.id) ?? []).map((c) => ({ channel: c.channel, unit: c.unit, value: c.lastValue ?? null, ts: c.lastTs ?? null, status: c.lastStatus ?? null })) } }));
      for (const c of clients) {
        const mine = payload.filter((x) => canSeeInstrument(registry, c.p, x.inst)).map((x) => x.data);
        if (mine.length) send(c, 'values', mine);
      }
    }
    const alerts = registry.analytics.changedAlerts(alertsRev, BATCH);
    alertsRev = alerts.rev;
    for (const a of alerts.items) {
      const view = alertView(registry, a);
      for (const c of clients) if (seesAlert(registry, c.p, a)) send(c, 'alert', view);
      if (a.instrument && !pending.has(a.instrument)) {
        const inst = registry.getInstrument(a.instrument);
        if (inst) pending.set(inst.id, inst);
      }
    }
    // Online → offline needs no write: it is the passing of time. Those whose last reading
    // crossed their threshold since the last tick: lastSeen in (lastTick − after, t − after].
    for (const after of thresholds) {
      for (const i of registry.instrumentsSeenBetween(lastTick - after + 1, t - after + 1)) {
        if (offlineAfter(offline, i.kind) === after) pending.set(i.id, i);
      }
    }
    lastTick = t;
    if (ticks % STATE_EVERY === 0 && pending.size) pushChangedStates();
  }

  /** States of the pending instruments, computed once per tenant scope, sent where they changed. */
  function pushChangedStates() {
    const instruments = [...pending.values()];
    pending = new Map();
    const byScope = new Map<string, Client[]>();
    for (const c of clients) {
      const key = `${c.p.role}|${c.p.org ?? ''}`;
      (byScope.get(key) ?? byScope.set(key, []).get(key)!).push(c);
    }
    for (const group of byScope.values()) {
      const p = group[0]!.p;
      const visible = instruments.filter((i) => canSeeInstrument(registry, p, i));
      const rows = statesOf(registry, engine, p, visible, now(), offline);
      for (const c of group) {
        const changedRows = [];
        for (const s of rows) {
          const sig = `${s.state}|${s.online}|${s.openAlerts}`;
          if (c.states.get(s.id) !== sig) changedRows.push({ id: s.id, state: s.state, online: s.online, openAlerts: s.openAlerts });
          c.states.set(s.id, sig);
        }
        if (changedRows.length) send(c, 'states', changedRows);
      }
    }
  }

  /** Every state of the client's tenant: the opening event of a stream. */
  function pushAllStates(c: Client) {
    const rows = states.statesFor(c.p, now(), offline);
    for (const s of rows) c.states.set(s.id, `${s.state}|${s.online}|${s.openAlerts}`);
    send(c, 'states', rows.map((s) => ({ id: s.id, state: s.state, online: s.online, openAlerts: s.openAlerts })));
  }

  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: "Server-sent events of the caller's tenant (text/event-stream): hello, states (all at first, then changes), values, alert",
        querystring: Type.Object({ once: Type.Boolean({ default: false, description: 'send the opening events and end the stream (scripts, probes)' }) }),
      },
    },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 3000\n\n');
      const c: Client = { p: req.principal!, res, states: new Map() };
      // The cursors are taken before the opening states, so no change falls between the two.
      if (!req.query.once && clients.size === 0) snapshot();
      send(c, 'hello', { user: c.p.user, role: c.p.role });
      // The current states first, so a page knows where it starts.
      pushAllStates(c);
      if (req.query.once) {
        res.end();
        return;
      }
      clients.add(c);
      timer ??= setInterval(() => {
        try {
          tick();
        } catch (err) {
          req.log.error({ err }, 'events tick failed');
        }
      }, TICK_MS);
      const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      req.raw.on('close', () => {
        clearInterval(beat);
        clients.delete(c);
        if (clients.size === 0 && timer) (clearInterval(timer), (timer = undefined));
      });
    },
  );

  // Open streams would hold the server open: end them when the app closes.
  fastify.addHook('preClose', (done) => {
    if (timer) (clearInterval(timer), (timer = undefined));
    for (const c of clients) c.res.end();
    clients.clear();
    done();
  });
};

function seesAlert(registry: Registry, p: Principal, a: AlertRecord): boolean {
  if (p.role === 'admin' || p.role === 'authority') return true;
  if (p.role === 'enterprise') return a.org === p.org;
  if (p.role === 'lab') {
    if (a.lab === p.org) return true;
    const inst = a.instrument ? registry.getInstrument(a.instrument) : undefined;
    return !!inst && canSeeInstrument(registry, p, inst);
  }
  return false;
}
