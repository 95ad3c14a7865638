import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServerResponse } from 'node:http';
import type { AlertRecord, Instrument, Registry } from '../../store/index.js';
import { canSeeInstrument, type Principal } from '../auth/tenant.js';
import type { DashboardDeps } from '../app.js';
import { analyticsOf } from './analytics-deps.js';
import { instrumentStates } from './states.js';

const TICK_MS = 1000;
/** States need more work than values: recomputed every few ticks. */
const STATE_EVERY = 3;
const HEARTBEAT_MS = 15_000;

interface Client { p: Principal; res: ServerResponse; states: Map<string, string> }

/**
 * Live updates (issue 7) as server-sent events on GET /api/v1/events, one stream per page:
 *   `values`  instruments whose latest readings moved: {id, lastSeen, channels:[{channel,value,ts,status,unit}]}
 *   `alert`   an alert opened, changed, acknowledged or cleared (the alert as GET /alerts/{id})
 *   `states`  instruments whose state changed: [{id, state, online}]
 * One shared poll of the registry per second finds what changed; each client gets only what its
 * tenant may see (the same rules as the REST routes). The poll runs only while someone listens.
 */
export const eventRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const { registry } = deps;
  const engine = analyticsOf(deps);
  const now = deps.now ?? Date.now;
  const clients = new Set<Client>();
  let timer: NodeJS.Timeout | undefined;
  let ticks = 0;
  let lastSeen = new Map<string, number>();
  let alerts = new Map<number, string>();

  const send = (c: Client, event: string, data: unknown) => c.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  function snapshot() {
    lastSeen = new Map(registry.listInstruments({ limit: 1_000_000 }).items.map((i) => [i.id, i.lastSeen ?? 0]));
    alerts = new Map(registry.analytics.listAlerts({ limit: 500 }).items.map((a) => [a.id, signature(a)]));
  }

  function tick() {
    ticks++;
    const instruments = registry.listInstruments({ limit: 1_000_000 }).items;
    const moved: Instrument[] = instruments.filter((i) => (i.lastSeen ?? 0) > (lastSeen.get(i.id) ?? 0));
    for (const i of moved) lastSeen.set(i.id, i.lastSeen ?? 0);
    if (moved.length) {
      const channels = registry.listChannelsOf(moved.map((i) => i.id));
      const payload = moved.map((i) => ({ inst: i, data: { id: i.id, lastSeen: i.lastSeen ?? null, channels: (channels.get(i.id) ?? []).map((c) => ({ channel: c.channel, unit: c.unit, value: c.lastValue ?? null, ts: c.lastTs ?? null, status: c.lastStatus ?? null })) } }));
      for (const c of clients) {
        const mine = payload.filter((x) => canSeeInstrument(registry, c.p, x.inst)).map((x) => x.data);
        if (mine.length) send(c, 'values', mine);
      }
    }
    // Alerts: the newest 500 by id, compared by state and update time (an ack changes both).
    for (const a of registry.analytics.listAlerts({ limit: 500 }).items) {
      const sig = signature(a);
      if (alerts.get(a.id) === sig) continue;
      alerts.set(a.id, sig);
      for (const c of clients) if (seesAlert(registry, c.p, a)) send(c, 'alert', a);
    }
    if (ticks % STATE_EVERY === 0) for (const c of clients) pushStates(c);
  }

  function pushStates(c: Client) {
    const changed = [];
    for (const s of instrumentStates(registry, engine, c.p, now())) {
      const sig = `${s.state}|${s.online}`;
      if (c.states.get(s.id) !== sig) changed.push({ id: s.id, state: s.state, online: s.online, openAlerts: s.openAlerts });
      c.states.set(s.id, sig);
    }
    if (changed.length) send(c, 'states', changed);
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
      send(c, 'hello', { user: c.p.user, role: c.p.role });
      // The current states first, so a page knows where it starts.
      pushStates(c);
      if (req.query.once) {
        res.end();
        return;
      }
      if (clients.size === 0) snapshot();
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

const signature = (a: AlertRecord) => `${a.state}|${a.updatedAt}|${a.ackedAt ?? ''}`;

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
