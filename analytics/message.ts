import type { Alert } from '../core/index.js';
import type { AlertChange, AlertRecord } from '../store/index.js';

/** An alert change as the wire message of core/alerts.ts (MQTT, webhooks), with its text code and params. */
export function toAlertMessage(change: AlertChange): Alert {
  const a = change.alert;
  return {
    v: 1, id: a.id, event: change.event, kind: a.kind, severity: a.severity, state: a.state, subject: a.subject, instrument: a.instrument, channel: a.channel,
    reference: a.reference, org: a.org, lab: a.lab, message: a.message, details: a.details, openedAt: a.openedAt, updatedAt: a.updatedAt, ackedAt: a.ackedAt,
    ackedBy: a.ackedBy, clearedAt: a.clearedAt, ...alertText(a),
  };
}

/** A parameter of an alert text: numbers raw (the reader formats them), times as epoch ms. */
export type AlertParam = string | number | null;

/**
 * What an alert says, for a reader to write it in its own language (issue 7): a stable `code`
 * (`alert.<kind>`, with a variant suffix where the sentence differs) and its `params`. The
 * English `message` stays as written by analytics, for API users; the web UI renders the code
 * from i18n-vi.js / i18n-en.js with Vietnamese number and date formats.
 *
 * Derived from the alert's kind and `details` (which analytics stores with every alert), so it
 * holds for alerts raised before this existed. Params per code:
 *   out_of_tolerance        error, mpe, unit, ts, rule ('simple' | 'guarded' | null)
 *   near_limit              error, mpe, unit, percent (of the MPE)
 *   predicted_out_of_tolerance  predictedTs, due, recommendedTs
 *   shift_detected.up|down  ts
 *   analyser_out_of_control.once|consecutive  series ('zero' | 'span' | 'both' | …), suspectSince
 *   due_soon                due, leadDays        overdue  due
 *   standard_expired        reference, due, certificate
 *   not_traceable           reference, reason (English, as traceability.ts writes it)
 *   under_review            reference, since, checks, calibrations, reason
 *   instrument_offline      lastSeen
 *   station_gap             lastTs, intervalS, toleranceS
 *   limit_exceeded.max|min  value, limit, unit, period ('1h' | '8h' | '24h'), source
 * Every code also has `instrument`, `channel` and `subject`.
 */
export interface AlertText {
  code: string;
  params: Record<string, AlertParam>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `unit`: the unit of the alert's channel (errors are in it), when the caller knows it. */
export function alertText(a: Pick<AlertRecord, 'kind' | 'details' | 'message' | 'instrument' | 'channel' | 'subject' | 'reference'>, unit: string | null = null): AlertText {
  const d = a.details ?? {};
  const base = { instrument: a.instrument, channel: a.channel, subject: a.subject };
  const k = a.kind;
  switch (k) {
    case 'out_of_tolerance':
      return { code: `alert.${k}`, params: { ...base, error: num(d.error), mpe: num(d.mpe), unit, ts: num(d.ts), rule: /\((simple|guarded) acceptance\)/.exec(a.message)?.[1] ?? null } };
    case 'near_limit':
      return { code: `alert.${k}`, params: { ...base, error: num(d.error), mpe: num(d.mpe), unit, percent: num(Number(/(\d+) % of MPE/.exec(a.message)?.[1])) } };
    case 'predicted_out_of_tolerance':
      return { code: `alert.${k}`, params: { ...base, predictedTs: num(d.predictedTs), due: num(d.due), recommendedTs: num(d.recommendedTs) } };
    case 'shift_detected': {
      const s = d.recentSignal as { ts?: number; direction?: string } | null | undefined;
      return { code: `alert.${k}.${s?.direction === 'down' ? 'down' : 'up'}`, params: { ...base, ts: num(s?.ts) } };
    }
    case 'analyser_out_of_control':
      return { code: `alert.${k}.${d.reason === 'once' ? 'once' : 'consecutive'}`, params: { ...base, series: str(d.series), suspectSince: num(d.suspectSince) } };
    case 'due_soon':
      return { code: `alert.${k}`, params: { ...base, due: num(d.due), leadDays: num(d.leadDays) } };
    case 'overdue':
      return { code: `alert.${k}`, params: { ...base, due: num(d.due) } };
    case 'standard_expired':
      return { code: `alert.${k}`, params: { ...base, reference: a.reference, due: num(d.due), certificate: str(d.certificate) } };
    case 'not_traceable':
      return { code: `alert.${k}`, params: { ...base, reference: str(d.reference) ?? a.reference, reason: str(d.reason) } };
    case 'under_review':
      return { code: `alert.${k}`, params: { ...base, reference: str(d.reference) ?? a.reference, since: num(d.since), checks: num(d.checks), calibrations: Array.isArray(d.calibrations) ? d.calibrations.length : null, reason: str(d.reason) } };
    case 'instrument_offline':
      return { code: `alert.${k}`, params: { ...base, lastSeen: num(d.lastSeen) } };
    case 'station_gap':
      return { code: `alert.${k}`, params: { ...base, lastTs: num(d.lastTs), intervalS: num(d.intervalMs) === null ? null : (d.intervalMs as number) / 1000, toleranceS: num(d.toleranceMs) === null ? null : (d.toleranceMs as number) / 1000 } };
    case 'limit_exceeded': {
      const value = num(d.value);
      const limit = num(d.limit);
      const bound = value !== null && limit !== null && value < limit ? 'min' : 'max';
      return { code: `alert.${k}.${bound}`, params: { ...base, value, limit, unit: str(d.unit), period: str(d.period), source: str(d.source) } };
    }
    default:
      // A kind added later without a text here: the reader shows the kind and the English message.
      return { code: `alert.${k as string}`, params: base };
  }
}
