/** Durations in milliseconds, the unit of every timestamp on the wire and in the stores (epoch ms, UTC). */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
