import {
  MIN_AVERAGE_COVERAGE,
  PERIOD_MS,
  QCVN05_AVERAGING,
  DAY,
  HOUR,
  airUnitConversion,
  vnDayStart,
  vnHourStart,
  vnYearStart,
  type AveragingPeriod,
  type ReadingStatus,
  type StationLimit,
} from '../core/index.js';

/**
 * Pure functions over a station's records (issues 8, 17): completeness, calendar-period averages
 * from valid records (QCVN 05:2023: clock hour, 8-hour running, calendar day, calendar year),
 * exceedances with the unit checked against the limit's, gaps. No I/O; station-monitor.ts feeds
 * them from the stores.
 */

export interface StationPoint {
  ts: number;
  value: number;
  status?: ReadingStatus | null;
}

export interface Completeness {
  /** Records expected in [from, to): ⌊(to − from) / interval⌋. */
  expected: number;
  /** Valid records (`ok`) received. */
  received: number;
  /** Records taken while calibrating (`check`) and in device error (`fault`), counted apart. */
  check: number;
  fault: number;
  /** Other statuses (maintenance…). */
  other: number;
  /** received ÷ expected, capped at 1; null when nothing was expected yet. */
  ratio: number | null;
}

/** Which status a slot holding several records counts as: `ok` over `check` over `fault` over the rest. */
const SLOT_RANK: Readonly<Record<string, number>> = { ok: 3, check: 2, fault: 1 };

/**
 * Records per expected slot: slot k of [from, to) is [from + k·interval, from + (k+1)·interval).
 * A slot counts once whatever it holds — a record sent twice (same ts, or Influx points of one
 * ts under two statuses) or two records within one interval are one record (issue 17); a slot
 * with any `ok` record is received, else it counts as `check`, `fault` or other.
 *
 * Worked example: interval 1 h, day [00:00, 24:00) → 24 expected; 18 records ok, 2 check, 1
 * fault, 3 missing → received 18, check 2, fault 1, ratio 18/24 = 0.75. The 05:00 record sent
 * again (same ts) and a second one at 05:10 still count as the one 05:00 slot.
 */
export function completeness(points: readonly StationPoint[], from: number, to: number, intervalMs: number): Completeness {
  const out: Completeness = { expected: Math.floor((to - from) / intervalMs), received: 0, check: 0, fault: 0, other: 0, ratio: null };
  const slots = new Map<number, string>();
  for (const p of points) {
    if (p.ts < from || p.ts >= to) continue;
    const k = Math.floor((p.ts - from) / intervalMs);
    const s = p.status ?? 'ok';
    const cur = slots.get(k);
    if (cur === undefined || (SLOT_RANK[s] ?? 0) > (SLOT_RANK[cur] ?? 0)) slots.set(k, s);
  }
  for (const s of slots.values()) {
    if (s === 'ok') out.received++;
    else if (s === 'check') out.check++;
    else if (s === 'fault') out.fault++;
    else out.other++;
  }
  out.ratio = out.expected > 0 ? Math.min(1, out.received / out.expected) : null;
  return out;
}

/** Valid records (status `ok`, not after suspectSince), one per ts (a record sent twice is one record). */
export function validRecords(points: readonly StationPoint[], suspectSince: number | null = null): StationPoint[] {
  const byTs = new Map<number, StationPoint>();
  for (const p of points) {
    if ((p.status ?? 'ok') !== 'ok') continue;
    if (suspectSince != null && p.ts > suspectSince) continue;
    if (!byTs.has(p.ts)) byTs.set(p.ts, p);
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

export interface Average {
  period: AveragingPeriod;
  /** The period (from, to]: a clock hour, 8 hours, a calendar day or year (ICT), up to `to`. */
  from: number;
  to: number;
  /** Values used: records for 1 h, hourly means for 8 h and 24 h, daily means for a year. */
  n: number;
  expected: number;
  /** The mean, or null when the minimum-data rule is not met. */
  mean: number | null;
  /** False while the calendar period is still running (day or year to date). */
  final?: boolean;
  /** Unit of `mean` (the limit's unit after a conversion). */
  unit?: string;
  /** How the channel's unit was converted to the limit's. */
  conversion?: { from: string; factor: number; conditions?: string };
}

/**
 * Mean over the period ending at `at` — window (at − period, at] — of valid records only: status
 * `ok`, one per ts, and not after `suspectSince` (an analyser out of control makes its data
 * suspect since its last good check). Needs minCoverage of the expected records.
 *
 * Worked example: 1 h, interval 15 min → 4 expected; records 10:15 ok 300, 10:30 ok 400, 10:45
 * check 900, 11:00 ok 410 → at 11:00: n = 3 ≥ 0.75 × 4, mean (300 + 400 + 410)/3 = 370.
 */
export function rollingAverage(
  points: readonly StationPoint[],
  period: AveragingPeriod,
  at: number,
  intervalMs: number,
  o: { suspectSince?: number | null; minCoverage?: number } = {},
): Average {
  const span = PERIOD_MS[period];
  const from = at - span;
  let n = 0;
  let sum = 0;
  for (const p of validRecords(points, o.suspectSince ?? null)) {
    if (p.ts <= from || p.ts > at) continue;
    n++;
    sum += p.value;
  }
  const expected = Math.max(1, Math.floor(span / intervalMs));
  const mean = n > 0 && n >= (o.minCoverage ?? MIN_AVERAGE_COVERAGE) * expected ? sum / n : null;
  return { period, from, to: at, n, expected, mean };
}

export interface HourMean {
  /** The clock hour (end − 1 h, end]: a record stamped hh:00 closes the hour before it. */
  end: number;
  n: number;
  expected: number;
  mean: number | null;
}

/**
 * Hourly means of the clock hours ending in (from, to] (both on the hour), from valid records;
 * an hour needs QCVN05_AVERAGING.hour.minCoverage of its expected records.
 */
export function hourlyMeans(
  points: readonly StationPoint[],
  from: number,
  to: number,
  intervalMs: number,
  o: { suspectSince?: number | null; minCoverage?: number } = {},
): HourMean[] {
  const first = vnHourStart(from) + HOUR;
  const expected = Math.max(1, Math.floor(HOUR / intervalMs));
  const min = (o.minCoverage ?? MIN_AVERAGE_COVERAGE) * expected;
  const acc = new Map<number, { n: number; sum: number }>();
  for (const p of validRecords(points, o.suspectSince ?? null)) {
    const end = Math.ceil(p.ts / HOUR) * HOUR;
    if (end < first || end > to) continue;
    const a = acc.get(end) ?? acc.set(end, { n: 0, sum: 0 }).get(end)!;
    a.n++;
    a.sum += p.value;
  }
  const out: HourMean[] = [];
  for (let end = first; end <= to; end += HOUR) {
    const a = acc.get(end);
    out.push({ end, n: a?.n ?? 0, expected, mean: a && a.n >= min ? a.sum / a.n : null });
  }
  return out;
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The regulation's mean for `period` as it stands at `at` (QCVN 05:2023; rules of
 * core/legal/qcvn-05-2023.ts QCVN05_AVERAGING). H = the last full hour (at, floored to the hour).
 * - 1h: the clock hour ending at H; 75 % of its records.
 * - 8h: mean of the 8 hourly means ending at H; 6 of 8.
 * - 24h: the calendar day (ICT) holding the hour ending at H, to H: mean of its valid hourly means;
 *   18 of 24 once complete (`final`), 75 % of the hours elapsed before (provisional); while the day
 *   so far has no valid mean, the day before's final mean (the latest valid one).
 * - 1y: the calendar year to the last complete day: mean of `dayMeans` (the year's valid daily
 *   means so far, computed by the caller); 75 % of the days.
 *
 * Worked example (interval 15 min): a day with 18 hours at 40 µg/m³ and 6 hours without data →
 * daily mean 40 (18 of 24 hours: valid); with 17 hours it is null.
 */
export function calendarAverage(
  points: readonly StationPoint[],
  period: AveragingPeriod,
  at: number,
  intervalMs: number,
  o: { suspectSince?: number | null; dayMeans?: readonly (number | null)[]; noFallback?: boolean } = {},
): Average {
  return averageOfHours(hoursAt(points, at, intervalMs, o.suspectSince ?? null), period, at, o);
}

/**
 * The hourly means every calendar average at `at` reads: the hours ending from the start of the
 * day before the one holding the last full hour H, to H (the day, its fallback the day before, and
 * the 8 hours ending at H all lie within). Computed once per parameter and shared by its limits.
 */
function hoursAt(points: readonly StationPoint[], at: number, intervalMs: number, suspectSince: number | null): HourMean[] {
  const H = vnHourStart(at);
  return hourlyMeans(points, vnDayStart(H - 1) - DAY, H, intervalMs, { suspectSince });
}

/** calendarAverage over hourly means already computed (`hours` from hoursAt at the same `at`). */
function averageOfHours(
  hours: readonly HourMean[],
  period: AveragingPeriod,
  at: number,
  o: { dayMeans?: readonly (number | null)[]; noFallback?: boolean },
): Average {
  const H = vnHourStart(at);
  const A = QCVN05_AVERAGING;
  const ending = (from: number, to: number) => hours.filter((h) => h.end > from && h.end <= to);
  const validMeans = (hs: readonly HourMean[]) => hs.flatMap((h) => (h.mean === null ? [] : [h.mean]));
  if (period === '1h') {
    const [h] = ending(H - HOUR, H);
    return { period, from: H - HOUR, to: H, n: h!.n, expected: h!.expected, mean: h!.mean, final: true };
  }
  if (period === '8h') {
    const ok = validMeans(ending(H - 8 * HOUR, H));
    return { period, from: H - 8 * HOUR, to: H, n: ok.length, expected: 8, mean: ok.length >= A.eightHour.minHours ? meanOf(ok) : null, final: true };
  }
  if (period === '24h') {
    const day = vnDayStart(H - 1);
    const hs = ending(day, H);
    const ok = validMeans(hs);
    const final = H >= day + DAY;
    const need = final ? A.day.minHours : Math.max(1, Math.ceil((A.day.minHours / 24) * hs.length));
    const mean = ok.length >= need ? meanOf(ok) : null;
    // Early in a day (or after an invalid first hour) the day so far has no valid mean yet: the
    // latest valid daily mean is then the day before's, complete and final.
    if (mean === null && !final && !o.noFallback) {
      const before = averageOfHours(hours, '24h', day, { ...o, noFallback: true });
      if (before.mean !== null) return before;
    }
    return { period, from: day, to: H, n: ok.length, expected: hs.length, mean, final };
  }
  const lastDay = vnDayStart(at);
  const year = vnYearStart(lastDay - 1);
  const next = vnYearStart(year, 1);
  const elapsed = Math.round((Math.min(lastDay, next) - year) / DAY);
  const ok = (o.dayMeans ?? []).filter((x): x is number => x !== null);
  const final = lastDay >= next;
  const need = Math.max(1, Math.ceil(A.year.minDayShare * (final ? Math.round((next - year) / DAY) : elapsed)));
  return { period, from: year, to: Math.min(lastDay, next), n: ok.length, expected: elapsed, mean: ok.length >= need ? meanOf(ok) : null, final };
}

/** Daily mean of the calendar day starting at dayStart (ICT), final rule (18 of 24 hours). */
export function dailyMean(points: readonly StationPoint[], dayStart: number, intervalMs: number, suspectSince: number | null = null): number | null {
  return calendarAverage(points, '24h', dayStart + DAY, intervalMs, { suspectSince, noFallback: true }).mean;
}

export interface Exceedance {
  parameter: string;
  period: AveragingPeriod;
  value: number;
  limit: number;
  /** Which bound was passed. */
  bound: 'max' | 'min';
  unit: string;
  source: string;
  clause?: string;
  from: number;
  to: number;
  /** False: the calendar period is still running (provisional). */
  final?: boolean;
}

/** A limit that could not be judged: the channel's unit is not comparable with the limit's. */
export interface UnitRefusal {
  parameter: string;
  period: AveragingPeriod;
  unit: string;
  limitUnit: string;
  reason: string;
  reasonVi: string;
}

/**
 * Each limit judged on its own period's calendar average (calendarAverage); the channel's unit
 * (`units`, default the limit's) converted to the limit's unit or the limit refused with a reason.
 * A parameter without a valid average exceeds nothing.
 */
export function exceedances(
  byChannel: ReadonlyMap<string, readonly StationPoint[]>,
  limits: readonly StationLimit[],
  at: number,
  intervalMs: number,
  suspect: ReadonlyMap<string, number | null> = new Map(),
  o: { units?: ReadonlyMap<string, string>; dayMeans?: ReadonlyMap<string, readonly (number | null)[]> } = {},
): { averages: Map<string, Average[]>; exceeded: Exceedance[]; refused: UnitRefusal[] } {
  const averages = new Map<string, Average[]>();
  const exceeded: Exceedance[] = [];
  const refused: UnitRefusal[] = [];
  // The hourly means of a parameter, built once for all its limits (1 h, 8 h, 24 h read the same hours).
  const hoursOf = new Map<string, HourMean[]>();
  for (const l of limits) {
    const pts = byChannel.get(l.parameter);
    if (!pts) continue;
    const unit = o.units?.get(l.parameter) ?? l.unit;
    const conv = unit === l.unit ? null : airUnitConversion(l.parameter, unit, l.unit);
    if (conv && !conv.ok) {
      refused.push({ parameter: l.parameter, period: l.period, unit, limitUnit: l.unit, reason: conv.reason, reasonVi: conv.reasonVi });
      continue;
    }
    const hours = hoursOf.get(l.parameter) ?? hoursOf.set(l.parameter, hoursAt(pts, at, intervalMs, suspect.get(l.parameter) ?? null)).get(l.parameter)!;
    const avg = averageOfHours(hours, l.period, at, { dayMeans: o.dayMeans?.get(l.parameter) });
    avg.unit = l.unit;
    if (conv?.ok) {
      avg.conversion = { from: unit, factor: conv.factor, ...(conv.conditions ? { conditions: conv.conditions } : {}) };
      if (avg.mean !== null) avg.mean *= conv.factor;
    }
    (averages.get(l.parameter) ?? averages.set(l.parameter, []).get(l.parameter)!).push(avg);
    if (avg.mean === null) continue;
    const bound = avg.mean > l.max ? 'max' : l.min !== undefined && avg.mean < l.min ? 'min' : null;
    if (bound)
      exceeded.push({
        parameter: l.parameter,
        period: l.period,
        value: avg.mean,
        limit: bound === 'max' ? l.max : l.min!,
        bound,
        unit: l.unit,
        source: l.source,
        ...(l.clause ? { clause: l.clause } : {}),
        from: avg.from,
        to: avg.to,
        final: avg.final ?? true,
      });
  }
  return { averages, exceeded, refused };
}

/** Quiet for longer than the expected interval plus tolerance: a gap. */
export function isGap(lastTs: number | null, now: number, intervalMs: number, toleranceMs: number): boolean {
  return lastTs !== null && now - lastTs > intervalMs + toleranceMs;
}

/** When a station that last recorded at lastTs becomes a gap (for the monitor's timer). */
export function gapDeadline(lastTs: number | null, intervalMs: number, toleranceMs: number): number | null {
  return lastTs === null ? null : lastTs + intervalMs + toleranceMs + 1;
}
