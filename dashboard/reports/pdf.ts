import { createRequire } from 'node:module';
import pdfmake from 'pdfmake';
import type { Content, TableCell } from 'pdfmake/interfaces.js';
import {
  agencyName,
  cellText,
  FORM_TEXT,
  type FormCell,
  type FormColumn,
  formHeading,
  type FormSection,
  type Issuer,
  type OfficialForm,
  periodText,
} from './form.js';
import type { Lang } from './labels.js';

/**
 * Reports in official form (form.ts) as PDF, with pdfmake 0.3 on Node: A4 landscape, the header
 * of a Vietnamese administrative document (agency left, national name and motto right, Decree
 * 30/2020/NĐ-CP), the tables with their header row repeated on each page, the signature block.
 *
 * The font is Roboto as shipped with pdfmake (its glyphs cover Vietnamese), embedded in every file.
 * pdfmake 0.3 on Node takes fonts as file paths (or URLs) and opens them through its resource
 * access policies: local access is allowed for exactly these four files, URL access for none (a
 * report prints data, never fetches anything).
 */
const require = createRequire(import.meta.url);
const FONT = {
  normal: require.resolve('pdfmake/fonts/Roboto/Roboto-Regular.ttf'),
  bold: require.resolve('pdfmake/fonts/Roboto/Roboto-Medium.ttf'),
  italics: require.resolve('pdfmake/fonts/Roboto/Roboto-Italic.ttf'),
  bolditalics: require.resolve('pdfmake/fonts/Roboto/Roboto-MediumItalic.ttf'),
};
const FONT_FILES = new Set(Object.values(FONT));
let fontsReady = false;
function useFonts(): void {
  if (fontsReady) return;
  pdfmake.setFonts({ Roboto: { ...FONT } });
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy((path) => FONT_FILES.has(path));
  fontsReady = true;
}

/** A4 landscape in points, less the margins. */
const PAGE_WIDTH = 841.89 - 2 * 36;
const NO_WIDTH = 24;

/** Column widths in points: what is left after the STT column, shared by the columns' relative widths. */
function widths(columns: FormColumn[]): number[] {
  const weight = (c: FormColumn) => c.width ?? (c.type === 'text' ? 1.2 : c.type === 'date' ? 0.9 : 0.8);
  const total = columns.reduce((n, c) => n + weight(c), 0);
  return [NO_WIDTH, ...columns.map((c) => Math.floor(((PAGE_WIDTH - NO_WIDTH - 6 * (columns.length + 1)) * weight(c)) / total))];
}

function cell(c: FormColumn, v: FormCell, lang: Lang, bold = false): TableCell {
  const right = !c.label && (c.type === 'int' || c.type === 'pct' || c.type === 'number');
  return { text: cellText(c, v, lang), alignment: right ? 'right' : c.type === 'date' ? 'center' : 'left', bold };
}

function section(s: FormSection, lang: Lang): Content[] {
  const head: TableCell[] = [FORM_TEXT.no[lang], ...s.columns.map((c) => c.title[lang])].map((t) => ({ text: t, style: 'th' }));
  const body: TableCell[][] = [
    head,
    ...s.rows.map((r, i) => [{ text: String(i + 1), alignment: 'center' }, ...s.columns.map((c, j) => cell(c, r[j] ?? null, lang))] as TableCell[]),
  ];
  if (s.rows.length === 0) body.push([{ text: FORM_TEXT.empty[lang], colSpan: s.columns.length + 1, italics: true }, ...s.columns.map(() => '')]);
  if (s.totals) {
    const t = s.totals;
    // "Tổng cộng" over the STT column and the first column when that one has no total.
    const span = t[0] === null ? 2 : 1;
    body.push([
      { text: FORM_TEXT.total[lang], bold: true, colSpan: span },
      ...s.columns.map((c, j) => (j < span - 1 ? '' : cell(c, t[j] ?? null, lang, true))),
    ]);
  }
  return [
    { text: s.title[lang], style: 'h2' },
    {
      table: { headerRows: 1, widths: widths(s.columns), body },
      layout: { hLineWidth: () => 0.5, vLineWidth: () => 0.5, hLineColor: () => '#808080', vLineColor: () => '#808080' },
    },
    ...(s.notes ?? []).map((n): Content => ({ text: n[lang], italics: true, margin: [0, 4, 0, 0] })),
  ];
}

export async function formToPdf(f: OfficialForm, lang: Lang, issuer: Issuer, at: number): Promise<Buffer> {
  useFonts();
  const agency = agencyName(issuer, lang);
  const { left, right } = formHeading(issuer, at, lang);
  const [nation, motto, placeDate] = right;
  const header: Content = {
    columns: [
      { width: '40%', stack: left.map((text, i) => (i === left.length - 1 ? { text, bold: true } : { text })), alignment: 'center' },
      {
        width: '60%',
        stack: [
          { text: nation, bold: true },
          { text: motto, bold: true, decoration: 'underline' },
          { text: placeDate, italics: true, margin: [0, 6, 0, 0] },
        ],
        alignment: 'center',
      },
    ],
  };
  const sign = (who: string): Content => ({
    stack: [
      { text: who, bold: true },
      { text: FORM_TEXT.sign[lang], italics: true },
      { text: ' ', margin: [0, 48, 0, 0] },
    ],
    alignment: 'center',
  });
  const doc = pdfmake.createPdf({
    pageSize: 'A4',
    pageOrientation: 'landscape',
    pageMargins: [36, 36, 36, 40],
    info: { title: f.title[lang], author: agency, subject: periodText(f.period, lang), creator: 'metronet' },
    defaultStyle: { font: 'Roboto', fontSize: 8.5 },
    styles: {
      title: { fontSize: 13, bold: true, alignment: 'center' },
      h2: { fontSize: 10, bold: true, margin: [0, 10, 0, 4] },
      th: { bold: true, alignment: 'center', fillColor: '#E8EEF4' },
    },
    footer: (page, pages) => ({ text: `${page}/${pages}`, alignment: 'center', fontSize: 8, margin: [0, 10, 0, 0] }),
    content: [
      header,
      { text: f.title[lang], style: 'title', margin: [0, 18, 0, 2] },
      { text: periodText(f.period, lang), alignment: 'center', italics: true, margin: [0, 0, 0, 6] },
      ...f.sections.flatMap((s) => section(s, lang)),
      ...(f.notes.length
        ? [
            { text: `${FORM_TEXT.notes[lang]}:`, bold: true, margin: [0, 10, 0, 2] } as Content,
            ...f.notes.map((n): Content => ({ text: n[lang], italics: true })),
          ]
        : []),
      { columns: [sign(FORM_TEXT.preparedBy[lang]), sign(FORM_TEXT.approvedBy[lang])], margin: [0, 18, 0, 0], unbreakable: true },
    ],
  });
  return doc.getBuffer();
}
