import { calendarDaysUntil, DAY, HOUR, type InstrumentKind, vnIsoDay } from '../core/index.js';
import {
  CALIBRATION_RENEWS_VERIFICATION,
  DEFAULT_INTERVAL_MONTHS_BY_KIND,
  FALLBACK_LAST_VALID_DAY_CONVENTION,
  group2Row,
  lastValidDay,
  type RowStatus,
} from '../core/legal/verification-intervals.js';

/**
 * Due dates: the one place the rule is written. The engine, the periodic sweep, the drift view,
 * the dashboard's instrument states and its cache, and the reports all call these functions; a
 * legal change of the rule is made here once (docs/legal-records.md "Due dates").
 *
 * next due = the certificate's own "valid until" when it states one (Circular 24/2013/TT-BKHCN
 * Art. 39(1): the stamp or certificate announces the validity), otherwise the last day of
 * validity from the record's date and the interval:
 * - the interval: the one recorded with the certificate, else the instrument's service override
 *   (days: a lab's or the authority's choice), else the legal interval of its kind in calendar
 *   months (Circular 23/2013/TT-BKHCN as amended, core/legal/verification-intervals.ts);
 * - a months interval ends on the last valid day by FALLBACK_LAST_VALID_DAY_CONVENTION (the day
 *   before the anniversary; no legal text found for the rule, see that file), at the end of that
 *   day in Vietnam time; 18 months from 2026-01-15 is valid until 2027-07-14, not 548 days later.
 * "Due soon" within the organisation's recall lead time (default 30 days), "overdue" after.
 *
 * Worked example: verified 2026-01-15, scale (12 months) → valid until 2027-01-14 (end of day,
 * UTC+7); on 2026-12-20 with a 30-day lead time it is due soon (25 days left); on 2027-01-15 it
 * is overdue.
 */
export type DueState = 'ok' | 'due_soon' | 'overdue' | 'unknown';

/** A verification interval: calendar months (the legal list) or days (a stated override). */
export type Interval = { months: number; days?: undefined } | { days: number; months?: undefined };

/** What the due date is computed from: the last calibration record of an instrument. */
export interface DueBasis {
  /** Date of the last verification or calibration, epoch ms. */
  date: number;
  /** The certificate's own "valid until", when it states one. */
  nextDue: number | null;
  /** An interval in days recorded with the certificate. */
  intervalDays: number | null;
}

/** Vietnam time (UTC+7, no daylight saving): certificates are dated in it. */
const VN_OFFSET = 7 * HOUR;
const vnDate = vnIsoDay;
/** The last millisecond of a calendar day (YYYY-MM-DD) in Vietnam time. */
const endOfVnDay = (day: string) => Date.parse(`${day}T00:00:00Z`) + DAY - VN_OFFSET - 1;

/**
 * The verification interval of an instrument: its service override (days), else its kind's
 * legal interval in calendar months; null when neither is known (kind `other`).
 */
export function intervalOf(kind: InstrumentKind | null | undefined, serviceIntervalDays: number | null | undefined): Interval | null {
  if (serviceIntervalDays != null) return { days: serviceIntervalDays };
  const months = kind ? DEFAULT_INTERVAL_MONTHS_BY_KIND[kind]?.months : null;
  return months == null ? null : { months };
}

/** Where an instrument's interval comes from, for the API and the instrument page to show beside it. */
export interface IntervalBasis {
  months: number | null;
  days: number | null;
  /** The legal list (by the kind's representative row), a stated service override, or none known. */
  basis: 'legal-list' | 'service-override' | 'none';
  /** The GROUP2_INTERVALS row, its status ('appendix-not-read' today) in words, and the page read. */
  row: string | null;
  status: RowStatus | null;
  statusText: { en: string; vi: string } | null;
  source: { document: string; item: string; url: string } | null;
}

/** The interval of `intervalOf` with its source and how directly it was read (core/legal/verification-intervals.ts). */
export function intervalBasisOf(kind: InstrumentKind | null | undefined, serviceIntervalDays: number | null | undefined): IntervalBasis {
  const none = { row: null, status: null, statusText: null, source: null };
  if (serviceIntervalDays != null) return { months: null, days: serviceIntervalDays, basis: 'service-override', ...none };
  const byKind = kind ? DEFAULT_INTERVAL_MONTHS_BY_KIND[kind] : undefined;
  const row = byKind ? group2Row(byKind.row) : undefined;
  if (!byKind || byKind.months == null || !row) return { months: null, days: null, basis: 'none', ...none };
  return { months: byKind.months, days: null, basis: 'legal-list', row: row.code, status: row.status, statusText: row.statusText, source: row.source };
}

/** The end of validity one interval after `from`: days are added as they are; months end on the last valid day. */
export function addInterval(from: number, interval: Interval): number {
  if (interval.days !== undefined) return from + interval.days * DAY;
  return endOfVnDay(lastValidDay(vnDate(from), interval.months, FALLBACK_LAST_VALID_DAY_CONVENTION));
}

/** An interval's length in days (for interval advice, which works in days): months at 365.25/12 days. */
export function intervalLengthDays(interval: Interval): number {
  return interval.days ?? Math.round((interval.months * 365.25) / 12);
}

/**
 * The next due date of an instrument from its last calibration record, with the instrument's
 * own interval (intervalOf) for records that state neither a due date nor an interval.
 * No record: unknown (null).
 */
export function dueDate(last: DueBasis | null | undefined, interval: Interval | null): number | null {
  if (!last) return null;
  if (last.nextDue !== null) return last.nextDue;
  const i = last.intervalDays !== null ? { days: last.intervalDays } : interval;
  return i === null ? null : addInterval(last.date, i);
}

/**
 * Whether a record renews the legal validity of an instrument: a verification always; a
 * calibration only for an instrument outside the Group 2 list (no legal interval for its kind),
 * since calibration does not replace verification of a Group 2 instrument
 * (CALIBRATION_RENEWS_VERIFICATION, Law on Metrology 04/2011/QH13 Art. 16(2)).
 */
export function renewsVerification(kind: InstrumentKind | null | undefined, type: 'verification' | 'calibration'): boolean {
  if (type === 'verification' || CALIBRATION_RENEWS_VERIFICATION) return true;
  return !kind || DEFAULT_INTERVAL_MONTHS_BY_KIND[kind]?.months == null;
}

/**
 * Days from `now` until `due` (negative: overdue): calendar days in Vietnam time
 * (core/time.ts calendarDaysUntil), the count every alert, list and calendar shows.
 */
export function daysUntil(due: number, now: number): number {
  return calendarDaysUntil(due, now);
}

export function dueState(due: number | null, now: number, leadDays: number): DueState {
  if (due === null) return 'unknown';
  if (now > due) return 'overdue';
  if (due - now <= leadDays * DAY) return 'due_soon';
  return 'ok';
}
