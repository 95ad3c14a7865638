// Overview (issue 7): the first screen of each role — instruments by state, organisations and
// sites, open alerts, stations at a glance. States change live (`states` events).
import { api, el, t, fmtInt, fmtPct, onLive, state, load, openAlertCounts } from '../lib.js';

const STATES = [
  'in_tolerance',
  'near_limit',
  'predicted_out_of_tolerance',
  'out_of_tolerance',
  'verification_failed',
  'due_soon',
  'overdue',
  'unregistered',
  'offline',
];

export async function render(root) {
  root.append(el('h1', {}, t('overview.title')));
  // Counts only: the first screen of thousands of instruments need not carry each one; live
  // state changes (with the state before them) move the counts.
  const data = await load(root, () => api('/overview?items=false'));
  if (!data) return;
  const c = Object.fromEntries(STATES.map((s) => [s, data.counts[s] ?? 0]));
  const tiles = el('ul', { class: 'tiles', 'aria-label': t('overview.byState') });
  const drawTiles = () => {
    tiles.replaceChildren(
      ...STATES.map((s) =>
        el(
          'li',
          { class: `tile st-${s}`, 'data-state': s },
          el(
            'a',
            { href: s === 'offline' ? '#/instruments?online=no' : `#/instruments?state=${s}` },
            el('span', { class: 'n' }, fmtInt(c[s])),
            el('span', { class: 'label' }, t('state.' + s)),
          ),
        ),
      ),
    );
  };
  drawTiles();
  // The share "đạt yêu cầu" is the server's (states.ts isConforming): in tolerance with a
  // verification or calibration on record; instruments never verified are said apart.
  const total = el(
    'p',
    { class: 'muted', 'data-conforming': String(data.conforming), 'data-total': String(data.total) },
    t('overview.total', { n: fmtInt(data.total), pct: fmtPct(data.conforming, data.total) }),
    data.neverVerified ? ` ${t('overview.neverVerified', { n: fmtInt(data.neverVerified) })}` : '',
  );
  root.append(el('section', { 'aria-labelledby': 'ov-states' }, el('h2', { id: 'ov-states' }, t('overview.byState')), tiles, total));

  // Open alerts as the menu badge counts them (lib.js openAlertCounts), moved by the same events.
  const alertLine = el('p', {});
  const drawAlerts = (a) =>
    alertLine.replaceChildren(
      el('strong', { class: 'big', 'data-open-alerts': String(a.open) }, fmtInt(a.open)),
      ' ',
      t('overview.alertsOpen', { c: fmtInt(a.critical), w: fmtInt(a.warning) }),
    );
  drawAlerts(data.alerts);
  const refreshAlerts = () => openAlertCounts(true).then(drawAlerts, () => {});
  refreshAlerts();
  root.append(
    el(
      'section',
      { class: 'card alerts-glance', 'aria-labelledby': 'ov-alerts' },
      el('h2', { id: 'ov-alerts' }, t('overview.alerts')),
      alertLine,
      el('a', { href: '#/alerts?state=open' }, t('overview.toInbox')),
    ),
  );

  const orgs = data.orgs.filter((o) => o.instruments > 0 || o.id === state.me.org);
  root.append(
    el(
      'section',
      { 'aria-labelledby': 'ov-orgs' },
      el('h2', { id: 'ov-orgs' }, t('overview.orgs')),
      el(
        'table',
        { class: 'grid' },
        el(
          'thead',
          {},
          el('tr', {}, ...['col.org', 'col.commune', 'col.kindOrg', 'col.instruments', 'col.sites'].map((k) => el('th', { scope: 'col' }, t(k)))),
        ),
        el(
          'tbody',
          {},
          ...orgs.map((o) =>
            el(
              'tr',
              { 'data-org': o.id },
              el('th', { scope: 'row' }, el('a', { href: `#/instruments?org=${o.id}` }, o.name)),
              // The place in force since 1 July 2025; the district entered before it, as history only.
              el(
                'td',
                {},
                o.communeName ?? o.provinceName ?? '–',
                ...(o.district ? [el('br'), el('small', { class: 'muted' }, t('locality.before2025', { d: o.district }))] : []),
              ),
              el('td', {}, t('orgkind.' + o.kind)),
              el('td', { class: 'num' }, fmtInt(o.instruments)),
              el('td', { class: 'num' }, fmtInt(o.sites)),
            ),
          ),
        ),
      ),
    ),
  );

  // Instruments per province and commune where they stand (issue 17): no districts since 1 July 2025.
  const places = data.localities;
  if (places.length > 0) {
    root.append(
      el(
        'section',
        { 'aria-labelledby': 'ov-places' },
        el('h2', { id: 'ov-places' }, t('overview.places')),
        el(
          'table',
          { class: 'grid' },
          el('thead', {}, el('tr', {}, ...['col.province', 'col.commune', 'col.instruments', 'col.stations'].map((k) => el('th', { scope: 'col' }, t(k))))),
          el(
            'tbody',
            {},
            ...places.map((l) =>
              el(
                'tr',
                { 'data-commune': l.commune ?? '' },
                el('td', {}, l.provinceName ?? t('locality.unknown')),
                el('th', { scope: 'row' }, l.communeName ?? (l.provinceName ? '–' : t('locality.unknown'))),
                el('td', { class: 'num' }, fmtInt(l.instruments)),
                el('td', { class: 'num' }, fmtInt(l.stations)),
              ),
            ),
          ),
        ),
      ),
    );
  }

  const stations = el('section', { 'aria-labelledby': 'ov-st', hidden: true }, el('h2', { id: 'ov-st' }, t('overview.stations')));
  root.append(stations);
  api('/stations')
    .then((s) => {
      if (!s.items?.length) return;
      stations.hidden = false;
      stations.append(
        el(
          'ul',
          { class: 'stations' },
          ...s.items.map((x) =>
            el(
              'li',
              { 'data-station': x.id, class: `lvl-${x.exceedances.length ? 'over' : 'ok'}` },
              el('strong', {}, x.name ?? x.id),
              ' · ',
              t('station.' + x.state),
              ' · ',
              t('overview.complete', { pct: fmtInt(Math.round((x.completeness?.ratio ?? 0) * 100)) }),
              x.exceedances.length ? el('span', { class: 'badge st-out_of_tolerance' }, t('overview.exceed', { n: x.exceedances.length })) : null,
            ),
          ),
        ),
        el('a', { href: '#/stations' }, t('overview.toStations')),
      );
    })
    .catch(() => {});

  const offAlerts = onLive('alert', refreshAlerts);
  const offStates = onLive('states', (changes) => {
    let moved = false;
    for (const x of changes) {
      if (!x.prev) continue; // the opening states: what the counts already hold
      if (x.prev.state !== x.state) c[x.prev.state]--, c[x.state]++, (moved = true);
      if (x.prev.online !== x.online) (c.offline += x.online ? -1 : 1), (moved = true);
    }
    if (moved) drawTiles();
  });
  return () => (offAlerts(), offStates());
}
