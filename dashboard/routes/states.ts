import type { AlertKind } from '../../core/index.js';
import type { AlertRecord } from '../../store/index.js';
import type { Engine } from '../../analytics/engine.js';
import type { Instrument, Registry } from '../../store/types.js';
import { instrumentScope, type Principal } from '../auth/tenant.js';

/**
 * The state a person sees for an instrument (issue 7), from what analytics already keeps: its
 * live alerts and its due date. One word per instrument, the worst first; whether it reports
 * data (`online`) is a separate axis, since an offline scale can still be in tolerance.
 */
export const INSTRUMENT_STATES = ['out_of_tolerance', 'overdue', 'predicted_out_of_tolerance', 'near_limit', 'due_soon', 'in_tolerance', 'unregistered'] as const;
export type InstrumentState = (typeof INSTRUMENT_STATES)[number];

/** No reading for this long: the instrument is shown offline. */
export const OFFLINE_AFTER_MS = 10 * 60_000;
const DAY = 86_400_000;

/** Alert kinds that set the state, worst first (an instrument with several shows the worst). */
const BY_ALERT: ReadonlyArray<[AlertKind, InstrumentState]> = [
  ['out_of_tolerance', 'out_of_tolerance'],
  ['overdue', 'overdue'],
  ['predicted_out_of_tolerance', 'predicted_out_of_tolerance'],
  ['near_limit', 'near_limit'],
  ['due_soon', 'due_soon'],
];

export interface InstrumentStateRow {
  id: string;
  org: string;
  kind: string | null;
  lab: string | null;
  site: string | null;
  state: InstrumentState;
  online: boolean;
  lastCalibration: number | null;
  nextDue: number | null;
  /** Days until due (negative: overdue), null when no due date is known. */
  dueInDays: number | null;
  openAlerts: number;
}

/** The alerts a principal sees, as alerts.ts scopes them: an enterprise its organisation's, a lab those sent to it. */
export const alertScope = (p: Principal) => (p.role === 'enterprise' ? { org: p.org ?? '\u0000' } : p.role === 'lab' ? { lab: p.org ?? '\u0000' } : {});

/** Live alerts of the instruments a principal sees, grouped by instrument. */
export function liveAlertsByInstrument(registry: Registry, p: Principal): Map<string, AlertRecord[]> {
  const { items } = registry.analytics.listAlerts({ state: 'live', ...alertScope(p), limit: 100_000 });
  const out = new Map<string, AlertRecord[]>();
  for (const a of items) {
    if (!a.instrument) continue;
    const list = out.get(a.instrument) ?? [];
    list.push(a);
    out.set(a.instrument, list);
  }
  return out;
}

export function scopedInstruments(registry: Registry, p: Principal): Instrument[] {
  return registry.listInstruments({ ...instrumentScope(p), limit: 1_000_000 }).items;
}

/** The state of every instrument the principal sees. */
export function instrumentStates(registry: Registry, engine: Engine, p: Principal, now: number): InstrumentStateRow[] {
  const alerts = liveAlertsByInstrument(registry, p);
  const due = registry.analytics.lastCalibrationDates();
  const labs = new Map(registry.analytics.listServices().map((s) => [s.instrument, s.lab]));
  return scopedInstruments(registry, p).map((i) => {
    const live = alerts.get(i.id) ?? [];
    const kinds = new Set(live.map((a) => a.kind));
    const d = due.get(i.id);
    const state: InstrumentState = i.registration === 'unregistered' ? 'unregistered' : (BY_ALERT.find(([k]) => kinds.has(k))?.[1] ?? 'in_tolerance');
    // As the engine's nextDue (engine.ts), from one query for all instruments instead of one each.
    const days = d ? (d.intervalDays ?? engine.intervalDays(i)) : null;
    const nextDue = d ? (d.nextDue ?? (days === null ? null : d.date + days * DAY)) : null;
    return {
      id: i.id,
      org: i.org,
      kind: i.kind ?? null,
      lab: labs.get(i.id) ?? null,
      site: i.site ?? null,
      state,
      online: !!i.lastSeen && now - i.lastSeen < OFFLINE_AFTER_MS,
      lastCalibration: d?.date ?? null,
      nextDue,
      dueInDays: nextDue === null ? null : Math.floor((nextDue - now) / DAY),
      openAlerts: live.filter((a) => a.state === 'open').length,
    };
  });
}
