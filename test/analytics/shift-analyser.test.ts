import { describe, expect, it } from 'vitest';
import { addToMean, cusumRun, recursiveResidual, runningMean } from '../../analytics/cusum.js';
import { analyserLevel, analyserStatus, worstOf } from '../../analytics/analyser.js';
import { addCheck, defaultSettings, evaluate, newAcc } from '../../analytics/channel.js';
import { rng } from './simulate.js';
import { DAY } from '../../core/time.js';

describe('self-starting CUSUM (Hawkins 1987)', () => {
  it('worked example: recursive residuals of [0, 2, 1] with σ = 1, and with a prior', () => {
    const m = runningMean(null, 1);
    const z: Array<number | null> = [];
    for (const e of [0, 2, 1]) {
      z.push(recursiveResidual(m, e, 1));
      addToMean(m, e);
    }
    expect(z[0]).toBeNull();
    expect(z[1]).toBeCloseTo(Math.SQRT2, 4);
    expect(z[2]).toBeCloseTo(0, 12);
    expect(recursiveResidual(runningMean({ mean: 0.5, u: 0.5 }, 1), 0, 1)).toBeCloseTo(-0.4472, 4);
    // u = 0: μ₀ known, the plain tabular CUSUM's zᵢ = (eᵢ − μ₀)/σ.
    expect(recursiveResidual(runningMean({ mean: 0.5, u: 0 }, 1), 2, 0.5)).toBeCloseTo(3, 12);
  });

  it('a constant bias alone never signals (the residuals do not see it), unlike a wrong fixed μ₀', () => {
    const s = defaultSettings({ tolerance: { model: 'absolute', mpe: 100 }, repeatability: 1 });
    const acc = newAcc(0, null);
    const noise = [0.3, -0.5, 0.8, -0.2, 0.1, -0.9, 0.4, 0.6, -0.3, 0.2];
    for (let i = 0; i < 60; i++) addCheck(acc, s, { ts: i * DAY, error: 2.8 + noise[i % 10]!, referenceValue: 50, referenceU: 0 });
    expect(acc.lastSignal).toBeNull();
    expect(evaluate(acc, s).cusum.target).toBeCloseTo(2.8 + noise.reduce((a, b) => a + b) / 10, 6);
    expect(cusumRun(Array.from({ length: 60 }, (_, i) => 2.8 + noise[i % 10]!)).signals.length).toBeGreaterThan(0); // μ₀ = 0 would
  });

  it('finds a 3σ step within a few checks (DOMAIN ARL 2.57) after 40 in-control checks', () => {
    const s = defaultSettings({ tolerance: { model: 'absolute', mpe: 100 }, repeatability: 1 });
    const acc = newAcc(0, null);
    const noise = [0.3, -0.5, 0.8, -0.2, 0.1, -0.9, 0.4, 0.6, -0.3, 0.2, -0.6];
    for (let i = 0; i < 50 && !acc.lastSignal; i++)
      addCheck(acc, s, { ts: i * DAY, error: 1 + noise[i % 11]! + (i >= 40 ? 3 : 0), referenceValue: 50, referenceU: 0 });
    expect(acc.lastSignal?.direction).toBe('up');
    expect(acc.lastSignal!.index).toBeGreaterThanOrEqual(40);
    expect(acc.lastSignal!.index).toBeLessThanOrEqual(43);
  });

  it('in control, the false-signal rate over 100 checks matches the known-μ₀ CUSUM (short seeded simulation; test/slow/ runs 1 500)', () => {
    const { unif, gauss } = rng(7);
    const s = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 }, repeatability: 1 });
    let ours = 0;
    let known = 0;
    const runs = 200;
    for (let r = 0; r < runs; r++) {
      const bias = 4 * (unif() - 0.5);
      const acc = newAcc(0, null);
      for (let i = 0; i < 100 && !acc.lastSignal; i++) addCheck(acc, s, { ts: i * DAY, error: bias + gauss(), referenceValue: 1, referenceU: 0 });
      if (acc.lastSignal) ours++;
      if (cusumRun(Array.from({ length: 100 }, gauss)).signals.length) known++;
    }
    // ARL₀ 465 → ≈ 17 % within 100 checks (a difference of two such rates: sd ≈ 3.8 % at 200 runs);
    // the estimated-μ₀ scheme it replaces gave ≈ 26 %.
    expect(Math.abs(ours - known) / runs).toBeLessThan(0.1);
    expect(ours / runs).toBeLessThan(0.26);
  });
});

describe('analyser zero and span series (EPA 40 CFR 60 App. F)', () => {
  const span = 500;
  const s = defaultSettings({ tolerance: { model: 'analyser', span, gas: 'so2' }, analyser: true, repeatability: 1 });
  const feed = (points: Array<[reference: number, driftPct: number]>) => {
    const acc = newAcc(0, null);
    points.forEach(([ref, pct], i) => addCheck(acc, s, { ts: i * DAY, error: (pct / 100) * span, referenceValue: ref, referenceU: 0 }));
    return evaluate(acc, s).analyser!;
  };

  it('classifies by reference level: ≤ 20 % of span is zero, else span', () => {
    expect(analyserLevel(0, span)).toBe('zero');
    expect(analyserLevel(100, span)).toBe('zero');
    expect(analyserLevel(250, span)).toBe('span');
    expect(analyserLevel(450, span)).toBe('span');
  });

  it('good zeros interleaved with bad spans do not break the 5-day run of the span series', () => {
    const days: Array<[number, number]> = [];
    for (let d = 0; d < 5; d++) days.push([0, 0.5], [450, 5.5]); // span drift 5.5 % > 2 × 2.5 % on 5 consecutive days
    const st = feed(days);
    expect(st).toMatchObject({ outOfControl: true, reason: 'consecutive', series: 'span' });
    // The same checks as one series would have reset the run at every zero: never out of control.
    expect(
      analyserStatus(
        days.map(([, pct], i) => ({ ts: i, driftPct: pct })),
        2.5,
      ).outOfControl,
    ).toBe(false);
  });

  it('a bad zero is not hidden by good spans; one > 4× excursion is enough', () => {
    const st = feed([
      [0, 1],
      [450, 0.5],
      [0, 10.5],
      [450, 0.4],
    ]);
    expect(st).toMatchObject({ outOfControl: true, reason: 'once', series: 'zero', suspectSince: 0 });
  });

  it('worstOf: both out of control → "both", earliest suspect time', () => {
    const a = { outOfControl: true, reason: 'once' as const, suspectSince: 5, consecutiveOver2x: 1 };
    const b = { outOfControl: true, reason: 'consecutive' as const, suspectSince: 2, consecutiveOver2x: 5 };
    expect(worstOf({ zero: a, span: b })).toMatchObject({ series: 'both', suspectSince: 2, consecutiveOver2x: 5, reason: 'consecutive' });
  });
});
