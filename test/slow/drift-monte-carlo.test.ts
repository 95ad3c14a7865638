import { describe, expect, it } from 'vitest';
import { cusumRun } from '../../analytics/cusum.js';
import { addCheck, defaultSettings, newAcc } from '../../analytics/channel.js';
import { firstSignal, rng, selfStarting } from '../analytics/simulate.js';
import { DAY } from '../../core/time.js';

/**
 * Monte-Carlo figures of shift detection on a channel: thousands of seeded simulated channels,
 * compared with the tabular CUSUM whose in-control mean is known. Not part of `npm test` (the
 * `slow` project of vitest.config.ts); the unit tests in test/analytics/ assert the same
 * behaviour on short seeded runs. Run with:
 *   METRONET_SLOW_TESTS=1 npx vitest run --project slow
 */

describe('shift detection on a channel, Monte Carlo (bench:drift reports the full figures on the shared cases)', () => {
  const stated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 }, repeatability: 1 });
  const estimated = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 } });

  it('in control, with σ stated or estimated, false-signals within 100 checks no more than the known-μ₀ CUSUM (1 200 runs)', () => {
    const { unif, gauss } = rng(99);
    const runs = 1200;
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
    // ARL₀ 465 → ≈ 18 % within 100 checks (binomial sd ≈ 1.1 % at 1 200 runs).
    expect(Math.abs(ours - known) / runs).toBeLessThan(0.04);
    expect(est / runs).toBeLessThan(known / runs + 0.03);
  });

  it('finds a 1σ step after 35 in-control checks sooner than the self-starting CUSUM it replaces (400 runs)', () => {
    const { unif, gauss } = rng(2024);
    let ours = 0;
    let before = 0;
    let n = 0;
    for (let r = 0; r < 400; r++) {
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

  it('in control, the false-signal rate over 100 checks matches the known-μ₀ CUSUM (1 500 runs)', () => {
    const { unif, gauss } = rng(7);
    let ours = 0;
    let known = 0;
    const runs = 1500;
    for (let r = 0; r < runs; r++) {
      const bias = 4 * (unif() - 0.5);
      const acc = newAcc(0, null);
      for (let i = 0; i < 100 && !acc.lastSignal; i++) addCheck(acc, stated, { ts: i * DAY, error: bias + gauss(), referenceValue: 1, referenceU: 0 });
      if (acc.lastSignal) ours++;
      if (cusumRun(Array.from({ length: 100 }, gauss)).signals.length) known++;
    }
    // ARL₀ 465 → ≈ 17 % within 100 checks; the estimated-μ₀ scheme it replaces gave ≈ 26 %.
    expect(Math.abs(ours - known) / runs).toBeLessThan(0.04);
    expect(ours / runs).toBeLessThan(0.21);
  });
});
