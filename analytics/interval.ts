import { INTERVAL_ADVICE_DEFAULTS } from '../core/index.js';
import { binomialCdf, binomialPmf } from './stats.js';

/**
 * Interval advice shown to labs; the legal interval still governs the due date (DOMAIN.md).
 */
export interface IntervalAdvice {
  method: 'staircase' | 'rp1-a3' | 'none';
  currentDays: number;
  suggestedDays: number;
  reason: string;
  /** A3 only: observed reliability and the confidence with which the current interval is rejected. */
  observedReliability?: number;
  rejectionConfidence?: number;
}

/**
 * Staircase (ILAC-G24:2007 / OIML D 10, method 1, "automatic or staircase adjustment"): after
 * each calibration, an as-found error within 80 % of MPE lengthens the interval, one outside
 * MPE shortens it, anything between keeps it.
 *
 * Worked example: interval 365 d, as-found |e| = 0.5·MPE → 365 × 1.25 = 456 d; |e| = 1.2·MPE →
 * 365 × 0.5 = 183 d; |e| = 0.9·MPE → 365 d.
 */
export function staircase(currentDays: number, asFoundFraction: number, o = INTERVAL_ADVICE_DEFAULTS): IntervalAdvice {
  const f = Math.abs(asFoundFraction);
  if (f > 1)
    return {
      method: 'staircase',
      currentDays,
      suggestedDays: Math.round(currentDays * o.staircaseShorter),
      reason: `as-found error ${pct(f)} of MPE is outside tolerance: shorten`,
    };
  if (f <= o.staircaseGoodFraction)
    return {
      method: 'staircase',
      currentDays,
      suggestedDays: Math.round(currentDays * o.staircaseLonger),
      reason: `as-found error ${pct(f)} of MPE is within ${pct(o.staircaseGoodFraction)}: lengthen`,
    };
  return {
    method: 'staircase',
    currentDays,
    suggestedDays: currentDays,
    reason: `as-found error ${pct(f)} of MPE is in tolerance but above ${pct(o.staircaseGoodFraction)}: keep`,
  };
}

/**
 * NCSLI RP-1 method A3 (interval test). From x in-tolerance results out of n at interval I₀ and
 * the reliability target Rₜ: R₀ = x/n; the rejection confidence Q that R₀ differs from Rₜ is
 *   Q = 1 − 2·P(X ≤ x | n, Rₜ) when R₀ < Rₜ,   Q = 1 − 2·P(X ≥ x | n, Rₜ) when R₀ > Rₜ,
 *   Q = 1 − P(X = x | n, Rₜ) when R₀ is 0 or 1;
 * the calculated interval is I = I₀ · 10^((R₀ − Rₜ)·Q), clamped to [I₀/b, b·I₀] (b = 2), and is
 * adopted only when Q exceeds the change confidence (0.5).
 *
 * Worked examples (RP-1's published test cases, Rₜ = 0.95):
 *   15 of 20 in tolerance at 365 d: P(X ≤ 15) = 0.002574 → Q = 0.99485 →
 *     365 · 10^(−0.2 · 0.99485) = 230.9 ≈ 231 d;
 *   16 of 20 at 730 d: P(X ≤ 16) = 0.015902 → Q = 0.96820 → 730 · 10^(−0.15 · 0.9682) = 522.5 ≈ 523 d.
 * Lengthening uses the same expression; it is deliberately slow (at most 10^0.05 = 1.12× per step).
 */
export function rp1A3(
  inTolerance: number,
  n: number,
  currentDays: number,
  o: { reliabilityTarget?: number; confidence?: number; maxChange?: number } = {},
): IntervalAdvice {
  const rt = o.reliabilityTarget ?? INTERVAL_ADVICE_DEFAULTS.reliabilityTarget;
  const conf = o.confidence ?? INTERVAL_ADVICE_DEFAULTS.confidence;
  const b = o.maxChange ?? INTERVAL_ADVICE_DEFAULTS.maxChange;
  if (n <= 0) return { method: 'none', currentDays, suggestedDays: currentDays, reason: 'no results in the period' };
  const r0 = inTolerance / n;
  let q: number;
  if (inTolerance === 0 || inTolerance === n) q = 1 - binomialPmf(inTolerance, n, rt);
  else if (r0 < rt) q = 1 - 2 * binomialCdf(inTolerance, n, rt);
  else q = 1 - 2 * (1 - binomialCdf(inTolerance - 1, n, rt));
  q = Math.max(0, q);
  const factor = Math.min(b, Math.max(1 / b, 10 ** ((r0 - rt) * q)));
  const calculated = currentDays * factor;
  const adopt = q > conf;
  return {
    method: 'rp1-a3',
    currentDays,
    suggestedDays: adopt ? Math.round(calculated) : currentDays,
    observedReliability: r0,
    rejectionConfidence: q,
    reason: adopt
      ? `observed reliability ${pct(r0)} differs from the ${pct(rt)} target with confidence ${pct(q)}: ${factor < 1 ? 'shorten' : 'lengthen'}`
      : `observed reliability ${pct(r0)} is consistent with the ${pct(rt)} target (rejection confidence ${pct(q)} ≤ ${pct(conf)}): keep`,
  };
}

/** A3 when there is enough history, else the staircase on the latest as-found result. */
export function intervalAdvice(currentDays: number, results: ReadonlyArray<{ asFoundFraction: number }>, o = INTERVAL_ADVICE_DEFAULTS): IntervalAdvice {
  if (results.length === 0) return { method: 'none', currentDays, suggestedDays: currentDays, reason: 'no calibration history yet' };
  if (results.length >= o.a3MinResults) {
    const inTol = results.filter((r) => Math.abs(r.asFoundFraction) <= 1).length;
    return rp1A3(inTol, results.length, currentDays, o);
  }
  return staircase(currentDays, results[results.length - 1]!.asFoundFraction, o);
}

/**
 * Advice never lengthens the interval of an instrument that is out of tolerance, predicted to go
 * out before its next due date, overdue, or whose last record failed: the evidence for a longer
 * interval (ILAC-G24 / RP-1: results in tolerance at the end of the interval) does not hold for
 * it now. `holds` names what holds it back; the advice then keeps the current interval.
 */
export function withholdLengthening(advice: IntervalAdvice, holds: readonly string[]): IntervalAdvice {
  if (holds.length === 0 || advice.suggestedDays <= advice.currentDays) return advice;
  return { ...advice, suggestedDays: advice.currentDays, reason: `${advice.reason}; not lengthened: ${holds.join(', ')}` };
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}
