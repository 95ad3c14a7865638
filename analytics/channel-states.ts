import { DRIFT_DEFAULTS, type AnalyticsConfig } from '../core/index.js';
import { effectiveTolerance } from './tolerance.js';
import type { AnalyticsStore, CheckRecord, Instrument } from '../store/index.js';
import { isDecisionCheck } from './entry-rules.js';
import {
  addCheck,
  calibrationPriors,
  defaultSettings,
  evaluate,
  mixedMpes,
  needsFraction,
  newAcc,
  type ChannelAcc,
  type ChannelEvaluation,
  type ChannelSettings,
} from './channel.js';

/**
 * The running state of every instrument channel the engine has judged: the accumulated checks
 * since the last calibration (channel.ts) and the streak of consecutive checks on which the
 * predicted out-of-tolerance conditions held. Both are rebuilt from the registry's stored
 * checks whenever they are missing, stale or shared with another process, so a restart or a
 * second process on the same registry judges "two checks in a row" exactly as this one.
 */
export interface ChannelState {
  acc: ChannelAcc;
  settings: ChannelSettings;
  /** Consecutive decision checks, up to the last, whose prediction met the alert conditions (capped at STREAK_CAP). */
  streak: number;
  evaluation: ChannelEvaluation;
  /** Ids of the checks at the instant of the last check that the state holds (a rebuild takes all stored at that instant). */
  lastIds: number[];
}

/** The streak only decides `≥ alertConsecutive`: counting further would need older checks for nothing. */
const STREAK_CAP = DRIFT_DEFAULTS.alertConsecutive;

/** Whether a channel's evaluation meets the predicted-out-of-tolerance conditions (the engine knows the due date). */
export type PredictedRule = (inst: Instrument, ev: ChannelEvaluation) => boolean;

export type ChannelRules = Pick<AnalyticsConfig, 'decisionRule' | 'nearLimitFraction'>;

/**
 * The order checks enter a channel's series: time, then at one instant the smaller load first
 * (multi-load checks), then as stored. The moving range and the shift detector depend on the
 * order, so several loads checked at one instant give the same statistics whatever order they were
 * sent in (channel.ts `Normalised`). Single-load channels keep the stored order.
 */
export const checkOrder = (a: Pick<CheckRecord, 'ts' | 'referenceValue'>, b: Pick<CheckRecord, 'ts' | 'referenceValue'>): number =>
  a.ts - b.ts || Math.abs(a.referenceValue) - Math.abs(b.referenceValue);

/** The one way a channel is named in maps. */
export const channelKey = (instrument: string, channel: string): string => `${instrument}\u0000${channel}`;

export class ChannelStates {
  private readonly states = new Map<string, ChannelState>();

  constructor(
    private readonly store: AnalyticsStore,
    private readonly rules: ChannelRules,
    private readonly predicted: PredictedRule,
    /** Another process decides on the same registry: every check rebuilds from the store (EngineOptions.sharedRegistry). */
    private readonly shared = false,
  ) {}

  /** Number of channel states held in memory. */
  get size(): number {
    return this.states.size;
  }

  /** The settings a channel is judged with: its tolerance (override, else the kind's default), repeatability, analyser flag. */
  settings(inst: Instrument, channel: string): ChannelSettings {
    const m = this.store.getChannelMetrology(inst.id, channel);
    return defaultSettings({
      tolerance: effectiveTolerance(m?.tolerance, inst.kind),
      repeatability: m?.repeatability ?? null,
      analyser: m?.analyser ?? false,
      decisionRule: this.rules.decisionRule,
      nearLimitFraction: this.rules.nearLimitFraction,
    });
  }

  /**
   * Takes a stored decision check (traceable, in time order within its batch) and returns the
   * channel's state after it. A missing state is rebuilt from the store up to this check's instant
   * (it is stored already, and later checks of the same batch follow incrementally; those at that
   * instant are held already, `lastIds`); a late check rebuilds the whole series, and so does a
   * smaller load at the last check's instant (checkOrder), so the order loads are sent in at one
   * instant does not change the statistics.
   */
  apply(inst: Instrument, c: CheckRecord): ChannelState {
    const key = channelKey(inst.id, c.channel);
    const cur = this.states.get(key);
    let next: ChannelState;
    const sameInstant = cur?.acc.last?.ts === c.ts;
    if (!cur || this.shared) next = this.build(inst, c.channel, c.ts);
    // Held already: a rebuild took every check stored at its instant (the rest of a multi-load batch).
    else if (sameInstant && cur.lastIds.includes(c.id)) next = cur;
    else if (cur.acc.last && c.ts < cur.acc.last.ts) next = this.build(inst, c.channel);
    // A smaller load at the instant of the last check, sent later: rebuilt in check order (checkOrder).
    else if (cur.acc.last && checkOrder(c, cur.acc.last) < 0) next = this.build(inst, c.channel, c.ts);
    else {
      addCheck(cur.acc, cur.settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
      if (needsFraction(cur.acc)) {
        // Its second MPE: rebuilt with the fraction series from the first check (channel.ts `Normalised`).
        next = this.build(inst, c.channel, c.ts);
      } else {
        const evaluation = evaluate(cur.acc, cur.settings);
        const lastIds = sameInstant ? [...cur.lastIds, c.id] : [c.id];
        next = { ...cur, evaluation, streak: this.predicted(inst, evaluation) ? Math.min(STREAK_CAP, cur.streak + 1) : 0, lastIds };
      }
    }
    this.states.set(key, next);
    return next;
  }

  /**
   * A channel's state from the store alone, up to `upTo` (inclusive), without keeping it: the
   * drift view reads it. The streak is recomputed over the last STREAK_CAP checks.
   */
  build(inst: Instrument, channel: string, upTo = Number.MAX_SAFE_INTEGER - 1): ChannelState {
    const settings = this.settings(inst, channel);
    const cal = this.store.lastCalibration(inst.id);
    const listed = this.store.listChecks({ instrument: inst.id, channel, from: cal?.date ?? 0, to: upTo + 1, limit: 1_000_000 }).filter(isDecisionCheck);
    // Stable sort: the stored order (ts, id) except several loads at one instant (checkOrder).
    const checks = listed.sort(checkOrder);
    // The as-left error is the shift detector's prior in-control mean, worth (σ/u)² checks (changepoint.ts).
    const priors = calibrationPriors(cal?.results ?? [], channel, settings);
    // More than one MPE among the checks: the fraction series from the first (channel.ts `Normalised`).
    const fraction = mixedMpes(settings, new Set(checks.map((c) => c.referenceValue))) ? { prior: priors.fraction } : null;
    const acc = newAcc(cal?.date ?? checks[0]?.ts ?? 0, priors.prior, priors.levels, fraction);
    let streak = 0;
    let evaluation: ChannelEvaluation | null = null;
    checks.forEach((c, i) => {
      addCheck(acc, settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
      if (i < checks.length - STREAK_CAP) return;
      evaluation = evaluate(acc, settings);
      streak = this.predicted(inst, evaluation) ? streak + 1 : 0;
    });
    const lastTs = checks.at(-1)?.ts;
    const lastIds = checks.filter((c) => c.ts === lastTs).map((c) => c.id);
    return { acc, settings, streak, evaluation: evaluation ?? evaluate(acc, settings), lastIds };
  }

  /** Forgets a channel's state (its settings changed): rebuilt at its next check. */
  invalidate(instrument: string, channel: string): void {
    this.states.delete(channelKey(instrument, channel));
  }

  /** Forgets every channel of an instrument (a calibration reset its baselines, or its checks went under review). */
  forget(instrument: string): void {
    const prefix = channelKey(instrument, '');
    for (const key of [...this.states.keys()]) if (key.startsWith(prefix)) this.states.delete(key);
  }
}
