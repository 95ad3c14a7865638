/**
 * Shift detection with the in-control mean unknown: a change-point CUSUM whose pre-change mean is
 * estimated from the checks *before* each candidate change point only (the likelihood-ratio
 * change-point approach of Hawkins, Qiu & Kang 2003, "The changepoint model for statistical
 * process control", JQT 35, with the post-change shift fixed at 2k as in the tabular CUSUM).
 *
 * For errors e₁…eₙ with σ known and a candidate change after check ν (j = n − ν checks after it),
 * the log-likelihood ratio of "mean μ₀ up to ν, μ₀ + 2kσ after", with μ₀ profiled out, is
 * 2k·S⁺(ν) where
 *
 *   S⁺(ν) = w·(D − k),  S⁻(ν) = w·(−D − k),  D = (ē₍ν+1..n₎ − ē₍1..ν₎)/σ,  w = j·ν/n
 *
 * and the scheme signals when max over ν of S⁺ or S⁻ exceeds h (k = 0.5, h = 5 as the tabular
 * CUSUM). With μ₀ known the same derivation gives w = j and D against μ₀, and max over ν of
 * j·(D − k) is exactly the tabular CUSUM's C⁺ (cusum.ts): this scheme is that CUSUM with the
 * known mean replaced by the mean of the checks before the change. A calibration's as-left error
 * μₚ with standard uncertainty uₚ counts as m₀ = (σ/uₚ)² earlier checks at μₚ (ē₍1..ν₎ →
 * (m₀μₚ + Σ)/(m₀ + ν), w = j·(ν + m₀)/(n + m₀)); uₚ = 0 gives the tabular CUSUM itself.
 *
 * Why not the self-starting CUSUM (Hawkins 1987) it replaces: that one judges each check against
 * the mean of *all* checks before it, so after a shift the running mean absorbs the shift and the
 * residuals shrink; here the candidate ν = onset keeps the pre-change mean clean, so a shift is
 * never absorbed into its own baseline. Same in-control false-signal rate with h = 5 (simulated,
 * docs/analytics.md), faster on shifts ≤ 1σ. Candidates ν are the last `window` checks (the
 * pre-change sums come from the running total), so memory and time per check are O(window).
 *
 * σ estimated (moving range, no stated repeatability): √w·D is then Student-t-like with the
 * moving range's ≈ 0.62·(n − 1) degrees of freedom (Montgomery SQC 6.4), and it is mapped to a
 * normal score before the CUSUM form (Wallace 1959, tToNormal) — the t-to-normal correction
 * Hawkins uses for self-starting schemes with σ estimated; S = √w·z − k·w.
 *
 * Worked example (σ = 1 known, k = 0.5, no prior): e = [0, 0, 0, 2, 2], n = 5
 *   ν = 4: pre 0.5, post 2,        j = 1, w = 0.8, D = 1.5   → S⁺ = 0.8
 *   ν = 3: pre 0,   post 2,        j = 2, w = 1.2, D = 2     → S⁺ = 1.8  (the maximum)
 *   ν = 2: pre 0,   post 4/3,      j = 3, w = 1.2, D = 4/3   → S⁺ = 1.0
 *   ν = 1: pre 0,   post 1,        j = 4, w = 0.8, D = 1     → S⁺ = 0.4
 * → hi = 1.8 with the change after check 3, target (pre-change mean) 0; S⁻ < 0 everywhere → lo = 0.
 * The tabular CUSUM knowing μ₀ = 0 has C⁺ = 3.0 here (the known mean is worth the difference).
 */
export interface ChangeState {
  /** Checks in the current segment (since the last calibration or signal), and their sum. */
  n: number;
  sum: number;
  /** The last `window` errors of the segment, a ring once full. */
  recent: number[];
  head: number;
  /** Prior in-control mean (as-left error) and its standard uncertainty. */
  prior: { mean: number; u: number } | null;
  /** The prior's worth in checks, (σ/u)² at the last σ; Infinity when u = 0 (mean known); 0 without a prior. */
  m0: number;
  /** The last statistics (the C⁺/C⁻ analogues) and the estimated pre-change mean. */
  hi: number;
  lo: number;
  target: number | null;
}

export const CHANGE_WINDOW = 100;
/** Degrees of freedom of σ from the average moving range of n − 1 ranges ≈ 0.62·(n − 1). */
export const MR_DF_PER_RANGE = 0.62;

export function newChangeState(prior: { mean: number; u: number } | null): ChangeState {
  return { n: 0, sum: 0, recent: [], head: 0, prior, m0: prior === null ? 0 : prior.u > 0 ? 0 : Infinity, hi: 0, lo: 0, target: null };
}

/**
 * Normal score of a Student-t value with df degrees of freedom, Wallace's (1959) approximation
 * z = (8ν + 1)/(8ν + 3) · √(ν·ln(1 + t²/ν)). Worked example: t₀.₉₅,₁₀ = 1.8125 → 1.6448
 * (z₀.₉₅ = 1.6449); t₀.₉₇₅,₁₀ = 2.2281 → 1.9593 (1.9600).
 */
export function tToNormal(t: number, df: number): number {
  if (!Number.isFinite(df)) return t;
  return Math.sign(t) * ((8 * df + 1) / (8 * df + 3)) * Math.sqrt(df * Math.log1p((t * t) / df));
}

export interface ChangeStep {
  hi: number;
  lo: number;
  /** Estimated in-control mean before the most likely change point. */
  target: number | null;
  /** Checks after the most likely change point. */
  since: number;
  signal: 'up' | 'down' | null;
}

/**
 * Adds one error and returns the statistics. `df` = degrees of freedom of σ (Infinity when σ is
 * known). On a signal the segment restarts (the prior no longer describes the instrument).
 */
export function changeStep(st: ChangeState, e: number, sigma: number | null, o: { k?: number; h?: number; df?: number; window?: number } = {}): ChangeStep {
  const k = o.k ?? 0.5;
  const h = o.h ?? 5;
  const df = o.df ?? Infinity;
  const W = o.window ?? CHANGE_WINDOW;
  st.n++;
  st.sum += e;
  if (st.recent.length < W) st.recent.push(e);
  else {
    st.recent[st.head] = e;
    st.head = (st.head + 1) % W;
  }
  const n = st.n;
  // No σ yet (estimated, one check): the check joins the segment, nothing is judged.
  if (sigma === null || !(sigma > 0)) return { hi: 0, lo: 0, target: segmentMean(st), since: 0, signal: null };
  if (st.prior && st.prior.u > 0) st.m0 = (sigma / st.prior.u) ** 2;
  const m0 = st.m0;
  const known = m0 === Infinity;
  const minNu = st.prior ? 0 : 1;
  const L = st.recent.length;
  const priorSum = known ? 0 : m0 * (st.prior?.mean ?? 0);
  const exact = !Number.isFinite(df);
  let up = 0;
  let down = 0;
  let upNu = -1;
  let downNu = -1;
  let post = 0;
  // Newest first: j-th newest error of the ring at idx.
  let idx = (L < W ? L : st.head) - 1;
  for (let j = 1; j <= L && n - j >= minNu; j++) {
    if (idx < 0) idx = L - 1;
    post += st.recent[idx--]!;
    const nu = n - j;
    const pre = known ? st.prior!.mean : (priorSum + st.sum - post) / (m0 + nu);
    const w = known ? j : (j * (nu + m0)) / (n + m0);
    // σ known: S = w·(D − k); estimated: √w·D/σ̂ is t-like, mapped to a normal score first.
    const d = (post / j - pre) / sigma;
    const zw = exact ? w * d : Math.sqrt(w) * tToNormal(Math.sqrt(w) * d, df);
    const kw = k * w;
    if (zw - kw > up) {
      up = zw - kw;
      upNu = nu;
    }
    if (-zw - kw > down) {
      down = -zw - kw;
      downNu = nu;
    }
  }
  const best = { up, down, upNu, downNu };
  const side = best.up >= best.down ? best.upNu : best.downNu;
  st.hi = best.up;
  st.lo = best.down;
  st.target = side >= 0 ? preMean(st, side) : segmentMean(st);
  const out: ChangeStep = { hi: best.up, lo: best.down, target: st.target, since: side >= 0 ? n - side : 0, signal: null };
  if (best.up > h || best.down > h) {
    out.signal = best.up >= best.down ? 'up' : 'down';
    Object.assign(st, { n: 0, sum: 0, recent: [], head: 0, prior: null, m0: 0, hi: 0, lo: 0, target: null });
  }
  return out;
}

function segmentMean(st: ChangeState): number | null {
  if (st.m0 === Infinity) return st.prior!.mean;
  const m0 = st.m0;
  return m0 + st.n > 0 ? (m0 * (st.prior?.mean ?? 0) + st.sum) / (m0 + st.n) : null;
}

/** Mean of the segment's first ν checks (with the prior). */
function preMean(st: ChangeState, nu: number): number | null {
  if (st.m0 === Infinity) return st.prior!.mean;
  const L = st.recent.length;
  let post = 0;
  for (let j = 1; j <= st.n - nu; j++) post += st.recent[(st.head + L - j) % L]!;
  const m0 = st.m0;
  return m0 + nu > 0 ? (m0 * (st.prior?.mean ?? 0) + st.sum - post) / (m0 + nu) : null;
}
