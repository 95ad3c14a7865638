/** Durations in milliseconds, the unit of every timestamp on the wire and in the stores (epoch ms, UTC). */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `p`, or a rejection `timed out after <ms> ms` if it has not settled by then (the timer is cleared either way). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Vietnam time: UTC+7 all year (no daylight saving), the time certificates, due dates and alerts are read in. */
export const VN_OFFSET_MS = 7 * HOUR;

/** The calendar day of `ts` in Vietnam time as YYYY-MM-DD: how reasons and messages write a date (the web UI parses it). */
export const vnIsoDay = (ts: number): string => new Date(ts + VN_OFFSET_MS).toISOString().slice(0, 10);

/**
 * Calendar days in Vietnam time from the day of `now` to the day of `ts`; negative when `ts`
 * lies on an earlier day. The one day-count rule of metronet: alerts, the calendar, the lists and
 * the reference standards page all count this way (the web UI's lib.js daysUntil is the same
 * rule for the browser). Time of day does not matter: a verification valid until 18/11 (end of
 * that day) is overdue by 16 days on 04/12, whether it is 00:05 or 23:55.
 */
export function calendarDaysUntil(ts: number, now: number): number {
  const day = (x: number) => Math.floor((x + VN_OFFSET_MS) / DAY);
  return day(ts) - day(now);
}
