import { DRIFT_DEFAULTS, type AlertKind } from '../core/index.js';
import type { AlertChange, AlertInput, Instrument } from '../store/index.js';
import type { ChannelEvaluation } from './channel.js';
import { DAY } from './due.js';
import type { Engine } from './engine.js';
import { fmt, iso, push } from './engine-types.js';

/**
 * Check-based alerts of one channel from its evaluation: out of tolerance, near limit (with the
 * 0.7–0.8·MPE hysteresis band), predicted out of tolerance before the due date, shift detected
 * (change-point CUSUM, changepoint.ts; analysers: zero and span checks apart), analyser out of control. Each is raised, relieved (cleared after
 * DRIFT_DEFAULTS.clearAfterChecks) or left alone (null: nothing to judge).
 */
export function decideChannel(eng: Engine, inst: Instrument, channel: string, ev: ChannelEvaluation, base: Omit<AlertInput, 'kind' | 'severity' | 'message'>): AlertChange[] {
  const out: AlertChange[] = [];
  const now = eng.now();
  const clearAfter = DRIFT_DEFAULTS.clearAfterChecks;
  const set = (kind: AlertKind, on: boolean | null, input: () => Omit<AlertInput, 'kind' | 'subject'>) => {
    if (on === true) push(out, eng.store.raiseAlert({ ...base, ...input(), kind, subject: inst.id, channel }, now));
    else if (on === false) push(out, eng.store.relieveAlert(inst.id, channel, kind, clearAfter, now));
  };
  const c = ev.conformity;
  const e = ev.currentError;
  const details = { error: e, mpe: ev.mpe, U: ev.U, ts: ev.lastTs };
  set('out_of_tolerance', c ? c.decision === 'fail' : null, () => ({
    severity: 'critical', message: `${inst.id} ${channel}: error ${fmt(e)} outside ±${fmt(ev.mpe)} (${c!.rule} acceptance) at ${iso(ev.lastTs)}`, details: { ...details, statement: c!.statement },
  }));
  // Hysteresis band: raised above 0.8·MPE, relieved only below 0.7·MPE.
  const nearOn = c && ev.mpe !== null && e !== null ? (c.zone === 'near_limit' ? true : Math.abs(e) < DRIFT_DEFAULTS.nearLimitClearFraction * ev.mpe || c.zone === 'out' ? false : null) : null;
  set('near_limit', nearOn, () => ({ severity: 'warning', message: `${inst.id} ${channel}: error ${fmt(e)} above ${Math.round(eng.cfg.nearLimitFraction * 100)} % of MPE ${fmt(ev.mpe)}`, details }));
  const due = eng.effectiveDue(inst, ev.lastTs ?? now);
  const t = ev.trend;
  const key = `${inst.id}\u0000${channel}`;
  const predictedNow = t !== null && ev.mpe !== null && t.significantForAlert && t.predictedTs !== null && t.predictedTs < due && Math.sign(t.slopePerDay) === t.side;
  const streak = predictedNow ? (eng.predictedStreak.get(key) ?? 0) + 1 : 0;
  eng.predictedStreak.set(key, streak);
  const predictedOn = t && ev.mpe !== null ? (predictedNow ? (streak >= DRIFT_DEFAULTS.alertConsecutive ? true : null) : false) : null;
  set('predicted_out_of_tolerance', predictedOn, () => {
    const lead = eng.leadDays(inst.org) * DAY;
    const recommended = Math.max(ev.lastTs ?? now, t!.predictedTs! - lead);
    return {
      severity: 'warning',
      message: `${inst.id} ${channel}: predicted out of tolerance on ${iso(t!.predictedTs)} (95 % prediction bound${t!.series ? `, ${t!.series} checks` : ''}), before the due date ${iso(due)}; recalibrate by ${iso(recommended)}`,
      details: { predictedTs: t!.predictedTs, pointTs: t!.pointTs, slopePerDay: t!.slopePerDay, slopeCi95: t!.slopeCi95, due, recommendedTs: recommended, ...(t!.series ? { series: t!.series } : {}) },
    };
  });
  set('shift_detected', ev.n > 0 ? ev.cusum.recentSignal !== null : null, () => ({
    severity: 'warning', message: `${inst.id} ${channel}: change-point CUSUM (k = 0.5, h = 5) signalled a ${ev.cusum.recentSignal!.direction === 'up' ? 'positive' : 'negative'} shift${ev.cusum.series ? ` of the ${ev.cusum.series} checks` : ''} at ${iso(ev.cusum.recentSignal!.ts)}`, details: { ...ev.cusum },
  }));
  set('analyser_out_of_control', ev.analyser ? ev.analyser.outOfControl : null, () => ({
    severity: 'critical', message: `${inst.id} ${channel}: analyser ${ev.analyser!.series === 'both' ? 'zero and span' : (ev.analyser!.series ?? '')} out of control (${ev.analyser!.reason === 'once' ? 'drift above 4× the limit' : 'drift above 2× the limit on 5 consecutive checks'}); data since ${iso(ev.analyser!.suspectSince)} are suspect`, details: { ...ev.analyser },
  }));
  return out;
}
