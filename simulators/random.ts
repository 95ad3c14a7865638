/**
 * Seeded randomness, so that a simulator started with the same seed serves the same sequence of
 * values to the same sequence of requests: a failing test or a benchmark run can be replayed.
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state PRNG with period 2^32, plenty for
 * noise on a few dozen points and far cheaper than a cryptographic generator.
 * Worked example: mulberry32(1) yields 0.6270739405881613, 0.002735721180215478, …
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal deviates by the Box–Muller transform: two uniforms u1, u2 in (0, 1] give
 * z = √(−2 ln u1) · cos(2π u2), normally distributed with mean 0 and σ 1. Instrument noise is
 * modelled as Gaussian (GUM 4.3.2 treats repeatability as a normal distribution), so a point's
 * `sim.noise` is its standard deviation. Worked example: u1 = 0.5, u2 = 0 → z = √(2 ln 2) ≈ 1.177.
 */
export function gaussian(uniform: () => number): () => number {
  return () => {
    const u1 = 1 - uniform(); // (0, 1]: ln(0) would be −∞
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}
