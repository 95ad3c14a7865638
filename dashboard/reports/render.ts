import { formToCsv, formToXlsx } from './form-files.js';
import type { Issuer, OfficialForm } from './form.js';
import type { Lang } from './labels.js';
import { formToPdf } from './pdf.js';

export const FORM_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export type FormFormat = (typeof FORM_FORMATS)[number];
export const FORM_MIME: Record<FormFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/** A report in official form written as one of its file formats (every official report, the campaign report too). */
export async function renderForm(form: OfficialForm, format: FormFormat, lang: Lang, issuer: Issuer, at: number): Promise<string | Buffer> {
  if (format === 'pdf') return formToPdf(form, lang, issuer, at);
  if (format === 'xlsx') return formToXlsx(form, lang, issuer, at);
  return formToCsv(form, lang, issuer, at);
}

/** A report's language: ?lang, else English when the request's first language is English, else Vietnamese. */
export const reportLanguage = (q: Lang | undefined, header: string | string[] | undefined): Lang =>
  q ?? (/^\s*en\b/i.test(Array.isArray(header) ? (header[0] ?? '') : (header ?? '')) ? 'en' : 'vi');
