// Instruments list (issue 7): search and filters (organisation, kind, state, due window, lab),
// grouped by organisation, latest values patched live from `values` and `states` events.
//
// A province has thousands of instruments. The list filters the overview's rows (state, due
// date, lab, name, serial, site of every instrument the caller sees: one request), draws 200
// rows at a time, and asks the API for the latest values of the rows drawn only.
import { api, el, t, fmtInt, fmtDate, formatValue, channelLabel, channelRank, ago, stateBadge, onLive, load, fold } from '../lib.js';

const STALE_MS = 60_000;
const DUE = { any: null, overdue: [-Infinity, -1], d30: [0, 30], d90: [0, 90], d365: [0, 365] };
/**
 * The due date and its day count (the server's dueInDays: calendar days in Vietnam time, the
 * rule of the alert and the calendar); days are said when overdue or within 90 days.
 */
function dueLine(s) {
  const n = s.dueInDays;
  const days = n === null || n === undefined || n > 90 ? '' : n < 0 ? t('due.daysOver', { n: fmtInt(-n) }) : t('due.daysLeft', { n: fmtInt(n) });
  return el('div', { class: 'muted small', 'data-due-days': n ?? '' }, t('dueOn', { d: fmtDate(s.nextDue) }), days ? `, ${days}` : '');
}

/** Rows drawn at a time. */
const PAGE = 200;
/** Most ids one `GET /instruments?ids=` may name (routes/instruments.ts). */
const IDS_PER_REQUEST = 200;

export async function render(root, _params, query) {
  root.append(el('h1', {}, t('instruments')));
  const overview = await load(root, () => api('/overview'));
  if (!overview) return;
  const items = overview.items;
  /** Latest values and last-seen time of the rows drawn so far, by id. */
  const details = new Map();
  const orgNames = new Map(overview.orgs.map((o) => [o.id, o.name]));
  const labs = [...new Set(items.map((s) => s.lab).filter(Boolean))].sort();
  const kinds = [...new Set(items.map((i) => i.kind ?? 'null'))].sort();
  const orgsWithInstruments = [...new Set(items.map((i) => i.org))].map((id) => [id, orgNames.get(id) ?? id]);

  const f = {
    q: query.get('q') ?? '',
    org: query.get('org') ?? '',
    kind: query.get('kind') ?? '',
    state: query.get('state') ?? '',
    due: query.get('due') ?? 'any',
    lab: query.get('lab') ?? '',
    online: query.get('online') ?? '',
  };
  let typing;
  const select = (name, label, options) =>
    el(
      'label',
      {},
      el('span', {}, label),
      el(
        'select',
        { id: `f-${name}`, name, onchange: (e) => ((f[name] = e.target.value), draw()) },
        ...options.map(([v, text]) => {
          const o = el('option', { value: v }, text);
          if (f[name] === v) o.selected = true;
          return o;
        }),
      ),
    );
  const all = ['', t('filter.all')];
  const summary = el('p', { class: 'muted', 'aria-live': 'polite', id: 'list-summary' });
  root.append(
    el(
      'form',
      { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
      el(
        'label',
        { class: 'search' },
        el('span', {}, t('search')),
        el('input', {
          id: 'q',
          type: 'search',
          autocomplete: 'off',
          placeholder: t('search.placeholder'),
          value: f.q,
          oninput: (e) => {
            // Typing fast over thousands of instruments: filter once the keys pause.
            f.q = e.target.value;
            clearTimeout(typing);
            typing = setTimeout(draw, 120);
          },
        }),
      ),
      select('org', t('col.org'), [all, ...orgsWithInstruments.sort((a, b) => a[1].localeCompare(b[1], 'vi'))]),
      select('kind', t('col.kind'), [all, ...kinds.map((k) => [k, t('kind.' + k)])]),
      select('state', t('col.state'), [
        all,
        ...['in_tolerance', 'near_limit', 'predicted_out_of_tolerance', 'out_of_tolerance', 'verification_failed', 'due_soon', 'overdue', 'unregistered'].map(
          (s) => [s, t('state.' + s)],
        ),
      ]),
      select(
        'due',
        t('col.due'),
        Object.keys(DUE).map((k) => [k, t('due.' + k)]),
      ),
      select('lab', t('col.lab'), [all, ...labs.map((l) => [l, orgNames.get(l) ?? l])]),
      select('online', t('col.signal'), [all, ['yes', t('signal.yes')], ['no', t('signal.no')]]),
    ),
    summary,
  );
  const host = el('div', { id: 'orgs' });
  let shownCount = PAGE;
  let shown = [];
  let generation = 0;
  const more = el('button', { type: 'button', class: 'more', hidden: true, onclick: () => ((shownCount += PAGE), drawRows()) });
  root.append(host, more);
  // Folded search text per instrument (lib.js fold: case and diacritics ignored, đ as d), built
  // once rather than on every key: "can ban" finds "Cân bàn", "xang dau" finds "Xăng dầu".
  const haystack = new Map(
    items.map((i) => [i.id, fold([i.id, i.name, i.site, orgNames.get(i.org), i.serial, t('kind.' + (i.kind ?? 'null'))].filter(Boolean).join('\u0000'))]),
  );

  const match = (s) => {
    const q = fold(f.q);
    if (q && !haystack.get(s.id).includes(q)) return false;
    if (f.org && s.org !== f.org) return false;
    if (f.kind && (s.kind ?? 'null') !== f.kind) return false;
    if (f.state && s.state !== f.state) return false;
    if (f.lab && s.lab !== f.lab) return false;
    if (f.online && (s.online ? 'yes' : 'no') !== f.online) return false;
    const w = DUE[f.due];
    if (w && (s.dueInDays === null || s.dueInDays === undefined || s.dueInDays < w[0] || s.dueInDays > w[1])) return false;
    return true;
  };

  /** Fetches the latest values of the instruments not yet fetched, in a few requests. */
  async function fetchDetails(ids) {
    const missing = ids.filter((id) => !details.has(id));
    const batches = [];
    for (let k = 0; k < missing.length; k += IDS_PER_REQUEST) batches.push(missing.slice(k, k + IDS_PER_REQUEST));
    const pages = await Promise.all(batches.map((b) => api(`/instruments?limit=${IDS_PER_REQUEST}&ids=${b.map(encodeURIComponent).join(',')}`)));
    for (const p of pages) for (const i of p.items) details.set(i.id, i);
  }

  function row(s, now) {
    const i = details.get(s.id) ?? { channels: [], lastSeen: null };
    // Offline as the server judges it (states.ts), so the badge, the filter and the overview agree.
    const offline = !s.online;
    const stale = !i.lastSeen || now - i.lastSeen > STALE_MS;
    const values = el(
      'ul',
      { class: 'values' },
      ...[...i.channels]
        .sort((a, b) => channelRank(a.channel) - channelRank(b.channel))
        .map((c) =>
          el(
            'li',
            { 'data-channel': c.channel },
            el('span', { class: 'ch' }, channelLabel(c.channel)),
            ' ',
            el('span', { class: 'val' }, formatValue(c.value, c.unit, c.channel)),
            c.status && c.status !== 'ok' ? el('span', { class: `badge status-${c.status}` }, t('status.' + c.status)) : null,
          ),
        ),
    );
    return el(
      'tr',
      { 'data-instrument': s.id, class: stale ? 'stale' : '' },
      el(
        'th',
        { scope: 'row' },
        el('a', { class: 'id', href: `#/instruments/${encodeURIComponent(s.id)}` }, s.id),
        s.name ? el('div', { class: 'name' }, s.name) : null,
        s.site ? el('div', { class: 'site' }, s.site) : null,
        offline ? el('span', { class: 'badge offline' }, t('offline')) : null,
      ),
      el('td', {}, t('kind.' + (s.kind ?? 'null'))),
      el('td', { class: 'state' }, stateBadge(s.state), s.nextDue ? dueLine(s) : null),
      el('td', {}, values),
      el('td', { class: 'seen' }, ago(i.lastSeen, now)),
    );
  }

  /** Filters and draws; `keepPage` keeps the rows already opened (live state changes). */
  function draw(keepPage = false) {
    shown = items.filter(match);
    if (!keepPage) shownCount = PAGE;
    summary.textContent = t('list.summary', { n: fmtInt(shown.length), total: fmtInt(items.length) });
    return drawRows();
  }

  /** The first `shownCount` matches, grouped by organisation; a button draws the next page. */
  async function drawRows() {
    const g = ++generation;
    const page = shown.slice(0, shownCount);
    try {
      await fetchDetails(page.map((s) => s.id));
    } catch {
      // Values are extra: the rows are drawn without them; the next draw asks again.
    }
    if (g !== generation) return; // a newer filter has drawn meanwhile
    const now = Date.now();
    const byOrg = new Map();
    for (const s of page) (byOrg.get(s.org) ?? byOrg.set(s.org, []).get(s.org)).push(s);
    const left = shown.length - page.length;
    more.hidden = left === 0;
    more.textContent = t('list.more', { n: fmtInt(Math.min(PAGE, left)), left: fmtInt(left) });
    host.replaceChildren(
      ...(shown.length ? [] : [el('p', { class: 'empty' }, t('empty'))]),
      ...[...byOrg].map(([org, list]) =>
        el(
          'section',
          { class: 'org', 'data-org': org },
          el(
            'table',
            { class: 'instruments' },
            el('caption', {}, orgNames.get(org) ?? org),
            el(
              'thead',
              {},
              el('tr', {}, ...['col.instrument', 'col.kind', 'col.state', 'col.values', 'col.seen'].map((k) => el('th', { scope: 'col' }, t(k)))),
            ),
            el('tbody', {}, ...list.map((s) => row(s, now))),
          ),
        ),
      ),
    );
  }
  await draw();

  const byId = new Map(items.map((s) => [s.id, s]));
  const offValues = onLive('values', (updates) => {
    const now = Date.now();
    for (const u of updates) {
      const i = details.get(u.id);
      if (!i) continue; // not drawn yet: fetched when it is
      i.lastSeen = u.lastSeen;
      i.channels = u.channels;
      const tr = host.querySelector(`tr[data-instrument="${CSS.escape(u.id)}"]`);
      if (tr) tr.replaceWith(row(byId.get(u.id), now));
    }
  });
  const offStates = onLive('states', (changes) => {
    for (const c of changes) {
      const s = byId.get(c.id);
      if (s) Object.assign(s, c);
    }
    draw(true);
  });
  // "seconds ago" keeps moving between events.
  const timer = setInterval(
    () =>
      host.querySelectorAll('tr[data-instrument]').forEach((tr) => {
        const i = details.get(tr.dataset.instrument);
        if (i) tr.querySelector('.seen').textContent = ago(i.lastSeen);
      }),
    5000,
  );
  return () => (offValues(), offStates(), clearInterval(timer), clearTimeout(typing));
}
