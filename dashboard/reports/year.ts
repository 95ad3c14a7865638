import { VN_UTC_OFFSET_MS } from '../../core/index.js';
import type { CalibrationRecord, Registry } from '../../store/index.js';

/** The calendar year in Vietnam (UTC+7) that a report counts in, as [from, to) in epoch ms. */
export const vnYearRange = (year: number): { from: number; to: number } => ({
  from: Date.UTC(year, 0, 1) - VN_UTC_OFFSET_MS,
  to: Date.UTC(year + 1, 0, 1) - VN_UTC_OFFSET_MS,
});

/** The year it is in Vietnam at `ts`: a report's default year. */
export const vnYearOf = (ts: number): number => new Date(ts + VN_UTC_OFFSET_MS).getUTCFullYear();

/**
 * An instrument's valid records (neither superseded nor voided), oldest first: a corrected
 * certificate is not a second verification (ISO/IEC 17025:2017 7.8.8).
 */
export const validRecords = (registry: Registry, id: string): CalibrationRecord[] =>
  registry.analytics.listCalibrations(id).filter((c) => (c.status ?? 'valid') === 'valid');

/** The records dated within a year's [from, to). */
export const datedIn = (records: CalibrationRecord[], { from, to }: { from: number; to: number }): CalibrationRecord[] =>
  records.filter((c) => c.date >= from && c.date < to);
