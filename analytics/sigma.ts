/**
 * The noise σ of a channel's error series (DOMAIN.md): the repeatability if known, else the
 * average moving range / d₂ (d₂ = 1.128 for ranges of two, Montgomery SQC Table VI), and never
 * smaller than the reference standard's standard uncertainty u = U/k.
 *
 * Worked example: errors [0.10, 0.13, 0.11, 0.15] → moving ranges 0.03, 0.02, 0.04 → mean 0.03
 * → σ = 0.03 / 1.128 = 0.0266; with U = 0.08 (k = 2) → u = 0.04 → σ = 0.04.
 */
export const D2 = 1.128;

export function movingRangeSigma(errors: readonly number[]): number | null {
  if (errors.length < 2) return null;
  let sum = 0;
  for (let i = 1; i < errors.length; i++) sum += Math.abs(errors[i]! - errors[i - 1]!);
  return sum / (errors.length - 1) / D2;
}

export function channelSigma(opts: { repeatability?: number | null; movingRange?: number | null; referenceU?: number | null; k?: number }): number | null {
  const u = opts.referenceU != null ? opts.referenceU / (opts.k ?? 2) : 0;
  const base = opts.repeatability ?? opts.movingRange ?? null;
  if (base === null) return u > 0 ? u : null;
  return Math.max(base, u);
}
