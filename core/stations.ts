import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './ids.js';
import { AIR_REFERENCE_CONDITIONS, MOLAR_MASS_G_PER_MOL, QCVN05_2023, QCVN05_2023_LIMITS, QCVN05_AVERAGING } from './legal/qcvn-05-2023.js';

export { AIR_EVIDENCE_LEVELS, AIR_REFERENCE_CONDITIONS, QCVN05_2023_LIMITS, QCVN05_AVERAGING, type AirEvidence } from './legal/qcvn-05-2023.js';

/**
 * Environmental monitoring stations (issue 8): the station facts the registry keeps beside an
 * `env_station` instrument, and limits as data. No I/O.
 *
 * A station record's status follows Circular 10/2021/TT-BTNMT Art. 39 (from secondary sources):
 * measuring → `ok`, calibrating → `check`, device error → `fault` (DOMAIN.md).
 */
export const STATION_MEDIA = ['air', 'water', 'emission'] as const;
export type StationMedium = (typeof STATION_MEDIA)[number];

/**
 * Averaging periods of limits: clock hour, 8-hour running mean, calendar day, calendar year
 * (QCVN 05:2023; docs/stations.md "Calendar periods"). `1y` is a calendar year.
 */
export const AVERAGING_PERIODS = ['1h', '8h', '24h', '1y'] as const;
export type AveragingPeriod = (typeof AVERAGING_PERIODS)[number];
/** Periods a station may override in the registry (its table stores these three; annual overrides need a migration). */
export const OVERRIDE_PERIODS = ['1h', '8h', '24h'] as const;
/** Nominal lengths (a calendar year is 365 or 366 days: see vnYearStart). */
export const PERIOD_MS: Record<AveragingPeriod, number> = { '1h': 3_600_000, '8h': 8 * 3_600_000, '24h': 24 * 3_600_000, '1y': 365 * 24 * 3_600_000 };

/** Vietnam keeps UTC+7 all year (no daylight saving): a station day runs 00:00–24:00 ICT. */
export const VN_UTC_OFFSET_MS = 7 * 3_600_000;

export const StationSettings = Type.Object(
  {
    medium: StringEnum(STATION_MEDIA),
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    intervalMs: Type.Integer({ minimum: 1, description: 'expected time between two records of a parameter' }),
    toleranceMs: Type.Integer({ minimum: 0, description: 'extra silence allowed before a gap is alerted' }),
    limitSet: Type.String({ maxLength: 64, description: 'default limit set, e.g. qcvn-05-2023 (air) or qcvn-40-2011-b (wastewater)' }),
  },
  { additionalProperties: false },
);
export type StationSettings = Static<typeof StationSettings>;

export const StationLimit = Type.Object(
  {
    parameter: Type.String({ description: 'channel name, e.g. so2' }),
    period: StringEnum(AVERAGING_PERIODS),
    max: Type.Number(),
    min: Type.Optional(Type.Number({ description: 'lower bound, e.g. pH' })),
    unit: Type.String(),
    source: Type.String({ description: 'regulation the limit comes from' }),
    clause: Type.Optional(Type.String({ description: "the regulation's clause and table" })),
    evidence: Type.Optional(Type.String({ description: 'how directly the value is known: regulation-text, transcription, secondary, unconfirmed' })),
    validFrom: Type.Optional(Type.String({ format: 'date', description: 'first day (Vietnam local date) the limit applies' })),
    validUntil: Type.Optional(Type.String({ format: 'date', description: 'last day (Vietnam local date) the limit applies' })),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type StationLimit = Static<typeof StationLimit>;

const QCVN40 = 'QCVN 40:2011/BTNMT column B (placeholder; verify against the official text and any newer QCVN)';

/**
 * Limit sets, keyed by name; a station names one and may override single limits in the registry.
 *
 * - `qcvn-05-2023`: ambient air, µg/m³, every parameter and period of QCVN 05:2023/BTNMT with its
 *   clause and evidence (core/legal/qcvn-05-2023.ts: SO₂, CO, NO₂, O₃, TSP, PM10, PM2.5, Pb over
 *   1 h, 8 h, 24 h and a year, as the regulation sets them).
 * - `qcvn-40-2011-b`: industrial wastewater discharged to non-drinking-water sources, applied here
 *   to hourly means of a continuous station. The numbers (pH 5.5–9, COD 150, TSS 100, NH₄⁺ as N
 *   10 mg/L) are from memory of the 2011 text and unconfirmed; deployments must set their permit's.
 * - `emission`: empty on purpose — stack limits (e.g. QCVN 19, 20) depend on the permit and the
 *   reference O₂; enter them per station.
 */
export const LIMIT_SETS: Record<string, StationLimit[]> = {
  'qcvn-05-2023': QCVN05_2023_LIMITS.map((r) => ({
    parameter: r.parameter,
    period: r.period,
    max: r.max,
    unit: 'ug/m3',
    source: QCVN05_2023,
    clause: r.clause,
    evidence: r.evidence,
    ...(r.validFrom ? { validFrom: r.validFrom } : {}),
    ...(r.validUntil ? { validUntil: r.validUntil } : {}),
    ...(r.note ? { note: r.note } : {}),
  })),
  'qcvn-40-2011-b': [
    { parameter: 'ph', period: '1h', min: 5.5, max: 9, unit: 'pH', source: QCVN40 },
    { parameter: 'cod', period: '1h', max: 150, unit: 'mg/L', source: QCVN40 },
    { parameter: 'tss', period: '1h', max: 100, unit: 'mg/L', source: QCVN40 },
    { parameter: 'nh4', period: '1h', max: 10, unit: 'mg/L', source: QCVN40 },
  ],
  emission: [],
};

export const DEFAULT_LIMIT_SET: Record<StationMedium, string> = { air: 'qcvn-05-2023', water: 'qcvn-40-2011-b', emission: 'emission' };

/**
 * Share of expected records an hourly mean needs to be valid. QCVN 05:2023 states none; 75 %
 * follows Directive 2008/50/EC Annex VII (core/legal/qcvn-05-2023.ts QCVN05_AVERAGING).
 */
export const MIN_AVERAGE_COVERAGE = QCVN05_AVERAGING.hour.minCoverage;

/** Start (epoch ms) of the Vietnam-local day that contains t. */
export function vnDayStart(t: number): number {
  return Math.floor((t + VN_UTC_OFFSET_MS) / 86_400_000) * 86_400_000 - VN_UTC_OFFSET_MS;
}

/** Start (epoch ms) of the Vietnam-local clock hour that contains t (UTC+7 is a whole number of hours). */
export function vnHourStart(t: number): number {
  return Math.floor(t / 3_600_000) * 3_600_000;
}

/** Start (epoch ms) of the Vietnam-local calendar year that contains t, and of the next one. */
export function vnYearStart(t: number, plusYears = 0): number {
  const y = new Date(t + VN_UTC_OFFSET_MS).getUTCFullYear() + plusYears;
  return Date.UTC(y, 0, 1) - VN_UTC_OFFSET_MS;
}

/** `YYYY-MM-DD` of the Vietnam-local day that contains t. */
export function vnDate(t: number): string {
  return new Date(t + VN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The limits in force: the set's defaults, each replaced by an override of the same (parameter, period). */
export function effectiveLimits(limitSet: string, overrides: readonly StationLimit[], at: number = Date.now()): StationLimit[] {
  const out = new Map<string, StationLimit>();
  for (const l of LIMIT_SETS[limitSet] ?? []) if (limitInForce(l, at)) out.set(`${l.parameter}|${l.period}`, l);
  for (const l of overrides) if (limitInForce(l, at)) out.set(`${l.parameter}|${l.period}`, l);
  return [...out.values()];
}

/** Whether a limit applies on the Vietnam-local day of `at` (its validFrom … validUntil, inclusive). */
export function limitInForce(l: Pick<StationLimit, 'validFrom' | 'validUntil'>, at: number): boolean {
  const day = vnDate(at);
  return (!l.validFrom || day >= l.validFrom) && (!l.validUntil || day <= l.validUntil);
}

/**
 * Air concentration units: mass concentration in µg/m³, or volume mixing ratio in ppb. The limits'
 * `ug/m3` is the regulation's µg/Nm³ (QCVN 05:2023 clause 1.3.10: 25 °C, 760 mmHg), so a channel
 * stating Nm³ is on the same basis.
 */
const MASS_UG_M3: Readonly<Record<string, number>> = { 'ug/m3': 1, 'mg/m3': 1000, 'ug/Nm3': 1, 'mg/Nm3': 1000 };
const MIXING_PPB: Readonly<Record<string, number>> = { ppb: 1, ppm: 1000 };

export type UnitConversion =
  | { ok: true; factor: number; from: string; to: string; conditions?: string }
  | { ok: false; from: string; to: string; reason: string; reasonVi: string };

/**
 * How a parameter's value in `from` is expressed in a limit's unit `to`: a factor, or a refusal
 * with its reason. Same unit → 1. µg/m³ ↔ mg/m³ → 1000. A mixing ratio (ppb, ppm) of a gas with a
 * known molar mass ↔ a mass concentration at the reference conditions of AIR_REFERENCE_CONDITIONS:
 * µg/m³ = ppb · M / Vm, Vm = R·T/p (24.465 L/mol at 25 °C, 101.325 kPa). Anything else (particles
 * in ppb, a water unit) is refused.
 *
 * Worked example: SO₂ (M = 64.064 g/mol) 100 ppb → 100 × 64.064 / 24.465 = 261.9 µg/m³.
 */
export function airUnitConversion(parameter: string, from: string, to: string): UnitConversion {
  if (from === to) return { ok: true, factor: 1, from, to };
  const refuse = (en: string, vi: string): UnitConversion => ({ ok: false, from, to, reason: en, reasonVi: vi });
  const fm = MASS_UG_M3[from];
  const tm = MASS_UG_M3[to];
  const fx = MIXING_PPB[from];
  const tx = MIXING_PPB[to];
  if (fm !== undefined && tm !== undefined) return { ok: true, factor: fm / tm, from, to };
  if (fx !== undefined && tx !== undefined) return { ok: true, factor: fx / tx, from, to };
  if ((fm === undefined && fx === undefined) || (tm === undefined && tx === undefined))
    return refuse(
      `unit ${from} cannot be compared with the limit's unit ${to}: not an ambient-air concentration at the regulation's conditions`,
      `đơn vị ${from} không so sánh được với đơn vị của giới hạn ${to}: không phải nồng độ trong không khí xung quanh ở điều kiện của quy chuẩn`,
    );
  const m = MOLAR_MASS_G_PER_MOL[parameter];
  if (m === undefined)
    return refuse(
      `${parameter} in ${from} cannot be converted to ${to}: a mixing ratio needs a gas of known molar mass`,
      `${parameter} đo bằng ${from} không quy đổi được sang ${to}: tỉ lệ thể tích chỉ quy đổi được với chất khí biết khối lượng mol`,
    );
  const rc = AIR_REFERENCE_CONDITIONS;
  if (!rc.convert)
    return refuse(
      `${from} → ${to} needs the regulation's reference conditions, which are not confirmed; conversion is switched off`,
      `quy đổi ${from} → ${to} cần điều kiện tham chiếu của quy chuẩn, chưa được xác nhận; chức năng quy đổi đang tắt`,
    );
  const vmLPerMol = ((8.314_462_618 * rc.temperatureK) / rc.pressurePa) * 1000; // L/mol
  const ppbToUg = m / vmLPerMol; // µg/m³ per ppb
  const factor = fx !== undefined ? (fx * ppbToUg) / tm! : fm! / ppbToUg / tx!;
  return { ok: true, factor, from, to, conditions: `${(rc.temperatureK - 273.15).toFixed(0)} °C, ${rc.pressurePa / 1000} kPa (${rc.evidence})` };
}
