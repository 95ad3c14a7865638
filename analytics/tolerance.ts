import {
  ANALYSER_ABSOLUTE_LIMIT,
  DEFAULT_TOLERANCE_BY_KIND,
  ANALYSER_DRIFT_LIMIT_PCT,
  R117_EMIN_FACTOR,
  R117_MPE_PCT,
  R117_SMALL_VOLUME_LIMIT_L,
  R117_SMALL_VOLUME_TABLE,
  R76_IN_SERVICE_FACTOR,
  R76_MPE_TABLE,
  type R117Class,
  type R76Range,
  type ToleranceSpec,
} from '../core/index.js';
import type { InstrumentKind } from '../core/profile.js';

/**
 * The tolerance a channel is judged with: its override (PUT …/channels/{channel}/metrology), else
 * its kind's default (core/tolerances.ts DEFAULT_TOLERANCE_BY_KIND), else none. Used by the engine's
 * channel settings, the metrology route and the reports, so each reads the same spec.
 */
export function effectiveTolerance(override: ToleranceSpec | null | undefined, kind: InstrumentKind | null | undefined): ToleranceSpec | null {
  return override ?? (kind ? (DEFAULT_TOLERANCE_BY_KIND[kind] ?? null) : null);
}

/** Verification (initial or subsequent) or in service: OIML R76 doubles the MPE in service. */
export type Stage = 'verification' | 'in-service';

/**
 * The one place that says which stage each record is judged at (issue 15, "One number
 * everywhere"). OIML R76-1:2006 3.5.2: the MPE in service is twice the MPE on verification, so a
 * scale's check and its certificate legitimately show two numbers for one load — every view names
 * the stage beside the number.
 * - An owner's or lab's check of an instrument in use: in service (analytics/channel.ts, engine.ts).
 * - A verification or calibration certificate: verification (analytics/calibrate.ts).
 */
export const CHECK_STAGE: Stage = 'in-service';
export const CERTIFICATE_STAGE: Stage = 'verification';
/** How a view names a stage, in Vietnamese and English. */
export const STAGE_LABEL: Record<Stage, { vi: string; en: string }> = {
  verification: { vi: 'khi kiểm định', en: 'on verification' },
  'in-service': { vi: 'khi đang sử dụng', en: 'in service' },
};

export type R76Spec = Extract<ToleranceSpec, { model: 'oiml-r76' }>;
export type R117Spec = Extract<ToleranceSpec, { model: 'oiml-r117' }>;

/** The ranges of an R76 scale, smallest first: its multi-interval or multiple-range list, else one range of e up to Max. */
function r76Ranges(spec: R76Spec): ReadonlyArray<R76Range> {
  return spec.multiInterval ?? spec.multipleRange ?? [{ e: spec.e, max: spec.max ?? Infinity }];
}

/**
 * The range (multiple-range) or partial weighing range (multi-interval) a load is weighed in, and
 * so the e its MPE is counted in.
 *
 * - Multi-interval (OIML R76-1:2006 T.3.2.7; MPE 3.5.1 with e_i of the partial range, 3.5.4 as the
 *   brief cites it): one weighing range split into partial ranges WR₁ … WR_r with e₁ < e₂ < …; a
 *   load m with Max_{i−1} < m ≤ Max_i is indicated with e_i, and its MPE is Table 6 with m counted
 *   in e_i. Worked example: class III, e₁ = 2 g to Max₁ = 6 kg, e₂ = 5 g to Max = 15 kg. 4 kg is in
 *   WR₁: 2 000 e₁ → ±1 e₁ = ±2 g on verification; 10 kg is in WR₂: 2 000 e₂ → ±1 e₂ = ±5 g.
 * - Multiple-range (R76-1 T.3.2.8, 3.2): two or more ranges with their own e_j and Max_j; a load
 *   is weighed in the smallest range that holds it (range changes upward as the load grows), and
 *   its MPE is that of a single-range instrument with e_j (Table 6, m in e_j). Worked example:
 *   class III, e₁ = 10 g to 30 kg, e₂ = 50 g to 150 kg: 20 kg → range 1, 2 000 e₁ → ±10 g; 100 kg →
 *   range 2, 2 000 e₂ → ±50 g on verification.
 * A load above every Max_i takes the last range (and is flagged by `loadIssue`).
 */
export function r76RangeOf(spec: R76Spec, load: number): { index: number; e: number; max: number } {
  const ranges = r76Ranges(spec);
  const m = Math.abs(load);
  const found = ranges.findIndex((r) => m <= r.max);
  const i = found === -1 ? ranges.length - 1 : found;
  return { index: i, e: ranges[i]!.e, max: ranges[i]!.max };
}

/**
 * OIML R117-1:2007 2.5 Tables 2 and 3 (MID 2014/32/EU Annex VII, MI-005 2.1–2.2, read): MPE of a
 * measured volume V (L) without the E_min floor.
 * Worked examples, class 0.5 system (A = 0.5 %): 20 L → 0.5 % × 20 = 0.1 L; 1.5 L → 0.5 % of
 * 2 L = 0.010 L (the old 2× factor gave 0.015 L); 0.5 L → 2 × 0.5 % × 0.5 = 0.005 L; 0.3 L →
 * 2 × 0.5 % of 0.4 L = 0.004 L (old: 4 × 0.5 % × 0.3 = 0.006 L); 0.15 L → 4 × 0.5 % × 0.15 =
 * 0.003 L; 0.05 L → 4 × 0.5 % of 0.1 L = 0.002 L (old: 0.001 L).
 */
export function r117TableMpe(accuracyClass: R117Class, part: 'system' | 'meter', volume: number): number {
  const v = Math.abs(volume);
  const pct = R117_MPE_PCT[accuracyClass][part];
  const row = R117_SMALL_VOLUME_TABLE.find((r) => v >= r.from) ?? R117_SMALL_VOLUME_TABLE[R117_SMALL_VOLUME_TABLE.length - 1]!;
  return (row.factor * pct * (row.at ?? v)) / 100;
}

/**
 * Minimum specified volume deviation E_min of a measuring system with minimum measured quantity
 * MMQ (OIML R117-1:2007 2.6; MID MI-005 2.4), in L; null without an MMQ.
 * - MMQ ≥ 2 L: condition 1, E_min ≥ 2 × MMQ × A / 100 (A: line A of Table 2). Example: class 0.5,
 *   MMQ 5 L → E_min = 2 × 5 × 0.5 / 100 = 0.05 L.
 * - MMQ < 2 L: condition 1 applies and E_min is twice the Table 3 value at the MMQ, line A
 *   (MI-005 2.4.2). Example: class 0.5, MMQ 0.5 L → Table 3 2 × 0.5 % × 0.5 = 0.005 L → E_min 0.01 L.
 * A stated `eMin` (type approval, data plate) is used when it is larger; it can never lower the floor.
 */
export function r117Emin(spec: R117Spec): number | null {
  if (spec.mmq === undefined) return spec.eMin ?? null;
  const A = R117_MPE_PCT[spec.accuracyClass].system;
  const condition1 = (R117_EMIN_FACTOR * spec.mmq * A) / 100;
  const table3 = spec.mmq < R117_SMALL_VOLUME_LIMIT_L ? R117_EMIN_FACTOR * r117TableMpe(spec.accuracyClass, 'system', spec.mmq) : 0;
  return Math.max(condition1, table3, spec.eMin ?? 0);
}

/**
 * Maximum permissible error, absolute, in the channel unit, for a check at `load` (the reference
 * value: the test load, the delivered volume, the gas concentration) at `stage`. Every view (drift
 * API and chart, checks, certificates, reports, alerts) takes its MPE from here and names the stage.
 *
 * Worked examples (DOMAIN.md):
 * - R76 class III, e = 0.01 kg, load 20 kg = 2 000 e → ±1.0 e = ±0.01 kg at verification,
 *   ±0.02 kg in service (R76-1 3.5.1 Table 6, 3.5.2). Multi-interval and multiple-range: `r76RangeOf`.
 * - R117 class 0.5 system, 20 L → ±0.5 % = ±0.1 L; 0.5 L → ×2 → ±1 % = ±0.005 L; with MMQ 5 L the
 *   MPE is never below E_min = 0.05 L (so 5 L → 0.05 L, not 0.025 L). R117 sets one MPE for
 *   verification and in service here (R117-1 gives no in-service factor; national rules that do
 *   would be a change of this function).
 * - Analyser, span 500 ppm SO₂, limit 2.5 % → ±12.5 ppm; O₂ absolute 0.5 (% vol).
 */
export function mpeFor(spec: ToleranceSpec, load: number, stage: Stage = CHECK_STAGE): number {
  const m = Math.abs(load);
  switch (spec.model) {
    case 'oiml-r76': {
      const { e } = r76RangeOf(spec, m);
      // Loads are counted in whole scale intervals (a 20.0001 kg test weight is 2 000 e).
      const inE = Math.round(m / e);
      const steps = R76_MPE_TABLE[spec.accuracyClass];
      // Table 6 steps are "0 < m ≤ 500 e", "500 e < m ≤ 2 000 e", …: a load on a boundary takes the smaller MPE.
      const step = steps.find(([upTo]) => inE <= upTo) ?? steps[steps.length - 1]!;
      return step[1] * e * (stage === 'in-service' ? R76_IN_SERVICE_FACTOR : 1);
    }
    case 'oiml-r117': {
      const part = spec.part ?? 'system';
      const table = r117TableMpe(spec.accuracyClass, part, m);
      // E_min is a property of the measuring system (line A); a meter tested alone keeps line B.
      const eMin = part === 'system' ? r117Emin(spec) : null;
      return eMin === null ? table : Math.max(table, eMin);
    }
    case 'analyser': {
      const gas = spec.gas?.toLowerCase();
      if (spec.limitPct === undefined && gas !== undefined && ANALYSER_ABSOLUTE_LIMIT[gas] !== undefined) return ANALYSER_ABSOLUTE_LIMIT[gas]!;
      const pct = spec.limitPct ?? (gas !== undefined ? ANALYSER_DRIFT_LIMIT_PCT[gas] : undefined) ?? 2.5;
      return (pct * spec.span) / 100;
    }
    case 'absolute':
      return spec.mpe;
  }
}

/** Why a load lies outside the range an instrument may be used (and judged) in. */
export interface LoadIssue {
  rule: 'r76-above-max' | 'r76-below-min' | 'r117-below-mmq';
  /** The limit crossed, in the channel unit. */
  limit: number;
  message: string;
  messageVi: string;
}

/**
 * Flags a test load outside [Min, Max] of a scale or below the MMQ of a dispenser; null when the
 * load is inside, or the spec states no such limit. The MPE is still computed for such a load
 * (the last step of Table 6, the E_min floor), but a view or rule should show why it is suspect.
 *
 * - R76-1 T.3.1.1 / T.3.1.2: Max and Min bound the weighing range; below Min the relative error
 *   may be large (Table 3 gives Min, e.g. class III 20 e); above Max the indication is blanked
 *   beyond Max + 9 e (4.2.3). Example: Max 30 kg, Min 0.2 kg: 31 kg → above Max; 0.1 kg → below Min.
 * - R117-1 (MMQ): no delivery below the minimum measured quantity is a legal measurement.
 *   Example: MMQ 5 L, a 2 L test → below MMQ.
 */
export function loadIssue(spec: ToleranceSpec, load: number): LoadIssue | null {
  const m = Math.abs(load);
  if (spec.model === 'oiml-r76') {
    const ranges = r76Ranges(spec);
    const max = spec.max ?? (spec.multiInterval || spec.multipleRange ? ranges[ranges.length - 1]!.max : undefined);
    if (max !== undefined && m > max) {
      return {
        rule: 'r76-above-max',
        limit: max,
        message: `the load ${m} is above Max ${max} (OIML R76-1:2006 T.3.1.1): Table 6 does not cover it`,
        messageVi: `Tải ${m} lớn hơn mức cân lớn nhất Max ${max} (OIML R76-1:2006 T.3.1.1): bảng sai số cho phép không áp dụng.`,
      };
    }
    if (spec.min !== undefined && m < spec.min) {
      return {
        rule: 'r76-below-min',
        limit: spec.min,
        message: `the load ${m} is below Min ${spec.min} (OIML R76-1:2006 T.3.1.2, Table 3)`,
        messageVi: `Tải ${m} nhỏ hơn mức cân nhỏ nhất Min ${spec.min} (OIML R76-1:2006 T.3.1.2, Bảng 3).`,
      };
    }
  }
  if (spec.model === 'oiml-r117' && spec.mmq !== undefined && m < spec.mmq) {
    return {
      rule: 'r117-below-mmq',
      limit: spec.mmq,
      message: `the volume ${m} L is below the minimum measured quantity ${spec.mmq} L (OIML R117-1:2007)`,
      messageVi: `Lượng ${m} L nhỏ hơn lượng đo nhỏ nhất (MMQ) ${spec.mmq} L (OIML R117-1:2007).`,
    };
  }
  return null;
}

/**
 * What is inconsistent in a spec that the schema alone cannot say (e₁ < e₂ < …, Max₁ < Max₂ < …,
 * e = e₁, Max = Max_r, Min < Max, only one of multi-interval and multiple-range, E_min not below
 * the MMQ's floor); empty when sound. For the metrology route and forms to refuse with.
 */
export function toleranceProblems(spec: ToleranceSpec): string[] {
  const out: string[] = [];
  if (spec.model === 'oiml-r76') {
    if (spec.multiInterval && spec.multipleRange) out.push('a scale is either multi-interval or multiple-range, not both (R76-1 T.3.2.7, T.3.2.8)');
    const ranges = spec.multiInterval ?? spec.multipleRange;
    if (ranges) {
      for (let i = 1; i < ranges.length; i++) {
        if (!(ranges[i]!.e > ranges[i - 1]!.e)) out.push(`ranges[${i}]: e must grow (e${i} < e${i + 1})`);
        if (!(ranges[i]!.max > ranges[i - 1]!.max)) out.push(`ranges[${i}]: Max must grow (Max${i} < Max${i + 1})`);
      }
      if (spec.e !== ranges[0]!.e) out.push(`e ${spec.e} must be e₁ ${ranges[0]!.e}, the smallest range's`);
      if (spec.max !== undefined && spec.max !== ranges[ranges.length - 1]!.max)
        out.push(`Max ${spec.max} must be the last range's Max ${ranges[ranges.length - 1]!.max}`);
    }
    const max = spec.max ?? (ranges ? ranges[ranges.length - 1]!.max : undefined);
    if (spec.min !== undefined && max !== undefined && !(spec.min < max)) out.push(`Min ${spec.min} must be below Max ${max}`);
  }
  if (spec.model === 'oiml-r117' && spec.eMin !== undefined && spec.mmq !== undefined) {
    const floor = r117Emin({ ...spec, eMin: undefined });
    if (floor !== null && spec.eMin < floor) out.push(`E_min ${spec.eMin} L is below the ${floor} L the MMQ ${spec.mmq} L requires (R117-1:2007 2.6)`);
  }
  return out;
}
