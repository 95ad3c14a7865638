import type { AlertKind, InstrumentKind } from '../core/index.js';
import type { AlertChange } from '../store/index.js';
import type { AlertTarget } from './alert-sink.js';
import { dueDate, dueState, intervalOf } from './due.js';
import type { EngineParts } from './engine-types.js';
import { iso } from './engine-types.js';
import { impact } from './impact.js';

/**
 * Time-based alerts: due soon and overdue per instrument, instrument offline, standard
 * expired (with impact analysis once per expiry). Loads what it needs in a few queries, then
 * decides in memory; only changes touch the store.
 */
export function evaluatePeriodic(e: Pick<EngineParts, 'registry' | 'store' | 'cfg' | 'states' | 'alerts' | 'schedule'>): {
  changes: AlertChange[];
  instruments: number;
} {
  const batch = e.alerts.batch();
  const now = batch.now;
  const live = e.store.liveAlertKeys(['due_soon', 'overdue', 'instrument_offline', 'standard_expired', 'verification_failed']);
  const leads = new Map<string, number>();
  const rows = e.store.sweepRows();
  // Only changes are written: raised when on and not live, relieved at once when off and live.
  const toggle = (kind: AlertKind, on: boolean, target: AlertTarget, details: () => Record<string, unknown>) => {
    const has = live.has(`${target.subject}\u0000${kind}`);
    if (on && !has) batch.raise(kind, target, details());
    else if (!on && has) batch.relieve(kind, target.subject, null, 0);
  };
  for (const [id, org, kind, gateway, lastSeen, lab, svcDays, calDate, calDue, calDays] of rows) {
    const due = dueDate(
      calDate === null ? null : { date: calDate, nextDue: calDue, intervalDays: calDays },
      intervalOf(kind as InstrumentKind | null, svcDays),
    );
    let lead = leads.get(org);
    if (lead === undefined) leads.set(org, (lead = e.schedule.leadDays(org)));
    // A failed verification already says "not permitted in use": no due-date alert beside it.
    const state = live.has(`${id}\u0000verification_failed`) ? 'ok' : dueState(due, now, lead);
    const offline = gateway !== null && lastSeen !== null && now - lastSeen > e.cfg.offlineAfterMs;
    if (state === 'ok' && !offline && live.size === 0) continue;
    const target = { subject: id, instrument: id, channel: null, org, lab };
    toggle('overdue', state === 'overdue', target, () => ({ due }));
    toggle('due_soon', state === 'due_soon', target, () => ({ due, leadDays: lead }));
    toggle('instrument_offline', offline, target, () => ({ lastSeen }));
  }
  for (const ref of e.store.listReferences()) {
    const expired = ref.due != null && now > ref.due;
    toggle('standard_expired', expired, { subject: ref.id, instrument: null, channel: null, reference: ref.id, org: ref.lab, lab: ref.lab }, () => ({
      due: ref.due,
      certificate: ref.certificate,
    }));
    if (expired && e.store.impactDoneFor(ref.id) !== ref.due) {
      impact(e, batch, ref.id, `reference standard ${ref.id} expired on ${iso(ref.due ?? null)}`);
      e.store.setImpactDone(ref.id, ref.due ?? null);
    }
  }
  return { changes: batch.flush(), instruments: rows.length };
}
