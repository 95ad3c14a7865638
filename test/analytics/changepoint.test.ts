import { describe, expect, it } from 'vitest';
import { changeStep, newChangeState, tToNormal } from '../../analytics/changepoint.js';
import { addToMean, cusumRun, cusumStep, recursiveResidual, runningMean } from '../../analytics/cusum.js';
import { addCheck, defaultSettings, newAcc } from '../../analytics/channel.js';

const DAY = 86_400_000;

// mulberry32 + Box–Muller: seeded, so every run draws the same numbers.
function rng(seed: number) {
  const unif = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return { unif, gauss: () => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif()) };
}

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

describe('shift detection on a channel (seeded simulations; bench:drift reports the full figures)', () => {
  const stated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 }, repeatability: 1 });
  const estimated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 } });
  const firstSignal = (errors: number[], s = stated): number | null => {
    const acc = newAcc(0, null);
    for (let i = 0; i < errors.length; i++) {
      addCheck(acc, s, { ts: i * DAY, error: errors[i]!, referenceValue: 1, referenceU: 0 });
      if (acc.lastSignal) return acc.lastSignal.index;
    }
    return null;
  };
  const selfStarting = (errors: number[]): number | null => {
    const m = runningMean(null, 1);
    let c = { hi: 0, lo: 0 };
    for (let i = 0; i < errors.length; i++) {
      const z = recursiveResidual(m, errors[i]!, 1);
      addToMean(m, errors[i]!);
      if (z === null) continue;
      const t = cusumStep(c, z);
      if (t.signal) return i;
      c = t;
    }
    return null;
  };

  it('in control, with σ stated or estimated, false-signals within 100 checks no more than the known-μ₀ CUSUM', () => {
    const { unif, gauss } = rng(99);
    const runs = 1200;
    let ours = 0;
    let est = 0;
    let known = 0;
    for (let r = 0; r < runs; r++) {
      const bias = 4 * (unif() - 0.5);
      if (firstSignal(Array.from({ length: 100 }, () => bias + gauss())) !== null) ours++;
      if (firstSignal(Array.from({ length: 100 }, () => bias + gauss()), estimated) !== null) est++;
      if (cusumRun(Array.from({ length: 100 }, gauss)).signals.length) known++;
    }
    // ARL₀ 465 → ≈ 18 % within 100 checks (binomial sd ≈ 1.1 % at 1 200 runs).
    expect(Math.abs(ours - known) / runs).toBeLessThan(0.04);
    expect(est / runs).toBeLessThan(known / runs + 0.03);
  }, 180_000);

  it('finds a 1σ step after 35 in-control checks sooner than the self-starting CUSUM it replaces', () => {
    const { unif, gauss } = rng(2024);
    let ours = 0;
    let before = 0;
    let n = 0;
    for (let r = 0; r < 400; r++) {
      const bias = 3 * (unif() - 0.5);
      const e = Array.from({ length: 235 }, (_, i) => bias + gauss() + (i >= 35 ? 1 : 0));
      const a = firstSignal(e);
      const b = selfStarting(e);
      if ((a !== null && a < 35) || (b !== null && b < 35)) continue;
      ours += a === null ? 201 : a - 34;
      before += b === null ? 201 : b - 34;
      n++;
    }
    expect(ours / n).toBeLessThan(before / n);
  }, 120_000);
});
