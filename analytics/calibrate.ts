import type { CalibrationRecord } from '../store/index.js';
import { CHECK_KINDS } from './alert-catalogue.js';
import { conformity } from './conformity.js';
import { addInterval } from './due.js';
import type { CalibrationInput, EngineParts } from './engine-types.js';
import { mpeFor } from './tolerance.js';

/**
 * Records a calibration or verification (ISO/IEC 17025:2017 7.8 content): judges each point
 * against the verification MPE with the ILAC-G8 rule, states conformity, sets the next due date,
 * marks it under review if a standard it used was not traceable, resets the channels' baselines
 * and settles the check-based and due-date alerts.
 */
export function recordCalibration(
  e: Pick<EngineParts, 'registry' | 'store' | 'cfg' | 'states' | 'alerts' | 'schedule' | 'traceability'>,
  instrumentId: string,
  input: CalibrationInput,
): CalibrationRecord {
  const inst = e.registry.getInstrument(instrumentId)!;
  const rule = input.decisionRule ?? e.cfg.decisionRule;
  const results = input.results.map((p) => {
    const tol = e.states.settings(inst, p.channel).tolerance;
    const mpe = p.mpe ?? (tol ? mpeFor(tol, p.reference ?? p.nominal, 'verification') : null);
    const judged = p.asLeft ?? p.asFound;
    return { ...p, mpe, conformity: mpe === null ? null : conformity(judged, mpe, p.U, rule).decision };
  });
  const fails = results.some((r) => r.conformity === 'fail');
  const adjusted = results.some((r) => r.asLeft !== undefined && r.asLeft !== null && r.asLeft !== r.asFound);
  const result = fails ? 'fail' : adjusted ? 'adjusted' : 'pass';
  const intervalDays = input.intervalDays ?? e.schedule.intervalDays(inst);
  const statement =
    input.statement ??
    `${fails ? 'Does not conform' : 'Conforms'} to the maximum permissible errors at every test point${adjusted ? ' after adjustment' : ''}; decision rule: ${rule === 'guarded' ? 'guarded acceptance (w = U), ILAC-G8:09/2019 4.2.2' : 'simple acceptance (w = 0), ILAC-G8:09/2019 4.2.1'}`;
  const rec = e.store.insertCalibration({
    instrument: inst.id,
    type: input.type,
    date: input.date,
    lab: input.lab ?? e.store.getService(inst.id)?.lab ?? 'unknown',
    certificate: input.certificate,
    procedure: input.procedure ?? null,
    conditions: input.conditions ?? null,
    results,
    references: input.references,
    result,
    decisionRule: rule,
    statement,
    authorisedBy: input.authorisedBy,
    intervalDays,
    nextDue: intervalDays === null || fails ? null : addInterval(input.date, intervalDays),
  });
  const broken = input.references.map((r) => e.traceability(r, input.date)).filter((t) => !t.traceable);
  if (broken.length > 0) e.store.markCalibrationsReview([rec.id], broken.map((b) => b.reason).join('; '));
  // A calibration resets every channel's baseline: check-based alerts of the past are settled.
  e.states.forget(inst.id);
  const batch = e.alerts.batch();
  for (const a of e.store.liveAlertsOfKinds([...CHECK_KINDS, 'due_soon', 'overdue'])) {
    if (a.instrument === inst.id) batch.relieve(a.kind, a.subject, a.channel, 0);
  }
  batch.flush();
  return e.store.getCalibration(rec.id)!;
}
