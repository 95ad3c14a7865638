import UNITS from './data/admin-units-2025.json' with { type: 'json' };
import { MetronetError } from './errors.js';

/**
 * Vietnam's administrative units after the reorganisation effective 1 July 2025: two levels of
 * local government, 34 provinces and centrally-run cities, then communes, wards and special
 * zones (3 321); districts were abolished (DOMAIN.md, "Administration"). The list is data,
 * `core/data/admin-units-2025.json`, with its source and effective date in the file; codes are the
 * official unit codes (2-digit province, 5-digit commune). docs/geography.md says how to update it.
 *
 * A location is stored as codes (`province`, `commune`); names are looked up here, so a renamed
 * unit changes in one file. A pre-2025 district stays on older records as history only.
 */
export interface Commune {
  code: string;
  name: string;
  /** Code of the province it belongs to. */
  province: string;
}

export interface Province {
  code: string;
  name: string;
}

interface UnitsFile {
  source: string;
  effective: string;
  provinces: Array<{ code: string; name: string; communes: Array<{ code: string; name: string }> }>;
}

const FILE = UNITS as UnitsFile;

/** Where the list comes from and since when it applies (shown in docs and the API). */
export const ADMIN_UNITS_SOURCE: { source: string; effective: string } = { source: FILE.source, effective: FILE.effective };

const PROVINCES = new Map<string, Province>(FILE.provinces.map((p) => [p.code, { code: p.code, name: p.name }]));
const COMMUNES = new Map<string, Commune>(FILE.provinces.flatMap((p) => p.communes.map((c) => [c.code, { code: c.code, name: c.name, province: p.code }])));
const BY_PROVINCE = new Map<string, Commune[]>(
  FILE.provinces.map((p) => [p.code, p.communes.map((c) => COMMUNES.get(c.code)!).sort((a, b) => a.name.localeCompare(b.name, 'vi'))]),
);

/**
 * A name folded for search: lower case, without diacritics, đ as d, spaces collapsed, so that
 * "xa ham thuan bac", "Xã Hàm Thuận Bắc" and "HÀM THUẬN  BẮC" meet. NFD splits a letter from its
 * combining marks (U+0300–U+036F); đ/Đ is a letter of its own and needs its own rule.
 */
export function foldName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export const listProvinces = (): Province[] => [...PROVINCES.values()];
export const getProvince = (code: string): Province | undefined => PROVINCES.get(code);
export const getCommune = (code: string): Commune | undefined => COMMUNES.get(code);
/** Communes, wards and special zones of a province, by name; empty for an unknown code. */
export const communesOf = (province: string): Commune[] => BY_PROVINCE.get(province) ?? [];

/** Every commune's folded name, folded once rather than 3 321 times per search. */
const FOLDED = new Map<string, string>([...COMMUNES.values()].map((c) => [c.code, foldName(c.name)]));

/** Communes whose folded name contains the folded query (a unit-type word included: "phuong la gi"), in one province or all. */
export function searchCommunes(q: string, province?: string): Commune[] {
  const f = foldName(q);
  const pool = province === undefined ? [...COMMUNES.values()] : communesOf(province);
  return pool.filter((c) => FOLDED.get(c.code)!.includes(f));
}

/** A location as codes; either may be absent (an organisation known only by its province). */
export interface Location {
  province?: string | null;
  commune?: string | null;
}

/** A location with names, as reports and views show it. */
export interface NamedLocation {
  province: string | null;
  provinceName: string | null;
  commune: string | null;
  communeName: string | null;
}

export function nameLocation(loc: Location | undefined): NamedLocation {
  const province = loc?.province ?? null;
  const commune = loc?.commune ?? null;
  return {
    province,
    provinceName: province === null ? null : (getProvince(province)?.name ?? null),
    commune,
    communeName: commune === null ? null : (getCommune(commune)?.name ?? null),
  };
}

const refuse = (field: string, value: string, rule: string, en: string, vi: string): MetronetError =>
  new MetronetError('E_UNKNOWN_ADMIN_UNIT', { en, vi }, { field, value, rule });

/**
 * Checks a location against the list: a known province code, a known commune code, the commune
 * inside the province, and a commune only with its province. Throws E_UNKNOWN_ADMIN_UNIT naming
 * the field (`${prefix}province` or `${prefix}commune`), the value and the rule.
 */
export function assertLocation(loc: Location, prefix = ''): void {
  const { province, commune } = loc;
  if (province != null && !PROVINCES.has(province)) {
    throw refuse(
      `${prefix}province`,
      province,
      'adminUnits2025',
      `province code "${province}" is not one of the 34 provinces and centrally-run cities in force since ${FILE.effective}`,
      `mã tỉnh "${province}" không thuộc danh mục 34 tỉnh, thành phố trực thuộc trung ương áp dụng từ 01/07/2025`,
    );
  }
  if (commune == null) return;
  const c = COMMUNES.get(commune);
  if (!c) {
    throw refuse(
      `${prefix}commune`,
      commune,
      'adminUnits2025',
      `commune code "${commune}" is not a commune, ward or special zone in force since ${FILE.effective}`,
      `mã xã "${commune}" không thuộc danh mục xã, phường, đặc khu áp dụng từ 01/07/2025`,
    );
  }
  if (province == null) {
    throw refuse(
      `${prefix}province`,
      commune,
      'communeNeedsProvince',
      `commune "${commune}" is given without its province`,
      `đã nhập xã "${c.name}" (${commune}) nhưng thiếu mã tỉnh, thành phố`,
    );
  }
  if (c.province !== province) {
    throw refuse(
      `${prefix}commune`,
      commune,
      'communeInProvince',
      `commune "${commune}" (${c.name}) belongs to province ${c.province}, not ${province}`,
      `${c.name} (mã ${commune}) thuộc ${getProvince(c.province)?.name ?? c.province}, không thuộc ${getProvince(province)?.name ?? province}`,
    );
  }
}
