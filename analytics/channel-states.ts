import { DRIFT_DEFAULTS, type AnalyticsConfig } from '../core/index.js';
import { effectiveTolerance } from './tolerance.js';
import type { AnalyticsStore, CheckRecord, Instrument } from '../store/index.js';
import { isDecisionCheck } from './entry-rules.js';
import { addCheck, calibrationPriors, defaultSettings, evaluate, newAcc, type ChannelAcc, type ChannelEvaluation, type ChannelSettings } from './channel.js';

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
}

/** The streak only decides `≥ alertConsecutive`: counting further would need older checks for nothing. */
const STREAK_CAP = DRIFT_DEFAULTS.alertConsecutive;

/** Whether a channel's evaluation meets the predicted-out-of-tolerance conditions (the engine knows the due date). */
export type PredictedRule = (inst: Instrument, ev: ChannelEvaluation) => boolean;

export type ChannelRules = Pick<AnalyticsConfig, 'decisionRule' | 'nearLimitFraction'>;

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
   * channel's state after it. A missing state is rebuilt from the store up to this check (it is
   * stored already, and later checks of the same batch follow incrementally); a late check
   * rebuilds the whole series.
   */
  apply(inst: Instrument, c: CheckRecord): ChannelState {
    const key = channelKey(inst.id, c.channel);
    const cur = this.states.get(key);
    let next: ChannelState;
    if (!cur || this.shared) next = this.build(inst, c.channel, c.ts);
    else if (cur.acc.last && c.ts < cur.acc.last.ts) next = this.build(inst, c.channel);
    else {
      addCheck(cur.acc, cur.settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
      const evaluation = evaluate(cur.acc, cur.settings);
      next = { ...cur, evaluation, streak: this.predicted(inst, evaluation) ? Math.min(STREAK_CAP, cur.streak + 1) : 0 };
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
    const checks = this.store.listChecks({ instrument: inst.id, channel, from: cal?.date ?? 0, to: upTo + 1, limit: 1_000_000 }).filter(isDecisionCheck);
    // The as-left error is the shift detector's prior in-control mean, worth (σ/u)² checks (changepoint.ts).
    const priors = calibrationPriors(cal?.results ?? [], channel, settings);
    const acc = newAcc(cal?.date ?? checks[0]?.ts ?? 0, priors.prior, priors.levels);
    let streak = 0;
    let evaluation: ChannelEvaluation | null = null;
    checks.forEach((c, i) => {
      addCheck(acc, settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
      if (i < checks.length - STREAK_CAP) return;
      evaluation = evaluate(acc, settings);
      streak = this.predicted(inst, evaluation) ? streak + 1 : 0;
    });
    return { acc, settings, streak, evaluation: evaluation ?? evaluate(acc, settings) };
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
