import { DAY, DEFAULT_INTERVAL_DAYS, type InstrumentKind } from '../core/index.js';

/**
 * Due dates (DOMAIN.md "Verification and calibration"): the one place the rule is written. The
 * engine, the periodic sweep, the drift view, the dashboard's instrument states and its cache all
 * call these functions; a legal change of the rule is made here once.
 *
 * next due = the certificate's own "valid until" when it states one, otherwise the last
 * verification or calibration + the interval: the one recorded with the certificate, else the
 * instrument's service override, else the kind's default (core/tolerances.ts, with its sources).
 * "Due soon" within the organisation's recall lead time (default 30 days), "overdue" after.
 *
 * Worked example: verified 2026-01-15, interval 365 d → due 2027-01-15; on 2026-12-20 with a
 * 30-day lead time it is due soon (26 days left); on 2027-01-16 it is overdue by 1 day.
 */
export type DueState = 'ok' | 'due_soon' | 'overdue' | 'unknown';

/** What the due date is computed from: the last calibration record of an instrument. */
export interface DueBasis {
  /** Date of the last verification or calibration, epoch ms. */
  date: number;
  /** The certificate's own "valid until", when it states one (a failed record states none). */
  nextDue: number | null;
  /** The interval recorded with the certificate, days. */
  intervalDays: number | null;
}

/** The verification interval of an instrument, days: its service override, else its kind's default. */
export function intervalDaysOf(kind: InstrumentKind | null | undefined, serviceIntervalDays: number | null | undefined): number | null {
  return serviceIntervalDays ?? (kind ? DEFAULT_INTERVAL_DAYS[kind] : null);
}

/** The date one interval after `from`. */
export function addInterval(from: number, intervalDays: number): number {
  return from + intervalDays * DAY;
}

/**
 * The next due date of an instrument from its last calibration record, with the instrument's
 * own interval (intervalDaysOf) for records that state neither a due date nor an interval.
 * No record: unknown (null).
 */
export function dueDate(last: DueBasis | null | undefined, intervalDays: number | null): number | null {
  if (!last) return null;
  if (last.nextDue !== null) return last.nextDue;
  const days = last.intervalDays ?? intervalDays;
  return days === null ? null : addInterval(last.date, days);
}

/** Whole days from `now` until `due` (negative: overdue), rounded down. */
export function daysUntil(due: number, now: number): number {
  return Math.floor((due - now) / DAY);
}

export function dueState(due: number | null, now: number, leadDays: number): DueState {
  if (due === null) return 'unknown';
  if (now > due) return 'overdue';
  if (due - now <= leadDays * DAY) return 'due_soon';
  return 'ok';
}
