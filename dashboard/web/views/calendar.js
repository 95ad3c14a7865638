// Calendar of verifications (issue 7): overdue first, then each of the next twelve months as a
// month grid with the instruments due on each day, and the same as a list for screen readers.
import { api, el, t, fmtDate, fmtMonth, fmtInt, isoDay, stateBadge, onLive, load, daysUntil } from '../lib.js';

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export async function render(root) {
  root.append(el('h1', {}, t('nav.calendar')));
  const data = await load(root, () => api('/overview'));
  if (!data) return;
  const now = Date.now();
  const dated = data.items.filter((i) => i.nextDue !== null).sort((a, b) => a.nextDue - b.nextDue);
  const overdue = dated.filter((i) => i.nextDue < now);
  const link = (i) => el('a', { href: `#/instruments/${encodeURIComponent(i.id)}`, 'data-instrument': i.id }, i.id);
  const noDate = data.items.filter((i) => i.nextDue === null && i.state !== 'unregistered');

  root.append(
    el(
      'section',
      { 'aria-labelledby': 'cal-over', class: 'card' },
      el('h2', { id: 'cal-over' }, t('cal.overdue', { n: fmtInt(overdue.length) })),
      overdue.length
        ? el(
            'ul',
            { class: 'due-list', 'data-list': 'overdue' },
            ...overdue.map((i) =>
              el(
                'li',
                {},
                link(i),
                ' — ',
                // Calendar days in Vietnam time, the rule of the alert and the list (lib.js daysUntil).
                el(
                  'span',
                  { 'data-due-days': String(daysUntil(i.nextDue, now)) },
                  t('cal.dueWas', { d: fmtDate(i.nextDue), n: fmtInt(-daysUntil(i.nextDue, now)) }),
                ),
                ' ',
                stateBadge(i.state),
              ),
            ),
          )
        : el('p', { class: 'muted' }, t('cal.noneOverdue')),
    ),
  );

  // Month grids, Monday first as Vietnamese calendars are.
  const today = isoDay(now);
  const [y0, m0] = today.split('-').map(Number);
  for (let k = 0; k < 12; k++) {
    const y = y0 + Math.floor((m0 - 1 + k) / 12);
    const m = ((m0 - 1 + k) % 12) + 1;
    const key = `${y}-${String(m).padStart(2, '0')}`;
    const inMonth = dated.filter((i) => isoDay(i.nextDue).startsWith(key) && i.nextDue >= now);
    if (k > 2 && !inMonth.length) continue;
    const byDay = new Map();
    for (const i of inMonth) (byDay.get(isoDay(i.nextDue)) ?? byDay.set(isoDay(i.nextDue), []).get(isoDay(i.nextDue))).push(i);
    const first = new Date(Date.UTC(y, m - 1, 1));
    const lead = (first.getUTCDay() + 6) % 7;
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const cells = [...Array(lead).fill(null), ...Array.from({ length: days }, (_, d) => d + 1)];
    while (cells.length % 7) cells.push(null);
    const weeks = Array.from({ length: cells.length / 7 }, (_, w) => cells.slice(w * 7, w * 7 + 7));
    const grid = el(
      'table',
      { class: 'month', 'data-month': key },
      el('caption', {}, cap(fmtMonth(Date.UTC(y, m - 1, 15))), inMonth.length ? ` · ${t('cal.count', { n: fmtInt(inMonth.length) })}` : ''),
      el('thead', {}, el('tr', {}, ...[1, 2, 3, 4, 5, 6, 0].map((d) => el('th', { scope: 'col', abbr: t(`dow.${d}`) }, t(`dow.short.${d}`))))),
      el(
        'tbody',
        {},
        ...weeks.map((w) =>
          el(
            'tr',
            {},
            ...w.map((d) => {
              if (!d) return el('td', { class: 'pad' });
              const iso = `${key}-${String(d).padStart(2, '0')}`;
              const due = byDay.get(iso) ?? [];
              return el(
                'td',
                { class: `${iso === today ? 'today' : ''} ${due.length ? 'has-due' : ''}`, 'data-day': iso },
                el('span', { class: 'd' }, String(d)),
                ...due.map((i) => el('div', {}, link(i))),
              );
            }),
          ),
        ),
      ),
    );
    root.append(el('section', { class: 'month-wrap' }, grid));
  }
  if (noDate.length)
    root.append(
      el('section', { class: 'card' }, el('h2', {}, t('cal.noDate', { n: fmtInt(noDate.length) })), el('p', {}, ...noDate.flatMap((i) => [link(i), ' ']))),
    );
  return onLive('alert', (a) => (a.kind === 'overdue' || a.kind === 'due_soon') && window.dispatchEvent(new HashChangeEvent('hashchange')));
}
