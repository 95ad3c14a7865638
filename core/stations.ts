import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './ids.js';

/**
 * Environmental monitoring stations (issue 8): the station facts the registry keeps beside an
 * `env_station` instrument, and limits as data. No I/O.
 *
 * A station record's status follows Circular 10/2021/TT-BTNMT Art. 39 (from secondary sources):
 * measuring → `ok`, calibrating → `check`, device error → `fault` (DOMAIN.md).
 */
export const STATION_MEDIA = ['air', 'water', 'emission'] as const;
export type StationMedium = (typeof STATION_MEDIA)[number];

export const AVERAGING_PERIODS = ['1h', '8h', '24h'] as const;
export type AveragingPeriod = (typeof AVERAGING_PERIODS)[number];
export const PERIOD_MS: Record<AveragingPeriod, number> = { '1h': 3_600_000, '8h': 8 * 3_600_000, '24h': 24 * 3_600_000 };

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
  },
  { additionalProperties: false },
);
export type StationLimit = Static<typeof StationLimit>;

const QCVN05 = 'QCVN 05:2023/BTNMT (verify against the official text)';
const QCVN40 = 'QCVN 40:2011/BTNMT column B (placeholder; verify against the official text and any newer QCVN)';

/**
 * Limit sets, keyed by name; a station names one and may override single limits in the registry.
 *
 * - `qcvn-05-2023`: ambient air, µg/m³, values as in DOMAIN.md — SO₂ 350 (1 h) / 125 (24 h);
 *   NO₂ 200 (1 h) / 100 (24 h); CO 30 000 (1 h) / 10 000 (8 h); PM10 100 (24 h); PM2.5 50 (24 h).
 *   Not checked against the published regulation: verify.
 * - `qcvn-40-2011-b`: industrial wastewater discharged to non-drinking-water sources, applied here
 *   to hourly means of a continuous station. The numbers (pH 5.5–9, COD 150, TSS 100, NH₄⁺ as N
 *   10 mg/L) are from memory of the 2011 text and unconfirmed; deployments must set their permit's.
 * - `emission`: empty on purpose — stack limits (e.g. QCVN 19, 20) depend on the permit and the
 *   reference O₂; enter them per station.
 */
export const LIMIT_SETS: Record<string, StationLimit[]> = {
  'qcvn-05-2023': [
    { parameter: 'so2', period: '1h', max: 350, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'so2', period: '24h', max: 125, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'no2', period: '1h', max: 200, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'no2', period: '24h', max: 100, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'co', period: '1h', max: 30_000, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'co', period: '8h', max: 10_000, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'pm10', period: '24h', max: 100, unit: 'ug/m3', source: QCVN05 },
    { parameter: 'pm25', period: '24h', max: 50, unit: 'ug/m3', source: QCVN05 },
  ],
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
 * Share of expected records an average needs to be valid. QCVN 05:2023's own rule was not
 * available; 75 % follows Directive 2008/50/EC Annex VII (1 h, 8 h and 24 h aggregates need 75 %
 * of their values). Configurable per call.
 */
export const MIN_AVERAGE_COVERAGE = 0.75;

/** Start (epoch ms) of the Vietnam-local day that contains t. */
export function vnDayStart(t: number): number {
  return Math.floor((t + VN_UTC_OFFSET_MS) / 86_400_000) * 86_400_000 - VN_UTC_OFFSET_MS;
}

/** `YYYY-MM-DD` of the Vietnam-local day that contains t. */
export function vnDate(t: number): string {
  return new Date(t + VN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The limits in force: the set's defaults, each replaced by an override of the same (parameter, period). */
export function effectiveLimits(limitSet: string, overrides: readonly StationLimit[]): StationLimit[] {
  const out = new Map<string, StationLimit>();
  for (const l of LIMIT_SETS[limitSet] ?? []) out.set(`${l.parameter}|${l.period}`, l);
  for (const l of overrides) out.set(`${l.parameter}|${l.period}`, l);
  return [...out.values()];
}
