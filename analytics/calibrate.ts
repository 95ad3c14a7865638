import { DEFAULT_TOLERANCE_BY_KIND } from '../core/index.js';
import type { AlertChange, CalibrationRecord } from '../store/index.js';
import { conformity } from './conformity.js';
import { DAY } from './due.js';
import type { Engine } from './engine.js';
import { CHECK_KINDS, push, type CalibrationInput } from './engine-types.js';
import { mpeFor } from './tolerance.js';

/**
 * Records a calibration or verification (ISO/IEC 17025:2017 7.8 content): judges each point
 * against the verification MPE with the ILAC-G8 rule, states conformity, sets the next due date,
 * marks it under review if a standard it used was not traceable, resets the channels' baselines
 * and settles the check-based and due-date alerts.
 */
export function recordCalibration(e: Engine, instrumentId: string, input: CalibrationInput): CalibrationRecord {
  const inst = e.registry.getInstrument(instrumentId)!;
  const rule = input.decisionRule ?? e.cfg.decisionRule;
  const results = input.results.map((p) => {
    const m = e.store.getChannelMetrology(inst.id, p.channel);
    const tol = m?.tolerance ?? (inst.kind ? DEFAULT_TOLERANCE_BY_KIND[inst.kind] : undefined);
    const mpe = p.mpe ?? (tol ? mpeFor(tol, p.reference ?? p.nominal, 'verification') : null);
    const judged = p.asLeft ?? p.asFound;
    return { ...p, mpe, conformity: mpe === null ? null : conformity(judged, mpe, p.U, rule).decision };
  });
  const fails = results.some((r) => r.conformity === 'fail');
  const adjusted = results.some((r) => r.asLeft !== undefined && r.asLeft !== null && r.asLeft !== r.asFound);
  const result = fails ? 'fail' : adjusted ? 'adjusted' : 'pass';
  const intervalDays = input.intervalDays ?? e.intervalDays(inst);
  const statement =
    input.statement ??
    `${fails ? 'Does not conform' : 'Conforms'} to the maximum permissible errors at every test point${adjusted ? ' after adjustment' : ''}; decision rule: ${rule === 'guarded' ? 'guarded acceptance (w = U), ILAC-G8:09/2019 4.2.2' : 'simple acceptance (w = 0), ILAC-G8:09/2019 4.2.1'}`;
  const rec = e.store.insertCalibration({
    instrument: inst.id, type: input.type, date: input.date, lab: input.lab ?? e.store.getService(inst.id)?.lab ?? 'unknown', certificate: input.certificate,
    procedure: input.procedure ?? null, conditions: input.conditions ?? null, results, references: input.references, result, decisionRule: rule, statement,
    authorisedBy: input.authorisedBy, intervalDays, nextDue: intervalDays === null || fails ? null : input.date + intervalDays * DAY,
  });
  const broken = input.references.map((r) => e.traceability(r, input.date)).filter((t) => !t.traceable);
  if (broken.length > 0) e.store.markCalibrationsReview([rec.id], broken.map((b) => b.reason).join('; '));
  // A calibration resets every channel's baseline: check-based alerts of the past are settled.
  for (const key of [...e.accs.keys()]) if (key.startsWith(`${inst.id}\u0000`)) e.accs.delete(key);
  const changes: AlertChange[] = [];
  for (const a of e.store.liveAlertsOfKinds([...CHECK_KINDS, 'due_soon', 'overdue'])) {
    if (a.instrument === inst.id) push(changes, e.store.relieveAlert(a.subject, a.channel, a.kind, 0, e.now()));
  }
  e.notify(changes);
  return e.store.getCalibration(rec.id)!;
}
