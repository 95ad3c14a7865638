import { DEFAULT_INTERVAL_DAYS, type AlertKind, type InstrumentKind } from '../core/index.js';
import type { AlertChange, AlertInput } from '../store/index.js';
import { DAY, dueState } from './due.js';
import type { Engine } from './engine.js';
import { iso, push } from './engine-types.js';

/**
 * Time-based alerts: due soon and overdue per instrument, instrument offline, standard
 * expired (with impact analysis once per expiry). Loads what it needs in a few queries, then
 * decides in memory; only changes touch the store.
 */
export function evaluatePeriodic(e: Engine): { changes: AlertChange[]; instruments: number } {
  const now = e.now();
  const changes: AlertChange[] = [];
  const live = e.store.liveAlertKeys(['due_soon', 'overdue', 'instrument_offline', 'standard_expired']);
  const leads = new Map<string, number>();
  const rows = e.store.sweepRows();
  const toggle = (subject: string, kind: AlertKind, on: boolean, input: () => Omit<AlertInput, 'kind' | 'subject'>) => {
    const has = live.has(`${subject}\u0000${kind}`);
    if (on) {
      if (!has) push(changes, e.store.raiseAlert({ ...input(), kind, subject }, now));
    } else if (has) push(changes, e.store.relieveAlert(subject, null, kind, 0, now));
  };
  for (const [id, org, kind, gateway, lastSeen, lab, svcDays, calDate, calDue, calDays] of rows) {
    const days = calDays ?? svcDays ?? (kind ? DEFAULT_INTERVAL_DAYS[kind as InstrumentKind] : null);
    const due = calDate !== null ? (calDue ?? (days === null ? null : calDate + days * DAY)) : null;
    let lead = leads.get(org);
    if (lead === undefined) leads.set(org, (lead = e.leadDays(org)));
    const state = dueState(due, now, lead);
    const offline = gateway !== null && lastSeen !== null && now - lastSeen > e.cfg.offlineAfterMs;
    if (state === 'ok' && !offline && live.size === 0) continue;
    const base = { instrument: id, channel: null, org, lab };
    toggle(id, 'overdue', state === 'overdue', () => ({ ...base, severity: 'critical', message: `${id}: verification overdue since ${iso(due)}`, details: { due } }));
    toggle(id, 'due_soon', state === 'due_soon', () => ({ ...base, severity: 'warning', message: `${id}: verification due on ${iso(due)} (within ${lead} days)`, details: { due, leadDays: lead } }));
    toggle(id, 'instrument_offline', offline, () => ({ ...base, severity: 'warning', message: `${id}: no reading since ${iso(lastSeen)}`, details: { lastSeen } }));
  }
  const items = rows;
  for (const ref of e.store.listReferences()) {
    const expired = ref.due != null && now > ref.due;
    toggle(ref.id, 'standard_expired', expired, () => ({
      instrument: null, channel: null, reference: ref.id, org: ref.lab, lab: ref.lab, severity: 'critical',
      message: `reference standard ${ref.id} expired on ${iso(ref.due ?? null)}; checks against it are not traceable`, details: { due: ref.due, certificate: ref.certificate },
    }));
    if (expired && e.store.impactDoneFor(ref.id) !== ref.due) {
      changes.push(...e.impact(ref.id, `reference standard ${ref.id} expired on ${iso(ref.due ?? null)}`, { silentNotify: true }));
      e.store.setImpactDone(ref.id, ref.due ?? null);
    }
  }
  return { changes: e.notify(changes), instruments: items.length };
}

/**
 * Impact analysis: every check and calibration that relied on the standard (or a standard
 * calibrated against it) since its last good calibration is marked "under review", and each
 * instrument concerned gets an `under_review` alert for its owner and lab.
 */
export function impact(e: Engine, referenceId: string, reason: string, o: { since?: number; silentNotify?: boolean } = {}): AlertChange[] {
  const ref = e.store.getReference(referenceId);
  if (!ref) return [];
  const since = o.since ?? ref.calibratedOn ?? 0;
  const refs = e.store.referenceSubtree(referenceId);
  const checks = e.store.checksUsing(refs, since).filter((c) => c.review === null);
  const cals = e.store.calibrationsUsing(refs, since).filter((c) => c.review === null);
  e.store.markChecksReview(checks.map((c) => c.id), reason);
  e.store.markCalibrationsReview(cals.map((c) => c.id), reason);
  const byInstrument = new Map<string, { checks: number; calibrations: string[] }>();
  for (const c of checks) (byInstrument.get(c.instrument) ?? byInstrument.set(c.instrument, { checks: 0, calibrations: [] }).get(c.instrument)!).checks++;
  for (const c of cals) (byInstrument.get(c.instrument) ?? byInstrument.set(c.instrument, { checks: 0, calibrations: [] }).get(c.instrument)!).calibrations.push(c.certificate);
  const changes: AlertChange[] = [];
  const now = e.now();
  for (const [id, n] of byInstrument) {
    for (const key of [...e.accs.keys()]) if (key.startsWith(`${id}\u0000`)) e.accs.delete(key);
    const inst = e.registry.getInstrument(id);
    push(changes, e.store.raiseAlert({
      kind: 'under_review', severity: 'warning', subject: id, instrument: id, channel: null, reference: referenceId, org: inst?.org ?? null, lab: e.store.getService(id)?.lab ?? ref.lab,
      message: `${id}: ${n.checks} check(s) and ${n.calibrations.length} calibration(s) since ${iso(since)} relied on ${referenceId} and are under review (${reason})`,
      details: { reference: referenceId, since, checks: n.checks, calibrations: n.calibrations, reason },
    }, now));
  }
  return o.silentNotify ? changes : e.notify(changes);
}
