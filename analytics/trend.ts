import { linearRegression } from 'simple-statistics';
import { tQuantileCached } from './stats.js';

/**
 * Least-squares trend of the error series e(t) and the predicted out-of-tolerance date
 * (DOMAIN.md "Trend"): the first t after the last check where the one-sided prediction bound
 *   ŷ(t) ± t_{p,n−2} · s · √(1 + 1/n + (t − t̄)²/Sxx)
 * reaches ±MPE. Time is in days from the series' origin (the last calibration).
 *
 * Worked example (the DOMAIN.md oracle): t = [0, 90, 180, 270, 360] d,
 * e = [0.10, 0.30, 0.45, 0.70, 0.85], MPE = 2.
 *   t̄ = 180, Sxx = 81 000, Sxy = 171 → b = 0.0021111 /d, a = 0.48 − b·180 = 0.10;
 *   residuals 0, 0.01, −0.03, 0.03, −0.01 → SSE = 0.002, s = √(0.002/3) = 0.02582;
 *   the line reaches 2 at t = (2 − 0.10)/b = 900 d; with t₀.₉₅,₃ = 2.3534 the upper bound
 *   0.10 + b·t + 2.3534·0.02582·√(1.2 + (t − 180)²/81 000) reaches 2 at t ≈ 827 d.
 * The bound crossing solves (MPE − a − b t)² = q²(1 + 1/n + (t − t̄)²/Sxx), q = t_p·s, a quadratic
 * in t; the smaller root with MPE − a − b t ≥ 0 is the date.
 */
export interface Sums {
  n: number;
  st: number;
  se: number;
  stt: number;
  ste: number;
  see: number;
}

export const emptySums = (): Sums => ({ n: 0, st: 0, se: 0, stt: 0, ste: 0, see: 0 });

export function addPoint(s: Sums, t: number, e: number): void {
  s.n++;
  s.st += t;
  s.se += e;
  s.stt += t * t;
  s.ste += t * e;
  s.see += e * e;
}

export interface Fit {
  n: number;
  slope: number;
  intercept: number;
  tMean: number;
  sxx: number;
  /** Residual standard deviation, n − 2 degrees of freedom. */
  s: number;
  /** Two-sided 95 % confidence interval of the slope. */
  slopeCi: [number, number];
}

/** Fit from running sums (O(1); what the engine keeps per channel). Null below 3 points or with no spread in t. */
export function fitSums(s: Sums): Fit | null {
  if (s.n < 3) return null;
  const tMean = s.st / s.n;
  const eMean = s.se / s.n;
  const sxx = s.stt - s.n * tMean * tMean;
  if (!(sxx > 1e-12)) return null;
  const sxy = s.ste - s.n * tMean * eMean;
  const syy = s.see - s.n * eMean * eMean;
  const slope = sxy / sxx;
  const sse = Math.max(0, syy - slope * sxy);
  const sd = Math.sqrt(sse / (s.n - 2));
  const half = tQuantileCached(0.975, s.n - 2) * (sd / Math.sqrt(sxx));
  return { n: s.n, slope, intercept: eMean - slope * tMean, tMean, sxx, s: sd, slopeCi: [slope - half, slope + half] };
}

/** Fit from points, slope and intercept by simple-statistics; the same result as fitSums. */
export function fitPoints(t: readonly number[], e: readonly number[]): Fit | null {
  if (t.length < 3) return null;
  const sums = emptySums();
  t.forEach((ti, i) => addPoint(sums, ti, e[i]!));
  const fit = fitSums(sums);
  if (!fit) return null;
  const { m, b } = linearRegression(t.map((ti, i) => [ti, e[i]!]));
  return { ...fit, slope: m, intercept: b };
}

export interface Prediction {
  /** Day where the fitted line reaches ±MPE, if it heads there. */
  pointT: number | null;
  /** First day ≥ fromT where the one-sided prediction bound reaches ±MPE. */
  boundT: number | null;
  /** Which limit: +1 upper, −1 lower. */
  side: 1 | -1 | null;
}

export function predictOutOfTolerance(fit: Fit, mpe: number, fromT: number, level = 0.95): Prediction {
  const q = tQuantileCached(level, fit.n - 2) * fit.s;
  let best: { t: number; side: 1 | -1 } | null = null;
  for (const side of [1, -1] as const) {
    const t = boundCrossing(side * fit.intercept, side * fit.slope, fit, q, mpe, fromT);
    if (t !== null && (best === null || t < best.t)) best = { t, side };
  }
  let pointT: number | null = null;
  if (fit.slope !== 0) {
    const target = fit.slope > 0 ? mpe : -mpe;
    const t = (target - fit.intercept) / fit.slope;
    pointT = Math.max(t, fromT);
  }
  return { pointT, boundT: best?.t ?? null, side: best?.side ?? null };
}

function boundCrossing(a: number, b: number, fit: Fit, q: number, mpe: number, fromT: number): number | null {
  const k = 1 + 1 / fit.n;
  const bound = (t: number) => a + b * t + q * Math.sqrt(k + (t - fit.tMean) ** 2 / fit.sxx);
  if (bound(fromT) >= mpe) return fromT;
  const c0 = mpe - a;
  const q2 = (q * q) / fit.sxx;
  const A = b * b - q2;
  const B = -2 * b * c0 + 2 * q2 * fit.tMean;
  const C = c0 * c0 - q * q * k - q2 * fit.tMean * fit.tMean;
  const roots: number[] = [];
  if (Math.abs(A) < 1e-300) {
    if (B !== 0) roots.push(-C / B);
  } else {
    const disc = B * B - 4 * A * C;
    if (disc < 0) return null;
    const r = Math.sqrt(disc);
    roots.push((-B - r) / (2 * A), (-B + r) / (2 * A));
  }
  const valid = roots.filter((t) => t > fromT && mpe - a - b * t >= -1e-12).sort((x, y) => x - y);
  return valid[0] ?? null;
}
