import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { authorityAuth, MIN, stationStores } from './support.js';

/** Issue 8: the owner (or an admin) edits a station's facts and limit overrides; the authority reads only; audited. */
let s: ReturnType<typeof stationStores>;
let app: App;
const auth: Record<string, { authorization: string }> = {};

beforeAll(async () => {
  s = stationStores();
  const r = s.registry;
  r.upsertOrg({ id: 'kcn', name: 'KCN', kind: 'enterprise' });
  r.upsertOrg({ id: 'other', name: 'Other', kind: 'enterprise' });
  r.upsertInstrument({ id: 'WQ-1', org: 'kcn', registration: 'registered', kind: 'env_station', name: 'Trạm nước thải' });
  r.ensureChannel('WQ-1', 'cod', 'mg/L');
  r.stations.upsertStation({
    instrument: 'WQ-1',
    medium: 'water',
    latitude: 10.9,
    longitude: 108.1,
    intervalMs: 5 * MIN,
    toleranceMs: 5 * MIN,
    limitSet: 'qcvn-40-2011-b',
  });
  for (const [id, role, org] of [
    ['owner', 'enterprise', 'kcn'],
    ['stranger', 'enterprise', 'other'],
    ['root', 'admin', null],
  ] as const) {
    await r.identity.createUser({ id, role, org, password: 'correct horse battery staple' });
    auth[id] = { authorization: `Bearer ${r.identity.issueToken({ kind: 'api', user: id, ttlMs: 3_600_000 }).secret}` };
  }
  auth.authority = await authorityAuth(r);
  app = await buildApp({ registry: r, readings: s.readings, analytics: new Engine({ registry: r }) });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await s?.cleanup();
});

const put = (who: string, url: string, payload: object) => app.inject({ method: 'PUT', url, payload, headers: auth[who] });

describe('editing stations', () => {
  it('the owner changes position, interval and tolerance; others are refused; audited with before and after', async () => {
    const res = await put('owner', '/api/v1/stations/WQ-1', { latitude: 10.95, longitude: 108.05, intervalMs: 10 * MIN, toleranceMs: 2 * MIN });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id: 'WQ-1',
      medium: 'water',
      latitude: 10.95,
      longitude: 108.05,
      intervalMs: 10 * MIN,
      toleranceMs: 2 * MIN,
      limitSet: 'qcvn-40-2011-b',
    });
    expect(s.registry.stations.getStation('WQ-1')).toMatchObject({ latitude: 10.95, intervalMs: 10 * MIN });
    const [entry] = s.registry.audit.entries({ subject: 'instrument:WQ-1' }).filter((e) => e.action === 'station.update');
    expect(entry).toMatchObject({ actor: 'user:owner', before: { latitude: 10.9, intervalMs: 5 * MIN }, after: { latitude: 10.95, intervalMs: 10 * MIN } });
    // Another organisation's station answers as a missing one (issue 16, item 8); the authority may not edit (403).
    expect((await put('stranger', '/api/v1/stations/WQ-1', { toleranceMs: 0 })).statusCode).toBe(404);
    expect((await put('authority', '/api/v1/stations/WQ-1', { toleranceMs: 0 })).statusCode).toBe(403);
    expect((await put('authority', '/api/v1/stations/AQ-1', { toleranceMs: 0 })).statusCode).toBe(403);
    expect((await put('root', '/api/v1/stations/AQ-1', { toleranceMs: 0 })).statusCode).toBe(200);
  });

  it('validates: unknown limit set, bad latitude, empty body, unknown station', async () => {
    expect((await put('owner', '/api/v1/stations/WQ-1', { limitSet: 'no-such-set' })).json().error).toMatchObject({
      code: 'E_BAD_REQUEST',
      details: { field: 'limitSet' },
    });
    expect((await put('owner', '/api/v1/stations/WQ-1', { latitude: 91 })).statusCode).toBe(400);
    expect((await put('owner', '/api/v1/stations/WQ-1', {})).statusCode).toBe(400);
    expect((await put('owner', '/api/v1/stations/WQ-1', { colour: 'red' })).statusCode).toBe(400);
    expect((await put('root', '/api/v1/stations/NOPE', { toleranceMs: 0 })).statusCode).toBe(404);
    expect((await put('owner', '/api/v1/stations/WQ-1', { limitSet: 'emission', medium: 'emission' })).json()).toMatchObject({
      limitSet: 'emission',
      medium: 'emission',
    });
  });

  it('limit overrides are replaced as a set, take effect in GET /stations/{id}, and are audited', async () => {
    const limits = [
      { parameter: 'cod', period: '1h', max: 75, unit: 'mg/L', source: 'giấy phép môi trường 12/GP-UBND' },
      { parameter: 'ph', period: '1h', max: 9, min: 6, unit: 'pH', source: 'giấy phép môi trường 12/GP-UBND' },
    ];
    const res = await put('owner', '/api/v1/stations/WQ-1/limits', { limits });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().overrides).toEqual([limits[0], limits[1]]);
    const detail = (await app.inject({ url: '/api/v1/stations/WQ-1', headers: auth.owner })).json();
    expect(detail.limits).toEqual(expect.arrayContaining([expect.objectContaining({ parameter: 'cod', period: '1h', max: 75 })]));
    expect((await put('owner', '/api/v1/stations/WQ-1/limits', { limits: [limits[0], limits[0]] })).statusCode).toBe(400);
    expect((await put('owner', '/api/v1/stations/WQ-1/limits', { limits: [{ ...limits[1], min: 10 }] })).statusCode).toBe(400);
    expect((await put('authority', '/api/v1/stations/WQ-1/limits', { limits: [] })).statusCode).toBe(403);
    expect((await put('owner', '/api/v1/stations/WQ-1/limits', { limits: [] })).json().overrides).toEqual([]);
    const audits = s.registry.audit.entries({ subject: 'instrument:WQ-1' }).filter((e) => e.action === 'station.limits');
    expect(audits.map((e) => [(e.before as unknown[]).length, (e.after as unknown[]).length])).toEqual([
      [0, 2],
      [2, 0],
    ]);
    expect(s.registry.audit.verify().ok).toBe(true);
  });
});
