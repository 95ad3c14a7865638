import { channelOf, type ProfilePoint } from '../core/index.js';

/** A slow change of the true value, the thing the drift monitoring downstream must detect. */
export type DriftConfig = { kind: 'linear'; perDay: number; channels?: string[] } | { kind: 'step'; at: number; size: number; channels?: string[] };

const DAY_MS = 86_400_000;

/**
 * Hour of the local day at which a daily cycle peaks. Ambient temperature peaks in the early
 * afternoon; pollutant concentrations really show morning and evening traffic peaks, which one
 * sine does not model — good enough for a live dashboard, not for exposure studies.
 */
const PEAK_HOUR = 14;

export interface ValueContext {
  /** Clock reading when the simulator started: origin of totalisers and linear drift. */
  t0: number;
  drift?: DriftConfig;
  /** Standard normal deviates from the simulator's seeded generator. */
  normal: () => number;
}

/** Does the drift apply to this point? Named channels when given, else every value-role point. */
export function drifts(point: ProfilePoint, drift: DriftConfig | undefined): boolean {
  if (!drift) return false;
  if (drift.channels) return drift.channels.includes(channelOf(point)) || drift.channels.includes(point.name);
  return (point.role ?? 'value') === 'value';
}

export function driftAt(drift: DriftConfig, t: number, t0: number): number {
  return drift.kind === 'linear' ? (drift.perDay * (t - t0)) / DAY_MS : t >= drift.at ? drift.size : 0;
}

/** Position in the local day as a fraction, 0 at local midnight (the process time zone). */
function localDayFraction(t: number): number {
  const d = new Date(t);
  return (d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() + d.getMilliseconds() / 1000) / 86_400;
}

/**
 * The engineering value a point shows at time t, from its `sim` hint:
 *   value + ratePerSecond·Δt + dailyAmplitude·sin(day phase) + noise·z + drift, clamped to [min, max].
 * Worked example (fuel totaliser, value 125000 L, ratePerSecond 0.35): one hour after start it
 * reads 125000 + 0.35 × 3600 = 126260 L. A point without a hint reads 0.
 */
export function simulatedValue(point: ProfilePoint, t: number, ctx: ValueContext): number {
  const sim = point.sim;
  if (!sim) return 0;
  let v = sim.value;
  if (sim.ratePerSecond) v += (sim.ratePerSecond * (t - ctx.t0)) / 1000;
  if (sim.dailyAmplitude) v += sim.dailyAmplitude * Math.sin(2 * Math.PI * (localDayFraction(t) - (PEAK_HOUR - 6) / 24));
  if (sim.noise) v += sim.noise * ctx.normal();
  if (ctx.drift && drifts(point, ctx.drift)) v += driftAt(ctx.drift, t, ctx.t0);
  if (sim.min !== undefined) v = Math.max(sim.min, v);
  if (sim.max !== undefined) v = Math.min(sim.max, v);
  return v;
}
