import { describe, expect, it } from 'vitest';
import { changeStep, newChangeState, tToNormal } from '../../analytics/changepoint.js';
import { cusumRun, cusumStep } from '../../analytics/cusum.js';
import { defaultSettings } from '../../analytics/channel.js';
import { firstSignal, rng, selfStarting } from './simulate.js';

/** The statistic straight from its definition, O(n²): max over ν of w·(±D − k), σ = 1, no prior. */
function direct(e: number[], k = 0.5): { hi: number; lo: number } {
  const n = e.length;
  let hi = 0;
  let lo = 0;
  for (let nu = 1; nu < n; nu++) {
    const pre = e.slice(0, nu).reduce((a, b) => a + b, 0) / nu;
    const post = e.slice(nu).reduce((a, b) => a + b, 0) / (n - nu);
    const w = ((n - nu) * nu) / n;
    hi = Math.max(hi, w * (post - pre - k));
    lo = Math.max(lo, w * (pre - post - k));
  }
  return { hi, lo };
}

describe('change-point CUSUM (analytics/changepoint.ts)', () => {
  it('worked example: e = [0, 0, 0, 2, 2], σ = 1 → hi 1.8 with the change after check 3', () => {
    const st = newChangeState(null);
    let last = changeStep(st, 0, 1);
    for (const e of [0, 0, 2, 2]) last = changeStep(st, e, 1);
    expect(last.hi).toBeCloseTo(1.8, 12);
    expect(last.lo).toBe(0);
    expect(last.target).toBeCloseTo(0, 12);
    expect(last.since).toBe(2);
    expect(last.signal).toBeNull();
  });

  it('equals the statistic computed from its definition at every check', () => {
    const { gauss } = rng(11);
    const e = Array.from({ length: 70 }, (_, i) => 3 + gauss() + (i >= 40 ? 0.8 : 0));
    const st = newChangeState(null);
    for (let n = 1; n <= e.length; n++) {
      const s = changeStep(st, e[n - 1]!, 1, { h: 1e9 });
      const d = direct(e.slice(0, n));
      expect(s.hi).toBeCloseTo(d.hi, 9);
      expect(s.lo).toBeCloseTo(d.lo, 9);
    }
  });

  it('with the in-control mean known (as-left error, u = 0) it is the tabular CUSUM itself', () => {
    const { gauss } = rng(5);
    const mu = 0.7;
    const e = Array.from({ length: 90 }, (_, i) => mu + gauss() + (i >= 50 ? 1 : 0));
    const st = newChangeState({ mean: mu, u: 0 });
    let c = { hi: 0, lo: 0 };
    let first: number | null = null;
    e.forEach((x, i) => {
      const s = changeStep(st, x, 1);
      const t = cusumStep(c, x - mu);
      c = { hi: t.hi, lo: t.lo };
      if (first === null && s.signal) first = i;
      if (first === null) {
        expect(s.hi).toBeCloseTo(t.hi, 9);
        expect(s.lo).toBeCloseTo(t.lo, 9);
      }
    });
    expect(first).toBe(cusumRun(e.map((x) => x - mu)).signals[0]!.index);
  });

  it('a prior worth m₀ = (σ/u)² checks weighs the as-left error into the pre-change mean', () => {
    // σ = 1, u = 0.5 → m₀ = 4; one check e = 1.5 against μₚ = 0: ν = 0 only, w = 1·4/5 = 0.8,
    // D = 1.5 → hi = 0.8 · (1.5 − 0.5) = 0.8
    const st = newChangeState({ mean: 0, u: 0.5 });
    const s = changeStep(st, 1.5, 1);
    expect(s.hi).toBeCloseTo(0.8, 12);
    expect(s.target).toBeCloseTo(0, 12);
  });

  it('keeps only the last `window` candidates, with the pre-change mean from the running total', () => {
    const e = [0, 0, 0, 0, 0, 0, 2, 2];
    const st = newChangeState(null);
    let s = changeStep(st, e[0]!, 1, { window: 3 });
    for (const x of e.slice(1)) s = changeStep(st, x, 1, { window: 3 });
    // n = 8, ν ∈ {5, 6, 7}; ν = 6: pre 0, post 2, j = 2, w = 12/8 = 1.5, D = 2 → 1.5 · 1.5 = 2.25
    expect(s.hi).toBeCloseTo(2.25, 12);
    expect(s.since).toBe(2);
  });

  it('t-to-normal (Wallace 1959): t quantiles map to the normal ones', () => {
    expect(tToNormal(1.8125, 10)).toBeCloseTo(1.6448, 3); // t₀.₉₅,₁₀ → z₀.₉₅ = 1.6449
    expect(tToNormal(2.2281, 10)).toBeCloseTo(1.9593, 3); // t₀.₉₇₅,₁₀ → 1.9600
    expect(tToNormal(-2.2281, 10)).toBeCloseTo(-1.9593, 3);
    expect(tToNormal(2.3534, 3)).toBeCloseTo(1.645, 1); // t₀.₉₅,₃: still close at 3 df
    expect(tToNormal(1.7, Infinity)).toBe(1.7);
  });

  it('signals a 3σ step within a few checks (DOMAIN ARL 2.57) and restarts its segment', () => {
    const { gauss } = rng(3);
    const st = newChangeState(null);
    let at: number | null = null;
    for (let i = 0; i < 60 && at === null; i++) if (changeStep(st, -1.2 + gauss() + (i >= 40 ? 3 : 0), 1).signal === 'up') at = i;
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(40);
    expect(at!).toBeLessThanOrEqual(44);
    expect(st.n).toBe(0);
  });
});

/**
 * Short seeded simulations: deterministic, a few hundred runs, bounds at about three binomial
 * standard deviations for that many runs. The long Monte-Carlo figures (1 200 and 400 runs, tight
 * bounds) are in test/slow/drift-monte-carlo.test.ts, outside `npm test`.
 */
describe('shift detection on a channel (seeded simulations)', () => {
  const stated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 }, repeatability: 1 });
  const estimated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 } });

  it('in control, with σ stated or estimated, false-signals within 100 checks no more than the known-μ₀ CUSUM', () => {
    const { unif, gauss } = rng(99);
    const runs = 200;
    let ours = 0;
    let est = 0;
    let known = 0;
    for (let r = 0; r < runs; r++) {
      const bias = 4 * (unif() - 0.5);
      if (
        firstSignal(
          Array.from({ length: 100 }, () => bias + gauss()),
          stated,
        ) !== null
      )
        ours++;
      if (
        firstSignal(
          Array.from({ length: 100 }, () => bias + gauss()),
          estimated,
        ) !== null
      )
        est++;
      if (cusumRun(Array.from({ length: 100 }, gauss)).signals.length) known++;
    }
    // ARL₀ 465 → ≈ 18 % within 100 checks; a difference of two such rates has sd ≈ 3.8 % at 200 runs.
    expect(Math.abs(ours - known) / runs).toBeLessThan(0.1);
    expect(est / runs).toBeLessThan(known / runs + 0.075);
  });

  it('finds a 1σ step after 35 in-control checks sooner than the self-starting CUSUM it replaces', () => {
    const { unif, gauss } = rng(2024);
    let ours = 0;
    let before = 0;
    let n = 0;
    for (let r = 0; r < 100; r++) {
      const bias = 3 * (unif() - 0.5);
      const e = Array.from({ length: 235 }, (_, i) => bias + gauss() + (i >= 35 ? 1 : 0));
      const a = firstSignal(e, stated);
      const b = selfStarting(e);
      if ((a !== null && a < 35) || (b !== null && b < 35)) continue;
      ours += a === null ? 201 : a - 34;
      before += b === null ? 201 : b - 34;
      n++;
    }
    expect(ours / n).toBeLessThan(before / n);
  });
});
