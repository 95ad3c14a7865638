import { DRIFT_DEFAULTS, type ToleranceSpec } from '../core/index.js';
import { analyserLevel, analyserStatus, worstOf, type AnalyserLevel, type AnalyserStatus, type DriftPoint } from './analyser.js';
import { conformity, type Conformity, type DecisionRule } from './conformity.js';
import { addToMean, cusumStep, meanOf, recursiveResidual, runningMean, type CusumState, type RunningMean } from './cusum.js';
import { DAY } from './due.js';
import { channelSigma, D2 } from './sigma.js';
import { mpeFor } from './tolerance.js';
import { tQuantileCached } from './stats.js';
import { addPoint, emptySums, fitSums, predictOutOfTolerance, type Sums } from './trend.js';

/**
 * The running state of one instrument channel since its last calibration, updated in O(1) per
 * check (running sums for the trend, moving range for σ, CUSUM sums), and its evaluation. Only
 * decision checks enter it: traceable and not under review (DOMAIN.md "Traceability").
 */
export interface ChannelSettings {
  tolerance: ToleranceSpec | null;
  repeatability: number | null;
  analyser: boolean;
  decisionRule: DecisionRule;
  nearLimitFraction: number;
  k: number;
  h: number;
  shiftMemoryChecks: number;
  minTrendPoints: number;
  predictionLevel: number;
}

export const defaultSettings = (over: Partial<ChannelSettings> = {}): ChannelSettings => ({
  tolerance: null,
  repeatability: null,
  analyser: false,
  decisionRule: DRIFT_DEFAULTS.decisionRule,
  nearLimitFraction: DRIFT_DEFAULTS.nearLimitFraction,
  k: DRIFT_DEFAULTS.cusumK,
  h: DRIFT_DEFAULTS.cusumH,
  shiftMemoryChecks: DRIFT_DEFAULTS.shiftMemoryChecks,
  minTrendPoints: DRIFT_DEFAULTS.minTrendPoints,
  predictionLevel: DRIFT_DEFAULTS.predictionLevel,
  ...over,
});

export interface LastCheck {
  ts: number;
  error: number;
  referenceValue: number;
  /** Expanded uncertainty (k = 2) of the reference value. */
  referenceU: number;
}

export interface ChannelAcc {
  /** Time origin (ms): the last calibration, else the first check. */
  origin: number;
  /** As-left error of the last calibration and its standard uncertainty: the CUSUM's prior in-control mean. */
  prior: { mean: number; u: number } | null;
  /** Running in-control mean of the self-starting CUSUM (cusum.ts); made at the first check, when σ is known. */
  mean: RunningMean | null;
  sums: Sums;
  last: LastCheck | null;
  prevError: number | null;
  mrSum: number;
  mrN: number;
  cusum: CusumState;
  index: number;
  lastSignal: { index: number; ts: number; direction: 'up' | 'down' } | null;
  /** Analysers: the last daily drifts, zero and span checks as separate series (analyser.ts). */
  drift: Record<AnalyserLevel, DriftPoint[]>;
}

/** The drift points kept per analyser series: enough for the 5-consecutive rule and the last passing check. */
const DRIFT_WINDOW = 10;

export function newAcc(origin: number, prior: { mean: number; u: number } | null): ChannelAcc {
  return { origin, prior, mean: null, sums: emptySums(), last: null, prevError: null, mrSum: 0, mrN: 0, cusum: { hi: 0, lo: 0 }, index: 0, lastSignal: null, drift: { zero: [], span: [] } };
}

export function sigmaOf(acc: ChannelAcc, s: ChannelSettings, referenceU: number): number | null {
  return channelSigma({ repeatability: s.repeatability, movingRange: acc.mrN > 0 ? acc.mrSum / acc.mrN / D2 : null, referenceU, k: 2 });
}

/** Adds one decision check (in time order). */
export function addCheck(acc: ChannelAcc, s: ChannelSettings, c: LastCheck): void {
  addPoint(acc.sums, (c.ts - acc.origin) / DAY, c.error);
  if (acc.prevError !== null) {
    acc.mrSum += Math.abs(c.error - acc.prevError);
    acc.mrN++;
  }
  acc.prevError = c.error;
  acc.last = c;
  // Self-starting CUSUM (cusum.ts): the check is judged against the mean of those before it.
  const sigma = sigmaOf(acc, s, c.referenceU);
  if (sigma !== null && sigma > 0) {
    acc.mean ??= runningMean(acc.prior, sigma);
    const z = recursiveResidual(acc.mean, c.error, sigma);
    if (z !== null) {
      const step = cusumStep(acc.cusum, z, s.k, s.h);
      acc.cusum = { hi: step.hi, lo: step.lo };
      if (step.signal) acc.lastSignal = { index: acc.index, ts: c.ts, direction: step.signal };
    }
    addToMean(acc.mean, c.error);
  }
  if (s.analyser && s.tolerance?.model === 'analyser') {
    const series = acc.drift[analyserLevel(c.referenceValue, s.tolerance.span)];
    series.push({ ts: c.ts, driftPct: (c.error / s.tolerance.span) * 100 });
    if (series.length > DRIFT_WINDOW) series.shift();
  }
  acc.index++;
}

export interface ChannelEvaluation {
  n: number;
  lastTs: number | null;
  currentError: number | null;
  mpe: number | null;
  /** Expanded uncertainty (k = 2) of the current error: reference and repeatability combined. */
  U: number | null;
  sigma: number | null;
  conformity: Conformity | null;
  trend: {
    slopePerDay: number;
    slopeCi95: [number, number];
    s: number;
    significant: boolean;
    /** Significant at DRIFT_DEFAULTS.alertSlopeSignificance (two-sided), for alerting. */
    significantForAlert: boolean;
    pointTs: number | null;
    predictedTs: number | null;
    side: 1 | -1 | null;
    /**
     * What a chart needs to draw the fitted line and its prediction band (issue 7), in days d
     * since originTs: ŷ(d) = intercept + slopePerDay·d, band ŷ ± q·√(1 + 1/n + (d − tMean)²/sxx).
     */
    fit: { originTs: number; intercept: number; tMean: number; sxx: number; n: number; q: number };
  } | null;
  cusum: { hi: number; lo: number; target: number | null; recentSignal: { ts: number; direction: 'up' | 'down' } | null };
  analyser: AnalyserStatus | null;
}

/**
 * Evaluates a channel from its running state. Constant time: the trend comes from running sums,
 * the prediction from a closed-form quadratic (trend.ts).
 */
export function evaluate(acc: ChannelAcc, s: ChannelSettings): ChannelEvaluation {
  const last = acc.last;
  const mpe = last && s.tolerance ? mpeFor(s.tolerance, last.referenceValue, 'in-service') : null;
  const sigma = last ? sigmaOf(acc, s, last.referenceU) : null;
  // U of the error = 2·√(u_ref² + σ_rep²) when repeatability is known, else the reference's U.
  const U = last ? (s.repeatability !== null ? 2 * Math.sqrt((last.referenceU / 2) ** 2 + s.repeatability ** 2) : last.referenceU) : null;
  const conf = last && mpe !== null ? conformity(last.error, mpe, U ?? 0, s.decisionRule, s.nearLimitFraction) : null;
  let trend: ChannelEvaluation['trend'] = null;
  const fit = acc.sums.n >= s.minTrendPoints ? fitSums(acc.sums) : null;
  if (fit && last) {
    const now = (last.ts - acc.origin) / DAY;
    const p = mpe !== null ? predictOutOfTolerance(fit, mpe, now, s.predictionLevel) : null;
    const toTs = (d: number | null) => (d === null ? null : Math.round(acc.origin + d * DAY));
    const significant = fit.slopeCi[0] > 0 || fit.slopeCi[1] < 0;
    const half = tQuantileCached(1 - (1 - DRIFT_DEFAULTS.alertSlopeSignificance) / 2, fit.n - 2) * (fit.s / Math.sqrt(fit.sxx));
    const significantForAlert = fit.n >= DRIFT_DEFAULTS.alertMinTrendPoints && Math.abs(fit.slope) > half;
    trend = {
      slopePerDay: fit.slope,
      slopeCi95: fit.slopeCi,
      s: fit.s,
      significant,
      significantForAlert,
      pointTs: toTs(p?.pointT ?? null),
      predictedTs: toTs(p?.boundT ?? null),
      side: p?.side ?? null,
      fit: { originTs: acc.origin, intercept: fit.intercept, tMean: fit.tMean, sxx: fit.sxx, n: fit.n, q: tQuantileCached(s.predictionLevel, fit.n - 2) * fit.s },
    };
  }
  const target = acc.mean ? meanOf(acc.mean) : null;
  const recent = acc.lastSignal && acc.index - 1 - acc.lastSignal.index < s.shiftMemoryChecks ? { ts: acc.lastSignal.ts, direction: acc.lastSignal.direction } : null;
  let analyser: AnalyserStatus | null = null;
  if (s.analyser && s.tolerance?.model === 'analyser') {
    const limitPct = s.tolerance.limitPct ?? (mpeFor(s.tolerance, 0) / s.tolerance.span) * 100;
    analyser = worstOf({ zero: analyserStatus(acc.drift.zero, limitPct), span: analyserStatus(acc.drift.span, limitPct) });
  }
  return {
    n: acc.sums.n,
    lastTs: last?.ts ?? null,
    currentError: last?.error ?? null,
    mpe,
    U,
    sigma,
    conformity: conf,
    trend,
    cusum: { hi: acc.cusum.hi, lo: acc.cusum.lo, target, recentSignal: recent },
    analyser,
  };
}
