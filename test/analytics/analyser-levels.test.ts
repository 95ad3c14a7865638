import { describe, expect, it } from 'vitest';
import { addCheck, calibrationPriors, defaultSettings, evaluate, newAcc } from '../../analytics/channel.js';
import { fitPoints } from '../../analytics/trend.js';
import { DAY } from '../../core/time.js';

const span = 500;
const s = defaultSettings({ tolerance: { model: 'analyser', span, gas: 'so2' }, analyser: true, repeatability: 1 });
// Fixed noise (no randomness): ±1 ppm-ish pattern.
const noise = [0.3, -0.5, 0.8, -0.2, 0.1, -0.9, 0.4, 0.6, -0.3, 0.2, -0.6];

describe('analyser trend and shift: zero and span checks apart', () => {
  it('a span drifting while the zero holds: the span trend has the true slope, the mixed series half of it', () => {
    // Daily zero (reference 0 ppm, error ≈ +3) and span (reference 400 ppm, error −2 − 0.1·day) checks.
    const acc = newAcc(0, null);
    const t: number[] = [];
    const e: number[] = [];
    for (let d = 0; d < 40; d++) {
      const zero = 3 + noise[d % 11]! * 0.5;
      const spanErr = -2 - 0.1 * d + noise[(d + 5) % 11]! * 0.5;
      addCheck(acc, s, { ts: d * DAY, error: zero, referenceValue: 0, referenceU: 0 });
      addCheck(acc, s, { ts: d * DAY + 3_600_000, error: spanErr, referenceValue: 400, referenceU: 0 });
      t.push(d, d + 1 / 24);
      e.push(zero, spanErr);
    }
    const ev = evaluate(acc, s);
    expect(ev.n).toBe(80);
    expect(ev.byLevel!.span.n).toBe(40);
    expect(ev.byLevel!.span.trend!.slopePerDay).toBeCloseTo(-0.1, 2);
    expect(Math.abs(ev.byLevel!.zero.trend!.slopePerDay)).toBeLessThan(0.01);
    // The channel's trend is the span's: it warns (MPE 2.5 % of 500 = 12.5 ppm, reached near day 105).
    expect(ev.trend!.series).toBe('span');
    expect(ev.trend!.predictedTs).not.toBeNull();
    expect(ev.trend!.predictedTs!).toBeLessThan(110 * DAY);
    // What one fit over both would say: half the slope, and a residual s inflated by the 5 ppm gap.
    const mixed = fitPoints(t, e)!;
    expect(mixed.slope).toBeCloseTo(-0.05, 2);
    expect(mixed.s).toBeGreaterThan(2 * ev.byLevel!.span.trend!.s);
  });

  it('a zero step of 4σ is signalled on the zero series, named in the evaluation', () => {
    const acc = newAcc(0, null);
    let at: number | null = null;
    for (let d = 0; d < 45 && at === null; d++) {
      addCheck(acc, s, { ts: d * DAY, error: 1 + noise[d % 11]! + (d >= 30 ? 4 : 0), referenceValue: 0, referenceU: 0 });
      addCheck(acc, s, { ts: d * DAY + 3_600_000, error: -6 + noise[(d + 3) % 11]!, referenceValue: 450, referenceU: 0 });
      if (acc.lastSignal) at = d;
    }
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(30);
    expect(at!).toBeLessThanOrEqual(33);
    expect(acc.lastSignal!.series).toBe('zero');
    const ev = evaluate(acc, s);
    expect(ev.cusum.series).toBe('zero');
    expect(ev.cusum.recentSignal?.direction).toBe('up');
    expect(ev.byLevel!.span.cusum.recentSignal).toBeNull();
  });

  it('a calibration gives each level its own as-left prior', () => {
    const results = [
      { channel: 'so2', unit: 'ppm', nominal: 0, reference: 0, asFound: 2, asLeft: 0.5, U: 0.4, k: 2 },
      { channel: 'so2', unit: 'ppm', nominal: 400, reference: 401, asFound: -5, asLeft: -1, U: 1, k: 2 },
      { channel: 'no2', unit: 'ppm', nominal: 0, asFound: 9, U: 1 },
    ];
    const p = calibrationPriors(results, 'so2', s);
    expect(p.levels.zero).toEqual({ mean: 0.5, u: 0.2 });
    expect(p.levels.span).toEqual({ mean: -1, u: 0.5 });
    expect(p.prior).toEqual({ mean: 0.5, u: 0.2 });
    expect(calibrationPriors(results, 'no2', defaultSettings()).levels).toEqual({});
  });

  it('a channel that is not an analyser keeps one series', () => {
    const plain = defaultSettings({ tolerance: { model: 'absolute', mpe: 10 }, repeatability: 1 });
    const acc = newAcc(0, null);
    for (let d = 0; d < 12; d++) addCheck(acc, plain, { ts: d * DAY, error: noise[d % 11]!, referenceValue: d % 2 ? 400 : 0, referenceU: 0 });
    const ev = evaluate(acc, plain);
    expect(ev.byLevel).toBeUndefined();
    expect(ev.trend!.fit.n).toBe(12);
  });
});
