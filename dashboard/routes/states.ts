import { DEFAULT_INTERVAL_DAYS, INSTRUMENT_KINDS, kindKey, type AlertKind } from '../../core/index.js';
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

/**
 * No reading for this long: the instrument is shown offline. `dashboard.offlineAfterMs` and
 * `dashboard.offlineAfterMsByKind` in the configuration (core/config.ts); 10 minutes by default.
 */
export interface OfflineRule {
  afterMs: number;
  byKind?: Partial<Record<string, number>>;
}
export const DEFAULT_OFFLINE: OfflineRule = { afterMs: 10 * 60_000 };
export const offlineAfter = (rule: OfflineRule, kind: string | null | undefined): number => (kind ? rule.byKind?.[kind] : undefined) ?? rule.afterMs;
/** The rule from the dashboard's configuration (kinds keyed in camelCase there), as the composing process passes it in deps. */
export const offlineRuleOf = (deps: { offlineAfterMs?: number; offlineAfterMsByKind?: Partial<Record<string, number>> }): OfflineRule => ({
  afterMs: deps.offlineAfterMs ?? DEFAULT_OFFLINE.afterMs,
  byKind: Object.fromEntries(INSTRUMENT_KINDS.flatMap((k) => {
    const v = deps.offlineAfterMsByKind?.[kindKey(k)] ?? deps.offlineAfterMsByKind?.[k];
    return v === undefined ? [] : [[k, v]];
  })),
});
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
  name: string | null;
  serial: string | null;
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

export interface DueDate { date: number; nextDue: number | null; intervalDays: number | null }

/**
 * Up to this many instruments, their due dates and services are read instrument by instrument;
 * beyond, in one pass over the whole fleet. An enterprise of 20 instruments in a province of
 * 10 000 otherwise paid for all 10 000 (bench:api: its overview, one request ≈ 120 ms → ≈ 30 ms;
 * RELIABILITY.md "Load").
 */
const READ_FLEET_ABOVE = 500;

/** The state of every instrument the principal sees. */
export function instrumentStates(registry: Registry, engine: Engine, p: Principal, now: number, offline: OfflineRule = DEFAULT_OFFLINE): InstrumentStateRow[] {
  const alerts = liveAlertsByInstrument(registry, p);
  const instruments = scopedInstruments(registry, p);
  const few = instruments.length <= READ_FLEET_ABOVE;
  const due = few ? registry.analytics.lastCalibrationDatesOf(instruments.map((i) => i.id)) : registry.analytics.lastCalibrationDates();
  const serviceList = few ? instruments.flatMap((i) => registry.analytics.getService(i.id) ?? []) : registry.analytics.listServices();
  const services = new Map(serviceList.map((s) => [s.instrument, s]));
  // The interval from the services already read, not engine.intervalDays (a query per instrument).
  const interval = (i: Instrument) => services.get(i.id)?.intervalDays ?? (i.kind ? DEFAULT_INTERVAL_DAYS[i.kind] : null);
  return instruments.map((i) => stateRow(i, alerts.get(i.id) ?? [], due.get(i.id), services.get(i.id)?.lab ?? null, interval, now, offline));
}

/**
 * The states of a few instruments (live events: those that changed; one instrument's page),
 * with queries per instrument rather than over the fleet. The caller checks visibility; the
 * alerts counted are those the principal sees, as in instrumentStates.
 */
export function statesOf(registry: Registry, engine: Engine, p: Principal, instruments: Instrument[], now: number, offline: OfflineRule = DEFAULT_OFFLINE): InstrumentStateRow[] {
  if (instruments.length === 0) return [];
  const due = registry.analytics.lastCalibrationDatesOf(instruments.map((i) => i.id));
  const scope = alertScope(p);
  return instruments.map((i) => {
    const live = registry.analytics.listAlerts({ state: 'live', instrument: i.id, ...scope, limit: 1000 }).items;
    return stateRow(i, live, due.get(i.id), registry.analytics.getService(i.id)?.lab ?? null, (x) => engine.intervalDays(x), now, offline);
  });
}

/** One instrument's row from its live alerts (those the principal sees), last calibration and serving lab, at `now`. */
export function stateRow(i: Instrument, live: AlertRecord[], d: DueDate | undefined, lab: string | null, intervalDays: (i: Instrument) => number | null, now: number, offline: OfflineRule): InstrumentStateRow {
  const kinds = new Set(live.map((a) => a.kind));
  const state: InstrumentState = i.registration === 'unregistered' ? 'unregistered' : (BY_ALERT.find(([k]) => kinds.has(k))?.[1] ?? 'in_tolerance');
  // As the engine's nextDue (engine.ts), from one query for all instruments instead of one each.
  const days = d ? (d.intervalDays ?? intervalDays(i)) : null;
  const nextDue = d ? (d.nextDue ?? (days === null ? null : d.date + days * DAY)) : null;
  return {
    id: i.id,
    org: i.org,
    kind: i.kind ?? null,
    name: i.name ?? null,
    serial: i.serial ?? null,
    lab,
    site: i.site ?? null,
    state,
    online: isOnline(i, now, offline),
    lastCalibration: d?.date ?? null,
    nextDue,
    dueInDays: nextDue === null ? null : Math.floor((nextDue - now) / DAY),
    openAlerts: live.filter((a) => a.state === 'open').length,
  };
}

export const isOnline = (i: Pick<Instrument, 'lastSeen' | 'kind'>, now: number, offline: OfflineRule): boolean => !!i.lastSeen && now - i.lastSeen < offlineAfter(offline, i.kind);
