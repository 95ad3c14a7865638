import { MIN_AVERAGE_COVERAGE, PERIOD_MS, type AveragingPeriod, type ReadingStatus, type StationLimit } from '../core/index.js';

/**
 * Pure functions over a station's records (issue 8): completeness, rolling averages from valid
 * records, exceedances, gaps. No I/O; station-monitor.ts feeds them from the stores.
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

/**
 * Worked example: interval 1 h, day [00:00, 24:00) → 24 expected; 18 records ok, 2 check, 1
 * fault, 3 missing → received 18, check 2, fault 1, ratio 18/24 = 0.75.
 */
export function completeness(points: readonly StationPoint[], from: number, to: number, intervalMs: number): Completeness {
  const out: Completeness = { expected: Math.floor((to - from) / intervalMs), received: 0, check: 0, fault: 0, other: 0, ratio: null };
  for (const p of points) {
    if (p.ts < from || p.ts >= to) continue;
    const s = p.status ?? 'ok';
    if (s === 'ok') out.received++;
    else if (s === 'check') out.check++;
    else if (s === 'fault') out.fault++;
    else out.other++;
  }
  out.ratio = out.expected > 0 ? Math.min(1, out.received / out.expected) : null;
  return out;
}

export interface Average {
  period: AveragingPeriod;
  /** Window (from, to]. */
  from: number;
  to: number;
  /** Valid records used. */
  n: number;
  expected: number;
  /** Mean of the valid records, or null when fewer than minCoverage × expected. */
  mean: number | null;
}

/**
 * Mean over the period ending at `at` — window (at − period, at] — of valid records only: status
 * `ok` and not after `suspectSince` (an analyser out of control makes its data suspect since its
 * last good check). Needs minCoverage of the expected records (core MIN_AVERAGE_COVERAGE).
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
  for (const p of points) {
    if (p.ts <= from || p.ts > at) continue;
    if ((p.status ?? 'ok') !== 'ok') continue;
    if (o.suspectSince != null && p.ts > o.suspectSince) continue;
    n++;
    sum += p.value;
  }
  const expected = Math.max(1, Math.floor(span / intervalMs));
  const mean = n > 0 && n >= (o.minCoverage ?? MIN_AVERAGE_COVERAGE) * expected ? sum / n : null;
  return { period, from, to: at, n, expected, mean };
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
  from: number;
  to: number;
}

/** Each limit judged on its own period's average; a parameter without a valid average exceeds nothing. */
export function exceedances(
  byChannel: ReadonlyMap<string, readonly StationPoint[]>,
  limits: readonly StationLimit[],
  at: number,
  intervalMs: number,
  suspect: ReadonlyMap<string, number | null> = new Map(),
): { averages: Map<string, Average[]>; exceeded: Exceedance[] } {
  const averages = new Map<string, Average[]>();
  const exceeded: Exceedance[] = [];
  for (const l of limits) {
    const pts = byChannel.get(l.parameter);
    if (!pts) continue;
    const avg = rollingAverage(pts, l.period, at, intervalMs, { suspectSince: suspect.get(l.parameter) ?? null });
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
        from: avg.from,
        to: avg.to,
      });
  }
  return { averages, exceeded };
}

/** Quiet for longer than the expected interval plus tolerance: a gap. */
export function isGap(lastTs: number | null, now: number, intervalMs: number, toleranceMs: number): boolean {
  return lastTs !== null && now - lastTs > intervalMs + toleranceMs;
}

/** When a station that last recorded at lastTs becomes a gap (for the monitor's timer). */
export function gapDeadline(lastTs: number | null, intervalMs: number, toleranceMs: number): number | null {
  return lastTs === null ? null : lastTs + intervalMs + toleranceMs + 1;
}
