// Reports (issue 7): downloads as CSV or XLSX, each holding only what the user's tenant sees.
import { el, t, state } from '../lib.js';

const REPORTS = ['inventory', 'assurance', 'annual', 'results'];

export function render(root) {
  root.append(el('h1', {}, t('nav.reports')), el('p', { class: 'muted' }, t('rep.help')));
  const year = new Date().getFullYear();
  const yearSel = el(
    'select',
    { id: 'report-year', 'aria-label': t('rep.year') },
    ...[0, 1, 2].map((k) => el('option', { value: String(year - k) }, String(year - k))),
  );
  const href = (name, format) => `/api/v1/reports/${name}?format=${format}&lang=${state.lang}${name === 'annual' ? `&year=${yearSel.value}` : ''}`;
  const cards = REPORTS.map((name) => {
    const links = ['csv', 'xlsx'].map((format) =>
      el(
        'a',
        { class: 'button', href: href(name, format), download: '', 'data-report': name, 'data-format': format },
        t('rep.download', { f: format.toUpperCase() }),
      ),
    );
    return el(
      'section',
      { class: 'card report', 'aria-labelledby': `rep-${name}` },
      el('h2', { id: `rep-${name}` }, t(`rep.${name}`)),
      el('p', {}, t(`rep.${name}.about`)),
      name === 'annual' ? el('label', {}, t('rep.year'), ' ', yearSel) : null,
      el('p', { class: 'actions' }, ...links),
    );
  });
  yearSel.addEventListener('change', () => root.querySelectorAll('a[data-report="annual"]').forEach((a) => (a.href = href('annual', a.dataset.format))));
  root.append(...cards);
}
