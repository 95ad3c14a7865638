import writeXlsxFile, { type Cell, type Sheet, type SheetData } from 'write-excel-file/node';
import { type CsvValue, csvLine } from '../../core/csv.js';
import {
  cellText,
  FORM_TEXT,
  type FormCell,
  type FormColumn,
  formHeading,
  type FormSection,
  type Issuer,
  type OfficialForm,
  periodText,
  vnDay,
} from './form.js';
import type { Lang } from './labels.js';

/**
 * Reports in official form (form.ts) as CSV and XLSX; pdf.ts prints the same document as PDF.
 * CSV cells go through the one cell writer (core/csv.ts: formula neutralisation); XLSX cells are
 * typed — text cells (never formulas), numbers and real dates with their display formats.
 */

/** The rows a form prints, as text: header block, each section with its totals, notes, signature block. */
function formLines(f: OfficialForm, lang: Lang, issuer: Issuer, at: number): CsvValue[][] {
  const { left, right } = formHeading(issuer, at, lang);
  const out: CsvValue[][] = right.map((r, i) => [left[i] ?? '', r]);
  out.push([], [f.title[lang]], [periodText(f.period, lang)]);
  for (const s of f.sections) {
    out.push([], [s.title[lang]], [FORM_TEXT.no[lang], ...s.columns.map((c) => c.title[lang])]);
    s.rows.forEach((r, i) => out.push([i + 1, ...s.columns.map((c, j) => csvCell(c, r[j] ?? null, lang))]));
    if (s.rows.length === 0) out.push(['', FORM_TEXT.empty[lang]]);
    if (s.totals)
      out.push([FORM_TEXT.total[lang], ...s.columns.map((c, j) => (j === 0 && s.totals![0] === null ? '' : csvCell(c, s.totals![j] ?? null, lang)))]);
  }
  if (f.notes.length) out.push([], [FORM_TEXT.notes[lang]], ...f.notes.map((n) => [n[lang]]));
  out.push([], [FORM_TEXT.preparedBy[lang], '', '', FORM_TEXT.approvedBy[lang]], [FORM_TEXT.sign[lang], '', '', FORM_TEXT.sign[lang]]);
  return out;
}

/** A CSV cell: counts and measured values stay numbers (a share in per cent), codes become words, dates dd/mm/yyyy. */
function csvCell(c: FormColumn, v: FormCell, lang: Lang): CsvValue {
  if (typeof v === 'number' && (c.type === 'int' || c.type === 'number')) return v;
  if (typeof v === 'number' && c.type === 'pct') return Math.round(v * 1000) / 10;
  return cellText(c, v, lang);
}

export function formToCsv(f: OfficialForm, lang: Lang, issuer: Issuer, at: number): string {
  // Percentages are written as numbers of per cent: say so in their header.
  const pctHeaders: OfficialForm = {
    ...f,
    sections: f.sections.map((s) => ({
      ...s,
      columns: s.columns.map((c) => (c.type === 'pct' ? { ...c, title: { vi: `${c.title.vi} (%)`, en: `${c.title.en} (%)` } } : c)),
    })),
  };
  return `\uFEFF${formLines(pctHeaders, lang, issuer, at).map(csvLine).join('\r\n')}\r\n`;
}

const XLSX_FORMAT: Record<FormColumn['type'], string | undefined> = { text: undefined, int: '#,##0', pct: '0.0%', date: 'dd/mm/yyyy', number: '#,##0.######' };
const BORDER = { borderStyle: 'thin' as const, borderColor: '#808080' };

/** A typed XLSX cell: a number cell with its format, a date cell (the day in Vietnam), or a text cell (never a formula). */
function xlsxCell(c: FormColumn, v: FormCell, lang: Lang, bold = false): Cell {
  const style = { ...BORDER, ...(bold ? { fontWeight: 'bold' as const } : {}) };
  if (v === null) return { value: '', type: String, ...style };
  if (typeof v === 'number' && c.type === 'date') return { value: vnDay(v), type: Date, format: XLSX_FORMAT.date, align: 'center', ...style };
  if (typeof v === 'number' && !c.label) return { value: v, type: Number, format: XLSX_FORMAT[c.type] ?? '#,##0.######', ...style };
  return { value: cellText(c, v, lang), type: String, wrap: true, ...style };
}

function formSheet(f: OfficialForm, s: FormSection, lang: Lang, issuer: Issuer, at: number): Sheet<Buffer> {
  const n = s.columns.length + 1;
  const split = Math.max(1, Math.floor(n / 2));
  const pair = (a: string, b: string, boldA: boolean, boldB: boolean, italicB = false): Cell[] => {
    const row: Cell[] = Array(n).fill(null);
    row[0] = { value: a, type: String, columnSpan: split, align: 'center', ...(boldA ? { fontWeight: 'bold' as const } : {}) };
    row[split] = {
      value: b,
      type: String,
      columnSpan: n - split,
      align: 'center',
      ...(boldB ? { fontWeight: 'bold' as const } : {}),
      ...(italicB ? { fontStyle: 'italic' as const } : {}),
    };
    return row;
  };
  const wide = (value: string, style: Record<string, unknown> = {}): Cell[] => [{ value, type: String, columnSpan: n, ...style }, ...Array(n - 1).fill(null)];
  const heading = formHeading(issuer, at, lang);
  const { left } = heading;
  // The agency in bold, the national name and motto in bold, the place and date in italics.
  const data: Cell[][] = heading.right.map((r, i) => pair(left[i] ?? '', r, i === left.length - 1, i < 2, i === 2));
  data.push([]);
  data.push(
    wide(f.title[lang], { fontWeight: 'bold', align: 'center', fontSize: 13 }),
    wide(periodText(f.period, lang), { fontStyle: 'italic', align: 'center' }),
    [],
  );
  data.push(wide(s.title[lang], { fontWeight: 'bold' }));
  const head = (v: string): Cell => ({
    value: v,
    type: String,
    fontWeight: 'bold',
    align: 'center',
    alignVertical: 'center',
    wrap: true,
    backgroundColor: '#E8EEF4',
    ...BORDER,
  });
  data.push([head(FORM_TEXT.no[lang]), ...s.columns.map((c) => head(c.title[lang]))]);
  s.rows.forEach((r, i) =>
    data.push([{ value: i + 1, type: Number, align: 'center', ...BORDER }, ...s.columns.map((c, j) => xlsxCell(c, r[j] ?? null, lang))]),
  );
  if (s.rows.length === 0) data.push(wide(FORM_TEXT.empty[lang], { fontStyle: 'italic' }));
  if (s.totals) {
    const t = s.totals;
    data.push([
      { value: FORM_TEXT.total[lang], type: String, fontWeight: 'bold', ...BORDER },
      ...s.columns.map((c, j) => (j === 0 && t[0] === null ? ({ value: '', type: String, ...BORDER } as Cell) : xlsxCell(c, t[j] ?? null, lang, true))),
    ]);
  }
  for (const note of [...(s.notes ?? []), ...f.notes])
    data.push([], wide(`${FORM_TEXT.notes[lang]}: ${note[lang]}`, { wrap: true, fontStyle: 'italic', height: 45 }));
  data.push([], pair(FORM_TEXT.preparedBy[lang], FORM_TEXT.approvedBy[lang], true, true), pair(FORM_TEXT.sign[lang], FORM_TEXT.sign[lang], false, false, true));
  const columns = [{ width: 6 }, ...s.columns.map((c) => ({ width: c.type === 'text' ? Math.round(14 * (c.width ?? 1)) : c.type === 'date' ? 12 : 11 }))];
  return { data: data as SheetData, sheet: s.sheet[lang].slice(0, 31), columns, orientation: 'landscape' };
}

export async function formToXlsx(f: OfficialForm, lang: Lang, issuer: Issuer, at: number): Promise<Buffer> {
  return writeXlsxFile(f.sections.map((s) => formSheet(f, s, lang, issuer, at))).toBuffer();
}
