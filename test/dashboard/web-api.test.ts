import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { EVENTS_TICK_MS, listenEvents } from './events.js';
import readXlsxFile from 'read-excel-file/node';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { handleStatus } from '../../ingest/status.js';
import { Lookups } from '../../ingest/lookups.js';
import { T, twoTenants, type Fixture } from '../security/fixture.js';
import { INVENTORY_HEAD_VI, parseCsv } from '../support/csv.js';

/** The API routes behind the web UI (issue 7): overview, reports, live events, gateway spool. */
let f: Fixture;
let app: App;
beforeAll(async () => {
  f = await twoTenants();
  app = await buildApp({ registry: f.registry, readings: f.readings, analytics: new Engine({ registry: f.registry }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const get = (url: string, role: keyof Fixture['auth']) => app.inject({ method: 'GET', url, headers: f.auth[role] });

describe('GET /api/v1/overview', () => {
  it('counts the instruments of the caller by state, tenant-scoped', async () => {
    const ent = (await get('/api/v1/overview', 'enterprise')).json();
    expect(ent.total).toBe(1);
    expect(ent.items.map((i: { id: string }) => i.id)).toEqual([T.a.inst]);
    expect(ent.counts).toMatchObject({ out_of_tolerance: 1, in_tolerance: 0, offline: 1 });
    expect(ent.alerts.open).toBe(1);
    const all = (await get('/api/v1/overview', 'authority')).json();
    expect(all.total).toBe(2);
    expect(all.alerts).toEqual({ open: 2, critical: 2, warning: 0 });
  });
});

describe('GET /api/v1/reports/{name}', () => {
  it("writes the inventory as UTF-8 CSV with Vietnamese headers, only the caller's rows", async () => {
    const res = await get('/api/v1/reports/inventory?format=csv', 'enterprise');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="metronet-inventory-\d{4}-\d\d-\d\d\.csv"/);
    const [head, ...lines] = parseCsv(res.body);
    expect(head!.slice(0, 8)).toEqual(INVENTORY_HEAD_VI);
    expect(lines.map((l) => l[7])).toEqual([T.a.inst]);
    const en = await get('/api/v1/reports/inventory?format=csv&lang=en', 'authority');
    const rows = parseCsv(en.body);
    expect(rows[0]!.slice(0, 5)).toEqual(['Province code', 'Province', 'Commune code', 'Commune, ward or special zone', 'District (before 1 July 2025)']);
    expect(rows).toHaveLength(3);
  });

  it('writes XLSX that a spreadsheet reader opens: assurance per enterprise, annual per commune and kind', async () => {
    const res = await get('/api/v1/reports/assurance?format=xlsx', 'enterprise');
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const [sheet] = await readXlsxFile(res.rawPayload);
    expect(sheet!.data[0]![0]).toBe('Mã doanh nghiệp');
    expect(sheet!.data.slice(1).map((r) => r[0])).toEqual([T.a.ent]);
    const annual = await get(`/api/v1/reports/annual?format=xlsx&year=${new Date().getUTCFullYear()}`, 'authority');
    const [a] = await readXlsxFile(annual.rawPayload);
    // The fixture's instruments have no location: one group without province or commune.
    expect(a!.data[1]!.slice(0, 7)).toEqual([new Date().getUTCFullYear(), null, null, null, null, 'scale', 2]);
  });

  it('answers 404 for an unknown report and 400 for an unknown format', async () => {
    expect((await get('/api/v1/reports/nope', 'authority')).json().error.code).toBe('E_NOT_FOUND');
    expect((await get('/api/v1/reports/inventory?format=pdf', 'authority')).statusCode).toBe(400);
  });
});

describe('GET /api/v1/events (server-sent events)', () => {
  it("opens with hello and the states of the caller's instruments only", async () => {
    const res = await get('/api/v1/events?once=true', 'enterprise');
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.body).toMatch(/^retry: 3000\n\nevent: hello\ndata: \{"user":"ent-a-user","role":"enterprise"\}\n\nevent: states\ndata: /);
    expect(res.body).toContain(T.a.inst);
    expect(res.body).not.toContain('bbb');
  });

  it('streams an acknowledgement to a listener of the same tenant, not to the other tenant', async () => {
    const listen = (auth: { authorization: string }) => listenEvents(app, auth);
    const ent = await listen(f.auth.enterprise);
    const labOfB = f.registry.identity;
    await labOfB.createUser({ id: 'ent-b-user', role: 'enterprise', org: T.b.ent, password: 'password-of-ent-b' });
    const other = await listen({ authorization: `Bearer ${labOfB.issueToken({ kind: 'api', user: 'ent-b-user', ttlMs: 60_000 }).secret}` });
    await waitFor(() => ent.text().includes('event: states') && other.text().includes('event: states'), 'both streams open');
    const ack = await app.inject({ method: 'POST', url: `/api/v1/alerts/${f.alerts.a}/ack`, headers: f.auth.enterprise });
    expect(ack.statusCode).toBe(200);
    await waitFor(() => /event: alert\ndata: .*"state":"acknowledged"/.test(ent.text()), {
      message: 'the acknowledgement on the stream',
      timeout: periods(3, EVENTS_TICK_MS),
    });
    expect(ent.text()).toMatch(new RegExp(`event: alert\\ndata: \\{"id":${f.alerts.a},.*"state":"acknowledged"`));
    expect(other.text()).not.toContain('event: alert');
    await ent.stop();
    await other.stop();
  });
});

describe('gateway spool (status payload → registry → GET /gateways)', () => {
  it('stores the spool a gateway reports and shows it with its reject count', async () => {
    const ctx = { registry: f.registry, lookups: new Lookups(f.registry), now: Date.now(), maxFutureMs: 300_000 };
    const status = { v: 1, gateway: T.a.gw, state: 'online', ts: Date.now(), version: '0.1.0', spool: { depth: 120, full: true, dropped: 7 } };
    const verdict = handleStatus(ctx, { kind: 'status', org: T.a.ent, gateway: T.a.gw }, Buffer.from(JSON.stringify(status)));
    expect(verdict.rejects).toEqual([]);
    const gw = (await get('/api/v1/gateways', 'enterprise')).json().items;
    expect(gw).toEqual([expect.objectContaining({ id: T.a.gw, state: 'online', spool: { depth: 120, full: true, dropped: 7 }, rejects: 1 })]);
    // A status without spool (an older gateway) keeps the last known spool.
    handleStatus(ctx, { kind: 'status', org: T.a.ent, gateway: T.a.gw }, Buffer.from(JSON.stringify({ ...status, spool: undefined, state: 'offline' })));
    expect(f.registry.getGateway(T.a.gw)).toMatchObject({ state: 'offline', spool: { depth: 120, full: true, dropped: 7 } });
  });
});
