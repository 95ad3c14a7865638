import { channelOf, MetronetError, type Profile, type ProfilePoint } from '../core/index.js';

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

/**
 * What one simulated device changes in its profile's simulation hints: a generic weighing
 * indicator profile serves a 30 kg counter scale and a 3 t platform scale alike, each with its own
 * load, capacity and division. `step` is the interval the device shows its value in (a scale's
 * actual scale interval d, OIML R76-1 T.2.3.4): every value served is a multiple of it.
 */
export interface PointSim {
  value?: number;
  noise?: number;
  min?: number;
  max?: number;
  step?: number;
}

/** The profile with each named point's hints replaced; a name the profile lacks is refused. */
export function withPointSims(profile: Profile, sims: Record<string, PointSim> | undefined): Profile {
  if (!sims) return profile;
  for (const name of Object.keys(sims)) {
    if (!profile.points.some((p) => p.name === name))
      throw new MetronetError('E_BAD_REQUEST', `point "${name}" is not in profile ${profile.id}; points: ${profile.points.map((p) => p.name).join(', ')}`);
  }
  return {
    ...profile,
    points: profile.points.map((p) => {
      const o = sims[p.name];
      if (!o) return p;
      const { step: _step, ...hint } = o;
      return { ...p, sim: { value: 0, ...p.sim, ...hint } };
    }),
  };
}

/**
 * A value rounded to the device's step, without binary noise: 1260.4 kg at d = 1 kg shows 1260,
 * 20.0049 kg at d = 0.01 kg shows 20 (not 20.000000000000004), at d = 0.005 kg 20.005.
 */
export function quantise(v: number, step: number): number {
  const decimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
  return Number((Math.round(v / step) * step).toFixed(decimals));
}
