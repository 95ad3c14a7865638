import { addToMean, cusumStep, recursiveResidual, runningMean } from '../../analytics/cusum.js';
import { addCheck, newAcc, type ChannelSettings } from '../../analytics/channel.js';
import { DAY } from '../../core/time.js';

/**
 * Seeded simulations of a channel's checks, shared by the unit tests (short runs) and the
 * Monte-Carlo figures of test/slow/ (long runs).
 */

/** mulberry32 + Box–Muller: seeded, so every run draws the same numbers (an LCG's consecutive pairs are correlated, which Box–Muller turns into non-normal noise). */
export function rng(seed: number) {
  const unif = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return { unif, gauss: () => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif()) };
}

/** Index of the first check at which the channel signals a shift, or null. */
export function firstSignal(errors: number[], s: ChannelSettings): number | null {
  const acc = newAcc(0, null);
  for (let i = 0; i < errors.length; i++) {
    addCheck(acc, s, { ts: i * DAY, error: errors[i]!, referenceValue: 1, referenceU: 0 });
    if (acc.lastSignal) return acc.lastSignal.index;
  }
  return null;
}

/** The self-starting CUSUM (Hawkins 1987) the change-point scheme replaced: index of its first signal, or null. */
export function selfStarting(errors: number[]): number | null {
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
}
