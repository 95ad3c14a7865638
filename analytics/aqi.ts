import { airUnitConversion } from '../core/index.js';
import {
  AQI_BREAKPOINTS,
  AQI_CATEGORIES,
  AQI_I,
  NOWCAST,
  VN_AQI_EVIDENCE,
  VN_AQI_SOURCE,
  type AqiCategory,
  type AqiParameter,
} from '../core/legal/vn-aqi-1459.js';
import { QCVN05_AVERAGING } from '../core/legal/qcvn-05-2023.js';
import { DAY, HOUR } from '../core/time.js';
import type { HourMean } from './stations.js';

export { AQI_CATEGORIES, type AqiCategory } from '../core/legal/vn-aqi-1459.js';

/**
 * VN_AQI (Decision 1459/QĐ-TCMT, 2019): hourly and daily index per parameter and overall, from
 * hourly means of valid station records (analytics/stations.ts hourlyMeans). Tables:
 * core/legal/vn-aqi-1459.ts. Pure functions; station-monitor.ts feeds them.
 */

/** Station channels the index uses. */
export const AQI_CHANNELS = ['pm25', 'pm10', 'o3', 'co', 'so2', 'no2'] as const;
export type AqiChannel = (typeof AQI_CHANNELS)[number];

/**
 * Sub-index of a concentration (µg/m³) in a breakpoint column, unrounded:
 * AQIₓ = (Iᵢ₊₁ − Iᵢ) / (BPᵢ₊₁ − BPᵢ) · (Cₓ − BPᵢ) + Iᵢ with BPᵢ ≤ Cₓ ≤ BPᵢ₊₁. The segments meet at
 * each breakpoint, so a value exactly at BPᵢ gives Iᵢ from either side. Negative readings (an
 * analyser's noise about zero) count as 0. Beyond the column: null for O₃ 8 h (the decision then
 * uses the 1-hour value), 500 otherwise (the top of the scale).
 *
 * Worked example: PM2.5 NowCast 37.5 µg/m³ lies in [25, 50] → (100 − 50)/(50 − 25)·(37.5 − 25) + 50 = 75.
 */
export function subIndex(parameter: AqiParameter, concentration: number): number | null {
  const bp = AQI_BREAKPOINTS[parameter];
  const c = Math.max(0, concentration);
  for (let i = 0; i + 1 < bp.length; i++) {
    const lo = bp[i];
    const hi = bp[i + 1];
    if (lo == null || hi == null) break;
    const i0: number = AQI_I[i]!;
    const i1: number = AQI_I[i + 1]!;
    if (c <= hi) return ((i1 - i0) / (hi - lo)) * (c - lo) + i0;
  }
  return parameter === 'o3_8h' ? null : AQI_I[AQI_I.length - 1]!;
}

/** The decision rounds the index to a whole number. */
export const roundAqi = (x: number): number => Math.round(x);

/** The category of a (rounded) index. */
export function aqiCategory(aqi: number): AqiCategory {
  return AQI_CATEGORIES.find((c) => aqi <= c.max) ?? AQI_CATEGORIES[AQI_CATEGORIES.length - 1]!;
}

/**
 * NowCast of PM from hourly means c[0] = the current hour … c[11] (null: no valid mean):
 * w* = c_min / c_max over the hours present; w = w* when w* > ½, else ½;
 * w > ½: Σ wⁱ⁻¹·cᵢ / Σ wⁱ⁻¹; w = ½: Σ (½)ⁱ·cᵢ (i = 1 … 12, hours present). Null unless at least 2
 * of the 3 most recent hours are present.
 *
 * Worked example (computed here, not the decision's): c = [40, 30, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30]
 * → c_min/c_max = 20/40 = ½ → w = ½ → Σ ½ⁱcᵢ = 20 + 7.5 + 2.5 + 30·(½⁴ + … + ½¹²) = 30 + 30·(0.125 − 0.000244) = 33.7427.
 */
export function nowcast(c: readonly (number | null)[]): number | null {
  const hours = c.slice(0, NOWCAST.hours);
  const recent = hours.slice(0, NOWCAST.recentHours).filter((x) => x !== null).length;
  if (recent < NOWCAST.recentRequired) return null;
  const present = hours.flatMap((x, i) => (x === null ? [] : [{ i: i + 1, x: Math.max(0, x) }]));
  const max = Math.max(...present.map((p) => p.x));
  const min = Math.min(...present.map((p) => p.x));
  const wStar = max > 0 ? min / max : 1;
  if (wStar > NOWCAST.wMin) {
    let num = 0;
    let den = 0;
    for (const p of present) {
      num += wStar ** (p.i - 1) * p.x;
      den += wStar ** (p.i - 1);
    }
    return num / den;
  }
  return present.reduce((s, p) => s + NOWCAST.wMin ** p.i * p.x, 0);
}

export type AqiBasis = 'nowcast' | '1h' | '24h' | 'max1h' | 'max8h';

export interface AqiParameterIndex {
  /** Breakpoint column. */
  parameter: AqiParameter;
  /** Station channel. */
  channel: AqiChannel;
  basis: AqiBasis;
  /** µg/m³ (converted from the channel's unit when needed). */
  concentration: number;
  /** Rounded sub-index. */
  aqi: number;
}

export interface AqiResult {
  period: 'hour' | 'day';
  /** The hour (from, to] or the calendar day (ICT). */
  from: number;
  to: number;
  /** Overall VN_AQI: the largest parameter index; null without PM10 or PM2.5 (the decision requires one). */
  aqi: number | null;
  category: AqiCategory | null;
  /** Channels whose index is the overall one. */
  main: AqiChannel[];
  parameters: AqiParameterIndex[];
  /** Channels without enough data, or in a unit that cannot be converted, with the reason. */
  missing: Array<{ channel: AqiChannel; reason: string }>;
  source: string;
  evidence: string;
}

export interface ChannelHours {
  unit: string;
  /** Hourly means in ascending `end`, ending at the index's hour (at least the last 12 for PM; the day and the 7 hours before it for a daily O₃ 8-hour value). */
  hours: readonly HourMean[];
}

/** The channel's hourly means in µg/m³ by hour end, or the reason they cannot be. */
function inUgM3(channel: AqiChannel, ch: ChannelHours): Map<number, number | null> | string {
  const conv = airUnitConversion(channel, ch.unit, 'ug/m3');
  if (!conv.ok) return conv.reason;
  return new Map(ch.hours.map((h) => [h.end, h.mean === null ? null : h.mean * conv.factor]));
}

/**
 * The index of a period from each index channel the station has, in AQI_CHANNELS order: `each`
 * gets the channel's hourly means in µg/m³ and answers its index, or why there is none (a channel
 * whose unit cannot be converted is missing with the conversion's reason). The overall index is
 * the largest parameter index, and only with PM10 or PM2.5.
 */
function assemble(
  period: AqiResult['period'],
  from: number,
  to: number,
  byChannel: ReadonlyMap<string, ChannelHours>,
  each: (channel: AqiChannel, v: ReadonlyMap<number, number | null>) => AqiParameterIndex | string | null,
): AqiResult {
  const parameters: AqiParameterIndex[] = [];
  const missing: AqiResult['missing'] = [];
  for (const channel of AQI_CHANNELS) {
    const ch = byChannel.get(channel);
    if (!ch) continue;
    const v = inUgM3(channel, ch);
    const x = typeof v === 'string' ? v : each(channel, v);
    if (typeof x === 'string') missing.push({ channel, reason: x });
    else if (x) parameters.push(x);
  }
  const hasPm = parameters.some((p) => p.channel === 'pm25' || p.channel === 'pm10');
  const top = parameters.reduce((m, p) => Math.max(m, p.aqi), -1);
  const aqi = hasPm ? top : null;
  const main = aqi === null ? [] : [...new Set(parameters.filter((p) => p.aqi === top).map((p) => p.channel))];
  return {
    period,
    from,
    to,
    aqi,
    category: aqi === null ? null : aqiCategory(aqi),
    main,
    parameters,
    missing,
    source: VN_AQI_SOURCE,
    evidence: VN_AQI_EVIDENCE,
  };
}

const index = (channel: AqiChannel, parameter: AqiParameter, basis: AqiBasis, concentration: number): AqiParameterIndex | null => {
  const x = subIndex(parameter, concentration);
  return x === null ? null : { parameter, channel, basis, concentration, aqi: roundAqi(x) };
};

const isPm = (channel: AqiChannel) => channel === 'pm25' || channel === 'pm10';
/** The breakpoint column of a channel's 1-hour values. */
const oneHourColumn = (channel: AqiChannel): AqiParameter => (channel === 'o3' ? 'o3_1h' : channel);

/**
 * Hourly VN_AQI for the clock hour ending at `end`: PM10 and PM2.5 from their NowCast over the
 * 12 hours ending at `end`; O₃, CO, SO₂, NO₂ from the hour's mean (O₃ in its 1-hour column).
 *
 * Worked example (computed here from the tables): PM2.5 NowCast 37.5 → 75; PM10 NowCast 60 →
 * 50 + 50·10/100 = 55; SO₂ 1 h 100 → 50·100/125 = 40 → VN_AQI 75, "Trung bình", main PM2.5.
 */
export function hourlyAqi(byChannel: ReadonlyMap<string, ChannelHours>, end: number): AqiResult {
  return assemble('hour', end - HOUR, end, byChannel, (channel, v) => {
    if (isPm(channel)) {
      const nc = nowcast(Array.from({ length: NOWCAST.hours }, (_, k) => v.get(end - k * HOUR) ?? null));
      return (nc === null ? null : index(channel, channel, 'nowcast', nc)) ?? 'NowCast needs 2 of the 3 most recent hourly means';
    }
    const c = v.get(end) ?? null;
    return (c === null ? null : index(channel, oneHourColumn(channel), '1h', c)) ?? 'no valid hourly mean';
  });
}

/**
 * Daily VN_AQI for the calendar day (dayStart, dayStart + 24 h] (ICT): PM10 and PM2.5 from the
 * 24-hour mean; SO₂, NO₂, CO from the day's highest hourly mean; O₃ from the larger index of the
 * day's highest hourly mean (1-hour column) and highest 8-hour running mean (8-hour column, used
 * only while within it). Each needs 18 of the day's 24 hourly means (75 %: metronet's rule, the
 * decision's minimum-data rule for a day not being confirmed), an 8-hour mean 6 of its 8.
 *
 * Worked example (computed here from the tables): PM2.5 hourly means 60 all day → 24 h mean 60
 * → 100 + 50·(60 − 50)/(80 − 50) = 116.67 → 117, "Kém".
 */
export function dailyAqi(byChannel: ReadonlyMap<string, ChannelHours>, dayStart: number): AqiResult {
  const minHours = QCVN05_AVERAGING.day.minHours;
  return assemble('day', dayStart, dayStart + DAY, byChannel, (channel, v) => {
    const day = Array.from({ length: 24 }, (_, k) => v.get(dayStart + (k + 1) * HOUR) ?? null);
    const ok = day.filter((x): x is number => x !== null);
    if (ok.length < minHours) return `${ok.length} of 24 hourly means; the day needs ${minHours}`;
    if (isPm(channel)) return index(channel, channel, '24h', ok.reduce((a, b) => a + b, 0) / ok.length);
    const one = index(channel, oneHourColumn(channel), 'max1h', Math.max(...ok));
    if (channel !== 'o3') return one;
    const eight = maxEightHour(v, dayStart);
    const e = eight === null ? null : index('o3', 'o3_8h', 'max8h', eight);
    return [one, e].filter((x): x is AqiParameterIndex => x !== null).reduce((a, b) => (b.aqi > a.aqi ? b : a));
  });
}

/** Highest 8-hour running mean ending at 01:00 … 24:00 of the day; each needs 6 of its 8 hourly means. */
export function maxEightHour(v: ReadonlyMap<number, number | null>, dayStart: number): number | null {
  let best: number | null = null;
  for (let k = 1; k <= 24; k++) {
    const end = dayStart + k * HOUR;
    const xs = Array.from({ length: 8 }, (_, j) => v.get(end - j * HOUR) ?? null).filter((x): x is number => x !== null);
    if (xs.length < QCVN05_AVERAGING.eightHour.minHours) continue;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    if (best === null || m > best) best = m;
  }
  return best;
}
