import {
  ANALYTICS_DEFAULTS,
  DRIFT_DEFAULTS,
  LIMITS,
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
} from '../store/index.js';
import { AlertSink } from './alert-sink.js';
import { recordCalibration } from './calibrate.js';
import { ChannelStates } from './channel-states.js';
import { decideChannel, predictedBeforeDue } from './decide.js';
import { driftView } from './drift-view.js';
import type { CalibrationInput, CheckResult, CheckSubmission, DriftView, EngineConfig, EngineOptions, EngineParts } from './engine-types.js';
import { impact } from './impact.js';
import { registerInstrument, type InstrumentFacts } from './instruments.js';
import { evaluatePeriodic } from './periodic.js';
import { Schedule } from './schedule.js';
import { traceabilityAt, type Traceability } from './traceability.js';

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

  submitChecks(sub: CheckSubmission): CheckResult {
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
    for (const c of [...stored].sort((a, b) => a.ts - b.ts)) this.onCheck(batch, c);
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
    if (!this.registry.getChannel(c.instrument, c.channel)) return unknownChannel(c.instrument, c.channel, { field: 'channel' });
    if (c.ts > now + LIMITS.maxFutureMs)
      return { code: 'E_TS_IN_FUTURE', field: 'ts', value: c.ts, message: `check ts is ${Math.round((c.ts - now) / 1000)} s ahead of the server clock` };
    let referenceValue = c.referenceValue;
    let referenceU = c.referenceU ?? null;
    let trace: Traceability | null = null;
    if (c.reference !== undefined) {
      const ref = this.store.getReference(c.reference);
      if (!ref) return unknownReference(c.reference, 'reference');
      referenceValue ??= ref.value;
      referenceU ??= (ref.U * 2) / ref.k; // normalised to k = 2
      trace = this.traceability(ref.id, c.ts);
    }
    if (referenceValue === undefined) {
      return { code: 'E_NO_REFERENCE_VALUE', field: 'reference', message: 'a check needs a registry standard (reference) or its own referenceValue' };
    }
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
      traceable: trace?.traceable ?? true,
      traceReason: trace?.reason ?? null,
      receivedAt: now,
    };
  }

  traceability(referenceId: string, at: number): Traceability {
    return traceabilityAt(referenceId, at, (id) => {
      const r = this.store.getReference(id);
      return r && { id: r.id, due: r.due ?? null, parent: r.parent ?? null, outOfTolerance: r.outOfTolerance ?? false };
    });
  }

  private onCheck(batch: ReturnType<AlertSink['batch']>, c: CheckRecord): void {
    const inst = this.registry.getInstrument(c.instrument)!;
    const target = { subject: inst.id, instrument: inst.id, channel: c.channel, org: inst.org, lab: this.store.getService(inst.id)?.lab ?? null };
    if (!c.traceable) {
      batch.raise('not_traceable', target, { check: c.id, ts: c.ts, reference: c.reference, reason: c.traceReason });
      return;
    }
    batch.relieve('not_traceable', inst.id, c.channel, DRIFT_DEFAULTS.clearAfterChecks);
    const state = this.states.apply(inst, c);
    this.store.saveDriftState(inst.id, c.channel, state.evaluation, batch.now);
    decideChannel(batch, this.schedule, this.cfg.nearLimitFraction, inst, target, state);
  }

  // ── due dates ─────────────────────────────────────────────────────────────

  intervalDays(inst: Instrument): number | null {
    return this.schedule.intervalDays(inst);
  }

  nextDue(inst: Instrument): number | null {
    return this.schedule.nextDue(inst);
  }

  // ── calibrations, alerts, references, instruments ────────────────────────

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

  /** Creates or replaces a reference standard; found out of tolerance → impact analysis (the alerts raised). */
  saveReference(r: ReferenceStandard): { saved: ReferenceStandard; impact: AlertChange[] } {
    const before = this.store.getReference(r.id);
    const saved = this.store.upsertReference(r, this.now());
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
    return evaluatePeriodic(this);
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
