// Alerts inbox (issue 7): open, acknowledged and cleared alerts, acknowledge in one keypress;
// every page sees an acknowledgement live (`alert` events).
import { api, el, t, fmtDateTime, onLive, errorBox, alertMessage, loadOrgNames } from '../lib.js';

/** A table of alerts with an acknowledge button on open ones; `after` runs after an ack. */
export function alertTable(items, after) {
  if (!items.length) return el('p', { class: 'muted' }, t('alerts.none'));
  return el(
    'table',
    { class: 'grid alerts' },
    el(
      'thead',
      {},
      el('tr', {}, ...['col.opened', 'col.severity', 'col.alert', 'col.subject', 'col.alertState', 'col.action'].map((k) => el('th', { scope: 'col' }, t(k)))),
    ),
    el('tbody', {}, ...items.map((a) => alertRow(a, after))),
  );
}

export function alertRow(a, after) {
  const ack =
    a.state === 'open'
      ? el(
          'button',
          {
            type: 'button',
            'data-ack': String(a.id),
            onclick: async (e) => {
              e.target.disabled = true;
              try {
                const updated = await api(`/alerts/${a.id}/ack`, { method: 'POST', body: {} });
                const row = alertRow(updated, after);
                e.target.closest('tr').replaceWith(row);
                // Keep the keyboard where it was: on the row just acknowledged.
                row.querySelector('.alert-state').setAttribute('tabindex', '-1');
                row.querySelector('.alert-state').focus();
                after?.(updated);
              } catch (err) {
                e.target.disabled = false;
                e.target.after(el('span', { class: 'error', role: 'alert' }, err.message));
              }
            },
          },
          t('alerts.ack'),
        )
      : a.state === 'acknowledged'
        ? el('span', { class: 'muted small' }, t('alerts.ackedBy', { by: a.ackedBy ?? '–', at: fmtDateTime(a.ackedAt) }))
        : null;
  return el(
    'tr',
    { 'data-alert': String(a.id), 'data-state': a.state, class: `sev-${a.severity}` },
    el('td', {}, fmtDateTime(a.openedAt)),
    el('td', {}, el('span', { class: `badge sev-${a.severity}` }, t('severity.' + a.severity))),
    el('td', {}, el('strong', {}, t('alertkind.' + a.kind)), el('div', { class: 'small muted alert-text', 'data-code': a.code ?? '' }, alertMessage(a))),
    el('td', {}, a.instrument ? el('a', { href: `#/instruments/${encodeURIComponent(a.instrument)}` }, a.instrument) : a.subject),
    el('td', { class: 'alert-state' }, t('alertstate.' + a.state)),
    el('td', {}, ack),
  );
}

export async function render(root, _p, query) {
  root.append(el('h1', {}, t('nav.alerts')));
  let filter = query.get('state') ?? 'live';
  const tabs = el(
    'div',
    { class: 'tabs', role: 'group', 'aria-label': t('alerts.filter') },
    ...['live', 'open', 'acknowledged', 'cleared', 'all'].map((s) =>
      el(
        'button',
        {
          type: 'button',
          'data-filter': s,
          'aria-pressed': String(s === filter),
          onclick: () => {
            filter = s;
            tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.filter === s)));
            load();
          },
        },
        t('alerts.tab.' + s),
      ),
    ),
  );
  const host = el('div', { id: 'alerts' });
  root.append(tabs, host);
  // Alert texts name a lab by its name ({lab|org}).
  await loadOrgNames();
  let items = [];
  async function load() {
    try {
      items = (await api(`/alerts?limit=500${filter === 'all' ? '' : `&state=${filter}`}`)).items;
      host.replaceChildren(alertTable(items));
    } catch (err) {
      host.replaceChildren(errorBox(err));
    }
  }
  await load();
  // Another page (or person) acknowledged or raised an alert: update the row in place.
  return onLive('alert', (a) => {
    const tr = host.querySelector(`tr[data-alert="${a.id}"]`);
    if (tr) tr.replaceWith(alertRow(a));
    else if (filter === 'all' || filter === 'live' || filter === a.state) load();
  });
}
