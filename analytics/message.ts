import type { Alert } from '../core/index.js';
import type { AlertChange } from '../store/index.js';
import { alertText } from './alert-catalogue.js';

export { alertText, type AlertParam, type AlertText } from './alert-catalogue.js';

/** An alert change as the wire message of core/alerts.ts (MQTT, webhooks), with its text code and params (alert-catalogue.ts). */
export function toAlertMessage(change: AlertChange): Alert {
  const a = change.alert;
  return {
    v: 1,
    id: a.id,
    event: change.event,
    kind: a.kind,
    severity: a.severity,
    state: a.state,
    subject: a.subject,
    instrument: a.instrument,
    channel: a.channel,
    reference: a.reference,
    org: a.org,
    lab: a.lab,
    message: a.message,
    details: a.details,
    openedAt: a.openedAt,
    updatedAt: a.updatedAt,
    ackedAt: a.ackedAt,
    ackedBy: a.ackedBy,
    clearedAt: a.clearedAt,
    ...alertText(a),
  };
}
