import writeXlsxFile, { type SheetData } from 'write-excel-file/node';
import type { Cell, Table } from './data.js';

/** RFC 4180 field: quoted when it holds a separator, quote or line break. */
const csvField = (v: Cell) => {
  if (v === null) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(t: Table, lang: 'vi' | 'en'): string {
  const lines = [t.columns.map((c) => csvField(c[lang])), ...t.rows.map((r) => r.map(csvField))].map((r) => r.join(','));
  // A byte-order mark so spreadsheet programs read the Vietnamese text as UTF-8.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export async function toXlsx(t: Table, lang: 'vi' | 'en'): Promise<Buffer> {
  const header = t.columns.map((c) => ({ value: c[lang], fontWeight: 'bold' as const }));
  const rows = t.rows.map((r) => r.map((v) => (v === null ? null : { value: v })));
  const data: SheetData = [header, ...rows];
  return writeXlsxFile(data, { sheet: t.name, stickyRowsCount: 1 }).toBuffer();
}
