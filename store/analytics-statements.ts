import type { Db } from './sqlite.js';
import { epochOf } from './instrument-history.js';
import type { AlertKind, AlertSeverity, AlertState, ToleranceSpec } from '../core/index.js';
import type { AlertRecord, CalibrationRecord, ChannelMetrology, CheckRecord, Delivery, ReferenceStandard, TestPoint } from './analytics-types.js';

/** The analytics store's prepared statements and row mappers (store/analytics.ts). */
export type Row = Record<string, unknown>;

export function prepare(db: Db) {
  return {
    upsertReference: db.prepare(
      `INSERT INTO reference_standards (id, lab, quantity, unit, nominal, value, u, k, class, certificate, calibrated_on, due, parent, out_of_tolerance, created_at, updated_at)
       VALUES (@id, @lab, @quantity, @unit, @nominal, @value, @u, @k, @class, @certificate, @calibratedOn, @due, @parent, @oot, @now, @now)
       ON CONFLICT (id) DO UPDATE SET lab = excluded.lab, quantity = excluded.quantity, unit = excluded.unit, nominal = excluded.nominal,
         value = excluded.value, u = excluded.u, k = excluded.k, class = excluded.class, certificate = excluded.certificate,
         calibrated_on = excluded.calibrated_on, due = excluded.due, parent = excluded.parent, out_of_tolerance = excluded.out_of_tolerance,
         updated_at = excluded.updated_at`,
    ),
    getReference: db.prepare('SELECT * FROM reference_standards WHERE id = ?'),
    listReferences: db.prepare('SELECT * FROM reference_standards ORDER BY id'),
    listReferencesOfLab: db.prepare('SELECT * FROM reference_standards WHERE lab = ? ORDER BY id'),
    deleteReference: db.prepare('DELETE FROM reference_standards WHERE id = ?'),
    subtree: db.prepare(
      `WITH RECURSIVE sub(id, depth) AS (SELECT ?, 0 UNION SELECT r.id, sub.depth + 1 FROM reference_standards r JOIN sub ON r.parent = sub.id WHERE sub.depth < 16)
       SELECT DISTINCT id FROM sub`,
    ),
    setImpactDone: db.prepare('UPDATE reference_standards SET impact_done_for = ? WHERE id = ?'),
    setService: db.prepare(
      `INSERT INTO instrument_metrology (instrument, lab, interval_days) VALUES (?, ?, ?)
       ON CONFLICT (instrument) DO UPDATE SET lab = excluded.lab, interval_days = excluded.interval_days`,
    ),
    getService: db.prepare('SELECT * FROM instrument_metrology WHERE instrument = ?'),
    listServices: db.prepare('SELECT * FROM instrument_metrology'),
    setChannelMetrology: db.prepare(
      `INSERT INTO channel_metrology (instrument, channel, tolerance, repeatability, analyser) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (instrument, channel) DO UPDATE SET tolerance = excluded.tolerance, repeatability = excluded.repeatability, analyser = excluded.analyser`,
    ),
    getChannelMetrology: db.prepare('SELECT * FROM channel_metrology WHERE instrument = ? AND channel = ?'),
    listChannelMetrology: db.prepare('SELECT * FROM channel_metrology WHERE instrument = ? ORDER BY channel'),
    setOrgSettings: db.prepare(
      'INSERT INTO org_settings (org, recall_lead_days) VALUES (?, ?) ON CONFLICT (org) DO UPDATE SET recall_lead_days = excluded.recall_lead_days',
    ),
    getOrgSettings: db.prepare('SELECT * FROM org_settings WHERE org = ?'),
    insertCheck: db.prepare(
      // Identity (migration 9): instrument, channel, ts, reference, reference value and client id — several loads at one instant are distinct checks.
      `INSERT INTO checks (instrument, channel, ts, reference, reference_value, reference_u, indicated, error, source, by, traceable, trace_reason, received_at, client_id, fitness)
       VALUES (@instrument, @channel, @ts, @reference, @referenceValue, @referenceU, @indicated, @error, @source, @by, @traceable, @traceReason, @receivedAt, @clientId, @fitness)
       ON CONFLICT DO NOTHING`,
    ),
    getSubmission: db.prepare('SELECT digest, result FROM check_submissions WHERE scope = ? AND key = ?'),
    saveSubmission: db.prepare('INSERT INTO check_submissions (scope, key, digest, result, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    listChecks: db.prepare(
      // Migration 10: the current registration's checks only (received at or after its epoch).
      `SELECT * FROM checks WHERE instrument = @instrument AND (@channel IS NULL OR channel = @channel) AND ts >= @from AND ts < @to
         AND received_at >= ${epochOf('@instrument')}
       ORDER BY ts, id LIMIT @limit`,
    ),
    checksUsing: db.prepare('SELECT * FROM checks WHERE reference IN (SELECT value FROM json_each(?)) AND ts >= ? ORDER BY ts'),
    markCheckReview: db.prepare('UPDATE checks SET review = ? WHERE id = ?'),
    insertCalibration: db.prepare(
      `INSERT INTO calibrations (instrument, type, date, lab, certificate, procedure, conditions, results, references_used, result, decision_rule, statement, authorised_by, interval_days, next_due, created_at)
       VALUES (@instrument, @type, @date, @lab, @certificate, @procedure, @conditions, @results, @references, @result, @decisionRule, @statement, @authorisedBy, @intervalDays, @nextDue, @now)`,
    ),
    getCalibration: db.prepare('SELECT * FROM calibrations WHERE id = ?'),
    getCalibrationByCertificate: db.prepare('SELECT * FROM calibrations WHERE certificate = ?'),
    // Migration 10: every read of an instrument's calibrations keeps the current registration's (recorded at or after its epoch).
    listCalibrations: db.prepare(`SELECT * FROM calibrations WHERE instrument = ? AND created_at >= ${epochOf('calibrations.instrument')} ORDER BY date, id`),
    // Voided and superseded records (migration 8, ISO/IEC 17025 7.8.8) never count as the last one.
    lastCalibration: db.prepare(
      `SELECT * FROM calibrations WHERE instrument = ? AND status = 'valid' AND created_at >= ${epochOf('calibrations.instrument')} ORDER BY date DESC, id DESC LIMIT 1`,
    ),
    lastCalibrationDates: db.prepare(
      // SQLite fills bare columns from the row holding max() (https://www.sqlite.org/lang_select.html#bareagg):
      // one pass over the (instrument, date) index instead of a subquery per instrument.
      `SELECT instrument, max(date) AS date, next_due, interval_days FROM calibrations WHERE status = 'valid' AND created_at >= ${epochOf('calibrations.instrument')} GROUP BY instrument`,
    ),
    calibrationsUsing: db.prepare(
      `SELECT DISTINCT c.* FROM calibrations c, json_each(c.references_used) j WHERE j.value IN (SELECT value FROM json_each(?)) AND c.date >= ? ORDER BY c.date`,
    ),
    markCalibrationReview: db.prepare('UPDATE calibrations SET review = ? WHERE id = ?'),
    saveDrift: db.prepare(
      `INSERT INTO drift_state (instrument, channel, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (instrument, channel) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ),
    driftStates: db.prepare('SELECT * FROM drift_state WHERE instrument = ? ORDER BY channel'),
    getAlert: db.prepare('SELECT * FROM alerts WHERE id = ?'),
    liveAlert: db.prepare("SELECT * FROM alerts WHERE subject = ? AND channel = ? AND kind = ? AND state <> 'cleared'"),
    insertAlert: db.prepare(
      `INSERT INTO alerts (subject, channel, kind, severity, state, instrument, reference, org, lab, message, details, opened_at, updated_at)
       VALUES (@subject, @channel, @kind, @severity, 'open', @instrument, @reference, @org, @lab, @message, @details, @now, @now)`,
    ),
    refreshAlert: db.prepare(
      'UPDATE alerts SET severity = @severity, message = @message, details = @details, updated_at = @now, clear_streak = 0 WHERE id = @id',
    ),
    bumpStreak: db.prepare('UPDATE alerts SET clear_streak = clear_streak + 1 WHERE id = ? RETURNING clear_streak'),
    clearAlert: db.prepare("UPDATE alerts SET state = 'cleared', cleared_at = @now, updated_at = @now WHERE id = @id"),
    ackAlert: db.prepare("UPDATE alerts SET state = 'acknowledged', acked_at = @now, acked_by = @by, updated_at = @now WHERE id = @id"),
    sweep: db.prepare(
      `SELECT i.id, i.org, i.kind, i.gateway, i.last_seen, m.lab, m.interval_days, c.date, c.next_due, c.interval_days
       FROM instruments i
       LEFT JOIN instrument_metrology m ON m.instrument = i.id
       LEFT JOIN (SELECT instrument, max(date) AS date, next_due, interval_days FROM calibrations
                  WHERE status = 'valid' AND created_at >= ${epochOf('calibrations.instrument')} GROUP BY instrument) c ON c.instrument = i.id
       WHERE i.registration = 'registered'`,
    ),
    liveKeys: db.prepare("SELECT subject, kind FROM alerts WHERE state <> 'cleared' AND kind IN (SELECT value FROM json_each(?))"),
    liveOfKinds: db.prepare("SELECT * FROM alerts WHERE state <> 'cleared' AND kind IN (SELECT value FROM json_each(?))"),
    addWebhook: db.prepare('INSERT INTO webhooks (org, url, secret, created_at) VALUES (?, ?, ?, ?)'),
    listWebhooks: db.prepare('SELECT * FROM webhooks ORDER BY id'),
    listWebhooksOf: db.prepare('SELECT * FROM webhooks WHERE org = ? ORDER BY id'),
    deleteWebhook: db.prepare('DELETE FROM webhooks WHERE id = ?'),
    webhooksOfOrgs: db.prepare('SELECT id FROM webhooks WHERE org IN (SELECT value FROM json_each(?))'),
    insertDelivery: db.prepare(
      "INSERT INTO webhook_deliveries (webhook, alert, event, payload, state, next_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
    ),
    dueDeliveries: db.prepare(
      `SELECT d.*, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook
       WHERE d.state = 'pending' AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`,
    ),
    recordDelivery: db.prepare(
      `UPDATE webhook_deliveries SET state = @state, attempts = attempts + 1, last_status = @status, last_error = @error, next_at = @nextAt,
         delivered_at = @delivered WHERE id = @id`,
    ),
    listDeliveries: db.prepare(
      `SELECT * FROM webhook_deliveries WHERE (@webhook IS NULL OR webhook = @webhook) AND (@state IS NULL OR state = @state) ORDER BY id DESC LIMIT @limit`,
    ),
  };
}

export function toReference(r: Row): ReferenceStandard {
  return {
    id: r.id as string,
    lab: r.lab as string,
    quantity: r.quantity as string,
    unit: r.unit as string,
    nominal: r.nominal as number,
    value: r.value as number,
    U: r.u as number,
    k: r.k as number,
    class: r.class as string | null,
    certificate: r.certificate as string | null,
    calibratedOn: r.calibrated_on as number | null,
    due: r.due as number | null,
    parent: r.parent as string | null,
    outOfTolerance: r.out_of_tolerance === 1,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

export function toChannelMetrology(r: Row): ChannelMetrology {
  return {
    instrument: r.instrument as string,
    channel: r.channel as string,
    tolerance: r.tolerance ? (JSON.parse(r.tolerance as string) as ToleranceSpec) : null,
    repeatability: r.repeatability as number | null,
    analyser: r.analyser === 1,
  };
}

export function toCheck(r: Row): CheckRecord {
  return {
    id: r.id as number,
    instrument: r.instrument as string,
    channel: r.channel as string,
    ts: r.ts as number,
    reference: r.reference as string | null,
    referenceValue: r.reference_value as number,
    referenceU: r.reference_u as number | null,
    indicated: r.indicated as number,
    error: r.error as number,
    source: r.source as string,
    by: r.by as string | null,
    traceable: r.traceable === 1,
    traceReason: r.trace_reason as string | null,
    review: r.review as string | null,
    receivedAt: r.received_at as number,
    clientId: (r.client_id as string | null) ?? null,
    fitness: (r.fitness as string | null) ?? null,
  };
}

export function toCalibration(r: Row): CalibrationRecord {
  return {
    id: r.id as number,
    instrument: r.instrument as string,
    type: r.type as CalibrationRecord['type'],
    date: r.date as number,
    lab: r.lab as string,
    certificate: r.certificate as string,
    procedure: r.procedure as string | null,
    conditions: r.conditions ? (JSON.parse(r.conditions as string) as Record<string, unknown>) : null,
    results: JSON.parse(r.results as string) as TestPoint[],
    references: JSON.parse(r.references_used as string) as string[],
    result: r.result as CalibrationRecord['result'],
    decisionRule: r.decision_rule as CalibrationRecord['decisionRule'],
    statement: r.statement as string | null,
    authorisedBy: r.authorised_by as string,
    intervalDays: r.interval_days as number | null,
    nextDue: r.next_due as number | null,
    review: r.review as string | null,
    createdAt: r.created_at as number,
    status: (r.status as CalibrationRecord['status']) ?? 'valid',
  };
}

export function toAlert(r: Row): AlertRecord {
  return {
    id: r.id as number,
    kind: r.kind as AlertKind,
    severity: r.severity as AlertSeverity,
    state: r.state as AlertState,
    subject: r.subject as string,
    instrument: r.instrument as string | null,
    channel: (r.channel as string) === '' ? null : (r.channel as string),
    reference: r.reference as string | null,
    org: r.org as string | null,
    lab: r.lab as string | null,
    message: r.message as string,
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    openedAt: r.opened_at as number,
    updatedAt: r.updated_at as number,
    ackedAt: r.acked_at as number | null,
    ackedBy: r.acked_by as string | null,
    clearedAt: r.cleared_at as number | null,
  };
}

export function toDelivery(r: Row): Delivery {
  return {
    id: r.id as number,
    webhook: r.webhook as number,
    alert: r.alert as number,
    event: r.event as string,
    payload: r.payload as string,
    state: r.state as Delivery['state'],
    attempts: r.attempts as number,
    nextAt: r.next_at as number,
    lastError: r.last_error as string | null,
    lastStatus: r.last_status as number | null,
    deliveredAt: r.delivered_at as number | null,
    createdAt: r.created_at as number,
  };
}
