import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { EVENTS_TICK_MS, listenEvents } from './events.js';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { alertText } from '../../analytics/message.js';
import { loadConfig, MetronetConfig } from '../../core/index.js';
import { offlineRuleOf } from '../../dashboard/states.js';
import { T, twoTenants, type Fixture } from '../security/fixture.js';

/**
 * Issue 7, scaling and languages: one instrument's state without the overview, live events from
 * change counters (registry migration 6) rather than a scan of the fleet, the offline threshold
 * from configuration per kind, and alerts with a text code and params.
 */
let f: Fixture;
let app: App;
let clock = Date.now();
beforeAll(async () => {
  f = await twoTenants();
  // Instrument B is an environmental station: its own, longer offline threshold.
  f.registry.upsertInstrument({ id: T.b.inst, org: T.b.ent, registration: 'registered', kind: 'env_station', name: 'station b', gateway: T.b.gw });
  app = await buildApp({
    registry: f.registry,
    readings: f.readings,
    now: () => clock,
    analytics: new Engine({ registry: f.registry, now: () => clock }),
    offlineAfterMs: 60_000,
    offlineAfterMsByKind: { envStation: 30 * 60_000 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const get = (url: string, role: keyof Fixture['auth']) => app.inject({ method: 'GET', url, headers: f.auth[role] });
const reading = (instrument: string, ts: number, value: number) => ({ instrument, channel: 'mass', ts, value, unit: 'kg', status: 'ok' as const });

/** An SSE listener that collects the stream's text until stopped. */
const listen = (auth: { authorization: string }) => listenEvents(app, auth);

/** A wait for what the live events send within their next few ticks. */
const ticks = (message: string) => ({ message, timeout: periods(3, EVENTS_TICK_MS) });

describe('GET /api/v1/instruments/{id}/state', () => {
  it("gives the state the overview gives, for an instrument the caller sees, and 404 (as missing) for another tenant's", async () => {
    const one = await get(`/api/v1/instruments/${T.a.inst}/state`, 'enterprise');
    expect(one.statusCode).toBe(200);
    const overview = (await get('/api/v1/overview', 'enterprise')).json();
    expect(one.json()).toEqual(overview.items.find((i: { id: string }) => i.id === T.a.inst));
    expect(one.json()).toMatchObject({ id: T.a.inst, state: 'out_of_tolerance', lab: T.a.lab, openAlerts: 1 });
    expect((await get(`/api/v1/instruments/${T.b.inst}/state`, 'enterprise')).statusCode).toBe(404);
    expect((await get(`/api/v1/instruments/${T.b.inst}/state`, 'lab')).statusCode).toBe(404);
    expect((await get('/api/v1/instruments/NOPE/state', 'authority')).statusCode).toBe(404);
  });
});

describe('large lists: the rows a client draws, the counts without the rows', () => {
  it('lists only the named instruments, still within the tenant, and refuses more than 500 ids', async () => {
    const ent = (await get(`/api/v1/instruments?ids=${T.a.inst},${T.b.inst}`, 'enterprise')).json();
    expect(ent.items.map((i: { id: string }) => i.id)).toEqual([T.a.inst]);
    const all = (await get(`/api/v1/instruments?ids=${T.b.inst}`, 'authority')).json();
    expect(all.items.map((i: { id: string }) => i.id)).toEqual([T.b.inst]);
    const many = await get(`/api/v1/instruments?ids=${Array.from({ length: 501 }, (_, k) => `X-${k}`).join(',')}`, 'authority');
    expect(many.statusCode).toBe(400);
    expect(many.json().error).toMatchObject({ code: 'E_BAD_REQUEST', details: { field: 'ids', value: 501 } });
  });

  it('gives the overview counts without the rows when asked', async () => {
    const full = (await get('/api/v1/overview', 'authority')).json();
    const bare = (await get('/api/v1/overview?items=false', 'authority')).json();
    expect(bare.items).toEqual([]);
    expect(bare.counts).toEqual(full.counts);
    expect(bare.total).toBe(full.total);
    expect(full.items[0]).toHaveProperty('name');
  });
});

describe('offline threshold from configuration', () => {
  it('is one value with a per-kind override, in the configuration schema with its defaults', () => {
    const cfg = loadConfig(MetronetConfig, { overrides: { 'dashboard.offlineAfterMsByKind.envStation': 1_800_000 } });
    expect(cfg.dashboard.offlineAfterMs).toBe(600_000);
    expect(cfg.dashboard.offlineAfterMsByKind).toEqual({ envStation: 1_800_000 });
    expect(offlineRuleOf(cfg.dashboard)).toEqual({ afterMs: 600_000, byKind: { env_station: 1_800_000 } });
    expect(() => loadConfig(MetronetConfig, { overrides: { 'dashboard.offlineAfterMsByKind.bicycle': 1000 } })).toThrow(/bicycle|additional/i);
  });

  it('judges a scale offline after a minute and a station only after its own 30 minutes', async () => {
    const seen = clock - 5 * 60_000;
    f.registry.ensureChannel(T.b.inst, 'mass', 'kg');
    f.registry.updateLatest([reading(T.a.inst, seen, 20.001), reading(T.b.inst, seen, 20.002)]);
    const items = (await get('/api/v1/overview', 'authority')).json().items as Array<{ id: string; online: boolean }>;
    expect(items.find((i) => i.id === T.a.inst)!.online).toBe(false);
    expect(items.find((i) => i.id === T.b.inst)!.online).toBe(true);
  });
});

describe('alert text codes', () => {
  it('gives every alert a stable code and params next to the English message', async () => {
    const list = (await get('/api/v1/alerts', 'enterprise')).json();
    expect(list.items[0]).toMatchObject({
      message: 'alert a',
      code: 'alert.out_of_tolerance',
      params: expect.objectContaining({ instrument: T.a.inst, channel: 'mass', unit: 'kg' }),
    });
    const one = (await get(`/api/v1/alerts/${f.alerts.a}`, 'enterprise')).json();
    expect(one.code).toBe('alert.out_of_tolerance');
  });

  it('reads the params from what analytics stores with each kind', () => {
    const base = { instrument: 'SC-1', channel: 'gross', subject: 'SC-1', reference: null };
    const { reference: _r, ...who } = base;
    expect(alertText({ ...base, kind: 'near_limit', details: { error: 0.009, mpe: 0.01, U: 0.001, ts: 5, percent: 80 } }, 'kg')).toEqual({
      code: 'alert.near_limit',
      params: { ...who, error: 0.009, mpe: 0.01, unit: 'kg', percent: 80 },
    });
    expect(alertText({ ...base, kind: 'shift_detected', details: { recentSignal: { ts: 7, direction: 'down' } } }).code).toBe('alert.shift_detected.down');
    expect(alertText({ ...base, kind: 'limit_exceeded', details: { value: 5.2, limit: 6, unit: 'pH', period: '1h', source: 'QCVN' } })).toMatchObject({
      code: 'alert.limit_exceeded.min',
      params: { value: 5.2, limit: 6, unit: 'pH', period: '1h' },
    });
    expect(alertText({ ...base, kind: 'due_soon', details: { due: 99, leadDays: 30 } }).params).toMatchObject({ due: 99, leadDays: 30 });
  });
});

describe('POST /instruments/{id}/calibrations', () => {
  it('keeps an as-left error stated as null as null (not coerced to 0, which would read as adjusted)', async () => {
    const body = {
      type: 'calibration',
      date: Date.now() - 86_400_000,
      certificate: 'GCN-NULL-1',
      results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.003, asLeft: null, U: 0.002 }],
      references: [],
      authorisedBy: 'Trần Thị B',
    };
    const res = await app.inject({ method: 'POST', url: `/api/v1/instruments/${T.a.inst}/calibrations`, headers: f.auth.lab, payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json().results[0].asLeft ?? null).toBeNull();
    expect(res.json().result).not.toBe('adjusted');
    // …and an as-left error of 0 stays 0 (adjusted to no error).
    const zero = await app.inject({
      method: 'POST',
      url: `/api/v1/instruments/${T.a.inst}/calibrations`,
      headers: f.auth.lab,
      payload: { ...body, certificate: 'GCN-ZERO-1', results: [{ ...body.results[0], asLeft: 0 }] },
    });
    expect(zero.statusCode).toBe(201);
    expect(zero.json().results[0].asLeft).toBe(0);
    expect(zero.json().result).toBe('adjusted');
  });
});

describe('live events from change counters', () => {
  it('sends moved values and new alerts to the tenant that sees them only, and the states that changed', async () => {
    const a = await listen(f.auth.enterprise);
    const authority = await listen(f.auth.authority);
    await waitFor(() => a.text().includes('event: states') && authority.text().includes('event: states'), ticks('opening states'));
    // A reading of each tenant: A's listener gets its own only.
    clock = Date.now();
    f.registry.updateLatest([reading(T.a.inst, clock, 20.004), reading(T.b.inst, clock, 20.005)]);
    await waitFor(() => /event: values\ndata: .*"id":"INST-a".*20\.004/.test(a.text()), ticks('values of INST-a'));
    await waitFor(() => authority.text().includes('"id":"INST-bbb"'), ticks('values of INST-bbb to the authority'));
    expect(a.text()).not.toContain('bbb');
    // A new alert: its event carries the code; INST-a's state changes with it once its
    // out-of-tolerance alert clears (the state follows the worst live alert).
    f.registry.analytics.raiseAlert(
      {
        kind: 'due_soon',
        severity: 'warning',
        subject: T.a.inst,
        instrument: T.a.inst,
        channel: null,
        org: T.a.ent,
        lab: T.a.lab,
        message: 'due soon a',
        details: { due: clock + 10 * 86_400_000, leadDays: 30 },
      },
      clock,
    );
    await waitFor(() => /event: alert\ndata: .*"code":"alert.due_soon"/.test(a.text()), ticks('the new alert'));
    f.registry.analytics.relieveAlert(T.a.inst, 'mass', 'out_of_tolerance', 0, clock);
    await waitFor(() => /event: states\ndata: \[\{"id":"INST-a","state":"due_soon","online":true/.test(a.text()), ticks('the state change of INST-a'));
    // Time passes without a reading: INST-a (scale, 1 min) goes offline, the station does not.
    clock += 2 * 60_000;
    await waitFor(() => /"id":"INST-a","state":"due_soon","online":false/.test(authority.text()), ticks('INST-a offline'));
    expect(authority.text()).not.toMatch(/"id":"INST-bbb","state":"[a-z_]+","online":false/);
    expect(a.text()).not.toContain('bbb');
    await a.stop();
    await authority.stop();
  });

  it('reads only what changed: the counters move with each change and not otherwise', () => {
    const r0 = f.registry.instrumentsRev();
    expect(f.registry.changedInstruments(r0).items).toEqual([]);
    f.registry.updateLatest([reading(T.a.inst, Date.now() + 1000, 20.01)]);
    const c = f.registry.changedInstruments(r0);
    expect(c.items.map((i) => i.id)).toEqual([T.a.inst]);
    expect(c.rev).toBeGreaterThan(r0);
    // An older reading does not move lastSeen: no change.
    f.registry.updateLatest([reading(T.a.inst, Date.now() - 60_000, 20.02)]);
    expect(f.registry.changedInstruments(c.rev).items).toEqual([]);
    const a0 = f.registry.analytics.alertsRev();
    f.registry.analytics.ackAlert(f.alerts.b, 'tdc', Date.now());
    expect(f.registry.analytics.changedAlerts(a0).items.map((x) => [x.id, x.state])).toEqual([[f.alerts.b, 'acknowledged']]);
  });
});
