import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './ids.js';
import type { InstrumentKind } from './profile.js';
import { ANALYTICS_DEFAULTS } from './config.js';

/**
 * Metrological defaults as data (DOMAIN.md): tolerance models per instrument kind, verification
 * intervals, alert thresholds. Everything here is a default that the registry (per channel) or
 * the configuration (per deployment) may override; code never hides these numbers.
 */

export const R76_CLASSES = ['I', 'II', 'III', 'IIII'] as const;
export type R76Class = (typeof R76_CLASSES)[number];

/**
 * OIML R76-1:2006, 3.5.1, Table 6: verification MPE in scale intervals e, by load m in e.
 * Each row: [largest load (in e) of the step, MPE in e]. The last step runs to Max.
 */
export const R76_MPE_TABLE: Record<R76Class, ReadonlyArray<readonly [number, number]>> = {
  I: [
    [50_000, 0.5],
    [200_000, 1.0],
    [Infinity, 1.5],
  ],
  II: [
    [5_000, 0.5],
    [20_000, 1.0],
    [Infinity, 1.5],
  ],
  III: [
    [500, 0.5],
    [2_000, 1.0],
    [Infinity, 1.5],
  ],
  IIII: [
    [50, 0.5],
    [200, 1.0],
    [Infinity, 1.5],
  ],
};
/** OIML R76-1, 3.5.2: MPE in service is twice the MPE on verification. */
export const R76_IN_SERVICE_FACTOR = 2;

export const R117_CLASSES = ['0.3', '0.5', '1.0', '1.5', '2.5'] as const;
export type R117Class = (typeof R117_CLASSES)[number];
/**
 * OIML R117-1:2007 2.5 Table 2 (carried unchanged into MID 2014/32/EU Annex VII, MI-005 2.1
 * Table 2, read on legislation.gov.uk: eudr/2014/32/annex/VII): MPE for quantities ≥ 2 L of the
 * complete measuring system (line A) and of the meter alone (line B), in % of the measured
 * volume, per accuracy class. Fuel dispensers are class 0.5.
 */
export const R117_MPE_PCT: Record<R117Class, { system: number; meter: number }> = {
  '0.3': { system: 0.3, meter: 0.2 },
  '0.5': { system: 0.5, meter: 0.3 },
  '1.0': { system: 1.0, meter: 0.6 },
  '1.5': { system: 1.5, meter: 1.0 },
  '2.5': { system: 2.5, meter: 1.5 },
};
/**
 * Quantities below 2 L: OIML R117-1:2007 Table 3, as MID 2014/32/EU Annex VII (MI-005) 2.2
 * Table 3 states it (read on legislation.gov.uk; the OIML text itself was not opened):
 *
 * | measured volume V    | MPE                                   |
 * | V < 0.1 L            | 4 × value in Table 2, applied to 0.1 L |
 * | 0.1 L ≤ V < 0.2 L    | 4 × value in Table 2                   |
 * | 0.2 L ≤ V < 0.4 L    | 2 × value in Table 2, applied to 0.4 L |
 * | 0.4 L ≤ V < 1 L      | 2 × value in Table 2                   |
 * | 1 L ≤ V < 2 L        | value in Table 2, applied to 2 L       |
 *
 * Rows: `from` (L, inclusive), `factor` on the Table 2 %, and `at` — the stated volume the %
 * applies to (null: the measured volume itself), largest first. Volumes are in litres: an R117
 * channel's unit is L. This replaces R117_SMALL_VOLUME_FACTORS (2× for all 0.4–2 L, 4× below
 * 0.4 L, of the measured volume), which was more lenient in the 1–2 L and 0.2–0.4 L bands and
 * had no floor below 0.1 L.
 */
export const R117_SMALL_VOLUME_TABLE: ReadonlyArray<{ readonly from: number; readonly factor: number; readonly at: number | null }> = [
  { from: 2, factor: 1, at: null }, // Table 2 itself
  { from: 1, factor: 1, at: 2 },
  { from: 0.4, factor: 2, at: null },
  { from: 0.2, factor: 2, at: 0.4 },
  { from: 0.1, factor: 4, at: null },
  { from: 0, factor: 4, at: 0.1 },
];
/**
 * Minimum specified volume deviation E_min (OIML R117-1:2007 2.6; MID MI-005 2.3–2.4): whatever
 * the measured quantity, the MPE is the greater of the Table 2/3 value and E_min.
 * - MMQ ≥ 2 L: E_min = 2 × MMQ × A / 100 (condition 1; A = line A of Table 2). The formula is
 *   MI-005 2.4.1 as recalled; the page read shows only its heading — **not confirmed** here.
 * - MMQ < 2 L: condition 1 applies and E_min is twice the Table 3 value at the MMQ, related to
 *   line A (MI-005 2.4.2, read).
 * The `2` below is that "twice" (and the 2 × MMQ of condition 1).
 */
export const R117_EMIN_FACTOR = 2;
/** The volume (L) from which Table 2 applies without Table 3, and E_min takes condition 1 only. */
export const R117_SMALL_VOLUME_LIMIT_L = 2;

/**
 * Calibration drift limits of gas analysers, % of span (US EPA 40 CFR 60 App. B, PS-2/PS-4, and
 * App. F): 2.5 % for SO₂ and NOx, 5 % for CO; O₂ and CO₂ 0.5 (absolute, in % of volume).
 */
export const ANALYSER_DRIFT_LIMIT_PCT: Record<string, number> = { so2: 2.5, nox: 2.5, no2: 2.5, no: 2.5, co: 5 };
export const ANALYSER_ABSOLUTE_LIMIT: Record<string, number> = { o2: 0.5, co2: 0.5 };
/** 40 CFR 60 App. F, 4.3.1: out of control at > 2× the limit on 5 consecutive days, or > 4× once. */
export const EPA_OUT_OF_CONTROL = { factorConsecutive: 2, consecutiveDays: 5, factorOnce: 4 } as const;

/**
 * Largest magnitude of a check's values, a tolerance or a repeatability: the drift state divides
 * errors by them and squares them, and beyond this they overflow to Infinity (no instrument
 * indicates, or has an MPE, near 1e15 in its own unit, VND totals included).
 */
export const MAX_MAGNITUDE = 1e15;

/**
 * One weighing range of a multiple-range instrument, or one partial weighing range of a
 * multi-interval instrument (OIML R76-1:2006 T.3.2.7, T.3.2.8, 3.2, 3.4): its verification scale
 * interval e_i and its Max_i, in the channel unit. Listed smallest first: e₁ < e₂ < …, Max₁ < Max₂ < …
 */
export const R76Range = Type.Object(
  {
    e: Type.Number({ exclusiveMinimum: 0, maximum: MAX_MAGNITUDE, description: 'verification scale interval e_i of the range' }),
    max: Type.Number({ exclusiveMinimum: 0, maximum: MAX_MAGNITUDE, description: 'Max_i, upper limit of the range' }),
  },
  { additionalProperties: false },
);
export type R76Range = Static<typeof R76Range>;

export const ToleranceSpec = Type.Union(
  [
    Type.Object(
      {
        model: Type.Literal('oiml-r76'),
        accuracyClass: StringEnum(R76_CLASSES),
        e: Type.Number({
          exclusiveMinimum: 0,
          maximum: MAX_MAGNITUDE,
          description: 'verification scale interval, in the channel unit (multi-interval and multiple-range: e₁, the smallest)',
        }),
        max: Type.Optional(
          Type.Number({ exclusiveMinimum: 0, maximum: MAX_MAGNITUDE, description: 'Max, maximum capacity (R76-1 T.3.1.1), in the channel unit' }),
        ),
        min: Type.Optional(
          Type.Number({ minimum: 0, maximum: MAX_MAGNITUDE, description: 'Min, minimum capacity (R76-1 T.3.1.2, Table 3), in the channel unit' }),
        ),
        multiInterval: Type.Optional(
          Type.Array(R76Range, {
            minItems: 2,
            maxItems: 3,
            description: 'multi-interval instrument (R76-1 T.3.2.7, 3.4): partial weighing ranges, e₁ < e₂ < …; the last Max_r is Max',
          }),
        ),
        multipleRange: Type.Optional(
          Type.Array(R76Range, {
            minItems: 2,
            maxItems: 3,
            description: 'multiple-range instrument (R76-1 T.3.2.8, 3.2): weighing ranges, e₁ < e₂ < …; the last Max_r is Max',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('oiml-r117'),
        accuracyClass: StringEnum(R117_CLASSES),
        part: Type.Optional(StringEnum(['system', 'meter'] as const)),
        mmq: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            maximum: MAX_MAGNITUDE,
            description: 'minimum measured quantity MMQ (R117-1:2007 terminology; in L): no delivery below it; sets E_min, the floor of the MPE',
          }),
        ),
        eMin: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            maximum: MAX_MAGNITUDE,
            description: 'minimum specified volume deviation E_min as stated for the system (L); never taken below the value the MMQ gives',
          }),
        ),
        qmax: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            maximum: MAX_MAGNITUDE,
            description:
              "maximum flow rate Qmax as marked on the measuring system (R117-1:2007), in L/min: checked against the range of the verifying body's designation",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        model: Type.Literal('analyser'),
        span: Type.Number({ exclusiveMinimum: 0, maximum: MAX_MAGNITUDE, description: 'span in the channel unit' }),
        limitPct: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'drift limit in % of span; default from the gas' })),
        gas: Type.Optional(Type.String({ maxLength: 16 })),
      },
      { additionalProperties: false },
    ),
    Type.Object({ model: Type.Literal('absolute'), mpe: Type.Number({ exclusiveMinimum: 0, maximum: MAX_MAGNITUDE }) }, { additionalProperties: false }),
  ],
  { description: 'tolerance model of a channel; the explicit per-channel override of the kind default' },
);
export type ToleranceSpec = Static<typeof ToleranceSpec>;

/**
 * Kind defaults, used when a channel has no explicit model. They are placeholders a lab should
 * replace with the instrument's real class and e: a market scale is typically class III with
 * e = 10 g (0.01 kg); dispensers class 0.5 (measuring system, 0.5 %). The Vietnamese procedure
 * ĐLVN 10:2013 is reported (TĐC Bà Rịa–Vũng Tàu, 27/12/2013) to set ±0.3 % for initial, periodic and
 * after-repair verification — line B (`part: 'meter'`); ĐLVN 10:2017 was not read, so the default
 * is unchanged and a lab sets the channel's tolerance (docs/legal-records.md, "One number everywhere").
 */
export const DEFAULT_TOLERANCE_BY_KIND: Partial<Record<InstrumentKind, ToleranceSpec>> = {
  scale: { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 },
  fuel_dispenser: { model: 'oiml-r117', accuracyClass: '0.5', part: 'system' },
};

/**
 * Verification intervals in days by kind: Circular 23/2013/TT-BKHCN (as amended), Group 2 list:
 * scales 12 months, fuel dispensers 12 (not re-checked against the latest amendment), taximeters
 * 18. Gas analysers (env_station) are unconfirmed: 12 months is a placeholder, configurable.
 */
export const DEFAULT_INTERVAL_DAYS: Record<InstrumentKind, number | null> = {
  scale: 365,
  fuel_dispenser: 365,
  taximeter: 548,
  env_station: 365,
  water_meter: 1826,
  // Not found in the Group 2 list rows read (core/legal/verification-intervals.ts, GROUP2_UNCONFIRMED).
  checkweigher: null,
  other: null,
};

/**
 * Alert thresholds (DOMAIN.md "Drift"). Those configurable in `analytics` config (near limit,
 * decision rule, recall lead time) take their defaults from its schema (ANALYTICS_DEFAULTS).
 */
export const DRIFT_DEFAULTS = {
  /** |e| > 0.8·MPE → near limit. */
  nearLimitFraction: ANALYTICS_DEFAULTS.nearLimitFraction,
  /** ILAC-G8:2019 decision rule; simple acceptance unless configured. */
  decisionRule: ANALYTICS_DEFAULTS.decisionRule,
  /** Trend: one-sided prediction bound level, and least points before a prediction. */
  predictionLevel: 0.95,
  minTrendPoints: 5,
  /**
   * A "predicted out of tolerance" alert needs more than a prediction: at least this many
   * points, a slope significant at this two-sided level, on this many consecutive checks. The
   * test is repeated at every check, so 95 % would raise spurious trends on stable series
   * (bench:drift, stable cases); these values keep every linear crossing warned in time.
   */
  alertMinTrendPoints: 10,
  alertSlopeSignificance: 0.99,
  alertConsecutive: 2,
  /**
   * Tabular CUSUM (Montgomery, Introduction to SQC, 9.1): k = 0.5, h = 5 → ARL₀ ≈ 465. Run
   * self-starting (Hawkins 1987; analytics/cusum.ts), so the ARL holds with the in-control mean
   * unknown; no Phase I baseline count is needed.
   */
  cusumK: 0.5,
  cusumH: 5,
  /** A shift alert stays raised while a signal occurred within this many checks. */
  shiftMemoryChecks: 10,
  /** Hysteresis: a check-based alert clears after this many consecutive checks without it. */
  clearAfterChecks: 2,
  /** Near-limit clears only below this fraction of MPE (hysteresis band 0.7–0.8). */
  nearLimitClearFraction: 0.7,
  /** Due soon: recall lead time when the organisation sets none (DOMAIN.md: 30 days). */
  dueSoonDays: ANALYTICS_DEFAULTS.dueSoonDays,
} as const;

/** RP-1 A3 and staircase defaults (ILAC-G24/OIML D10; NCSLI RP-1 method A3). */
export const INTERVAL_ADVICE_DEFAULTS = {
  reliabilityTarget: 0.95,
  /** A3: change the interval only with at least this rejection confidence. */
  confidence: 0.5,
  /** Interval changes clamped to ½×–2× per step. */
  maxChange: 2,
  /** Staircase: as-found within this fraction of MPE → lengthen. */
  staircaseGoodFraction: 0.8,
  staircaseLonger: 1.25,
  staircaseShorter: 0.5,
  /** Least results in the period before A3 applies; fewer → staircase only. */
  a3MinResults: 10,
} as const;
