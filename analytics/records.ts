import { DAY, MetronetError, unknownReference, type Issue } from '../core/index.js';
import { SEAL_BREAK_VERIFY_WITHIN_DAYS } from '../core/legal/records.js';
import type { AlertChange, CalibrationRecord, CorrectionState, Designation, Instrument, SealEvent } from '../store/index.js';
import { correctionRefusal, recordWriteDecision, sealRefusal, type Writer } from './authority.js';
import { recordCalibration } from './calibrate.js';
import type { CalibrationInput, EngineParts } from './engine-types.js';
import { futureDateIssue, loadRangeIssue, standardFitness } from './entry-rules.js';

/**
 * Verification and calibration records written by people: who may write them (authority.ts), their author and legal contents, their
 * corrections (ISO/IEC 17025:2017 7.8.8: superseded by a new record, or voided — never deleted),
 * the seal register and its alert. After a correction the instrument's channel states are rebuilt
 * and the time-based alerts decided again, so due date, state and alerts follow the valid records.
 */
export type RecordParts = Pick<EngineParts, 'registry' | 'store' | 'cfg' | 'states' | 'alerts' | 'schedule' | 'traceability' | 'now'>;

/** What a record carries beyond the calibration input: the legal marks of a verification and ISO/IEC 17025 7.8 contents. */
export type RecordContent = {
  /** Verification: stamp (tem) number, seal (kẹp chì) numbers, verifier and card number. */
  stamp?: string;
  seals?: string[];
  verifier?: string;
  verifierCard?: string;
  /** The designation it was issued under (set by the rule, not the caller). */
  designation?: number | null;
  /** Date of issue (may follow the verification date). */
  issuedAt?: number;
  /** Calibration certificate (17025 7.8.2.1, 7.8.4.1): place, customer, instrument identification, traceability, coverage. */
  place?: 'on_site' | 'lab';
  customer?: string;
  manufacturer?: string;
  model?: string;
  patternApproval?: string;
  traceability?: string;
  coverageK?: number;
  coverageProbability?: number;
  /** The person who signs, as printed (the author stored is the principal). */
  signatory?: string;
  /** Why this record supersedes another (17025 7.8.8.2). */
  reason?: string;
};

/** A record as the API shows it: the calibration record with its author, correction state and contents. */
export type RecordView = CalibrationRecord & Omit<CorrectionState, 'content'> & { content: RecordContent | null };

export interface RecordRequest {
  input: Omit<CalibrationInput, 'lab' | 'authorisedBy'> & { lab?: string };
  content: RecordContent;
  designation?: number;
}

export function recordView(e: Pick<EngineParts, 'registry'>, rec: CalibrationRecord): RecordView {
  const c = e.registry.records.correction(rec.id);
  return {
    ...rec,
    status: c?.status ?? 'valid',
    supersedes: c?.supersedes ?? null,
    supersededBy: c?.supersededBy ?? null,
    statusReason: c?.statusReason ?? null,
    statusBy: c?.statusBy ?? null,
    statusAt: c?.statusAt ?? null,
    author: c?.author ?? null,
    content: (c?.content as RecordContent | null) ?? null,
  };
}

/**
 * What may be entered on a record (entry-rules.ts, the same rules as for checks): not dated in
 * the future beyond the clock tolerance; every test point of a verification inside the channel's
 * range (Min–Max of a scale, from the MMQ of a dispenser); every standard it names measures the quantity of the
 * channels it tested; for a verification, every standard within its due date on the record's
 * date and with U ≤ 1/3 of the verification MPE at each test load (OIML R76-1:2006 3.7.1). The
 * first refusal, or null.
 */
export function recordEntryIssue(
  e: Pick<EngineParts, 'registry' | 'store' | 'cfg' | 'states' | 'now'>,
  inst: Instrument,
  input: Pick<CalibrationInput, 'type' | 'date' | 'references' | 'results'>,
): Issue | null {
  const future = futureDateIssue(input.date, e.now(), e.cfg, 'date');
  if (future) return future;
  if (input.type === 'verification') {
    for (const [i, p] of input.results.entries()) {
      const load = p.reference ?? p.nominal;
      const outside = loadRangeIssue(e.states.settings(inst, p.channel).tolerance, load, `results[${i}].${p.reference == null ? 'nominal' : 'reference'}`);
      if (outside) return outside;
    }
  }
  for (const [i, id] of input.references.entries()) {
    const ref = e.store.getReference(id);
    if (!ref) return unknownReference(id, `references[${i}]`);
    for (const p of input.results) {
      const channel = e.registry.getChannel(inst.id, p.channel);
      if (!channel) continue;
      const issues = standardFitness(ref, channel, e.states.settings(inst, p.channel).tolerance, p.reference ?? p.nominal, input.date, {
        field: `references[${i}]`,
      });
      const refused = input.type === 'verification' ? issues[0] : issues.find((x) => x.code === 'E_STANDARD_QUANTITY');
      if (refused) return refused;
    }
  }
  return null;
}

/**
 * Records a verification or calibration as `w`: refused unless the rule allows it (authority.ts);
 * the lab is the caller's organisation, the author the principal. A verification that states seal
 * numbers also writes them in the seal register.
 */
export function recordAs(e: RecordParts, instrumentId: string, w: Writer, req: RecordRequest, supersedes: number | null = null): RecordView {
  const inst = e.registry.getInstrument(instrumentId)!;
  const servingLab = e.store.getService(inst.id)?.lab ?? null;
  // The channels the record tests, with their effective tolerance: the designation's ranges are checked against them.
  const channels = [...new Set(req.input.results.map((p) => p.channel))].flatMap((ch) => {
    const c = e.registry.getChannel(inst.id, ch);
    return c ? [{ channel: ch, unit: c.unit, tolerance: e.states.settings(inst, ch).tolerance }] : [];
  });
  const decision = recordWriteDecision(
    w,
    { type: req.input.type, date: req.input.date, kind: inst.kind, servingLab, bodyLab: req.input.lab, designation: req.designation, channels },
    e.registry.records.listDesignations(),
  );
  if (!decision.ok) throw MetronetError.fromIssue(decision.issue);
  const entry = recordEntryIssue(e, inst, req.input);
  if (entry) throw MetronetError.fromIssue(entry);
  const content: RecordContent = { ...req.content, ...(req.input.type === 'verification' ? { designation: decision.designation?.id ?? null } : {}) };
  const rec = e.store.transaction(() => {
    const saved = recordCalibration(e, inst.id, { ...req.input, lab: decision.lab, authorisedBy: w.user });
    e.registry.records.setAuthorship(saved.id, { author: w.user, supersedes, content: prune(content) });
    if (req.input.type === 'verification' && content.seals?.length && saved.result !== 'fail' && sealRefusal(w, { event: 'seal' }, inst, servingLab) === null) {
      e.registry.records.addSealEvent(
        {
          instrument: inst.id,
          event: 'seal',
          at: req.input.date,
          seals: content.seals,
          reason: null,
          by: w.user,
          byOrg: w.org ?? decision.lab,
          calibration: saved.id,
        },
        e.now(),
      );
    }
    return saved;
  });
  return recordView(e, e.store.getCalibration(rec.id)!);
}

/** Voids a record (17025 7.8.8): the issuing lab or the authority; its due date, state and alerts are decided again. */
export function voidRecord(e: RecordParts & { evaluatePeriodic(): unknown }, id: number, w: Writer, reason: string): RecordView {
  const rec = mustFind(e, id);
  const refused = correctionRefusal(w, recordView(e, rec), 'void');
  if (refused) throw MetronetError.fromIssue(refused);
  e.registry.records.setStatus(id, { status: 'voided', supersededBy: null, reason, by: w.user }, e.now());
  recompute(e, rec);
  return recordView(e, e.store.getCalibration(id)!);
}

/**
 * Supersedes a record with a new one (17025 7.8.8.2: new number, the record it replaces, the
 * reason): only the issuing lab; the new record passes the same write rule as any other.
 */
export function supersedeRecord(
  e: RecordParts & { evaluatePeriodic(): unknown },
  id: number,
  w: Writer,
  req: RecordRequest,
  reason: string,
): { superseded: RecordView; record: RecordView } {
  const old = mustFind(e, id);
  const refused = correctionRefusal(w, recordView(e, old), 'supersede');
  if (refused) throw MetronetError.fromIssue(refused);
  if (req.input.type !== old.type) {
    throw MetronetError.fromIssue({
      code: 'E_BAD_REQUEST',
      field: 'type',
      rule: 'same-type',
      value: req.input.type,
      message: `a ${old.type} is superseded by a ${old.type}; void it and record the ${req.input.type} instead`,
      messageVi: `Bản ghi ${old.type === 'verification' ? 'kiểm định' : 'hiệu chuẩn'} chỉ được thay thế bằng bản ghi cùng loại; hãy hủy bỏ và ghi bản ghi mới.`,
    });
  }
  const record = e.store.transaction(() => {
    const created = recordAs(e, old.instrument, w, { ...req, content: { ...req.content, reason } }, id);
    if (!e.registry.records.setStatus(id, { status: 'superseded', supersededBy: created.id, reason, by: w.user }, e.now())) {
      throw new MetronetError('E_CONFLICT', { en: 'the record was corrected meanwhile', vi: 'Bản ghi vừa được người khác sửa.' }, { field: 'id', value: id });
    }
    return created;
  });
  recompute(e, old);
  return { superseded: recordView(e, e.store.getCalibration(id)!), record: recordView(e, e.store.getCalibration(record.id)!) };
}

function mustFind(e: RecordParts, id: number): CalibrationRecord {
  const rec = e.store.getCalibration(id);
  if (!rec) throw new MetronetError('E_NOT_FOUND', { en: `record ${id} is not known`, vi: `Không có bản ghi ${id}.` }, { field: 'certificate', value: id });
  return rec;
}

/** After a correction: channel states rebuilt from the valid records, the failed-verification alert settled, time-based alerts decided again. */
function recompute(e: RecordParts & { evaluatePeriodic(): unknown }, rec: CalibrationRecord): void {
  e.states.forget(rec.instrument);
  const last = e.store.lastCalibration(rec.instrument);
  if (rec.type === 'verification' && rec.result === 'fail' && !(last?.type === 'verification' && last.result === 'fail')) {
    const batch = e.alerts.batch();
    batch.relieve('verification_failed', rec.instrument, null, 0);
    batch.flush();
  }
  e.evaluatePeriodic();
}

// ── seal register ───────────────────────────────────────────────────────────

export function recordSeal(
  e: RecordParts,
  instrumentId: string,
  w: Writer,
  ev: { event: 'break' | 'seal'; at: number; seals: string[]; reason?: string | null },
): SealEvent {
  const inst = e.registry.getInstrument(instrumentId)!;
  const refused = sealRefusal(w, ev, inst, e.store.getService(inst.id)?.lab ?? null);
  if (refused) throw MetronetError.fromIssue(refused);
  return e.registry.records.addSealEvent(
    { instrument: inst.id, event: ev.event, at: ev.at, seals: ev.seals, reason: ev.reason ?? null, by: w.user, byOrg: w.org, calibration: null },
    e.now(),
  );
}

/**
 * A seal broken and not followed by a valid verification within `limitDays` is an alert
 * (`seal_broken`, critical) to the owner, the serving lab and the authority; a verification
 * dated at or after the break settles it. Runs with the periodic evaluation.
 */
export function evaluateSeals(e: Pick<EngineParts, 'registry' | 'store' | 'alerts'>, limitDays = SEAL_BREAK_VERIFY_WITHIN_DAYS): AlertChange[] {
  const batch = e.alerts.batch();
  const pending = e.registry.records.unverifiedBreaks();
  for (const [instrument, b] of pending) {
    if (batch.now - b.at <= limitDays * DAY) continue;
    const inst = e.registry.getInstrument(instrument);
    if (!inst) continue;
    const target = { subject: inst.id, instrument: inst.id, channel: null, org: inst.org, lab: e.store.getService(inst.id)?.lab ?? null };
    batch.raise('seal_broken', target, { at: b.at, limitDays, reason: b.reason });
  }
  for (const a of e.store.liveAlertsOfKinds(['seal_broken'])) {
    const b = a.instrument ? pending.get(a.instrument) : undefined;
    if (!b || batch.now - b.at <= limitDays * DAY) batch.relieve('seal_broken', a.subject, null, 0);
  }
  return batch.flush();
}

/** Designations valid now for a lab (the form's picklist). */
export function validDesignations(all: readonly Designation[], lab: string, at: number): Designation[] {
  return all.filter((d) => d.lab === lab && d.validFrom <= at && (d.validUntil === null || at <= d.validUntil) && d.withdrawnAt === null);
}

function prune(c: RecordContent): RecordContent | null {
  const out = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined && v !== '')) as RecordContent;
  return Object.keys(out).length ? out : null;
}
