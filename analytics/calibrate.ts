import { MetronetError } from '../core/index.js';
import type { CalibrationRecord } from '../store/index.js';
import { CHECK_KINDS } from './alert-catalogue.js';
import { conformity } from './conformity.js';
import { addInterval, renewsVerification } from './due.js';
import type { CalibrationInput, EngineParts } from './engine-types.js';
import { CERTIFICATE_STAGE, mpeFor } from './tolerance.js';

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
  const results = input.results.map((p, i) => {
    const tol = e.states.settings(inst, p.channel).tolerance;
    // One number (issue 15 §5): with a tolerance on the channel the MPE is mpeFor's at the
    // verification stage, never a second figure typed into the record; a stated MPE is kept only
    // for a channel with no tolerance, and one that differs from mpeFor's is refused.
    const computed = tol ? mpeFor(tol, p.reference ?? p.nominal, CERTIFICATE_STAGE) : null;
    if (computed !== null && p.mpe != null && Math.abs(p.mpe - computed) > 1e-9 * computed) {
      throw new MetronetError(
        'E_BAD_REQUEST',
        {
          en: `results[${i}].mpe ${p.mpe} differs from the channel's MPE on verification ${computed} at ${p.reference ?? p.nominal} (analytics/tolerance.ts mpeFor); leave it out or change the channel's tolerance`,
          vi: `Điểm đo thứ ${i + 1}: sai số cho phép ${p.mpe} khác với sai số lớn nhất cho phép khi kiểm định ${computed} của kênh tại ${p.reference ?? p.nominal}; bỏ trống trường này hoặc sửa mô hình sai số của kênh.`,
        },
        { field: `results[${i}].mpe`, rule: 'one-mpe', value: p.mpe },
      );
    }
    const mpe = computed ?? p.mpe ?? null;
    const mpeStage = computed !== null ? CERTIFICATE_STAGE : null;
    const judged = p.asLeft ?? p.asFound;
    const decision = mpe === null ? null : conformity(judged, mpe, p.U, rule).decision;
    // A verification states conformity at every point: with no decision possible it cannot be issued.
    if (decision === 'undecided' && input.type === 'verification') {
      throw new MetronetError(
        'E_NO_DECISION',
        {
          en: `results[${i}]: U ${p.U} is not below the MPE ${mpe}: guarded acceptance gives no decision (ILAC-G8:09/2019 4.2.2); a verification needs one at every point`,
          vi: `Điểm đo thứ ${i + 1}: độ không đảm bảo đo U = ${p.U} không nhỏ hơn sai số cho phép lớn nhất ${mpe}, nên theo quy tắc chấp nhận có dải bảo vệ không thể kết luận đạt hay không đạt (ILAC-G8:09/2019 mục 4.2.2); kết quả kiểm định phải kết luận ở mọi điểm đo.`,
        },
        { field: `results[${i}].U`, rule: 'guarded-acceptance', value: p.U },
      );
    }
    return { ...p, mpe, mpeStage, conformity: decision === 'undecided' ? null : decision };
  });
  const fails = results.some((r) => r.conformity === 'fail');
  const adjusted = results.some((r) => r.asLeft !== undefined && r.asLeft !== null && r.asLeft !== r.asFound);
  const result = fails ? 'fail' : adjusted ? 'adjusted' : 'pass';
  const interval = input.intervalDays != null ? { days: input.intervalDays } : e.schedule.interval(inst);
  const renews = renewsVerification(inst.kind, input.type);
  // The validity the record gives (Circular 24/2013/TT-BKHCN Art. 39: the stamp or certificate
  // states it): its printed date, else one interval. A failed verification gives none: the
  // instrument may not be used from that day. A calibration of a Group 2 instrument keeps the
  // validity of its last verification (Law on Metrology 2011 Art. 16(2); due.ts): due now when
  // it was never verified.
  const nextDue = !renews
    ? (e.schedule.nextDue(inst) ?? input.date)
    : fails
      ? input.date
      : (input.validUntil ?? (interval ? addInterval(input.date, interval) : null));
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
    intervalDays: input.intervalDays ?? interval?.days ?? null,
    nextDue,
  });
  const broken = input.references.map((r) => e.traceability(r, input.date)).filter((t) => !t.traceable);
  if (broken.length > 0) e.store.markCalibrationsReview([rec.id], broken.map((b) => b.reason).join('; '));
  // A calibration resets every channel's baseline: check-based alerts of the past are settled.
  e.states.forget(inst.id);
  const batch = e.alerts.batch();
  // Due-date alerts are settled only by a record that renews the validity; the periodic sweep raises them again if still due.
  const settled = renews ? [...CHECK_KINDS, 'due_soon' as const, 'overdue' as const] : CHECK_KINDS;
  for (const a of e.store.liveAlertsOfKinds(settled)) {
    if (a.instrument === inst.id) batch.relieve(a.kind, a.subject, a.channel, 0);
  }
  // A failed verification: not permitted in use at once, a critical alert to the owner, the
  // serving lab and the authority, until a passing verification.
  if (input.type === 'verification') {
    const target = { subject: inst.id, instrument: inst.id, channel: null, org: inst.org, lab: e.store.getService(inst.id)?.lab ?? null };
    if (fails) batch.raise('verification_failed', target, { date: input.date, certificate: input.certificate, lab: rec.lab });
    else batch.relieve('verification_failed', inst.id, null, 0);
  }
  batch.flush();
  return e.store.getCalibration(rec.id)!;
}
