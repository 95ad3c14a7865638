import { VN_UTC_OFFSET_MS } from '../../core/index.js';
import { label, type LabelGroup, type Lang } from './labels.js';
import { vnYearRange } from './year.js';

/**
 * A report in official form (issue 17, item 2): what CSV, XLSX and PDF all print — the issuing
 * agency and the national motto, a title, the period, one or more tables each closed by a totals
 * row, notes, and the "Người lập / Người duyệt" signature block. The builders (official-*.ts) fill
 * it with codes and numbers; the renderers (files.ts, pdf.ts) turn codes into words (labels.ts)
 * and dates and numbers into typed cells, so no renderer decides what a report says.
 */
export type Texts = Record<Lang, string>;
export const tx = (vi: string, en: string): Texts => ({ vi, en });

/** text; int: a count; pct: a share 0–1; date: epoch ms, printed as its day in Vietnam; number: a measured value. */
export type ColumnType = 'text' | 'int' | 'pct' | 'date' | 'number';
export interface FormColumn {
  key: string;
  title: Texts;
  type: ColumnType;
  /** The cells are codes of this group, printed as their words. */
  label?: LabelGroup;
  /** Relative width in the PDF (default 1; the first text column of a table usually 2). */
  width?: number;
}
/** A code or a count, a date (epoch ms), or a text given in both languages. */
export type FormCell = string | number | Texts | null;
export interface FormSection {
  title: Texts;
  /** The XLSX sheet's name (Vietnamese or English, at most 31 characters). */
  sheet: Texts;
  columns: FormColumn[];
  rows: FormCell[][];
  /** The totals row, aligned with the columns (null where a column does not add up); none for a list. */
  totals?: FormCell[];
  notes?: Texts[];
}
export type Period = { asOf: number } | { year: number; asOf: number };
export interface OfficialForm {
  name: string;
  title: Texts;
  period: Period;
  sections: FormSection[];
  notes: Texts[];
}

/** Who issues the report: `dashboard.reports` in the configuration. */
export interface Issuer {
  agency: string;
  agencyEn?: string;
  parentAgency?: string;
  place?: string;
}
export const DEFAULT_AGENCY = 'Sở Khoa học và Công nghệ';

const vnParts = (ts: number) => {
  const d = new Date(ts + VN_UTC_OFFSET_MS);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() };
};
const pad = (n: number) => String(n).padStart(2, '0');
/** dd/mm/yyyy of the day in Vietnam (UTC+7), as Vietnamese documents write dates. */
export function vnDate(ts: number): string {
  const p = vnParts(ts);
  return `${pad(p.d)}/${pad(p.m)}/${p.y}`;
}
/** The Vietnam calendar day as a Date at 00:00 UTC: a spreadsheet date cell shows that day whatever the reader's zone. */
export function vnDay(ts: number): Date {
  const p = vnParts(ts);
  return new Date(Date.UTC(p.y, p.m - 1, p.d));
}

/** The fixed texts of every form: motto, period, totals, signature (Decree 30/2020/NĐ-CP layout of administrative documents). */
export const FORM_TEXT = {
  nation: tx('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'SOCIALIST REPUBLIC OF VIETNAM'),
  motto: tx('Độc lập - Tự do - Hạnh phúc', 'Independence - Freedom - Happiness'),
  no: tx('STT', 'No.'),
  total: tx('Tổng cộng', 'Total'),
  preparedBy: tx('NGƯỜI LẬP', 'PREPARED BY'),
  approvedBy: tx('NGƯỜI DUYỆT', 'APPROVED BY'),
  sign: tx('(Ký, ghi rõ họ tên)', '(Signature, full name)'),
  notes: tx('Ghi chú', 'Notes'),
  empty: tx('Không có số liệu trong phạm vi của tài khoản.', 'No data within the scope of this account.'),
};

export function periodText(p: Period, lang: Lang): string {
  const asOf = vnDate(p.asOf);
  if ('year' in p) {
    const { from, to } = vnYearRange(p.year);
    const range = `${vnDate(from)} – ${vnDate(to - 1)}`;
    return lang === 'vi'
      ? `Năm ${p.year} (từ ${range.replace(' – ', ' đến ')}); tình trạng tính đến ngày ${asOf}`
      : `Year ${p.year} (${range}); states as of ${asOf}`;
  }
  return lang === 'vi' ? `Tính đến ngày ${asOf}` : `As of ${asOf}`;
}

/** "Lâm Đồng, ngày 15 tháng 3 năm 2026" — the place and date line of a Vietnamese document. */
function placeDate(issuer: Issuer, at: number, lang: Lang): string {
  const p = vnParts(at);
  if (lang === 'en') return `${issuer.place ? `${issuer.place}, ` : ''}${vnDate(at)}`;
  return `${issuer.place ? `${issuer.place}, ` : ''}ngày ${p.d} tháng ${p.m} năm ${p.y}`;
}

export const agencyName = (issuer: Issuer, lang: Lang): string => (lang === 'en' ? (issuer.agencyEn ?? issuer.agency) : issuer.agency);

/**
 * The heading every renderer prints: the issuing agency on the left (its parent above it, upper
 * case), on the right the national name, the motto and the place-and-date line. CSV and XLSX lay
 * the two sides out row by row, the PDF as two columns.
 */
export function formHeading(issuer: Issuer, at: number, lang: Lang): { left: string[]; right: [nation: string, motto: string, placeDate: string] } {
  return {
    left: [...(issuer.parentAgency ? [issuer.parentAgency.toUpperCase()] : []), agencyName(issuer, lang).toUpperCase()],
    right: [FORM_TEXT.nation[lang], FORM_TEXT.motto[lang], placeDate(issuer, at, lang)],
  };
}

/** A cell as text (CSV, PDF): labels for codes, dd/mm/yyyy dates, Vietnamese or English number marks. */
export function cellText(c: FormColumn, v: FormCell, lang: Lang): string {
  if (c.label) return v === null ? '' : label(lang, c.label, String(v));
  if (v === null) return '';
  if (typeof v === 'object') return v[lang];
  if (typeof v === 'string') return v;
  const locale = lang === 'vi' ? 'vi-VN' : 'en-GB';
  if (c.type === 'date') return vnDate(v);
  if (c.type === 'pct') return `${(v * 100).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
  if (c.type === 'int') return v.toLocaleString(locale, { maximumFractionDigits: 0 });
  return v.toLocaleString(locale, { maximumFractionDigits: 6 });
}

/** The totals of the `int` columns of some rows, null elsewhere. */
export function sumInts(columns: FormColumn[], rows: FormCell[][]): FormCell[] {
  return columns.map((c, i) => (c.type === 'int' ? rows.reduce<number>((n, r) => n + (typeof r[i] === 'number' ? (r[i] as number) : 0), 0) : null));
}

/** A share, or null when there is nothing to divide by. */
export const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);
