import vi from '../web/i18n-vi.js';
import en from '../web/i18n-en.js';

/**
 * The words a report prints for a code (issue 17, item 2). They are the web UI's own texts
 * (dashboard/web/i18n-vi.js, i18n-en.js), read here rather than copied, so a reviewed word changes
 * the screens and the reports together. A report never prints the code itself: a code without a
 * word prints as "Chưa rõ" / "Unknown" and the report tests fail on it.
 */
export type Lang = 'vi' | 'en';
const TEXTS: Record<Lang, Readonly<Record<string, string>>> = { vi, en };

/** Which code a column holds, as the key prefix of its words in the interface texts. */
const LABEL_GROUPS = {
  kind: 'kind',
  state: 'state',
  orgKind: 'orgkind',
  role: 'role',
  calType: 'caltype',
  result: 'result',
  registration: 'registration',
} as const;
export type LabelGroup = keyof typeof LABEL_GROUPS;

const UNKNOWN: Record<Lang, string> = { vi: 'Chưa rõ', en: 'Unknown' };

/** The word for a code of a group, e.g. label('vi', 'kind', 'scale') → "Cân". */
export function label(lang: Lang, group: LabelGroup, code: string | null | undefined): string {
  const key = `${LABEL_GROUPS[group]}.${code ?? 'null'}`;
  return TEXTS[lang][key] ?? TEXTS[lang][`${LABEL_GROUPS[group]}.null`] ?? UNKNOWN[lang];
}

/** An interface text in both languages, e.g. uiText('col.commune'); a key missing from either file throws when the report module loads. */
export function uiText(key: string): Record<Lang, string> {
  const vi = TEXTS.vi[key];
  const en = TEXTS.en[key];
  if (vi === undefined || en === undefined) throw new Error(`no interface text "${key}" in i18n-vi.js and i18n-en.js`);
  return { vi, en };
}
