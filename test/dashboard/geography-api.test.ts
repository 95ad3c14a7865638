import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { buildReport, type Row } from '../../dashboard/reports/data.js';
import type { Principal } from '../../dashboard/auth/tenant.js';
import { T, twoTenants, type Fixture } from '../security/fixture.js';
import { parseCsv } from '../support/csv.js';

/**
 * Reports, the overview and the API by province and commune (issue 17, item 1). On top of the
 * two-tenant fixture (instruments without a location): an enterprise in Phường Phan Thiết with
 * two scales at its address and one at a stall in Mũi Né, and the environment department in
 * Đà Lạt with an air station at La Gi — the station counts at La Gi, not at its owner's address.
 */
let f: Fixture;
let app: App;
const YEAR = new Date().getUTCFullYear();
const authority: Principal = { user: 'tdc', role: 'authority', org: null, via: 'token', tokenId: 't' };

beforeAll(async () => {
  f = await twoTenants();
  const r = f.registry;
  r.upsertOrg({ id: 'cho-pt', name: 'Ban quản lý chợ Phan Thiết', kind: 'enterprise', district: 'TP Phan Thiết', province: '68', commune: '22945' });
  r.upsertOrg({ id: 'so-nnmt', name: 'Sở Nông nghiệp và Môi trường', kind: 'authority', district: 'TP Phan Thiết', province: '68', commune: '24781' });
  for (const id of ['SC-PT-1', 'SC-PT-2']) r.upsertInstrument({ id, org: 'cho-pt', registration: 'registered', kind: 'scale' });
  r.upsertInstrument({ id: 'SC-MN-1', org: 'cho-pt', registration: 'registered', kind: 'scale', province: '68', commune: '22918' });
  r.upsertInstrument({ id: 'AQ-LG', org: 'so-nnmt', registration: 'registered', kind: 'env_station', province: '68', commune: '23235' });
  app = await buildApp({ registry: r, readings: f.readings, analytics: new Engine({ registry: r }) });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const get = (url: string, role: keyof Fixture['auth'] = 'authority', lang = 'vi') =>
  app.inject({ method: 'GET', url, headers: { ...f.auth[role], 'accept-language': lang } });
const counts = (rows: Row[]) => rows.map((r) => [r.communeName ?? r.provinceName ?? null, r.kind, r.instruments]);

describe('reports by province and commune', () => {
  it('adds the annual report up per commune where each instrument stands, with the right totals', () => {
    const t = buildReport('annual', { registry: f.registry, p: authority, now: Date.now(), year: YEAR });
    expect(t.columns.slice(0, 5).map((c) => c.key)).toEqual(['year', 'province', 'provinceName', 'commune', 'communeName']);
    expect(counts(t.rows)).toEqual([
      ['Phường La Gi', 'env_station', 1],
      ['Phường Mũi Né', 'scale', 1],
      ['Phường Phan Thiết', 'scale', 2],
      [null, 'scale', 2], // the fixture's two instruments, no location: last
    ]);
    expect(t.rows[0]).toMatchObject({ province: '68', provinceName: 'Tỉnh Lâm Đồng', commune: '23235', communeName: 'Phường La Gi' });
    expect(t.rows.reduce((n, r) => n + (r.instruments as number), 0)).toBe(6);
    // Nobody counts at the department's own address in Đà Lạt.
    expect(t.rows.some((r) => r.commune === '24781')).toBe(false);
  });

  it('adds up per province on request, and filters by province or commune', () => {
    const t = buildReport('annual', { registry: f.registry, p: authority, now: Date.now(), year: YEAR, groupBy: 'province' });
    expect(t.columns.some((c) => c.key === 'commune')).toBe(false);
    expect(counts(t.rows)).toEqual([
      ['Tỉnh Lâm Đồng', 'env_station', 1],
      ['Tỉnh Lâm Đồng', 'scale', 3],
      [null, 'scale', 2],
    ]);
    const inv = buildReport('inventory', { registry: f.registry, p: authority, now: Date.now(), year: YEAR, commune: '22945' });
    expect(inv.rows.map((r) => [r.instrument, r.communeName, r.districtBefore2025])).toEqual([
      ['SC-PT-1', 'Phường Phan Thiết', 'TP Phan Thiết'],
      ['SC-PT-2', 'Phường Phan Thiết', 'TP Phan Thiết'],
    ]);
  });

  it('writes the province and commune columns as codes and names in the CSV; an unknown filter is refused in Vietnamese', async () => {
    const res = await get('/api/v1/reports/annual?format=csv&province=68');
    expect(res.statusCode).toBe(200);
    const [head, ...rows] = parseCsv(res.body);
    expect(head!.slice(1, 5)).toEqual(['Mã tỉnh', 'Tỉnh, thành phố', 'Mã xã', 'Xã, phường, đặc khu']);
    expect(rows.map((r) => r.slice(1, 5))).toEqual([
      ['68', 'Tỉnh Lâm Đồng', '23235', 'Phường La Gi'],
      ['68', 'Tỉnh Lâm Đồng', '22918', 'Phường Mũi Né'],
      ['68', 'Tỉnh Lâm Đồng', '22945', 'Phường Phan Thiết'],
    ]);
    const bad = await get('/api/v1/reports/inventory?commune=12345');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'E_UNKNOWN_ADMIN_UNIT', details: { field: 'commune', value: '12345' } });
    expect(bad.json().error.message).toMatch(/không thuộc danh mục xã, phường, đặc khu/);
  });
});

describe('GET /api/v1/overview by place', () => {
  it('lists instruments per province and commune, and each organisation with its place and pre-2025 district', async () => {
    const o = (await get('/api/v1/overview?items=false')).json();
    expect(o.localities.map((l: { communeName: string | null; instruments: number; stations: number }) => [l.communeName, l.instruments, l.stations])).toEqual([
      ['Phường La Gi', 1, 1],
      ['Phường Mũi Né', 1, 0],
      ['Phường Phan Thiết', 2, 0],
      [null, 2, 0],
    ]);
    expect(o.orgs.find((x: { id: string }) => x.id === 'cho-pt')).toMatchObject({
      province: '68',
      provinceName: 'Tỉnh Lâm Đồng',
      commune: '22945',
      communeName: 'Phường Phan Thiết',
      district: 'TP Phan Thiết',
      instruments: 3,
    });
  });
});

describe('GET /api/v1/admin-units', () => {
  it('gives every province, the communes of one, and a search folded for diacritics', async () => {
    const all = (await get('/api/v1/admin-units', 'enterprise')).json();
    expect(all.effective).toBe('2025-07-01');
    expect(all.provinces).toHaveLength(34);
    expect(all.communes).toEqual([]);
    const lamDong = (await get('/api/v1/admin-units?province=68', 'lab')).json();
    expect(lamDong.communes).toHaveLength(124);
    expect(lamDong.communes).toContainEqual({ code: '22918', name: 'Phường Mũi Né', province: '68' });
    const found = (await get(`/api/v1/admin-units?province=68&q=${encodeURIComponent('ham thuan bac')}`)).json();
    expect(found.communes).toEqual([{ code: '23089', name: 'Xã Hàm Thuận Bắc', province: '68' }]);
    const bad = await get('/api/v1/admin-units?province=60');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^mã tỉnh "60" không thuộc danh mục 34 tỉnh/);
  });

  it('refuses an instrument located in an unknown commune, in Vietnamese, naming field, value and rule', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/instruments/${T.a.inst}`,
      headers: { ...f.auth.enterprise, 'accept-language': 'vi' },
      payload: { kind: 'scale', province: '68', commune: '12345' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'E_UNKNOWN_ADMIN_UNIT',
      message: 'mã xã "12345" không thuộc danh mục xã, phường, đặc khu áp dụng từ 01/07/2025',
      details: { field: 'commune', value: '12345', rule: 'adminUnits2025' },
    });
    const ok = await app.inject({
      method: 'PUT',
      url: `/api/v1/instruments/${T.a.inst}`,
      headers: f.auth.enterprise,
      payload: { kind: 'scale', province: '68', commune: '22924' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ province: '68', commune: '22924' });
  });
});
