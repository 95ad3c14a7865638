import { DAY, DRIFT_DEFAULTS } from '../core/index.js';
import type { Instrument } from '../store/index.js';
import type { AlertBatch, AlertTarget } from './alert-sink.js';
import type { ChannelEvaluation } from './channel.js';
import type { ChannelState } from './channel-states.js';
import type { Schedule } from './schedule.js';

/**
 * Whether a channel's evaluation meets the predicted-out-of-tolerance conditions on this check:
 * a trend significant for alerting, moving towards the limit it is predicted to cross, before
 * the instrument's due date. Two such checks in a row raise the alert (DRIFT_DEFAULTS.alertConsecutive).
 */
export function predictedBeforeDue(schedule: Schedule, inst: Instrument, ev: ChannelEvaluation): boolean {
  const t = ev.trend;
  if (t === null || ev.mpe === null || !t.significantForAlert || t.predictedTs === null) return false;
  return t.predictedTs < schedule.effectiveDue(inst, ev.lastTs ?? 0) && Math.sign(t.slopePerDay) === t.side;
}

/**
 * Check-based alerts of one channel from its state: out of tolerance, near limit (with the
 * 0.7–0.8·MPE hysteresis band), predicted out of tolerance before the due date, shift detected
 * (change-point CUSUM, changepoint.ts; analysers: zero and span checks apart), analyser out of
 * control. Each is raised, relieved (cleared after DRIFT_DEFAULTS.clearAfterChecks) or left
 * alone (null: nothing to judge). Wording and severity: alert-catalogue.ts.
 */
export function decideChannel(
  batch: AlertBatch,
  schedule: Schedule,
  nearLimitFraction: number,
  inst: Instrument,
  target: AlertTarget,
  state: ChannelState,
): void {
  const ev = state.evaluation;
  const clearAfter = DRIFT_DEFAULTS.clearAfterChecks;
  const c = ev.conformity;
  const e = ev.currentError;
  const details = { error: e, mpe: ev.mpe, U: ev.U, ts: ev.lastTs };
  // No decision (guarded acceptance with U ≥ MPE) neither raises nor relieves.
  const out = c && c.decision !== 'undecided' ? c.decision === 'fail' : null;
  batch.set('out_of_tolerance', out, target, () => ({ ...details, rule: c!.rule, statement: c!.statement }), clearAfter);
  // Hysteresis band: raised above 0.8·MPE, relieved only below 0.7·MPE.
  const nearOn =
    c && ev.mpe !== null && e !== null
      ? c.zone === 'near_limit'
        ? true
        : Math.abs(e) < DRIFT_DEFAULTS.nearLimitClearFraction * ev.mpe || c.zone === 'out'
          ? false
          : null
      : null;
  batch.set('near_limit', nearOn, target, () => ({ ...details, percent: Math.round(nearLimitFraction * 100) }), clearAfter);
  const t = ev.trend;
  const predictedOn = t && ev.mpe !== null ? (state.streak > 0 ? (state.streak >= DRIFT_DEFAULTS.alertConsecutive ? true : null) : false) : null;
  // Once out of tolerance, "predicted to go out" says nothing more: relieved at once.
  if (out === true) batch.relieve('predicted_out_of_tolerance', target.subject, target.channel, 0);
  else
    batch.set(
      'predicted_out_of_tolerance',
      predictedOn,
      target,
      () => {
        const due = schedule.effectiveDue(inst, ev.lastTs ?? batch.now);
        const recommended = Math.max(ev.lastTs ?? batch.now, t!.predictedTs! - schedule.leadDays(inst.org) * DAY);
        return {
          predictedTs: t!.predictedTs,
          pointTs: t!.pointTs,
          slopePerDay: t!.slopePerDay,
          slopeCi95: t!.slopeCi95,
          due,
          recommendedTs: recommended,
          ...(t!.series ? { series: t!.series } : {}),
          // The slope is then in MPE fractions per day (channel.ts Normalised).
          ...(ev.normalised === 'mpe-fraction' ? { normalised: ev.normalised } : {}),
        };
      },
      clearAfter,
    );
  batch.set(
    'shift_detected',
    ev.n > 0 ? ev.cusum.recentSignal !== null : null,
    target,
    () => ({ ...ev.cusum, ...(ev.normalised === 'mpe-fraction' ? { normalised: ev.normalised } : {}) }),
    clearAfter,
  );
  batch.set('analyser_out_of_control', ev.analyser ? ev.analyser.outOfControl : null, target, () => ({ ...ev.analyser }), clearAfter);
}
