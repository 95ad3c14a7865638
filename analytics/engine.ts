import { createHash } from 'node:crypto';
import {
  ANALYTICS_DEFAULTS,
  DRIFT_DEFAULTS,
  MAX_MAGNITUDE,
  unknownChannel,
  unknownInstrument,
  unknownReference,
  type Check,
  type Issue,
} from '../core/index.js';
import type {
  AlertChange,
  AnalyticsStore,
  CalibrationRecord,
  ChannelMetrology,
  CheckRecord,
  Instrument,
  NewCheck,
  ReferenceStandard,
  Registry,
  TraceAnchor,
} from '../store/index.js';
import { AlertSink } from './alert-sink.js';
import { recordCalibration } from './calibrate.js';
import { ChannelStates, checkOrder } from './channel-states.js';
import { decideChannel, predictedBeforeDue } from './decide.js';
import { driftView } from './drift-view.js';
import type { CalibrationInput, CheckResult, CheckSubmission, DriftView, EngineConfig, EngineOptions, EngineParts } from './engine-types.js';
import { impact } from './impact.js';
import { registerInstrument, type InstrumentFacts } from './instruments.js';
import { evaluatePeriodic } from './periodic.js';
import { evaluateSeals, recordAs, recordSeal, supersedeRecord, voidRecord, type RecordRequest, type RecordView } from './records.js';
import type { Writer } from './authority.js';
import { Schedule } from './schedule.js';
import type { Interval } from './due.js';
import { traceabilityAt, type Traceability } from './traceability.js';
import { futureDateIssue, isDecisionCheck, loadRangeIssue, NO_STANDARD_REASON, standardFitness, standardUseIssue } from './entry-rules.js';
import { CHECK_STAGE } from './tolerance.js';

export * from './engine-types.js';

/**
 * The analytics engine: takes checks and calibrations, decides alerts, and runs the periodic
 * time-based evaluation. It composes parts that each own one job — ChannelStates (each
 * channel's running state, rebuilt from the registry), AlertSink (raising, relieving and
 * delivering alerts from the catalogue), Schedule (due dates) — and hands them to the modules
 * that decide: decide.ts (check-based alerts), calibrate.ts, periodic.ts, impact.ts,
 * drift-view.ts. It owns no I/O beyond the registry; alert changes go to `onAlert` (the
 * service publishes them on MQTT and webhooks).
 */
export class Engine implements EngineParts {
  readonly registry: Registry;
  readonly store: AnalyticsStore;
  readonly cfg: EngineConfig;
  readonly now: () => number;
  readonly states: ChannelStates;
  readonly alerts: AlertSink;
  readonly schedule: Schedule;

  constructor(o: EngineOptions) {
    this.registry = o.registry;
    this.store = o.registry.analytics;
    const c = o.config ?? {};
    // The configuration schema's defaults (core/config.ts) for what the caller leaves out.
    this.cfg = {
      decisionRule: c.decisionRule ?? ANALYTICS_DEFAULTS.decisionRule,
      nearLimitFraction: c.nearLimitFraction ?? ANALYTICS_DEFAULTS.nearLimitFraction,
      dueSoonDays: c.dueSoonDays ?? ANALYTICS_DEFAULTS.dueSoonDays,
      offlineAfterMs: c.offlineAfterMs ?? ANALYTICS_DEFAULTS.offlineAfterMs,
      maxFutureMinutes: c.maxFutureMinutes ?? ANALYTICS_DEFAULTS.maxFutureMinutes,
      // Not a legal value (core/legal/records.ts SEAL_BREAK_VERIFY_WITHIN_DAYS): `analytics.sealBreakDays`.
      sealBreakDays: c.sealBreakDays ?? ANALYTICS_DEFAULTS.sealBreakDays,
    };
    this.now = o.now ?? Date.now;
    this.schedule = new Schedule(this.store, this.cfg.dueSoonDays);
    this.alerts = new AlertSink(this.store, this.now, o.onAlert);
    this.states = new ChannelStates(this.store, this.cfg, (inst, ev) => predictedBeforeDue(this.schedule, inst, ev), o.sharedRegistry);
  }

  /** Number of channel states held in memory. */
  get channelsInMemory(): number {
    return this.states.size;
  }

  // ── checks ────────────────────────────────────────────────────────────────

  /**
   * Judges and stores checks, then decides on them. With an idempotency key, a repeat of an
   * earlier submission (same key, same submitter, same checks) changes nothing and is answered
   * with the first answer and `duplicate: true`; the same key with other checks is refused
   * (`conflict`, E_IDEMPOTENCY_MISMATCH) — a client reusing keys must not lose a measurement.
   */
  submitChecks(sub: CheckSubmission): CheckResult & { conflict?: Issue } {
    const key = sub.idempotencyKey;
    if (key === undefined) return this.submitOnce(sub);
    const scope = `${sub.source}:${sub.org ?? ''}:${sub.by ?? ''}`;
    const digest = createHash('sha256').update(JSON.stringify(sub.checks)).digest('hex');
    const prior = this.store.checkSubmission(scope, key);
    if (prior) {
      if (prior.digest !== digest) {
        return {
          stored: [],
          duplicates: 0,
          rejects: [],
          alerts: [],
          conflict: {
            code: 'E_IDEMPOTENCY_MISMATCH',
            field: 'idempotencyKey',
            rule: 'same-key-same-submission',
            value: key,
            message: `idempotency key "${key}" was used before for other checks; use a new key for a new submission`,
            messageVi: `Khóa chống gửi trùng "${key}" đã được dùng cho một lần gửi khác; hãy dùng khóa mới cho lần gửi mới.`,
          },
        };
      }
      const first = JSON.parse(prior.result) as Pick<CheckResult, 'stored' | 'duplicates' | 'rejects'>;
      return { ...first, alerts: [], duplicate: true };
    }
    const r = this.submitOnce(sub);
    this.store.saveCheckSubmission(scope, key, digest, JSON.stringify({ stored: r.stored, duplicates: r.duplicates, rejects: r.rejects }), this.now());
    return { ...r, duplicate: false };
  }

  private submitOnce(sub: CheckSubmission): CheckResult {
    const now = this.now();
    const rejects: CheckResult['rejects'] = [];
    const rows: NewCheck[] = [];
    sub.checks.forEach((c, index) => {
      const issue = this.judge(c, sub, now);
      if ('code' in issue) rejects.push({ ...issue, index });
      else rows.push(issue);
    });
    const stored = this.store.insertChecks(rows);
    const batch = this.alerts.batch();
    // In time order per channel, so each check is judged on what came before it.
    for (const c of [...stored].sort(checkOrder)) this.onCheck(batch, c);
    return { stored, duplicates: rows.length - stored.length, rejects, alerts: batch.flush() };
  }

  private judge(c: Check, sub: CheckSubmission, now: number): NewCheck | Issue {
    const inst = this.registry.getInstrument(c.instrument);
    if (!inst) return unknownInstrument(c.instrument, 'instrument');
    if (sub.org !== undefined && inst.org !== sub.org)
      return {
        code: 'E_FOREIGN_INSTRUMENT',
        field: 'instrument',
        value: c.instrument,
        message: `instrument "${c.instrument}" belongs to another organisation`,
      };
    const channel = this.registry.getChannel(c.instrument, c.channel);
    if (!channel) return unknownChannel(c.instrument, c.channel, { field: 'channel' });
    const future = futureDateIssue(c.ts, now, this.cfg);
    if (future) return future;
    let referenceValue = c.referenceValue;
    let referenceU = c.referenceU ?? null;
    let trace: Traceability | null = null;
    let fitness: string | null = null;
    if (c.reference !== undefined) {
      const ref = this.store.getReference(c.reference);
      if (!ref) return unknownReference(c.reference, 'reference');
      // Before anything of the standard is used or answered: a caller names only its own standards.
      const denied = sub.caller ? standardUseIssue(ref, sub.caller, this.store.getService(inst.id)?.lab ?? null) : null;
      if (denied) return denied;
      // A check is judged against the in-service MPE, and so is its standard (entry-rules.ts).
      const issues = standardFitness(ref, channel, this.states.settings(inst, c.channel).tolerance, c.referenceValue ?? ref.value, c.ts, {
        stage: CHECK_STAGE,
      });
      const wrongQuantity = issues.find((i) => i.code === 'E_STANDARD_QUANTITY');
      if (wrongQuantity) return wrongQuantity;
      fitness = issues.length > 0 ? issues.map((i) => i.message).join('; ') : null;
      referenceValue ??= ref.value;
      referenceU ??= (ref.U * 2) / ref.k; // normalised to k = 2
      trace = this.traceability(ref.id, c.ts);
    }
    if (referenceValue === undefined) {
      return { code: 'E_NO_REFERENCE_VALUE', field: 'reference', message: 'a check needs a registry standard (reference) or its own referenceValue' };
    }
    // A test load outside the channel's range (below Min, above Max, below the MMQ): stored, flagged with its reason.
    const outside = loadRangeIssue(this.states.settings(inst, c.channel).tolerance, referenceValue);
    if (outside) fitness = fitness ? `${fitness}; ${outside.message}` : outside.message;
    // The channel state squares and sums errors and uncertainties: beyond ±MAX_MAGNITUDE (1e15; no
    // instrument indicates that much, VND totals included) they overflow to Infinity, which no view can show.
    for (const [field, value] of [
      ['indicated', c.indicated],
      ['referenceValue', referenceValue],
      ['referenceU', referenceU ?? 0],
    ] as const) {
      if (!(Math.abs(value) <= MAX_MAGNITUDE)) {
        return { code: 'E_SCHEMA', field, rule: 'maximum', value, message: `${field} ${value} is out of range; checks take values within ±${MAX_MAGNITUDE}` };
      }
    }
    return {
      instrument: c.instrument,
      channel: c.channel,
      ts: c.ts,
      reference: c.reference ?? null,
      referenceValue,
      referenceU,
      indicated: c.indicated,
      error: c.indicated - referenceValue,
      source: sub.source,
      by: sub.by ?? null,
      // No registered standard: not traceable (ARCHITECTURE.md), never by default.
      traceable: trace?.traceable ?? false,
      traceReason: trace ? trace.reason : NO_STANDARD_REASON,
      receivedAt: now,
      clientId: c.id ?? null,
      fitness,
    };
  }

  traceability(referenceId: string, at: number): Traceability {
    return traceabilityAt(referenceId, at, (id) => {
      const r = this.store.getReference(id);
      return (
        r && { id: r.id, due: r.due ?? null, parent: r.parent ?? null, outOfTolerance: r.outOfTolerance ?? false, anchor: this.registry.records.anchor(r.id) }
      );
    });
  }

  private onCheck(batch: ReturnType<AlertSink['batch']>, c: CheckRecord): void {
    const inst = this.registry.getInstrument(c.instrument)!;
    const target = { subject: inst.id, instrument: inst.id, channel: c.channel, org: inst.org, lab: this.store.getService(inst.id)?.lab ?? null };
    if (!isDecisionCheck(c)) {
      batch.raise('not_traceable', target, { check: c.id, ts: c.ts, reference: c.reference, reason: c.traceReason });
      return;
    }
    if (c.traceable) batch.relieve('not_traceable', inst.id, c.channel, DRIFT_DEFAULTS.clearAfterChecks);
    const state = this.states.apply(inst, c);
    this.store.saveDriftState(inst.id, c.channel, state.evaluation, batch.now);
    decideChannel(batch, this.schedule, this.cfg.nearLimitFraction, inst, target, state);
  }

  // ── due dates ─────────────────────────────────────────────────────────────

  interval(inst: Instrument): Interval | null {
    return this.schedule.interval(inst);
  }

  nextDue(inst: Instrument): number | null {
    return this.schedule.nextDue(inst);
  }

  // ── calibrations, alerts, references, instruments ────────────────────────

  // ── records written by people (records.ts; who may write: authority.ts) ──

  /** Records a verification or calibration as the signed-in writer: refused unless the rule allows it. */
  recordAs(instrumentId: string, writer: Writer, req: RecordRequest): RecordView {
    return recordAs(this, instrumentId, writer, req);
  }

  /** Voids a record (ISO/IEC 17025 7.8.8); due date, states and alerts follow the valid records. */
  voidRecord(id: number, writer: Writer, reason: string): RecordView {
    return voidRecord(this, id, writer, reason);
  }

  /** Supersedes a record with a new one (ISO/IEC 17025 7.8.8.2); due date, states and alerts follow. */
  supersedeRecord(id: number, writer: Writer, req: RecordRequest, reason: string): { superseded: RecordView; record: RecordView } {
    return supersedeRecord(this, id, writer, req, reason);
  }

  /** A seal break or a new seal in the instrument's seal register. */
  recordSeal(instrumentId: string, writer: Writer, ev: Parameters<typeof recordSeal>[3]) {
    return recordSeal(this, instrumentId, writer, ev);
  }

  recordCalibration(instrumentId: string, input: CalibrationInput): CalibrationRecord {
    return recordCalibration(this, instrumentId, input);
  }

  ackAlert(id: number, by: string | null): AlertChange | 'not-found' | 'not-open' {
    const r = this.store.ackAlert(id, by, this.now());
    if (typeof r !== 'string') this.alerts.notify([r]);
    return r;
  }

  /** A standard was changed: found out of tolerance → impact analysis. */
  referenceUpdated(
    before: { outOfTolerance?: boolean; calibratedOn?: number | null } | undefined,
    after: { id: string; outOfTolerance?: boolean },
  ): AlertChange[] {
    if (!after.outOfTolerance || before?.outOfTolerance) return [];
    return this.impact(after.id, `reference standard ${after.id} was found out of tolerance at its calibration`, before?.calibratedOn ?? undefined);
  }

  /**
   * Creates or replaces a reference standard and, in the same transaction, its traceability anchor
   * (`anchor` omitted: unchanged; null: removed; both audited); found out of tolerance → impact
   * analysis (the alerts raised).
   */
  saveReference(r: ReferenceStandard & { anchor?: TraceAnchor | null }): { saved: ReferenceStandard; impact: AlertChange[] } {
    const { anchor, ...standard } = r;
    const before = this.store.getReference(r.id);
    const saved = this.store.transaction(() => {
      const now = this.now();
      const s = this.store.upsertReference(standard, now);
      if (anchor !== undefined) this.registry.records.setAnchor(r.id, anchor, now);
      return s;
    });
    return { saved, impact: this.referenceUpdated(before, saved) };
  }

  /** Sets a channel's tolerance override, repeatability and analyser flag; its running state is rebuilt on the next check. */
  setChannelMetrology(m: ChannelMetrology): void {
    this.store.setChannelMetrology(m);
    this.metrologyChanged(m.instrument, m.channel);
  }

  /** A channel's tolerance or repeatability changed: its running state is rebuilt on the next check. */
  metrologyChanged(instrumentId: string, channel: string): void {
    this.states.invalidate(instrumentId, channel);
  }

  /** Registers or completes an instrument (instruments.ts). */
  registerInstrument(id: string, org: string, facts: InstrumentFacts): Instrument {
    return registerInstrument(this, id, org, facts);
  }

  drift(instrumentId: string): DriftView {
    return driftView(this, instrumentId);
  }

  evaluatePeriodic(): { changes: AlertChange[]; instruments: number } {
    const r = evaluatePeriodic(this);
    // The seal register (records.ts): a break not followed by a verification in time.
    return { ...r, changes: [...r.changes, ...evaluateSeals(this, this.cfg.sealBreakDays)] };
  }

  /** Reverse traceability (impact.ts): the under-review alerts raised, delivered. */
  impact(referenceId: string, reason: string, since?: number): AlertChange[] {
    const batch = this.alerts.batch();
    impact(this, batch, referenceId, reason, since);
    return batch.flush();
  }

  /** Delivers alert changes made outside the engine (the station monitor). */
  notify(changes: AlertChange[]): AlertChange[] {
    return this.alerts.notify(changes);
  }
}
