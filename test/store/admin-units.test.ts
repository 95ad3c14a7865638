import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ADMIN_UNITS_SOURCE,
  assertLocation,
  communesOf,
  foldName,
  getCommune,
  getProvince,
  isInstance,
  listProvinces,
  MetronetError,
  searchCommunes,
} from '../../core/index.js';
import { openRegistry } from '../../store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'metronet-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The refusal a call throws, for its code, details and Vietnamese message. */
function refusal(fn: () => unknown): MetronetError {
  try {
    fn();
  } catch (err) {
    if (isInstance(err, MetronetError)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('administrative units in force since 1 July 2025 (core/admin-units.ts)', () => {
  it('loads the list with its source and date: 34 provinces, 3 321 communes, codes unique', () => {
    expect(ADMIN_UNITS_SOURCE.effective).toBe('2025-07-01');
    expect(ADMIN_UNITS_SOURCE.source).toMatch(/National Public Service Portal/);
    const provinces = listProvinces();
    expect(provinces).toHaveLength(34);
    const communes = provinces.flatMap((p) => communesOf(p.code));
    expect(communes).toHaveLength(3321);
    expect(new Set(communes.map((c) => c.code)).size).toBe(3321);
    expect(provinces.every((p) => /^\d{2}$/.test(p.code)) && communes.every((c) => /^\d{5}$/.test(c.code))).toBe(true);
  });

  it('looks a province and a commune up by code, and lists the communes of a province by name', () => {
    expect(getProvince('68')).toEqual({ code: '68', name: 'Tỉnh Lâm Đồng' });
    expect(getCommune('23235')).toEqual({ code: '23235', name: 'Phường La Gi', province: '68' });
    expect(getProvince('60')).toBeUndefined(); // Bình Thuận's old code: merged into Lâm Đồng
    const lamDong = communesOf('68');
    expect(lamDong).toHaveLength(124);
    expect(lamDong.map((c) => c.name)).toEqual([...lamDong.map((c) => c.name)].sort((a, b) => a.localeCompare(b, 'vi')));
    expect(communesOf('99')).toEqual([]);
  });

  it('folds names for search: diacritics, đ and case ignored', () => {
    expect(foldName('Phường  Đồng Xoài')).toBe('phuong dong xoai');
    expect(searchCommunes('ham thuan bac', '68').map((c) => c.name)).toEqual(['Xã Hàm Thuận Bắc']);
    expect(searchCommunes('PHAN THIET').map((c) => c.code)).toContain('22945');
    expect(searchCommunes('mui ne', '01')).toEqual([]);
  });

  it('checks a location: known codes, the commune inside its province, a commune only with its province', () => {
    expect(() => assertLocation({ province: '68', commune: '23235' })).not.toThrow();
    expect(() => assertLocation({ province: '68' })).not.toThrow();
    expect(() => assertLocation({})).not.toThrow();
    const unknown = refusal(() => assertLocation({ province: '68', commune: '99999' }));
    expect(unknown.code).toBe('E_UNKNOWN_ADMIN_UNIT');
    expect(unknown.details).toEqual({ field: 'commune', value: '99999', rule: 'adminUnits2025' });
    expect(unknown.messageIn('vi')).toBe('mã xã "99999" không thuộc danh mục xã, phường, đặc khu áp dụng từ 01/07/2025');
    const elsewhere = refusal(() => assertLocation({ province: '01', commune: '23235' }));
    expect(elsewhere.details).toMatchObject({ field: 'commune', rule: 'communeInProvince' });
    expect(elsewhere.messageIn('vi')).toBe('Phường La Gi (mã 23235) thuộc Tỉnh Lâm Đồng, không thuộc Thành phố Hà Nội');
    expect(refusal(() => assertLocation({ commune: '23235' })).details).toMatchObject({ field: 'province', rule: 'communeNeedsProvince' });
    expect(refusal(() => assertLocation({ province: '60' })).details).toEqual({ field: 'province', value: '60', rule: 'adminUnits2025' });
  });
});

describe('registry locations (migration 12)', () => {
  it('stores province and commune codes of organisations and instruments; the district stays as history', () => {
    const reg = openRegistry(join(dir, 'registry.db'));
    reg.upsertOrg({ id: 'cho-pt', name: 'Chợ Phan Thiết', kind: 'enterprise', district: 'TP Phan Thiết', province: '68', commune: '22945' });
    expect(reg.getOrg('cho-pt')).toEqual({
      id: 'cho-pt',
      name: 'Chợ Phan Thiết',
      kind: 'enterprise',
      district: 'TP Phan Thiết',
      province: '68',
      commune: '22945',
    });
    // undefined keeps, null clears (registry upserts).
    reg.upsertOrg({ id: 'cho-pt', name: 'Chợ Phan Thiết', kind: 'enterprise' });
    expect(reg.getOrg('cho-pt')).toMatchObject({ province: '68', commune: '22945', district: 'TP Phan Thiết' });
    reg.upsertInstrument({ id: 'SC-1', org: 'cho-pt', registration: 'registered', kind: 'scale', province: '68', commune: '22918' });
    expect(reg.getInstrument('SC-1')).toMatchObject({ province: '68', commune: '22918' });
    reg.upsertInstrument({ id: 'SC-2', org: 'cho-pt', registration: 'registered', kind: 'scale' });
    expect(reg.getInstrument('SC-2')!.province).toBeUndefined();
    expect(reg.instrumentLocations()).toEqual(new Map([['SC-1', { province: '68', commune: '22918' }]]));
    reg.upsertInstrument({ id: 'SC-1', org: 'cho-pt', registration: 'registered', commune: null, province: null });
    expect(reg.instrumentLocations().size).toBe(0);
    reg.close();
  });

  it('filters instruments by province and commune: where they stand, else where their organisation is', () => {
    const reg = openRegistry(join(dir, 'filter.db'));
    reg.upsertOrg({ id: 'ent', name: 'E', kind: 'enterprise', province: '68', commune: '22945' });
    reg.upsertInstrument({ id: 'AT-HOME', org: 'ent', registration: 'registered', kind: 'scale' });
    reg.upsertInstrument({ id: 'AWAY', org: 'ent', registration: 'registered', kind: 'scale', province: '68', commune: '23235' });
    reg.upsertInstrument({ id: 'PROVINCE-ONLY', org: 'ent', registration: 'registered', kind: 'scale', province: '68' });
    const ids = (f: { province?: string; commune?: string }) => reg.listInstruments(f).items.map((i) => i.id);
    expect(ids({ commune: '22945' })).toEqual(['AT-HOME']);
    expect(ids({ commune: '23235' })).toEqual(['AWAY']);
    expect(ids({ province: '68' })).toEqual(['AT-HOME', 'AWAY', 'PROVINCE-ONLY']);
    expect(reg.listInstruments({ province: '01' }).total).toBe(0);
    reg.close();
  });

  it('refuses a location with an unknown commune, naming field, value and rule in Vietnamese, and stores nothing', () => {
    const reg = openRegistry(join(dir, 'registry.db'));
    const err = refusal(() => reg.upsertInstrument({ id: 'SC-9', org: 'cho-pt', registration: 'registered', kind: 'scale', province: '68', commune: '12345' }));
    expect(err.code).toBe('E_UNKNOWN_ADMIN_UNIT');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ field: 'commune', value: '12345', rule: 'adminUnits2025' });
    expect(err.messageIn('vi')).toMatch(/^mã xã "12345" không thuộc danh mục xã, phường, đặc khu/);
    expect(reg.getInstrument('SC-9')).toBeUndefined();
    expect(() => reg.upsertOrg({ id: 'org-x', name: 'X', kind: 'enterprise', province: '68', commune: '00070' })).toThrow(/belongs to province 01/);
    expect(reg.getOrg('org-x')).toBeUndefined();
    reg.close();
  });
});
