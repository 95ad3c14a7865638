// Environmental stations (issues 8, 17): where each station stands, on the province outline
// (stations-outline.js) and a latitude/longitude grid — no map tiles from the internet — and a grid
// of its parameters coloured by their limits, with the VN_AQI badge of air stations; refreshed
// every 5 s. Each station links to its readings history (the instrument page, #/instruments/{id}).
// GET /api/v1/stations answers every role its own stations; a role with none is told why.
import { api, el, t, state, locale, TZ, fmtNum, fmtTime, fmtDateTime, channelLabel, unitLabel, errorBox } from '../lib.js';
import { PROVINCE_OUTLINE } from '../stations-outline.js';

const REFRESH_MS = 5000;
/** Reading order of the parameter columns: air, then water, then the weather. */
const ORDER = ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3', 'ph', 'cod', 'tss', 'nh4', 'flow', 'temperature', 'humidity'];
const SVG = 'http://www.w3.org/2000/svg';

const num = (v) => fmtNum(v, Math.abs(v ?? 0) >= 100 ? 0 : Math.abs(v ?? 0) >= 10 ? 1 : 2);
const unit = (u) => (u === 'pH' ? '' : unitLabel(u));
const level = (ratio) => (ratio === null ? 'none' : ratio >= 1 ? 'over' : ratio >= 0.8 ? 'near' : 'ok');
const historyHref = (id) => `#/instruments/${encodeURIComponent(id)}`;

function svg(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

/** The outline's rings as [latitude, longitude] points (the module keeps them as flat pairs). */
const outlineRings = () => (PROVINCE_OUTLINE?.rings ?? []).map((flat) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

function drawMap(map, items) {
  map.replaceChildren();
  const W = 400;
  const H = 440;
  const pad = 30;
  const rings = outlineRings();
  const lats = [...items.map((s) => s.latitude), ...rings.flat().map((p) => p[0])];
  const lons = [...items.map((s) => s.longitude), ...rings.flat().map((p) => p[1])];
  // Bounds on a 0.1° grid around the stations and the outline.
  const lat0 = Math.floor(Math.min(...lats) * 10 - 1) / 10;
  const lat1 = Math.ceil(Math.max(...lats) * 10 + 1) / 10;
  const lon0 = Math.floor(Math.min(...lons) * 10 - 1) / 10;
  const lon1 = Math.ceil(Math.max(...lons) * 10 + 1) / 10;
  // Equirectangular, x scaled by cos(latitude) so that distances look right at this latitude.
  const k = Math.cos((((lat0 + lat1) / 2) * Math.PI) / 180);
  const sc = Math.min((W - 2 * pad) / ((lon1 - lon0) * k), (H - 2 * pad) / (lat1 - lat0));
  const x = (lon) => pad + (lon - lon0) * k * sc;
  const y = (lat) => H - pad - (lat - lat0) * sc;
  const grid = svg('g', { class: 'grid' });
  const step = lat1 - lat0 > 1 ? 0.5 : 0.1;
  for (let v = Math.ceil(lat0 / step) * step; v <= lat1 + 1e-9; v += step) {
    grid.append(svg('line', { x1: x(lon0), x2: x(lon1), y1: y(v), y2: y(v) }), svg('text', { x: 2, y: y(v) + 3 }, `${v.toFixed(1)}°N`));
  }
  for (let v = Math.ceil(lon0 / step) * step; v <= lon1 + 1e-9; v += step) {
    grid.append(svg('line', { x1: x(v), x2: x(v), y1: y(lat0), y2: y(lat1) }), svg('text', { x: x(v) - 14, y: H - 4 }, `${v.toFixed(1)}°E`));
  }
  map.append(grid);
  if (rings.length) {
    const d = rings.map((ring) => ring.map((p, i) => `${i ? 'L' : 'M'}${x(p[1]).toFixed(1)},${y(p[0]).toFixed(1)}`).join('') + 'Z').join('');
    const path = svg('path', { d, class: 'province' });
    path.append(svg('title', {}, `${PROVINCE_OUTLINE.name} — ${t('stations.map.outline')}`));
    map.append(path);
  }
  // Stations a few hundred metres apart: each label goes where it overlaps no label drawn before.
  const placed = [];
  for (const s of items) {
    const worst = s.parameters.reduce((a, p) => (p.limitRatio !== null && (a === null || p.limitRatio > a) ? p.limitRatio : a), null);
    const cls = s.state === 'gap' || s.state === 'no_data' ? 'gap' : `lvl-${level(worst)}`;
    const cx = x(s.longitude);
    const cy = y(s.latitude);
    const w = s.id.length * 6;
    const spots = [
      [cx + 8, cy + 4],
      [cx + 8, cy + 15],
      [cx + 8, cy - 7],
      [cx - 8 - w, cy + 4],
      [cx - 8 - w, cy + 15],
    ];
    const free = ([lx, ly]) => placed.every(([px, py]) => lx + w < px || px + w < lx || Math.abs(ly - py) >= 11);
    const [lx, ly] = spots.find(free) ?? spots[0];
    placed.push([lx, ly]);
    const g = svg('a', { href: historyHref(s.id), class: 'st', 'data-station': s.id });
    g.append(
      svg('circle', { cx, cy, r: 5, class: cls }),
      svg('text', { x: lx, y: ly }, s.id),
      svg('title', {}, `${s.name ?? s.id} — ${t('station.' + s.state)} · ${t('stations.history')}`),
    );
    map.append(g);
  }
}

function aqiBadge(s, a) {
  if (s.medium !== 'air' || !a) return null;
  if (a.aqi === null) return el('div', {}, el('span', { class: 'aqi aqi-none', 'data-aqi': '' }, t('stations.aqi.none')));
  const c = a.category;
  const dark = c.key === 'very_bad' || c.key === 'hazardous' || c.key === 'bad';
  const hour = new Intl.DateTimeFormat(locale(), { timeZone: TZ, hour: '2-digit', minute: '2-digit' }).format(a.to);
  const b = el(
    'span',
    { class: 'aqi', 'data-aqi': String(a.aqi), 'data-category': c.key, title: t('stations.aqi.title', { h: hour, v: a.aqi, c: `${c.vi} / ${c.en}` }) },
    `AQI ${a.aqi} · ${state.lang === 'vi' ? c.vi : c.en}`,
  );
  // The category's own colour (Decision 1459/QĐ-TCMT), from the server.
  b.style.background = c.hex;
  b.style.color = dark ? '#fff' : '#000';
  return el('div', {}, b);
}

function paramCell(ch, p) {
  if (!p) return el('td', { class: 'lvl-none absent' });
  const lvl = level(p.limitRatio);
  const cls = [`lvl-${lvl}`, p.status ? `status-${p.status}` : '', p.suspect ? 'suspect' : ''].join(' ').trim();
  const td = el('td', { class: cls, 'data-param': ch, 'data-level': lvl }, num(p.value), el('span', { class: 'unit' }, unit(p.unit)));
  if (p.suspect) {
    td.append(el('span', { class: 'suspect-mark' }, '?'));
    td.title = t('stations.suspect', { t: fmtDateTime(p.suspectSince) });
  }
  return td;
}

function drawGrid(items, aqi) {
  const params = [...new Set(items.flatMap((s) => s.parameters.map((p) => p.channel)))].sort(
    (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99),
  );
  const head = el(
    'tr',
    {},
    ...['stations.col.station', 'stations.col.state', 'stations.col.completeness'].map((k) => el('th', { scope: 'col' }, t(k))),
    ...params.map((p) => el('th', { scope: 'col' }, channelLabel(p))),
  );
  const rows = items.map((s) => {
    const byCh = new Map(s.parameters.map((p) => [p.channel, p]));
    const exceed = s.exceedances.length
      ? el(
          'ul',
          { class: 'exceed' },
          ...s.exceedances.map((e) =>
            el('li', {}, t('stations.exceed', { p: channelLabel(e.parameter), period: e.period, v: num(e.value), l: num(e.limit), u: unit(e.unit) })),
          ),
        )
      : null;
    const ratio = s.completeness.ratio;
    return el(
      'tr',
      { 'data-station': s.id },
      el(
        'th',
        { scope: 'row' },
        el('div', { class: 'id' }, s.id),
        el('div', { class: 'name' }, `${s.name ?? ''} · ${t('stations.medium.' + s.medium)}`),
        aqiBadge(s, aqi.get(s.id)),
        exceed,
        el('a', { href: historyHref(s.id), class: 'history', 'data-history': s.id }, t('stations.history')),
      ),
      el('td', {}, el('span', { class: `state state-${s.state}` }, t('station.' + s.state))),
      el('td', { class: 'completeness' }, ratio === null ? '–' : `${Math.round(ratio * 100)} %`),
      ...params.map((ch) => paramCell(ch, byCh.get(ch))),
    );
  });
  return el('table', { class: 'params' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

/** The hourly VN_AQI of each air station (issue 17); a station whose index cannot be had keeps none until the next refresh. */
async function loadAqi(items) {
  const air = items.filter((s) => s.medium === 'air');
  const answers = await Promise.all(air.map((s) => api(`/stations/${encodeURIComponent(s.id)}/aqi?period=hour`).catch(() => null)));
  return new Map(air.map((s, i) => [s.id, answers[i]]).filter(([, a]) => a));
}

function legend() {
  const item = (mark, key) => el('li', {}, mark, ' ', el('span', {}, t(key)));
  return el(
    'ul',
    { class: 'legend' },
    ...['ok', 'near', 'over', 'none'].map((l) => item(el('span', { class: `lvl lvl-${l}` }), `stations.legend.${l}`)),
    item(el('span', { class: 'suspect-mark' }, '?'), 'stations.legend.suspect'),
  );
}

export async function render(root) {
  root.append(el('h1', {}, t('stations.title')));
  const problem = el('div', { role: 'alert' });
  const map = svg('svg', { id: 'map', viewBox: '0 0 400 440', role: 'img', 'aria-labelledby': 'map-caption' });
  const layout = el(
    'div',
    { class: 'stations-layout', hidden: true },
    el('figure', { class: 'map' }, map, el('figcaption', { id: 'map-caption' }, t('stations.map.caption'))),
    legend(),
  );
  const grid = el('div', { id: 'grid', class: 'stations-grid' });
  const updated = el('time', { id: 'updated' }, '–');
  const footer = el('p', { class: 'updated', hidden: true }, t('stations.updated'), ' ', updated);
  root.append(problem, layout, grid, footer);

  let timer = null;
  let stopped = false;
  let failures = 0;
  let drawn = false;
  async function refresh() {
    try {
      const data = await api('/stations');
      const aqi = await loadAqi(data.items);
      if (stopped) return;
      failures = 0;
      problem.replaceChildren();
      if (!data.items.length) {
        const who = state.me?.role === 'enterprise' ? 'enterprise' : state.me?.role === 'lab' ? 'lab' : 'all';
        grid.replaceChildren(el('p', { class: 'empty', 'data-empty': who }, t(`stations.empty.${who}`)));
        layout.hidden = footer.hidden = true;
      } else {
        drawMap(map, data.items);
        grid.replaceChildren(drawGrid(data.items, aqi));
        layout.hidden = footer.hidden = false;
      }
      drawn = true;
      updated.textContent = fmtTime(Date.now());
    } catch (err) {
      if (stopped) return;
      failures++;
      problem.replaceChildren(drawn ? el('p', { class: 'error' }, t('stations.retry')) : errorBox(err));
    }
    if (!stopped) timer = setTimeout(refresh, failures ? Math.min(30_000, REFRESH_MS * 2 ** failures) : REFRESH_MS);
  }
  await refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
