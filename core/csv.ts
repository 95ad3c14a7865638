/**
 * The one CSV cell writer (issue 16, item 5): RFC 4180 quoting, and the OWASP defence against
 * formula injection (https://owasp.org/www-community/attacks/CSV_Injection). A spreadsheet opening
 * the file runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and tab or carriage
 * return are read past), so a text cell starting with one of them is written with a leading single
 * quote and quoted: an instrument named `=HYPERLINK("http://x","y")` shows as that text.
 *
 * Only text is neutralised. A number is written as the number it is: an error of -0.02 stays
 * `-0.02`, which spreadsheets read as a number (a quote there would turn every negative error of a
 * report into text). Example: `csvField('-0.02')` → `"'-0.02"`, `csvField(-0.02)` → `-0.02`.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (FORMULA_START.test(v)) return `"'${v.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line (no line break) of cells. */
export const csvLine = (cells: readonly CsvValue[]): string => cells.map(csvField).join(',');
