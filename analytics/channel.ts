import { DAY, DRIFT_DEFAULTS, type ToleranceSpec } from '../core/index.js';
import { analyserLevel, analyserStatus, worstOf, type AnalyserLevel, type AnalyserStatus, type DriftPoint } from './analyser.js';
import { conformity, type Conformity, type DecisionRule } from './conformity.js';
import { CHANGE_WINDOW, changeStep, MR_DF_PER_RANGE, newChangeState, type ChangeState } from './changepoint.js';
import { channelSigma, D2 } from './sigma.js';
import { CHECK_STAGE, mpeFor, type Stage } from './tolerance.js';
import { tQuantileCached } from './stats.js';
import { addPoint, emptySums, fitSums, predictOutOfTolerance, type Sums } from './trend.js';

/**
 * The running state of one instrument channel since its last calibration, updated per check in
 * O(1) (running sums for the trend, moving range for σ) plus O(shiftWindow) for the change-point
 * CUSUM, and its evaluation. Only
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
  /** Candidate change points the shift detector looks back over (changepoint.ts). */
  shiftWindow: number;
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
  shiftWindow: CHANGE_WINDOW,
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

type Prior = { mean: number; u: number } | null;
type Signal = { index: number; ts: number; direction: 'up' | 'down'; series?: AnalyserLevel };

/** One error series: running sums for the trend, moving range for σ, the shift detector. */
export interface SeriesAcc {
  sums: Sums;
  last: LastCheck | null;
  prevError: number | null;
  mrSum: number;
  mrN: number;
  /** Change-point CUSUM state (changepoint.ts); made at the series' first check. */
  change: ChangeState | null;
  prior: Prior;
}

export interface ChannelAcc {
  /** Time origin (ms): the last calibration, else the first check. */
  origin: number;
  /** As-left error of the last calibration and its standard uncertainty: the shift detector's prior in-control mean. */
  prior: Prior;
  /** Every decision check of the channel. */
  main: SeriesAcc;
  /**
   * Analysers: zero and span checks as two series for trend, σ and shift (their errors differ:
   * a zero error and a span error are different faults; analyser.ts), made at the first check.
   */
  levels: Record<AnalyserLevel, SeriesAcc> | null;
  /** As-left errors of the last calibration by level, for analysers. */
  levelPriors: Partial<Record<AnalyserLevel, Prior>>;
  last: LastCheck | null;
  index: number;
  lastSignal: Signal | null;
  /** Analysers: the last daily drifts, zero and span checks as separate series (analyser.ts). */
  drift: Record<AnalyserLevel, DriftPoint[]>;
  /**
   * Every check as error ÷ MPE at its load: the channel's trend, σ and shift series when its checks
   * have more than one MPE (see `Normalised`). Made by newAcc only for such channels (the store is
   * scanned first: ChannelStates.build), so a single-MPE channel keeps no second series.
   */
  frac: SeriesAcc | null;
  fracSignal: Signal | null;
  /** The MPE (in service) of the first check, and whether a later check had another. */
  firstMpe: number | null;
  mixedMpe: boolean;
}

/** The drift points kept per analyser series: enough for the 5-consecutive rule and the last passing check. */
const DRIFT_WINDOW = 10;

const newSeries = (prior: Prior): SeriesAcc => ({ sums: emptySums(), last: null, prevError: null, mrSum: 0, mrN: 0, change: null, prior });

/** `fraction`: the checks to come have more than one MPE (`mixedMpe`): keep the fraction series, from this prior (calibrationPriors). */
export function newAcc(
  origin: number,
  prior: Prior,
  levelPriors: Partial<Record<AnalyserLevel, Prior>> = {},
  fraction: { prior: Prior } | null = null,
): ChannelAcc {
  return {
    origin,
    prior,
    main: newSeries(prior),
    levels: null,
    levelPriors,
    last: null,
    index: 0,
    lastSignal: null,
    drift: { zero: [], span: [] },
    frac: fraction ? newSeries(fraction.prior) : null,
    fracSignal: null,
    firstMpe: null,
    mixedMpe: false,
  };
}

/**
 * What a channel's trend, σ and shift statistics are in (issue "Records a province can rely on" 2).
 * - 'none': errors in the channel unit, the trend predicted against ±MPE at the last check's load;
 *   every channel whose decision checks since the last calibration share one MPE (one load, or
 *   loads in one step of the MPE table) — exactly as before multi-load checks.
 * - 'mpe-fraction': once those checks have more than one MPE, errors at different loads would be
 *   one series judged against the last load's MPE; each check enters as e ÷ MPE(load) instead
 *   (repeatability, the reference's U and the calibration prior divided by the MPE at their load
 *   alike), the trend is predicted against ±1 and the shift detector runs on the fractions.
 *   Conformity stays per check in the channel unit (the last check against its own MPE).
 * Worked example: a class III scale, e = 10 g, checked at 5, 10 and 20 kg: MPE in service
 * 10 g (500 e), 20 g (1 000 e), 20 g (2 000 e) (mpeFor). Errors +6, +8, +8 g read as 0.6, 0.4, 0.4
 * of MPE: the 5 kg check is the closest to its limit, though its error is the smallest; in grams
 * against the last (20 kg) check's ±20 g it would look like 0.3 of the limit. A fraction series
 * (rather than one series per load, like the analyser zero/span levels) keeps one trend and one
 * shift detector whatever the number of loads. When a channel's second MPE arrives its state is
 * rebuilt from the stored checks with the fraction series (ChannelStates: `needsFraction`).
 */
export type Normalised = 'none' | 'mpe-fraction';

const isAnalyser = (s: ChannelSettings): s is ChannelSettings & { tolerance: Extract<ToleranceSpec, { model: 'analyser' }> } =>
  s.analyser && s.tolerance?.model === 'analyser';

/**
 * The shift detector's prior in-control means from a calibration's results for a channel: its
 * as-left (else as-found) error with u = U/k; for analysers per level, by the point's reference.
 */
export function calibrationPriors(
  results: ReadonlyArray<{ channel: string; nominal: number; reference?: number | null; asFound: number; asLeft?: number | null; U: number; k?: number }>,
  channel: string,
  s: ChannelSettings,
): { prior: Prior; levels: Partial<Record<AnalyserLevel, Prior>>; fraction: Prior } {
  const own = results.filter((r) => r.channel === channel);
  const toPrior = (p: (typeof own)[number]) => ({ mean: p.asLeft ?? p.asFound, u: p.U / (p.k ?? 2) });
  const levels: Partial<Record<AnalyserLevel, Prior>> = {};
  if (isAnalyser(s)) for (const p of own) levels[analyserLevel(p.reference ?? p.nominal, s.tolerance.span)] ??= toPrior(p);
  const prior = own[0] ? toPrior(own[0]) : null;
  // The fraction series' prior: the same point divided by the MPE (in service, as the checks) at its load.
  const mpe = own[0] && s.tolerance && !isAnalyser(s) ? mpeFor(s.tolerance, own[0].reference ?? own[0].nominal, CHECK_STAGE) : null;
  const fraction = prior && mpe !== null && mpe > 0 ? { mean: prior.mean / mpe, u: prior.u / mpe } : null;
  return { prior, levels, fraction };
}

/** `scale`: the MPE the series' checks are divided by (fraction series), 1 otherwise. */
function seriesSigma(x: SeriesAcc, s: ChannelSettings, referenceU: number, scale = 1): number | null {
  const repeatability = s.repeatability === null ? null : s.repeatability / scale;
  return channelSigma({ repeatability, movingRange: x.mrN > 0 ? x.mrSum / x.mrN / D2 : null, referenceU, k: 2 });
}

export function sigmaOf(acc: ChannelAcc, s: ChannelSettings, referenceU: number): number | null {
  return seriesSigma(acc.main, s, referenceU);
}

/** Adds a check to one series; runs the shift detector when `detect`, returning its signal. */
function addToSeries(x: SeriesAcc, s: ChannelSettings, origin: number, c: LastCheck, detect: boolean, scale = 1): 'up' | 'down' | null {
  addPoint(x.sums, (c.ts - origin) / DAY, c.error);
  if (x.prevError !== null) {
    x.mrSum += Math.abs(c.error - x.prevError);
    x.mrN++;
  }
  x.prevError = c.error;
  x.last = c;
  if (!detect) return null;
  // Change-point CUSUM (changepoint.ts): the pre-change mean comes from the checks before each
  // candidate change point. σ estimated (no stated repeatability): t-to-normal with the moving
  // range's degrees of freedom; not judged before there is a moving range.
  const sigma = seriesSigma(x, s, c.referenceU, scale);
  const known = s.repeatability !== null;
  const usable = sigma !== null && sigma > 0 && (known || x.mrN > 0);
  x.change ??= newChangeState(x.prior);
  return changeStep(x.change, c.error, usable ? sigma : null, { k: s.k, h: s.h, df: known ? Infinity : MR_DF_PER_RANGE * x.mrN, window: s.shiftWindow }).signal;
}

/** Adds one decision check (in time order). */
export function addCheck(acc: ChannelAcc, s: ChannelSettings, c: LastCheck): void {
  acc.last = c;
  const analyser = isAnalyser(s);
  // Analysers: trend and shift per level; the channel series then only counts.
  const mainSignal = addToSeries(acc.main, s, acc.origin, c, !analyser);
  if (mainSignal) acc.lastSignal = { index: acc.index, ts: c.ts, direction: mainSignal };
  if (analyser) {
    const level = analyserLevel(c.referenceValue, s.tolerance.span);
    acc.levels ??= { zero: newSeries(acc.levelPriors.zero ?? null), span: newSeries(acc.levelPriors.span ?? null) };
    const signal = addToSeries(acc.levels[level], s, acc.origin, c, true);
    if (signal) acc.lastSignal = { index: acc.index, ts: c.ts, direction: signal, series: level };
    const series = acc.drift[level];
    series.push({ ts: c.ts, driftPct: (c.error / s.tolerance.span) * 100 });
    if (series.length > DRIFT_WINDOW) series.shift();
  } else if (s.tolerance) {
    const mpe = mpeFor(s.tolerance, c.referenceValue, CHECK_STAGE);
    if (mpe > 0) {
      acc.firstMpe ??= mpe;
      if (otherMpe(mpe, acc.firstMpe)) acc.mixedMpe = true;
      if (acc.frac) {
        const f = { ts: c.ts, error: c.error / mpe, referenceValue: c.referenceValue, referenceU: c.referenceU / mpe };
        const signal = addToSeries(acc.frac, s, acc.origin, f, true, mpe);
        if (signal) acc.fracSignal = { index: acc.index, ts: c.ts, direction: signal };
      }
    }
  }
  acc.index++;
}

const otherMpe = (a: number, b: number) => Math.abs(a - b) > 1e-9 * Math.max(a, b);

/** Whether checks at these loads have more than one MPE (in service): their channel is normalised (`Normalised`). */
export function mixedMpes(s: ChannelSettings, loads: Iterable<number>): boolean {
  if (!s.tolerance || isAnalyser(s)) return false;
  let first: number | null = null;
  for (const load of loads) {
    const mpe = mpeFor(s.tolerance, load, CHECK_STAGE);
    if (!(mpe > 0)) continue;
    first ??= mpe;
    if (otherMpe(mpe, first)) return true;
  }
  return false;
}

/** A second MPE arrived on a state made without the fraction series: rebuild it with one (ChannelStates). */
export const needsFraction = (acc: ChannelAcc): boolean => acc.mixedMpe && acc.frac === null;

/** What the channel's trend, σ and shift are in (see `Normalised`). */
export const normalisedOf = (acc: ChannelAcc): Normalised => (acc.mixedMpe && acc.frac ? 'mpe-fraction' : 'none');

export interface TrendView {
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
  /** Analysers: the series (zero or span checks) this trend is fitted to. */
  series?: AnalyserLevel | undefined;
}

export interface CusumView {
  hi: number;
  lo: number;
  target: number | null;
  recentSignal: { ts: number; direction: 'up' | 'down' } | null;
  /** Analysers: the series (zero or span checks) the statistics are of. */
  series?: AnalyserLevel | undefined;
}

export interface ChannelEvaluation {
  n: number;
  lastTs: number | null;
  currentError: number | null;
  mpe: number | null;
  /** The stage `mpe` is for (tolerance.ts CHECK_STAGE: checks are judged in service), null without an MPE. */
  mpeStage: Stage | null;
  /** Expanded uncertainty (k = 2) of the current error: reference and repeatability combined. */
  U: number | null;
  sigma: number | null;
  conformity: Conformity | null;
  /** Analysers: the zero or span trend with the earlier predicted date (else the last check's series). */
  trend: TrendView | null;
  /** Analysers: the series of the recent signal, else of the last check. */
  cusum: CusumView;
  analyser: AnalyserStatus | null;
  /**
   * 'mpe-fraction': `sigma`, `trend` (predicted against ±1) and `cusum` are in fractions of the MPE
   * at each check's load; `currentError`, `mpe`, `U` and `conformity` stay in the channel unit.
   */
  normalised: Normalised;
  /** Analysers: trend and shift of the zero and of the span checks apart. */
  byLevel?: Record<AnalyserLevel, { n: number; sigma: number | null; trend: TrendView | null; cusum: CusumView }>;
}

/** `fraction`: the series is in fractions of the MPE, predicted against ±1. */
function trendOf(x: SeriesAcc, s: ChannelSettings, origin: number, series?: AnalyserLevel, fraction = false): TrendView | null {
  const last = x.last;
  const fit = x.sums.n >= s.minTrendPoints ? fitSums(x.sums) : null;
  if (!fit || !last) return null;
  const mpe = fraction ? 1 : s.tolerance ? mpeFor(s.tolerance, last.referenceValue, CHECK_STAGE) : null;
  const now = (last.ts - origin) / DAY;
  const p = mpe !== null ? predictOutOfTolerance(fit, mpe, now, s.predictionLevel) : null;
  const toTs = (d: number | null) => (d === null ? null : Math.round(origin + d * DAY));
  const significant = fit.slopeCi[0] > 0 || fit.slopeCi[1] < 0;
  const half = tQuantileCached(1 - (1 - DRIFT_DEFAULTS.alertSlopeSignificance) / 2, fit.n - 2) * (fit.s / Math.sqrt(fit.sxx));
  const significantForAlert = fit.n >= DRIFT_DEFAULTS.alertMinTrendPoints && Math.abs(fit.slope) > half;
  return {
    slopePerDay: fit.slope,
    slopeCi95: fit.slopeCi,
    s: fit.s,
    significant,
    significantForAlert,
    pointTs: toTs(p?.pointT ?? null),
    predictedTs: toTs(p?.boundT ?? null),
    side: p?.side ?? null,
    fit: { originTs: origin, intercept: fit.intercept, tMean: fit.tMean, sxx: fit.sxx, n: fit.n, q: tQuantileCached(s.predictionLevel, fit.n - 2) * fit.s },
    series,
  };
}

function cusumOf(x: SeriesAcc, recent: CusumView['recentSignal'], series?: AnalyserLevel): CusumView {
  return { hi: x.change?.hi ?? 0, lo: x.change?.lo ?? 0, target: x.change?.target ?? null, recentSignal: recent, series };
}

/**
 * Evaluates a channel from its running state. Constant time: the trend comes from running sums,
 * the prediction from a closed-form quadratic (trend.ts).
 */
export function evaluate(acc: ChannelAcc, s: ChannelSettings): ChannelEvaluation {
  const last = acc.last;
  const mpe = last && s.tolerance ? mpeFor(s.tolerance, last.referenceValue, CHECK_STAGE) : null;
  const mpeStage = mpe === null ? null : CHECK_STAGE;
  // U of the error = 2·√(u_ref² + σ_rep²) when repeatability is known, else the reference's U.
  const U = last ? (s.repeatability !== null ? 2 * Math.sqrt((last.referenceU / 2) ** 2 + s.repeatability ** 2) : last.referenceU) : null;
  const conf = last && mpe !== null ? conformity(last.error, mpe, U ?? 0, s.decisionRule, s.nearLimitFraction) : null;
  const normalised = normalisedOf(acc);
  const lastSignal = normalised === 'mpe-fraction' ? acc.fracSignal : acc.lastSignal;
  const signal = lastSignal && acc.index - 1 - lastSignal.index < s.shiftMemoryChecks ? lastSignal : null;
  const recent = signal ? { ts: signal.ts, direction: signal.direction } : null;
  const n = acc.main.sums.n;
  const lastTs = last?.ts ?? null;
  const currentError = last?.error ?? null;
  if (normalised === 'mpe-fraction' && last && mpe !== null) {
    const frac = acc.frac!;
    return {
      n,
      lastTs,
      currentError,
      mpe,
      mpeStage,
      U,
      sigma: seriesSigma(frac, s, last.referenceU / mpe, mpe),
      conformity: conf,
      trend: trendOf(frac, s, acc.origin, undefined, true),
      cusum: cusumOf(frac, recent),
      analyser: null,
      normalised,
    };
  }
  if (!isAnalyser(s) || !acc.levels || !last) {
    return {
      n,
      lastTs,
      currentError,
      mpe,
      mpeStage,
      U,
      sigma: last ? sigmaOf(acc, s, last.referenceU) : null,
      conformity: conf,
      trend: trendOf(acc.main, s, acc.origin),
      cusum: cusumOf(acc.main, recent),
      analyser: null,
      normalised,
    };
  }
  const limitPct = s.tolerance.limitPct ?? (mpeFor(s.tolerance, 0) / s.tolerance.span) * 100;
  const analyser = worstOf({ zero: analyserStatus(acc.drift.zero, limitPct), span: analyserStatus(acc.drift.span, limitPct) });
  const lastLevel = analyserLevel(last.referenceValue, s.tolerance.span);
  const view = (l: AnalyserLevel) => {
    const x = acc.levels![l];
    return {
      n: x.sums.n,
      sigma: x.last ? seriesSigma(x, s, x.last.referenceU) : null,
      trend: trendOf(x, s, acc.origin, l),
      cusum: cusumOf(x, signal?.series === l ? recent : null, l),
    };
  };
  const byLevel = { zero: view('zero'), span: view('span') };
  // The trend that warns first: the earlier predicted date among the series the alert rule accepts.
  const warns = (['zero', 'span'] as const)
    .map((l) => byLevel[l].trend)
    .filter((t): t is TrendView => t !== null && t.predictedTs !== null && t.significantForAlert);
  const trend = warns.sort((a, b) => a.predictedTs! - b.predictedTs!)[0] ?? byLevel[lastLevel].trend;
  const cusum = byLevel[signal?.series ?? lastLevel].cusum;
  return { n, lastTs, currentError, mpe, mpeStage, U, sigma: byLevel[lastLevel].sigma, conformity: conf, trend, cusum, analyser, normalised, byLevel };
}
