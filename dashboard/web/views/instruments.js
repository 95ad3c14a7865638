// Instruments list (issue 7): search and filters (organisation, kind, state, due window, lab),
// grouped by organisation, latest values patched live from `values` and `states` events.
import { api, el, t, fmtInt, fmtDate, formatValue, channelLabel, channelRank, ago, stateBadge, onLive, load } from '../lib.js';

const STALE_MS = 60_000;
const DUE = { any: null, overdue: [-Infinity, -1], d30: [0, 30], d90: [0, 90], d365: [0, 365] };

export async function render(root, _params, query) {
  root.append(el('h1', {}, t('instruments')));
  const loaded = await load(root, () => Promise.all([api('/instruments?limit=5000'), api('/overview')]));
  if (!loaded) return;
  const [list, overview] = loaded;
  const states = new Map(overview.items.map((s) => [s.id, s]));
  const items = list.items;
  const byId = new Map(items.map((i) => [i.id, i]));
  const orgNames = new Map(items.map((i) => [i.org, i.orgName ?? i.org]));
  const labs = [...new Set(overview.items.map((s) => s.lab).filter(Boolean))].sort();
  const kinds = [...new Set(items.map((i) => i.kind ?? 'null'))].sort();

  const f = { q: query.get('q') ?? '', org: query.get('org') ?? '', kind: query.get('kind') ?? '', state: query.get('state') ?? '', due: query.get('due') ?? 'any', lab: query.get('lab') ?? '', online: query.get('online') ?? '' };
  const select = (name, label, options) => el('label', {}, el('span', {}, label),
    el('select', { id: `f-${name}`, name, onchange: (e) => ((f[name] = e.target.value), draw()) },
      ...options.map(([v, text]) => { const o = el('option', { value: v }, text); if (f[name] === v) o.selected = true; return o; })));
  const all = ['', t('filter.all')];
  const summary = el('p', { class: 'muted', 'aria-live': 'polite', id: 'list-summary' });
  root.append(el('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    el('label', { class: 'search' }, el('span', {}, t('search')),
      el('input', { id: 'q', type: 'search', autocomplete: 'off', placeholder: t('search.placeholder'), value: f.q, oninput: (e) => ((f.q = e.target.value), draw()) })),
    select('org', t('col.org'), [all, ...[...orgNames].sort((a, b) => a[1].localeCompare(b[1], 'vi'))]),
    select('kind', t('col.kind'), [all, ...kinds.map((k) => [k, t('kind.' + k)])]),
    select('state', t('col.state'), [all, ...['in_tolerance', 'near_limit', 'predicted_out_of_tolerance', 'out_of_tolerance', 'due_soon', 'overdue', 'unregistered'].map((s) => [s, t('state.' + s)])]),
    select('due', t('col.due'), Object.keys(DUE).map((k) => [k, t('due.' + k)])),
    select('lab', t('col.lab'), [all, ...labs.map((l) => [l, l])]),
    select('online', t('col.signal'), [all, ['yes', t('signal.yes')], ['no', t('signal.no')]])), summary);
  const host = el('div', { id: 'orgs' });
  root.append(host);

  const match = (i) => {
    const s = states.get(i.id);
    const q = f.q.trim().toLowerCase();
    if (q && ![i.id, i.name, i.site, i.orgName, i.org, i.serial].some((x) => x && x.toLowerCase().includes(q))) return false;
    if (f.org && i.org !== f.org) return false;
    if (f.kind && (i.kind ?? 'null') !== f.kind) return false;
    if (f.state && s?.state !== f.state) return false;
    if (f.lab && s?.lab !== f.lab) return false;
    if (f.online && (s?.online ? 'yes' : 'no') !== f.online) return false;
    const w = DUE[f.due];
    if (w && (s?.dueInDays === null || s?.dueInDays === undefined || s.dueInDays < w[0] || s.dueInDays > w[1])) return false;
    return true;
  };

  function row(i, now) {
    const s = states.get(i.id);
    // Offline as the server judges it (states.ts), so the badge, the filter and the overview agree.
    const offline = s ? !s.online : !i.lastSeen;
    const stale = !i.lastSeen || now - i.lastSeen > STALE_MS;
    const values = el('ul', { class: 'values' }, ...[...i.channels].sort((a, b) => channelRank(a.channel) - channelRank(b.channel)).map((c) => el('li', { 'data-channel': c.channel },
      el('span', { class: 'ch' }, channelLabel(c.channel)), ' ', el('span', { class: 'val' }, formatValue(c.value, c.unit, c.channel)),
      c.status && c.status !== 'ok' ? el('span', { class: `badge status-${c.status}` }, t('status.' + c.status)) : null)));
    return el('tr', { 'data-instrument': i.id, class: stale ? 'stale' : '' },
      el('th', { scope: 'row' }, el('a', { class: 'id', href: `#/instruments/${encodeURIComponent(i.id)}` }, i.id),
        i.name ? el('div', { class: 'name' }, i.name) : null, i.site ? el('div', { class: 'site' }, i.site) : null,
        offline ? el('span', { class: 'badge offline' }, t('offline')) : null),
      el('td', {}, t('kind.' + (i.kind ?? 'null'))),
      el('td', { class: 'state' }, s ? stateBadge(s.state) : '–', s?.nextDue ? el('div', { class: 'muted small' }, t('dueOn', { d: fmtDate(s.nextDue) })) : null),
      el('td', {}, values),
      el('td', { class: 'seen' }, ago(i.lastSeen, now)));
  }

  function draw() {
    const now = Date.now();
    const shown = items.filter(match);
    summary.textContent = t('list.summary', { n: fmtInt(shown.length), total: fmtInt(items.length) });
    const byOrg = new Map();
    for (const i of shown) (byOrg.get(i.org) ?? byOrg.set(i.org, []).get(i.org)).push(i);
    host.replaceChildren(...(shown.length ? [] : [el('p', { class: 'empty' }, t('empty'))]), ...[...byOrg].map(([org, list]) => el('section', { class: 'org', 'data-org': org },
      el('table', { class: 'instruments' }, el('caption', {}, orgNames.get(org)),
        el('thead', {}, el('tr', {}, ...['col.instrument', 'col.kind', 'col.state', 'col.values', 'col.seen'].map((k) => el('th', { scope: 'col' }, t(k))))),
        el('tbody', {}, ...list.map((i) => row(i, now)))))));
  }
  draw();

  const offValues = onLive('values', (updates) => {
    const now = Date.now();
    for (const u of updates) {
      const i = byId.get(u.id);
      if (!i) continue;
      i.lastSeen = u.lastSeen;
      i.channels = u.channels;
      const tr = host.querySelector(`tr[data-instrument="${CSS.escape(u.id)}"]`);
      if (tr) tr.replaceWith(row(i, now));
    }
  });
  const offStates = onLive('states', (changes) => {
    for (const c of changes) {
      const s = states.get(c.id);
      if (s) Object.assign(s, c);
    }
    draw();
  });
  // "seconds ago" keeps moving between events.
  const timer = setInterval(() => host.querySelectorAll('tr[data-instrument]').forEach((tr) => {
    const i = byId.get(tr.dataset.instrument);
    if (i) tr.querySelector('.seen').textContent = ago(i.lastSeen);
  }), 5000);
  return () => (offValues(), offStates(), clearInterval(timer));
}
