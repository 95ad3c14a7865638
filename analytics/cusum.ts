/**
 * Two-sided tabular CUSUM on standardised errors zᵢ = (eᵢ − μ₀)/σ (Montgomery, Introduction to
 * Statistical Quality Control, 6th ed., 9.1.2):
 *   C⁺ᵢ = max(0, C⁺ᵢ₋₁ + zᵢ − k),  C⁻ᵢ = max(0, C⁻ᵢ₋₁ − zᵢ − k),  signal when C⁺ or C⁻ > h.
 * With k = 0.5 and h = 5 the in-control ARL is ≈ 465 checks and a 1σ shift is found in ≈ 10.4
 * (DOMAIN.md table). After a signal both sums restart at 0.
 *
 * Worked example: z = [0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5] with k = 0.5, h = 5 →
 *   C⁺ = 0, 1, 2, 3, 4, 5, 6 → the first C⁺ > 5 is at the 7th check (index 6): signal "up".
 */
export interface CusumState {
  hi: number;
  lo: number;
}

export interface CusumStep extends CusumState {
  signal: 'up' | 'down' | null;
}

export function cusumStep(state: CusumState, z: number, k = 0.5, h = 5): CusumStep {
  const hi = Math.max(0, state.hi + z - k);
  const lo = Math.max(0, state.lo - z - k);
  if (hi > h) return { hi: 0, lo: 0, signal: 'up' };
  if (lo > h) return { hi: 0, lo: 0, signal: 'down' };
  return { hi, lo, signal: null };
}

/** Runs the CUSUM over a series; returns the indices where it signalled and the final sums. */
export function cusumRun(z: readonly number[], k = 0.5, h = 5): { signals: Array<{ index: number; direction: 'up' | 'down' }>; state: CusumState } {
  let state: CusumState = { hi: 0, lo: 0 };
  const signals: Array<{ index: number; direction: 'up' | 'down' }> = [];
  z.forEach((zi, index) => {
    const s = cusumStep(state, zi, k, h);
    if (s.signal) signals.push({ index, direction: s.signal });
    state = { hi: s.hi, lo: s.lo };
  });
  return { signals, state };
}

/**
 * Channels no longer run this scheme: shift detection is the change-point CUSUM of
 * changepoint.ts, faster on shifts ≤ 1σ at the same false-signal rate. It is kept as the "before"
 * of bench:drift's simulation and for its worked example.
 *
 * Self-starting CUSUM (Hawkins 1987, "Self-starting CUSUM charts for location and scale",
 * The Statistician 36; Hawkins & Olwell, Cumulative Sum Charts and Charting for Quality
 * Improvement, 1998, ch. 7). The in-control mean μ₀ of a channel's error is not known in
 * practice — stable instruments carry a constant bias well inside their MPE — and plugging in an
 * estimate from the first m checks makes every later zᵢ share that estimate's error (σ/√m):
 * the CUSUM then runs on a slightly shifted series and false-alarms more (m = 30: a false signal
 * within 100 checks in ≈ 25 % of in-control series instead of ≈ 18 %; BENCHMARKS.md, drift). Instead each check is standardised
 * against the mean of the checks *before* it (its recursive residual):
 *
 *   zₙ = (eₙ − ēₙ₋₁) / (σ · √(1 + 1/mₙ₋₁)),   ēₙ₋₁ = (m₀·μₚ + Σᵢ<ₙ eᵢ) / mₙ₋₁,   mₙ₋₁ = m₀ + (n − 1)
 *
 * In control the zₙ are independent N(0, 1) — exactly, not asymptotically — so the tabular CUSUM
 * on them keeps the known-μ₀ in-control ARL of the DOMAIN.md table (k = 0.5, h = 5 → 465) from
 * the second check on, with no start-up phase. A calibration's as-left error μₚ with standard
 * uncertainty uₚ enters as a prior worth m₀ = (σ/uₚ)² checks (the Gaussian conjugate update, for
 * which the recursive residuals stay independent N(0, 1)); uₚ = 0 makes μ₀ known and the scheme
 * the plain tabular CUSUM. The price: after a shift the running mean slowly follows it, so a
 * small shift (≤ 1σ) after a short history is found later than by a CUSUM that knew μ₀.
 *
 * Worked example (σ = 1, no prior): e = [0.0, 2.0, 1.0]
 *   n = 1: no earlier check → no residual; ē = 0, m = 1
 *   n = 2: z = (2 − 0)/√(1 + 1/1) = 1.4142; ē = 1, m = 2
 *   n = 3: z = (1 − 1)/√(1 + 1/2) = 0
 * With a prior μₚ = 0.5, uₚ = 0.5 (m₀ = 4): n = 1: z = (0 − 0.5)/√(1 + 1/4) = −0.4472.
 */
export interface RunningMean {
  /** Weighted sum m₀·μₚ + Σ e of the checks so far, and its weight m₀ + n. */
  sum: number;
  weight: number;
  /** μₚ exactly known (uₚ = 0): the mean is μₚ and never updates. */
  known: number | null;
}

export function runningMean(prior: { mean: number; u: number } | null, sigma: number): RunningMean {
  if (prior === null) return { sum: 0, weight: 0, known: null };
  if (!(prior.u > 0)) return { sum: 0, weight: 0, known: prior.mean };
  const m0 = (sigma / prior.u) ** 2;
  return { sum: m0 * prior.mean, weight: m0, known: null };
}

/** The standardised recursive residual of e against the checks before it; null for the first check without a prior. */
export function recursiveResidual(m: RunningMean, e: number, sigma: number): number | null {
  if (m.known !== null) return (e - m.known) / sigma;
  if (m.weight <= 0) return null;
  return (e - m.sum / m.weight) / (sigma * Math.sqrt(1 + 1 / m.weight));
}

export function addToMean(m: RunningMean, e: number): void {
  if (m.known !== null) return;
  m.sum += e;
  m.weight += 1;
}

export function meanOf(m: RunningMean): number | null {
  return m.known ?? (m.weight > 0 ? m.sum / m.weight : null);
}
