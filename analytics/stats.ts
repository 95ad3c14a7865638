/**
 * Distribution functions the metrology routines need and simple-statistics does not provide:
 * Student's t quantile (prediction bounds) and the binomial CDF (RP-1 A3).
 */

/**
 * Regularised incomplete beta I_x(a, b), by the continued fraction of Abramowitz & Stegun 26.5.8
 * evaluated with the modified Lentz method.
 *
 * Worked example: I_0.5(2, 2) = 0.5 (symmetric); I_0.25(1, 1) = 0.25 (uniform).
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return (Math.exp(lnFront) * f) / a;
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9); |error| < 1e-13 for x > 0. Γ(5) = 24 → ln 24. */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. tCdf(2.3534, 3) ≈ 0.95. */
export function tCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of Student's t: the t with P(T ≤ t) = p, by bisection on tCdf (monotone).
 *
 * Worked example (tables): tQuantile(0.95, 3) = 2.3534, tQuantile(0.975, 10) = 2.2281,
 * tQuantile(0.95, 1000) ≈ 1.6464 (→ z = 1.6449 as df → ∞).
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const tCache = new Map<number, number>();
/** tQuantile for the common one-sided levels, memoised per (p, df): the engine asks it per check. */
export function tQuantileCached(p: number, df: number): number {
  const key = p * 1e7 + df;
  let v = tCache.get(key);
  if (v === undefined) {
    v = tQuantile(p, df);
    if (tCache.size < 10_000) tCache.set(key, v);
  }
  return v;
}

/**
 * Binomial CDF P(X ≤ x) for n trials of probability p, summed in log space.
 * Worked example: binomialCdf(15, 20, 0.95) = 0.002574 (RP-1 A3 test case 1).
 */
export function binomialCdf(x: number, n: number, p: number): number {
  if (x < 0) return 0;
  if (x >= n) return 1;
  let sum = 0;
  for (let k = 0; k <= x; k++) sum += binomialPmf(k, n, p);
  return Math.min(1, sum);
}

export function binomialPmf(k: number, n: number, p: number): number {
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  const lnC = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  return Math.exp(lnC + k * Math.log(p) + (n - k) * Math.log(1 - p));
}
