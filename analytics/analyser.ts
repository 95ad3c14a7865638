import { EPA_OUT_OF_CONTROL, airUnitConversion } from '../core/index.js';

/**
 * Out-of-control rule for gas analysers on daily zero/span drift (US EPA 40 CFR 60 App. F,
 * 4.3.1): out of control when the drift exceeds 2× the drift limit on 5 consecutive daily
 * checks, or 4× the limit on any one; data since the last passing check become suspect.
 * Drift in % of span = (measured − reference) / span × 100.
 *
 * Worked example: limit 2.5 % of span; daily span drifts [1, 5.5, 6, 5.2, 5.1, 6.3] % →
 *   five consecutive > 5 % from day 2 → out of control at day 6; the last passing check (|d| ≤
 *   2.5 %) is day 1, so data after it are suspect. A single 10.5 % (> 4×) alone is enough.
 */
/**
 * Zero and span checks of one analyser channel are two series, judged separately (App. F 4.3.1
 * speaks of the zero drift and of the span drift): a good zero between bad spans must not break
 * the 5-consecutive run, and a bad zero must not be hidden by good spans. A check is a zero check
 * when its reference is in the low-level range 0–20 % of span, else a span (upscale) check
 * (40 CFR 60 App. B, PS-2 7.2: low-level 0–20 %, high-level 50–100 % of span; a mid-level gas is
 * counted with the upscale series).
 *
 * Worked example: span 500 ppm → reference 0 or 80 ppm → zero; 250 or 450 ppm → span.
 */
export type AnalyserLevel = 'zero' | 'span';
export const ZERO_LEVEL_MAX_FRACTION = 0.2;

export function analyserLevel(referenceValue: number, span: number): AnalyserLevel {
  return Math.abs(referenceValue) <= ZERO_LEVEL_MAX_FRACTION * span ? 'zero' : 'span';
}

export interface DriftPoint {
  ts: number;
  driftPct: number;
}

export interface AnalyserStatus {
  outOfControl: boolean;
  reason: 'consecutive' | 'once' | null;
  /** ts of the last check within the limit before the excursion: data after it are suspect. */
  suspectSince: number | null;
  consecutiveOver2x: number;
  /** Which series the status is about (the worst of the two, see worstOf). */
  series?: AnalyserLevel | 'both' | null;
  /** Both series, when combined. */
  bySeries?: Partial<Record<AnalyserLevel, AnalyserStatus>>;
}

export function analyserStatus(points: readonly DriftPoint[], limitPct: number, rule = EPA_OUT_OF_CONTROL): AnalyserStatus {
  let run = 0;
  let lastPass: number | null = null;
  let status: AnalyserStatus = { outOfControl: false, reason: null, suspectSince: null, consecutiveOver2x: 0 };
  for (const p of points) {
    const d = Math.abs(p.driftPct);
    run = d > rule.factorConsecutive * limitPct ? run + 1 : 0;
    if (d > rule.factorOnce * limitPct) status = { outOfControl: true, reason: 'once', suspectSince: lastPass, consecutiveOver2x: run };
    else if (run >= rule.consecutiveDays) status = { outOfControl: true, reason: 'consecutive', suspectSince: lastPass, consecutiveOver2x: run };
    else if (d <= limitPct) status = { outOfControl: false, reason: null, suspectSince: null, consecutiveOver2x: run };
    else status = { ...status, consecutiveOver2x: run };
    if (d <= limitPct) lastPass = p.ts;
  }
  return status;
}

/**
 * The channel's status from its zero and span series: out of control when either is, the series
 * named; data are suspect from the earlier suspectSince of the series out of control.
 *
 * Worked example: zero in control (run 1), span out of control since day 3 → out of control,
 * series "span", suspectSince day 3, consecutiveOver2x 5 (the larger run).
 */
export function worstOf(by: Record<AnalyserLevel, AnalyserStatus>): AnalyserStatus {
  const out = (['zero', 'span'] as const).filter((l) => by[l].outOfControl);
  const run = Math.max(by.zero.consecutiveOver2x, by.span.consecutiveOver2x);
  if (out.length === 0) return { outOfControl: false, reason: null, suspectSince: null, consecutiveOver2x: run, series: null, bySeries: by };
  const first = out.reduce((a, b) => ((by[a].suspectSince ?? -Infinity) <= (by[b].suspectSince ?? -Infinity) ? a : b));
  return { ...by[first], consecutiveOver2x: run, series: out.length === 2 ? 'both' : first, bySeries: by };
}

/*
 * Ambient analysers (issue 17). The out-of-control rule above is US EPA's for stack monitors
 * (40 CFR 60). For automatic continuous AMBIENT air stations, Circular 10/2021/TT-BTNMT (technical
 * rules for environmental monitoring, its QA/QC of automatic stations) requires zero/span checks
 * and that data taken while calibrating be flagged (statuses `check`); no numeric zero/span drift
 * acceptance from it is known to metronet — its text was not at hand. Where it is silent (or not
 * known), the acceptance below is US EPA's for AMBIENT analysers: QA Handbook for Air Pollution
 * Measurement Systems Vol. II (EPA-454/B-17-001), Appendix D validation templates (operational
 * criteria, 40 CFR 58 App. A), recalled from secondary copies — evidence 'secondary', to be checked.
 */
export interface AmbientDriftRule {
  gas: 'so2' | 'no2' | 'o3' | 'co';
  /** Zero drift, absolute, in `zeroUnit`: within 24 h of the previous check, and over >24 h–14 days. */
  zero24h: number;
  zero14d: number;
  zeroUnit: 'ppb' | 'ppm';
  /** Span drift, % of the reference value. */
  spanPct: number;
  source: string;
  evidence: 'regulation-text' | 'secondary' | 'unconfirmed';
}

const QA_HANDBOOK = 'US EPA QA Handbook Vol. II (EPA-454/B-17-001) App. D; Circular 10/2021/TT-BTNMT silent on the value';
export const AMBIENT_DRIFT_RULES: Readonly<Record<AmbientDriftRule['gas'], AmbientDriftRule>> = {
  so2: { gas: 'so2', zero24h: 3.1, zero14d: 5.1, zeroUnit: 'ppb', spanPct: 10.1, source: QA_HANDBOOK, evidence: 'secondary' },
  no2: { gas: 'no2', zero24h: 3.1, zero14d: 5.1, zeroUnit: 'ppb', spanPct: 10.1, source: QA_HANDBOOK, evidence: 'secondary' },
  o3: { gas: 'o3', zero24h: 3.1, zero14d: 5.1, zeroUnit: 'ppb', spanPct: 7.1, source: QA_HANDBOOK, evidence: 'secondary' },
  co: { gas: 'co', zero24h: 0.41, zero14d: 0.61, zeroUnit: 'ppm', spanPct: 10.1, source: QA_HANDBOOK, evidence: 'secondary' },
};

export interface AmbientDriftResult {
  level: AnalyserLevel;
  pass: boolean;
  /** Zero: measured − reference in the channel's unit; span: (measured − reference)/reference × 100. */
  drift: number;
  limit: number;
  /** Unit of drift and limit: the channel's unit (zero) or `%` (span). */
  unit: string;
  rule: string;
  source: string;
  evidence: AmbientDriftRule['evidence'];
}

/**
 * Judges one zero or span check of an ambient analyser. The zero limit is converted to the
 * channel's unit (ppb ↔ µg/m³ at the reference conditions of core airUnitConversion); a span
 * check is judged on the % difference from its reference. `hoursSincePrevious` > 24 selects the
 * >24 h–14 d zero limit. Null when the gas has no rule or the unit cannot be converted.
 *
 * Worked example: SO₂ channel in ppb, zero check reads 2.0 ppb → |2.0| ≤ 3.1 → pass; span check of
 * a 400 ppb gas reads 436 → +9.0 % ≤ 10.1 % → pass; 445 → +11.25 % → fail.
 */
export function ambientDriftCheck(c: {
  gas: string;
  unit: string;
  reference: number;
  measured: number;
  span: number;
  hoursSincePrevious?: number;
}): AmbientDriftResult | null {
  const rule = AMBIENT_DRIFT_RULES[c.gas as AmbientDriftRule['gas']];
  if (!rule) return null;
  const level = analyserLevel(c.reference, c.span);
  if (level === 'span') {
    if (c.reference === 0) return null;
    const drift = ((c.measured - c.reference) / c.reference) * 100;
    return {
      level,
      pass: Math.abs(drift) <= rule.spanPct,
      drift,
      limit: rule.spanPct,
      unit: '%',
      rule: `span ±${rule.spanPct} %`,
      source: rule.source,
      evidence: rule.evidence,
    };
  }
  const conv = airUnitConversion(c.gas, rule.zeroUnit, c.unit);
  if (!conv.ok) return null;
  const long = (c.hoursSincePrevious ?? 24) > 24;
  const limit = (long ? rule.zero14d : rule.zero24h) * conv.factor;
  const drift = c.measured - c.reference;
  return {
    level,
    pass: Math.abs(drift) <= limit,
    drift,
    limit,
    unit: c.unit,
    rule: `zero ±${long ? rule.zero14d : rule.zero24h} ${rule.zeroUnit} (${long ? '>24 h–14 d' : '24 h'})`,
    source: rule.source,
    evidence: rule.evidence,
  };
}
