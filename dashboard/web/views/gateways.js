// Gateways (issue 7): online state, last status, spool depth (readings waiting to be acknowledged)
// and rejects, with the latest reasons a reading was refused.
import { api, el, t, has, state, fmtInt, fmtDateTime, ago, load, loadOrgNames, orgName } from '../lib.js';

/**
 * Why a reading was refused, in the reader's words from its code, with the field and value it
 * names; in English the server's own sentence (written for the integrator) says more.
 */
const rejectReason = (x) =>
  state.lang === 'en' || !has(`reject.${x.code}`)
    ? x.message
    : `${t(`reject.${x.code}`)}${x.field ? ` (${x.field}${x.value != null ? ` = ${x.value}` : ''})` : ''}`;

export async function render(root) {
  root.append(el('h1', {}, t('nav.gateways')));
  const loaded = await load(root, () => Promise.all([api('/gateways'), loadOrgNames()]).then(([g]) => g));
  if (!loaded) return;
  const gws = loaded.items;
  const details = el('div', { id: 'gateway-rejects' });
  const showRejects = async (g) => {
    const r = await api(`/rejects?gateway=${encodeURIComponent(g.id)}&limit=20`);
    details.replaceChildren(
      el('h2', {}, t('gw.rejectsOf', { id: g.name ?? g.id })),
      r.items.length
        ? el(
            'table',
            { class: 'grid' },
            el('thead', {}, el('tr', {}, ...['col.time', 'col.instrument', 'col.code', 'col.reason'].map((k) => el('th', { scope: 'col' }, t(k))))),
            el(
              'tbody',
              {},
              ...r.items.map((x) =>
                el(
                  'tr',
                  {},
                  el('td', {}, fmtDateTime(x.ts)),
                  el('td', {}, x.instrument ?? '–'),
                  el('td', {}, el('code', {}, x.code)),
                  el('td', {}, rejectReason(x)),
                ),
              ),
            ),
          )
        : el('p', { class: 'muted' }, t('gw.noRejects')),
    );
    details.querySelector('h2').setAttribute('tabindex', '-1');
    details.querySelector('h2').focus();
  };
  const spool = (s) =>
    s
      ? el(
          'span',
          {},
          fmtInt(s.depth),
          s.full ? el('span', { class: 'badge st-out_of_tolerance' }, t('gw.full')) : null,
          s.dropped ? el('div', { class: 'small error-text' }, t('gw.dropped', { n: fmtInt(s.dropped) })) : null,
        )
      : '–';
  root.append(
    el(
      'table',
      { class: 'grid', id: 'gateways' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['col.gateway', 'col.org', 'col.signal', 'col.seen', 'col.version', 'gw.spool', 'gw.rejects'].map((k) => el('th', { scope: 'col' }, t(k))),
        ),
      ),
      el(
        'tbody',
        {},
        ...gws.map((g) =>
          el(
            'tr',
            { 'data-gateway': g.id, 'data-state': g.state },
            // Its name first; the id is what is printed on the device, for a technician.
            el('th', { scope: 'row' }, el('strong', {}, g.name ?? g.id), g.name ? el('div', { class: 'muted small' }, t('gw.idLine', { id: g.id })) : null),
            el('td', {}, orgName(g.org)),
            el('td', {}, el('span', { class: `badge ${g.state === 'online' ? 'st-in_tolerance' : 'st-out_of_tolerance'}` }, t('gw.' + g.state))),
            el('td', { title: fmtDateTime(g.lastSeen) }, ago(g.lastSeen)),
            el('td', {}, g.version ?? '–'),
            el('td', { class: 'num', 'data-spool': g.spool ? String(g.spool.depth) : '' }, spool(g.spool)),
            el('td', { class: 'num' }, g.rejects ? el('button', { type: 'button', class: 'link', onclick: () => showRejects(g) }, fmtInt(g.rejects)) : '0'),
          ),
        ),
      ),
    ),
    details,
  );
}
