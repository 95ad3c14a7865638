import { EPA_OUT_OF_CONTROL } from '../core/index.js';

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
