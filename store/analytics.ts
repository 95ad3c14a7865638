import type { AlertKind } from '../core/index.js';
import type { Db } from './sqlite.js';
import type { AuditLog } from './audit.js';
import { epochOf } from './instrument-history.js';

/**
 * What analytics keeps in the registry (migration 2): reference standards, instrument service
 * and metrology settings, checks, calibrations, drift state, alerts and webhooks. Shares the
 * registry's SQLite connection; each method is one statement or one transaction.
 */
import type {
  AlertChange,
  AlertFilter,
  AlertInput,
  AlertRecord,
  CalibrationRecord,
  ChannelMetrology,
  CheckRecord,
  CheckSubmissionRecord,
  Delivery,
  InstrumentService,
  NewCalibration,
  NewCheck,
  ReferenceStandard,
  SweepRow,
  Webhook,
} from './analytics-types.js';
import { prepare, toAlert, toCalibration, toChannelMetrology, toCheck, toDelivery, toReference, type Row } from './analytics-statements.js';

export * from './analytics-types.js';

export class AnalyticsStore {
  private readonly s: ReturnType<typeof prepare>;
  private readonly alertLists = new Map<string, ReturnType<Db['prepare']>>();

  constructor(
    private readonly db: Db,
    /** Checks, calibrations, standards, services and acknowledgements are audited (issue 6). */
    private readonly audit?: AuditLog,
  ) {
    this.s = prepare(db);
  }

  transaction<T>(fn: () => T): T {
    // IMMEDIATE: take the write lock at BEGIN, so a writer in another process makes this one wait
    // (busy_timeout) instead of failing at once when a read lock would have to be upgraded.
    return this.db.transaction(fn).immediate();
  }

  // reference standards

  upsertReference(r: ReferenceStandard, now = Date.now()): ReferenceStandard {
    return this.transaction(() => {
      const before = this.getReference(r.id);
      this.s.upsertReference.run({
        id: r.id,
        lab: r.lab,
        quantity: r.quantity,
        unit: r.unit,
        nominal: r.nominal,
        value: r.value,
        u: r.U,
        k: r.k,
        class: r.class ?? null,
        certificate: r.certificate ?? null,
        calibratedOn: r.calibratedOn ?? null,
        due: r.due ?? null,
        parent: r.parent ?? null,
        oot: r.outOfTolerance ? 1 : 0,
        now,
      });
      const after = this.getReference(r.id)!;
      this.audit?.append(before ? 'reference.update' : 'reference.create', `reference:${r.id}`, before ? facts(before) : null, facts(after), now);
      return after;
    });
  }

  getReference(id: string): ReferenceStandard | undefined {
    const row = this.s.getReference.get(id) as Row | undefined;
    return row && toReference(row);
  }

  listReferences(filter: { lab?: string } = {}): ReferenceStandard[] {
    const rows = (filter.lab === undefined ? this.s.listReferences.all() : this.s.listReferencesOfLab.all(filter.lab)) as Row[];
    return rows.map(toReference);
  }

  deleteReference(id: string): boolean {
    return this.transaction(() => {
      const before = this.getReference(id);
      const gone = this.s.deleteReference.run(id).changes > 0;
      if (gone && before) this.audit?.append('reference.delete', `reference:${id}`, facts(before), null);
      return gone;
    });
  }

  /** Standards whose chain runs through `id` (its descendants), `id` included. */
  referenceSubtree(id: string): string[] {
    return (this.s.subtree.all(id) as Array<{ id: string }>).map((r) => r.id);
  }

  setImpactDone(id: string, due: number | null): void {
    this.s.setImpactDone.run(due, id);
  }

  impactDoneFor(id: string): number | null {
    return ((this.s.getReference.get(id) as Row | undefined)?.impact_done_for as number | null) ?? null;
  }

  // service and metrology settings

  setService(s: InstrumentService): void {
    this.transaction(() => {
      const before = this.getService(s.instrument);
      this.s.setService.run(s.instrument, s.lab, s.intervalDays);
      const after = this.getService(s.instrument);
      if (JSON.stringify(before) !== JSON.stringify(after)) this.audit?.append('instrument.service', `instrument:${s.instrument}`, before ?? null, after);
    });
  }

  getService(instrument: string): InstrumentService | undefined {
    const r = this.s.getService.get(instrument) as Row | undefined;
    return r && { instrument: r.instrument as string, lab: r.lab as string | null, intervalDays: r.interval_days as number | null };
  }

  listServices(): InstrumentService[] {
    return (this.s.listServices.all() as Row[]).map((r) => ({
      instrument: r.instrument as string,
      lab: r.lab as string | null,
      intervalDays: r.interval_days as number | null,
    }));
  }

  setChannelMetrology(m: ChannelMetrology): void {
    this.s.setChannelMetrology.run(m.instrument, m.channel, m.tolerance ? JSON.stringify(m.tolerance) : null, m.repeatability, m.analyser ? 1 : 0);
  }

  getChannelMetrology(instrument: string, channel: string): ChannelMetrology | undefined {
    const r = this.s.getChannelMetrology.get(instrument, channel) as Row | undefined;
    return r && toChannelMetrology(r);
  }

  listChannelMetrology(instrument: string): ChannelMetrology[] {
    return (this.s.listChannelMetrology.all(instrument) as Row[]).map(toChannelMetrology);
  }

  setRecallLeadDays(org: string, days: number | null): void {
    this.s.setOrgSettings.run(org, days);
  }

  recallLeadDays(org: string): number | null {
    return ((this.s.getOrgSettings.get(org) as Row | undefined)?.recall_lead_days as number | null) ?? null;
  }

  // checks

  /** Stores checks once per (instrument, channel, ts); returns those newly stored, with ids. */
  insertChecks(checks: NewCheck[]): CheckRecord[] {
    return this.transaction(() => {
      const out: CheckRecord[] = [];
      for (const c of checks) {
        const r = this.s.insertCheck.run({
          instrument: c.instrument,
          channel: c.channel,
          ts: c.ts,
          reference: c.reference,
          referenceValue: c.referenceValue,
          referenceU: c.referenceU,
          indicated: c.indicated,
          error: c.error,
          source: c.source,
          by: c.by,
          traceable: c.traceable ? 1 : 0,
          traceReason: c.traceReason,
          receivedAt: c.receivedAt,
          clientId: c.clientId,
          fitness: c.fitness,
        });
        if (r.changes > 0) out.push({ ...c, id: Number(r.lastInsertRowid), review: null });
      }
      for (const c of out) this.audit?.append('check.create', `instrument:${c.instrument}`, null, c, c.receivedAt);
      return out;
    });
  }

  /** The answer kept for an idempotency key of a submitter, if any (migration 9). */
  checkSubmission(scope: string, key: string): CheckSubmissionRecord | undefined {
    return this.s.getSubmission.get(scope, key) as CheckSubmissionRecord | undefined;
  }

  /** Keeps the answer to a submission under its idempotency key; the first answer stays. */
  saveCheckSubmission(scope: string, key: string, digest: string, result: string, now: number): void {
    this.s.saveSubmission.run(scope, key, digest, result, now);
  }

  listChecks(filter: { instrument: string; channel?: string; from?: number; to?: number; limit?: number }): CheckRecord[] {
    const rows = this.s.listChecks.all({
      instrument: filter.instrument,
      channel: filter.channel ?? null,
      from: filter.from ?? -1,
      to: filter.to ?? Number.MAX_SAFE_INTEGER,
      limit: filter.limit ?? 10_000,
    }) as Row[];
    return rows.map(toCheck);
  }

  /** Checks that relied on any of `references` at or after `since`. */
  checksUsing(references: string[], since: number): CheckRecord[] {
    return (this.s.checksUsing.all(JSON.stringify(references), since) as Row[]).map(toCheck);
  }

  markChecksReview(ids: number[], reason: string): void {
    this.transaction(() => {
      for (const id of ids) {
        this.s.markCheckReview.run(reason, id);
        this.audit?.append('check.review', `check:${id}`, null, { review: reason });
      }
    });
  }

  // calibrations

  insertCalibration(c: NewCalibration, now = Date.now()): CalibrationRecord {
    return this.transaction(() => {
      const r = this.s.insertCalibration.run({
        instrument: c.instrument,
        type: c.type,
        date: c.date,
        lab: c.lab,
        certificate: c.certificate,
        procedure: c.procedure,
        conditions: c.conditions ? JSON.stringify(c.conditions) : null,
        results: JSON.stringify(c.results),
        references: JSON.stringify(c.references),
        result: c.result,
        decisionRule: c.decisionRule,
        statement: c.statement,
        authorisedBy: c.authorisedBy,
        intervalDays: c.intervalDays,
        nextDue: c.nextDue,
        now,
      });
      const saved = this.getCalibration(Number(r.lastInsertRowid))!;
      this.audit?.append('calibration.create', `instrument:${c.instrument}`, null, saved, now);
      return saved;
    });
  }

  getCalibration(id: number): CalibrationRecord | undefined {
    const r = this.s.getCalibration.get(id) as Row | undefined;
    return r && toCalibration(r);
  }

  getCalibrationByCertificate(certificate: string): CalibrationRecord | undefined {
    const r = this.s.getCalibrationByCertificate.get(certificate) as Row | undefined;
    return r && toCalibration(r);
  }

  /** Oldest first. */
  listCalibrations(instrument: string): CalibrationRecord[] {
    return (this.s.listCalibrations.all(instrument) as Row[]).map(toCalibration);
  }

  lastCalibration(instrument: string): CalibrationRecord | undefined {
    const r = this.s.lastCalibration.get(instrument) as Row | undefined;
    return r && toCalibration(r);
  }

  /** The latest calibration date of every instrument that has one (for the periodic sweep). */
  lastCalibrationDates(): Map<string, { date: number; nextDue: number | null; intervalDays: number | null }> {
    const out = new Map<string, { date: number; nextDue: number | null; intervalDays: number | null }>();
    for (const r of this.s.lastCalibrationDates.all() as Row[])
      out.set(r.instrument as string, { date: r.date as number, nextDue: r.next_due as number | null, intervalDays: r.interval_days as number | null });
    return out;
  }

  /** lastCalibrationDates of some instruments only (live events: the instruments that changed). */
  lastCalibrationDatesOf(instruments: string[]): Map<string, { date: number; nextDue: number | null; intervalDays: number | null }> {
    const out = new Map<string, { date: number; nextDue: number | null; intervalDays: number | null }>();
    if (instruments.length === 0) return out;
    this.changeStmts ??= this.prepareChangeStatements();
    for (const r of this.changeStmts.lastDatesOf.all(JSON.stringify(instruments)) as Row[])
      out.set(r.instrument as string, { date: r.date as number, nextDue: r.next_due as number | null, intervalDays: r.interval_days as number | null });
    return out;
  }

  /**
   * Alerts changed (opened, refreshed, acknowledged, cleared) after the change counter `after`,
   * oldest change first, and the counter to ask from next (registry migration 6).
   */
  changedAlerts(after: number, limit = 5000): { items: AlertRecord[]; rev: number } {
    this.changeStmts ??= this.prepareChangeStatements();
    const rows = this.changeStmts.changedAlerts.all(after, limit) as Row[];
    return { items: rows.map(toAlert), rev: rows.length ? (rows[rows.length - 1]!.rev as number) : after };
  }

  /** The alerts change counter now: where a reader starts. */
  alertsRev(): number {
    this.changeStmts ??= this.prepareChangeStatements();
    return (this.changeStmts.counter.get('alerts') as { value: number } | undefined)?.value ?? 0;
  }

  private changeStmts?: ReturnType<AnalyticsStore['prepareChangeStatements']>;
  private prepareChangeStatements() {
    return {
      lastDatesOf: this.db.prepare(
        `SELECT instrument, max(date) AS date, next_due, interval_days FROM calibrations
         WHERE status = 'valid' AND instrument IN (SELECT value FROM json_each(?)) AND created_at >= ${epochOf('calibrations.instrument')} GROUP BY instrument`,
      ),
      changedAlerts: this.db.prepare('SELECT * FROM alerts WHERE rev > ? ORDER BY rev LIMIT ?'),
      counter: this.db.prepare('SELECT value FROM change_counters WHERE name = ?'),
    };
  }

  calibrationsUsing(references: string[], since: number): CalibrationRecord[] {
    return (this.s.calibrationsUsing.all(JSON.stringify(references), since) as Row[]).map(toCalibration);
  }

  markCalibrationsReview(ids: number[], reason: string): void {
    this.transaction(() => {
      for (const id of ids) {
        this.s.markCalibrationReview.run(reason, id);
        this.audit?.append('calibration.review', `calibration:${id}`, null, { review: reason });
      }
    });
  }

  /**
   * What the periodic sweep needs of every registered instrument, in one pass: owner, kind,
   * wiring, last seen, serving lab, interval override and its latest calibration. Rows as arrays
   * (better-sqlite3 raw mode) — this runs over every instrument of the network each period.
   */
  sweepRows(): SweepRow[] {
    return this.s.sweep.raw(true).all() as SweepRow[];
  }

  /** Keys `subject\u0000kind` of live alerts of some kinds (no details parsed). */
  liveAlertKeys(kinds: AlertKind[]): Set<string> {
    return new Set((this.s.liveKeys.raw(true).all(JSON.stringify(kinds)) as Array<[string, string]>).map(([s, k]) => `${s}\u0000${k}`));
  }

  // drift state

  saveDriftState(instrument: string, channel: string, state: unknown, now: number): void {
    this.s.saveDrift.run(instrument, channel, JSON.stringify(state), now);
  }

  driftStates(instrument: string): Array<{ channel: string; state: unknown; updatedAt: number }> {
    return (this.s.driftStates.all(instrument) as Row[]).map((r) => ({
      channel: r.channel as string,
      state: JSON.parse(r.state as string) as unknown,
      updatedAt: r.updated_at as number,
    }));
  }

  // alerts

  getAlert(id: number): AlertRecord | undefined {
    const r = this.s.getAlert.get(id) as Row | undefined;
    return r && toAlert(r);
  }

  liveAlert(subject: string, channel: string | null, kind: AlertKind): AlertRecord | undefined {
    const r = this.s.liveAlert.get(subject, channel ?? '', kind) as Row | undefined;
    return r && toAlert(r);
  }

  /**
   * Raises the condition: opens an alert, or refreshes the live one (its streak of clean
   * evaluations restarts). An update is news only when the severity changes.
   */
  raiseAlert(a: AlertInput, now: number): AlertChange | null {
    return this.transaction(() => {
      const live = this.liveAlert(a.subject, a.channel ?? null, a.kind);
      if (live) {
        this.s.refreshAlert.run({ id: live.id, severity: a.severity, message: a.message, details: JSON.stringify(a.details ?? {}), now });
        const changed = live.severity !== a.severity;
        return changed ? { alert: this.getAlert(live.id)!, event: 'updated' as const } : null;
      }
      const r = this.s.insertAlert.run({
        subject: a.subject,
        channel: a.channel ?? '',
        kind: a.kind,
        severity: a.severity,
        instrument: a.instrument ?? null,
        reference: a.reference ?? null,
        org: a.org ?? null,
        lab: a.lab ?? null,
        message: a.message,
        details: JSON.stringify(a.details ?? {}),
        now,
      });
      return { alert: this.getAlert(Number(r.lastInsertRowid))!, event: 'opened' as const };
    });
  }

  /** The condition is absent: counts towards clearing; clears after `clearAfter` consecutive times. */
  relieveAlert(subject: string, channel: string | null, kind: AlertKind, clearAfter: number, now: number): AlertChange | null {
    return this.transaction(() => {
      const live = this.liveAlert(subject, channel, kind);
      if (!live) return null;
      const streak = (this.s.bumpStreak.get(live.id) as { clear_streak: number }).clear_streak;
      if (streak < clearAfter) return null;
      this.s.clearAlert.run({ now, id: live.id });
      return { alert: this.getAlert(live.id)!, event: 'cleared' as const };
    });
  }

  ackAlert(id: number, by: string | null, now: number): AlertChange | 'not-found' | 'not-open' {
    return this.transaction(() => {
      const a = this.getAlert(id);
      if (!a) return 'not-found' as const;
      if (a.state !== 'open') return 'not-open' as const;
      this.s.ackAlert.run({ now, by, id });
      const after = this.getAlert(id)!;
      this.audit?.append(
        'alert.ack',
        `alert:${id}`,
        { state: a.state, ackedBy: a.ackedBy, ackedAt: a.ackedAt },
        { state: after.state, ackedBy: after.ackedBy, ackedAt: after.ackedAt },
        now,
      );
      return { alert: after, event: 'acknowledged' as const };
    });
  }

  listAlerts(filter: AlertFilter = {}): { items: AlertRecord[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.state === 'live') where.push("state <> 'cleared'");
    else if (filter.state !== undefined) where.push('state = @state'), (params.state = filter.state);
    for (const k of ['kind', 'org', 'lab', 'instrument', 'severity'] as const) {
      if (filter[k] !== undefined) {
        where.push(`${k} = @${k}`);
        params[k] = filter[k];
      }
    }
    // Migration 10: an instrument's alerts, and those a lab sees through serving it, are the current registration's.
    if (filter.instrument !== undefined) where.push(`opened_at >= ${epochOf('alerts.instrument')}`);
    if (filter.visibleToLab !== undefined) {
      where.push(
        `(lab = @visibleToLab OR (instrument IN (SELECT instrument FROM instrument_metrology WHERE lab = @visibleToLab) AND opened_at >= ${epochOf('alerts.instrument')}))`,
      );
      params.visibleToLab = filter.visibleToLab;
    }
    const shape = where.join(' AND ');
    let stmt = this.alertLists.get(shape);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT *, count(*) OVER () AS total FROM alerts ${shape ? `WHERE ${shape}` : ''} ORDER BY id DESC LIMIT @limit OFFSET @offset`);
      this.alertLists.set(shape, stmt);
    }
    const rows = stmt.all({ ...params, limit: filter.limit ?? 100, offset: filter.offset ?? 0 }) as Row[];
    return { items: rows.map(toAlert), total: (rows[0]?.total as number | undefined) ?? 0 };
  }

  /** Live alerts of some kinds (for the periodic sweep to relieve what no longer holds). */
  liveAlertsOfKinds(kinds: AlertKind[]): AlertRecord[] {
    return (this.s.liveOfKinds.all(JSON.stringify(kinds)) as Row[]).map(toAlert);
  }

  // webhooks

  /** Audited without its secret, and with any credentials in the URL redacted. */
  addWebhook(org: string, url: string, secret: string, now = Date.now()): Webhook {
    return this.transaction(() => {
      const id = Number(this.s.addWebhook.run(org, url, secret, now).lastInsertRowid);
      this.audit?.append('webhook.create', `webhook:${id}`, null, { id, org, url: redactUrl(url) }, now);
      return { id, org, url, secret, createdAt: now };
    });
  }

  listWebhooks(org?: string): Webhook[] {
    return ((org === undefined ? this.s.listWebhooks.all() : this.s.listWebhooksOf.all(org)) as Row[]).map((r) => ({
      id: r.id as number,
      org: r.org as string,
      url: r.url as string,
      secret: r.secret as string,
      createdAt: r.created_at as number,
    }));
  }

  deleteWebhook(id: number): boolean {
    return this.transaction(() => {
      const cur = this.db.prepare('SELECT id, org, url FROM webhooks WHERE id = ?').get(id) as { id: number; org: string; url: string } | undefined;
      if (!cur || this.s.deleteWebhook.run(id).changes === 0) return false;
      this.audit?.append('webhook.delete', `webhook:${id}`, { id: cur.id, org: cur.org, url: redactUrl(cur.url) }, null);
      return true;
    });
  }

  enqueueDeliveries(orgs: string[], alert: number, event: string, payload: string, now: number): number {
    return this.transaction(() => {
      let n = 0;
      for (const w of this.s.webhooksOfOrgs.all(JSON.stringify(orgs)) as Array<{ id: number }>) {
        this.s.insertDelivery.run(w.id, alert, event, payload, now, now);
        n++;
      }
      return n;
    });
  }

  dueDeliveries(now: number, limit = 50): Array<Delivery & { url: string; secret: string }> {
    return (this.s.dueDeliveries.all(now, limit) as Row[]).map((r) => ({ ...toDelivery(r), url: r.url as string, secret: r.secret as string }));
  }

  recordDelivery(id: number, outcome: { ok: boolean; status: number | null; error: string | null; nextAt: number | null; now: number }): void {
    this.s.recordDelivery.run({
      id,
      state: outcome.ok ? 'delivered' : outcome.nextAt === null ? 'failed' : 'pending',
      status: outcome.status,
      error: outcome.error,
      nextAt: outcome.nextAt ?? outcome.now,
      delivered: outcome.ok ? outcome.now : null,
    });
  }

  listDeliveries(filter: { webhook?: number; state?: Delivery['state']; limit?: number } = {}): Delivery[] {
    return (this.s.listDeliveries.all({ webhook: filter.webhook ?? null, state: filter.state ?? null, limit: filter.limit ?? 100 }) as Row[]).map(toDelivery);
  }

  /** Webhook deliveries waiting to be sent (first attempt or a retry): the queue depth on /metrics. */
  pendingDeliveries(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'").get() as { n: number }).n;
  }
}

/**
 * A webhook URL as audited: user, password and query values (where endpoints often carry a token)
 * replaced by "redacted". The path stays: a receiver that hides its secret in the path should be given a
 * signing secret instead.
 */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = 'redacted';
    if (u.password) u.password = 'redacted';
    for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, 'redacted');
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** A standard's audited facts: everything but its bookkeeping times. */
function facts({ createdAt: _c, updatedAt: _u, ...r }: ReferenceStandard): Omit<ReferenceStandard, 'createdAt' | 'updatedAt'> {
  return r;
}
