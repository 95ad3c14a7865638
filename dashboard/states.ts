import { INSTRUMENT_KINDS, kindKey } from '../core/index.js';
import type { AlertRecord } from '../store/index.js';
import { daysUntil, dueDate, intervalOf, type DueBasis, type Interval } from '../analytics/due.js';
import { instrumentState, type InstrumentState } from '../analytics/state.js';
import type { Instrument, Registry } from '../store/types.js';
import { alertFilter, instrumentScope, type Principal } from './auth/tenant.js';

export { INSTRUMENT_STATES, type InstrumentState } from '../analytics/state.js';

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
  byKind: Object.fromEntries(
    INSTRUMENT_KINDS.flatMap((k) => {
      const v = deps.offlineAfterMsByKind?.[kindKey(k)] ?? deps.offlineAfterMsByKind?.[k];
      return v === undefined ? [] : [[k, v]];
    }),
  ),
});

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

/** Live alerts of the instruments a principal sees, grouped by instrument. */
export function liveAlertsByInstrument(registry: Registry, p: Principal): Map<string, AlertRecord[]> {
  const { items } = registry.analytics.listAlerts({ state: 'live', ...alertFilter(p), limit: 100_000 });
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

/**
 * Up to this many instruments, their due dates and services are read instrument by instrument;
 * beyond, in one pass over the whole fleet. An enterprise of 20 instruments in a province of
 * 10 000 otherwise paid for all 10 000 (bench:api: its overview, one request ≈ 120 ms → ≈ 30 ms;
 * RELIABILITY.md "Load").
 */
const READ_FLEET_ABOVE = 500;

/** The state of every instrument the principal sees. */
export function instrumentStates(registry: Registry, p: Principal, now: number, offline: OfflineRule = DEFAULT_OFFLINE): InstrumentStateRow[] {
  const alerts = liveAlertsByInstrument(registry, p);
  const instruments = scopedInstruments(registry, p);
  const few = instruments.length <= READ_FLEET_ABOVE;
  const due = few ? registry.analytics.lastCalibrationDatesOf(instruments.map((i) => i.id)) : registry.analytics.lastCalibrationDates();
  const serviceList = few ? instruments.flatMap((i) => registry.analytics.getService(i.id) ?? []) : registry.analytics.listServices();
  const services = new Map(serviceList.map((s) => [s.instrument, s]));
  return instruments.map((i) => {
    const service = services.get(i.id);
    return stateRow(i, alerts.get(i.id) ?? [], due.get(i.id), service?.lab ?? null, intervalOf(i.kind, service?.intervalDays), now, offline);
  });
}

/**
 * The states of a few instruments (live events: those that changed; one instrument's page),
 * with queries per instrument rather than over the fleet. The caller checks visibility; the
 * alerts counted are those the principal sees, as in instrumentStates.
 */
export function statesOf(
  registry: Registry,
  p: Principal,
  instruments: Instrument[],
  now: number,
  offline: OfflineRule = DEFAULT_OFFLINE,
): InstrumentStateRow[] {
  if (instruments.length === 0) return [];
  const due = registry.analytics.lastCalibrationDatesOf(instruments.map((i) => i.id));
  const scope = alertFilter(p);
  return instruments.map((i) => {
    const live = registry.analytics.listAlerts({ state: 'live', instrument: i.id, ...scope, limit: 1000 }).items;
    const service = registry.analytics.getService(i.id);
    return stateRow(i, live, due.get(i.id), service?.lab ?? null, intervalOf(i.kind, service?.intervalDays), now, offline);
  });
}

/** One instrument's row from its live alerts (those the principal sees), last calibration, serving lab and interval, at `now`. */
export function stateRow(
  i: Instrument,
  live: AlertRecord[],
  last: DueBasis | undefined,
  lab: string | null,
  interval: Interval | null,
  now: number,
  offline: OfflineRule,
): InstrumentStateRow {
  const nextDue = dueDate(last, interval);
  return {
    id: i.id,
    org: i.org,
    kind: i.kind ?? null,
    name: i.name ?? null,
    serial: i.serial ?? null,
    lab,
    site: i.site ?? null,
    state: instrumentState(
      i,
      live.map((a) => a.kind),
    ),
    online: isOnline(i, now, offline),
    lastCalibration: last?.date ?? null,
    nextDue,
    dueInDays: nextDue === null ? null : daysUntil(nextDue, now),
    openAlerts: live.filter((a) => a.state === 'open').length,
  };
}

/**
 * Whether an instrument counts as "đạt yêu cầu" (conforming) in a share: in tolerance and with a
 * verification or calibration on record. A station never verified has no live alert and reads
 * in_tolerance, yet nothing shows that it conforms: it is not counted. The one definition; the
 * overview's share is conforming ÷ all instruments.
 */
export const isConforming = (r: Pick<InstrumentStateRow, 'state' | 'lastCalibration'>): boolean => r.state === 'in_tolerance' && r.lastCalibration !== null;

/** Registered, with no verification or calibration on record (the overview says how many). */
export const isNeverVerified = (r: Pick<InstrumentStateRow, 'state' | 'lastCalibration'>): boolean => r.state !== 'unregistered' && r.lastCalibration === null;

export const isOnline = (i: Pick<Instrument, 'lastSeen' | 'kind'>, now: number, offline: OfflineRule): boolean =>
  !!i.lastSeen && now - i.lastSeen < offlineAfter(offline, i.kind);
