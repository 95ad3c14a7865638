// Reports: the reports in official form (issue 17: CSV, XLSX and PDF, as a Vietnamese office
// files them; dashboard/reports/official-*.ts) and the data tables (issue 7: CSV and XLSX). Each
// holds only what the user's tenant sees.
import { el, t, state } from '../lib.js';

/** The server's reports in official form (dashboard/reports/official.ts OFFICIAL_REPORTS), each in every format. */
const OFFICIAL = ['group2-inventory', 'verification-status', 'province-annual', 'enterprise-assurance'];
const OFFICIAL_FORMATS = ['pdf', 'xlsx', 'csv'];
/** Data tables (dashboard/reports/data.ts REPORTS). */
const TABLES = ['inventory', 'assurance', 'annual', 'results'];
/** Reports whose counts are of one year (the year picker applies to them). */
const BY_YEAR = new Set([...OFFICIAL, 'annual']);

export function render(root) {
  root.append(el('h1', {}, t('nav.reports')), el('p', { class: 'muted' }, t('rep.help')));
  const year = new Date().getFullYear();
  const yearSel = el(
    'select',
    { id: 'report-year', 'aria-label': t('rep.year') },
    ...[0, 1, 2].map((k) => el('option', { value: String(year - k) }, String(year - k))),
  );
  const href = (name, format) => `/api/v1/reports/${name}?format=${format}&lang=${state.lang}${BY_YEAR.has(name) ? `&year=${yearSel.value}` : ''}`;
  const title = (name) => t(`rep.${name}`, { year: yearSel.value });
  const card = (name, formats, kind) => {
    const links = formats.map((format) =>
      el(
        'a',
        { class: 'button', href: href(name, format), download: '', 'data-report': name, 'data-format': format },
        t('rep.download', { f: format.toUpperCase() }),
      ),
    );
    return el(
      'section',
      { class: 'card report', 'aria-labelledby': `rep-${name}`, 'data-report-kind': kind },
      el('h3', { id: `rep-${name}` }, title(name)),
      el('p', {}, t(`rep.${name}.about`)),
      el('p', { class: 'actions' }, ...links),
    );
  };
  root.append(
    el('p', {}, el('label', {}, t('rep.year'), ' ', yearSel)),
    el(
      'section',
      { 'aria-labelledby': 'rep-official' },
      el('h2', { id: 'rep-official' }, t('rep.official')),
      el('p', { class: 'muted' }, t('rep.official.help')),
      ...OFFICIAL.map((name) => card(name, OFFICIAL_FORMATS, 'official')),
    ),
    el(
      'section',
      { 'aria-labelledby': 'rep-tables' },
      el('h2', { id: 'rep-tables' }, t('rep.tables')),
      ...TABLES.map((name) => card(name, ['csv', 'xlsx'], 'table')),
    ),
  );
  // Another year: the links and the titles that name it follow.
  yearSel.addEventListener('change', () => {
    root.querySelectorAll('a[data-report]').forEach((a) => (a.href = href(a.dataset.report, a.dataset.format)));
    for (const name of BY_YEAR) root.querySelector(`#rep-${name}`).textContent = title(name);
  });
}
