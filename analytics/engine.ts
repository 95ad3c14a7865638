import { DEFAULT_INTERVAL_DAYS, DEFAULT_TOLERANCE_BY_KIND, DRIFT_DEFAULTS, LIMITS, MAX_MAGNITUDE, type Check, type Issue } from '../core/index.js';
import type { AlertChange, CalibrationRecord, CheckRecord, Instrument, NewCheck } from '../store/index.js';
import { recordCalibration } from './calibrate.js';
import { addCheck, calibrationPriors, defaultSettings, evaluate, newAcc, type ChannelAcc, type ChannelSettings } from './channel.js';
import { decideChannel } from './decide.js';
import { DAY } from './due.js';
import { driftView } from './drift-view.js';
import { iso, push, type CalibrationInput, type CheckResult, type CheckSubmission, type DriftView, type EngineConfig, type EngineOptions } from './engine-types.js';
import { evaluatePeriodic, impact } from './periodic.js';
import { traceabilityAt, type Traceability } from './traceability.js';

export * from './engine-types.js';

/**
 * The analytics engine: takes checks and calibrations, keeps each channel's running state,
 * decides alerts, and runs the periodic time-based evaluation. It owns no I/O beyond the
 * registry; alert changes go to `onAlert` (the service publishes them on MQTT and webhooks).
 * The per-concern work lives beside it: decide.ts (check-based alerts), calibrate.ts,
 * drift-view.ts, periodic.ts (time-based alerts and reverse traceability).
 */
export class Engine {
  /** @internal Running state per `${instrument}\u0000${channel}`. */
  readonly accs = new Map<string, ChannelAcc>();
  /** @internal Consecutive checks on which a channel's prediction met the alert conditions. */
  readonly predictedStreak = new Map<string, number>();
  /** @internal */
  readonly cfg: EngineConfig;
  readonly now: () => number;

  constructor(private readonly o: EngineOptions) {
    this.cfg = {
      decisionRule: o.config?.decisionRule ?? DRIFT_DEFAULTS.decisionRule,
      nearLimitFraction: o.config?.nearLimitFraction ?? DRIFT_DEFAULTS.nearLimitFraction,
      dueSoonDays: o.config?.dueSoonDays ?? DRIFT_DEFAULTS.dueSoonDays,
      offlineAfterMs: o.config?.offlineAfterMs ?? 3_600_000,
    };
    this.now = o.now ?? Date.now;
  }

  get registry() {
    return this.o.registry;
  }

  get store() {
    return this.o.registry.analytics;
  }

  /** Number of channel states held in memory. */
  get channelsInMemory(): number {
    return this.accs.size;
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
    const alerts: AlertChange[] = [];
    // In time order per channel, so each check is judged on what came before it.
    for (const c of [...stored].sort((a, b) => a.ts - b.ts)) alerts.push(...this.onCheck(c));
    return { stored, duplicates: rows.length - stored.length, rejects, alerts };
  }

  private judge(c: Check, sub: CheckSubmission, now: number): NewCheck | Issue {
    const inst = this.o.registry.getInstrument(c.instrument);
    if (!inst) return { code: 'E_UNKNOWN_INSTRUMENT', field: 'instrument', value: c.instrument, message: `instrument "${c.instrument}" is not known` };
    if (sub.org !== undefined && inst.org !== sub.org) return { code: 'E_FOREIGN_INSTRUMENT', field: 'instrument', value: c.instrument, message: `instrument "${c.instrument}" belongs to another organisation` };
    if (!this.o.registry.getChannel(c.instrument, c.channel)) {
      return { code: 'E_UNKNOWN_CHANNEL', field: 'channel', value: c.channel, message: `instrument ${c.instrument} has no channel "${c.channel}"` };
    }
    if (c.ts > now + LIMITS.maxFutureMs) return { code: 'E_TS_IN_FUTURE', field: 'ts', value: c.ts, message: `check ts is ${Math.round((c.ts - now) / 1000)} s ahead of the server clock` };
    let referenceValue = c.referenceValue;
    let referenceU = c.referenceU ?? null;
    let trace: Traceability | null = null;
    if (c.reference !== undefined) {
      const ref = this.store.getReference(c.reference);
      if (!ref) return { code: 'E_UNKNOWN_REFERENCE', field: 'reference', value: c.reference, message: `reference standard "${c.reference}" is not known` };
      referenceValue ??= ref.value;
      referenceU ??= (ref.U * 2) / ref.k; // normalised to k = 2
      trace = this.traceability(ref.id, c.ts);
    }
    if (referenceValue === undefined) {
      return { code: 'E_NO_REFERENCE_VALUE', field: 'reference', message: 'a check needs a registry standard (reference) or its own referenceValue' };
    }
    // The channel state squares and sums errors and uncertainties: beyond ±MAX_MAGNITUDE (1e15; no
    // instrument indicates that much, VND totals included) they overflow to Infinity, which no view can show.
    for (const [field, value] of [['indicated', c.indicated], ['referenceValue', referenceValue], ['referenceU', referenceU ?? 0]] as const) {
      if (!(Math.abs(value) <= MAX_MAGNITUDE)) {
        return { code: 'E_SCHEMA', field, rule: 'maximum', value, message: `${field} ${value} is out of range; checks take values within ±${MAX_MAGNITUDE}` };
      }
    }
    return {
      instrument: c.instrument, channel: c.channel, ts: c.ts, reference: c.reference ?? null, referenceValue, referenceU, indicated: c.indicated,
      error: c.indicated - referenceValue, source: sub.source, by: sub.by ?? null, traceable: trace?.traceable ?? true, traceReason: trace?.reason ?? null, receivedAt: now,
    };
  }

  traceability(referenceId: string, at: number): Traceability {
    return traceabilityAt(referenceId, at, (id) => {
      const r = this.store.getReference(id);
      return r && { id: r.id, due: r.due ?? null, parent: r.parent ?? null, outOfTolerance: r.outOfTolerance ?? false };
    });
  }

  private onCheck(c: CheckRecord): AlertChange[] {
    const inst = this.o.registry.getInstrument(c.instrument)!;
    const settings = this.settings(inst, c.channel);
    const changes: AlertChange[] = [];
    const lab = this.store.getService(inst.id)?.lab ?? null;
    const base = { subject: inst.id, instrument: inst.id, channel: c.channel, org: inst.org, lab };
    if (!c.traceable) {
      push(changes, this.store.raiseAlert({ ...base, kind: 'not_traceable', severity: 'warning', message: `check at ${iso(c.ts)} against ${c.reference} is not traceable: ${c.traceReason}; excluded from decisions`, details: { check: c.id, reference: c.reference, reason: c.traceReason } }, this.now()));
      return this.notify(changes);
    }
    push(changes, this.store.relieveAlert(inst.id, c.channel, 'not_traceable', DRIFT_DEFAULTS.clearAfterChecks, this.now()));
    const key = `${c.instrument}\u0000${c.channel}`;
    let acc = this.accs.get(key);
    // A missing state is rebuilt from the store up to this check (it is stored already, and later
    // checks of the same batch follow incrementally); a late check rebuilds the whole series.
    if (!acc || this.o.sharedRegistry) acc = this.rebuild(inst, c.channel, settings, c.ts);
    else if (acc.last && c.ts < acc.last.ts) acc = this.rebuild(inst, c.channel, settings);
    else addCheck(acc, settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
    this.accs.set(key, acc);
    const ev = evaluate(acc, settings);
    this.store.saveDriftState(inst.id, c.channel, ev, this.now());
    changes.push(...decideChannel(this, inst, c.channel, ev, base));
    return this.notify(changes);
  }



  /** @internal */
  rebuild(inst: Instrument, channel: string, settings: ChannelSettings, upTo = Number.MAX_SAFE_INTEGER - 1): ChannelAcc {
    const cal = this.store.lastCalibration(inst.id);
    const checks = this.store.listChecks({ instrument: inst.id, channel, from: cal?.date ?? 0, to: upTo + 1, limit: 1_000_000 });
    // The as-left error is the shift detector's prior in-control mean, worth (σ/u)² checks (changepoint.ts).
    const priors = calibrationPriors(cal?.results ?? [], channel, settings);
    const acc = newAcc(cal?.date ?? checks[0]?.ts ?? 0, priors.prior, priors.levels);
    for (const c of checks) if (c.traceable && c.review === null) addCheck(acc, settings, { ts: c.ts, error: c.error, referenceValue: c.referenceValue, referenceU: c.referenceU ?? 0 });
    return acc;
  }

  /** @internal */
  settings(inst: Instrument, channel: string): ChannelSettings {
    const m = this.store.getChannelMetrology(inst.id, channel);
    return defaultSettings({
      tolerance: m?.tolerance ?? (inst.kind ? (DEFAULT_TOLERANCE_BY_KIND[inst.kind] ?? null) : null),
      repeatability: m?.repeatability ?? null,
      analyser: m?.analyser ?? false,
      decisionRule: this.cfg.decisionRule,
      nearLimitFraction: this.cfg.nearLimitFraction,
    });
  }


  // ── due dates ─────────────────────────────────────────────────────────────

  intervalDays(inst: Instrument): number | null {
    return this.store.getService(inst.id)?.intervalDays ?? (inst.kind ? DEFAULT_INTERVAL_DAYS[inst.kind] : null);
  }

  nextDue(inst: Instrument): number | null {
    const cal = this.store.lastCalibration(inst.id);
    if (!cal) return null;
    if (cal.nextDue !== null) return cal.nextDue;
    const days = cal.intervalDays ?? this.intervalDays(inst);
    return days === null ? null : cal.date + days * DAY;
  }

  /** The due date a prediction is judged against; without one, one interval from now. */
  effectiveDue(inst: Instrument, at: number): number {
    return this.nextDue(inst) ?? at + (this.intervalDays(inst) ?? 365) * DAY;
  }

  leadDays(org: string): number {
    return this.store.recallLeadDays(org) ?? this.cfg.dueSoonDays;
  }


  // ── calibrations, alerts, references ─────────────────────────────────────

  recordCalibration(instrumentId: string, input: CalibrationInput): CalibrationRecord {
    return recordCalibration(this, instrumentId, input);
  }

  ackAlert(id: number, by: string | null): AlertChange | 'not-found' | 'not-open' {
    const r = this.store.ackAlert(id, by, this.now());
    if (typeof r !== 'string') this.notify([r]);
    return r;
  }

  /** A standard was changed through the API: found out of tolerance → impact analysis. */
  referenceUpdated(before: { outOfTolerance?: boolean; calibratedOn?: number | null } | undefined, after: { id: string; outOfTolerance?: boolean }): AlertChange[] {
    if (!after.outOfTolerance || before?.outOfTolerance) return [];
    return this.impact(after.id, `reference standard ${after.id} was found out of tolerance at its calibration`, { since: before?.calibratedOn ?? undefined });
  }
  /** A channel's tolerance or repeatability changed: its running state is rebuilt on the next check. */
  metrologyChanged(instrumentId: string, channel: string): void {
    this.accs.delete(`${instrumentId}\u0000${channel}`);
    this.predictedStreak.delete(`${instrumentId}\u0000${channel}`);
  }

  drift(instrumentId: string): DriftView {
    return driftView(this, instrumentId);
  }

  evaluatePeriodic(): { changes: AlertChange[]; instruments: number } {
    return evaluatePeriodic(this);
  }

  /** Reverse traceability (periodic.ts). */
  impact(referenceId: string, reason: string, o: { since?: number; silentNotify?: boolean } = {}): AlertChange[] {
    return impact(this, referenceId, reason, o);
  }

  /** @internal */
  notify(changes: AlertChange[]): AlertChange[] {
    if (this.o.onAlert) for (const c of changes) this.o.onAlert(c);
    return changes;
  }
}
