import writeXlsxFile, { type SheetData } from 'write-excel-file/node';
import { csvLine } from '../../core/csv.js';
import { cellsOf, type Table } from './data.js';

/** Text cells are neutralised against formula injection, numbers stay numbers (core/csv.ts). */
export function toCsv(t: Table, lang: 'vi' | 'en'): string {
  const lines = [csvLine(t.columns.map((c) => c[lang])), ...cellsOf(t).map(csvLine)];
  // A byte-order mark so spreadsheet programs read the Vietnamese text as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export async function toXlsx(t: Table, lang: 'vi' | 'en'): Promise<Buffer> {
  const header = t.columns.map((c) => ({ value: c[lang], fontWeight: 'bold' as const }));
  // Typed cells: text is a String cell (never a formula, whatever it starts with), numbers are Number cells.
  const rows = cellsOf(t).map((r) => r.map((v) => (v === null ? null : typeof v === 'string' ? { type: String, value: v } : { value: v })));
  const data: SheetData = [header, ...rows];
  return writeXlsxFile(data, { sheet: t.name, stickyRowsCount: 1 }).toBuffer();
}
