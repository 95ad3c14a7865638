/**
 * Due dates (DOMAIN.md): next due = last verification or calibration + the kind's interval;
 * "due soon" within the organisation's recall lead time (default 30 days), "overdue" after.
 *
 * Worked example: verified 2026-01-15, interval 365 d → due 2027-01-15; on 2026-12-20 with a
 * 30-day lead time it is due soon (26 days left); on 2027-01-16 it is overdue by 1 day.
 */
export const DAY = 86_400_000;

export type DueState = 'ok' | 'due_soon' | 'overdue' | 'unknown';

export function nextDue(lastTs: number | null, intervalDays: number | null): number | null {
  if (lastTs === null || intervalDays === null) return null;
  return lastTs + intervalDays * DAY;
}

export function dueState(due: number | null, now: number, leadDays: number): DueState {
  if (due === null) return 'unknown';
  if (now > due) return 'overdue';
  if (due - now <= leadDays * DAY) return 'due_soon';
  return 'ok';
}
