// The stations page (issue 8): a map of station positions drawn on a schematic province outline
// (stations-outline.js) and a latitude/longitude grid (no map tiles from the internet), and a grid
// of parameters coloured by their limits, refreshed live.
(() => {
  'use strict';
  const REFRESH_MS = 5000;
  const TEXT = {
    vi: {
      title: 'Trạm quan trắc môi trường',
      'nav.instruments': 'Phương tiện đo',
      signin: 'Vui lòng đăng nhập ở trang chính.',
      'map.caption': 'Vị trí trạm trên đường ranh giới tỉnh vẽ giản lược (không phải số liệu đo đạc) và lưới kinh độ, vĩ độ; không dùng bản đồ trực tuyến',
      'map.outline': 'ranh giới vẽ giản lược, không phải số liệu đo đạc',
      'legend.ok': 'Dưới 80 % giới hạn',
      'legend.near': '80–100 % giới hạn',
      'legend.over': 'Vượt giới hạn',
      'legend.none': 'Không có giới hạn / chưa đủ dữ liệu',
      'legend.suspect': 'Dữ liệu nghi ngờ (máy phân tích mất kiểm soát)',
      updated: 'Cập nhật lúc',
      api: 'Tài liệu API',
      station: 'Trạm',
      state: 'Trạng thái',
      completeness: 'Đủ dữ liệu hôm nay',
      'state.online': 'Đang đo',
      'state.calibrating': 'Đang hiệu chuẩn',
      'state.fault': 'Lỗi thiết bị',
      'state.gap': 'Mất dữ liệu',
      'state.no_data': 'Chưa có dữ liệu',
      'medium.air': 'Không khí',
      'medium.water': 'Nước thải',
      'medium.emission': 'Khí thải',
      exceed: '{p}: trung bình {period} {v} vượt giới hạn {l} {u}',
      suspect: 'nghi ngờ từ {t}',
      loadError: 'Không tải được dữ liệu. Đang thử lại…',
      'aqi.title': 'VN_AQI giờ {h}: {v} — {c} (Quyết định 1459/QĐ-TCMT)',
      'aqi.none': 'VN_AQI: chưa đủ dữ liệu bụi PM',
      'ch.temperature': 'Nhiệt độ',
      'ch.humidity': 'Độ ẩm',
      'ch.flow': 'Lưu lượng',
    },
    en: {
      title: 'Environmental monitoring stations',
      'nav.instruments': 'Instruments',
      signin: 'Please sign in on the main page.',
      'map.caption': 'Station positions on a schematic province outline (not survey data) and a latitude/longitude grid; no online map',
      'map.outline': 'schematic outline, not survey data',
      'legend.ok': 'Below 80 % of the limit',
      'legend.near': '80–100 % of the limit',
      'legend.over': 'Above the limit',
      'legend.none': 'No limit / not enough data',
      'legend.suspect': 'Suspect data (analyser out of control)',
      updated: 'Updated at',
      api: 'API documentation',
      station: 'Station',
      state: 'State',
      completeness: 'Complete today',
      'state.online': 'Measuring',
      'state.calibrating': 'Calibrating',
      'state.fault': 'Device error',
      'state.gap': 'No data',
      'state.no_data': 'No data yet',
      'medium.air': 'Air',
      'medium.water': 'Wastewater',
      'medium.emission': 'Stack emission',
      exceed: '{p}: {period} average {v} above the limit {l} {u}',
      suspect: 'suspect since {t}',
      loadError: 'Could not load data. Retrying…',
      'aqi.title': 'Hourly VN_AQI {h}: {v} — {c} (Decision 1459/QĐ-TCMT)',
      'aqi.none': 'VN_AQI: not enough PM data',
      'ch.temperature': 'Temperature',
      'ch.humidity': 'Humidity',
      'ch.flow': 'Flow',
    },
  };
  const PARAM = { pm25: 'PM2.5', pm10: 'PM10', so2: 'SO₂', no2: 'NO₂', co: 'CO', o3: 'O₃', ph: 'pH', cod: 'COD', tss: 'TSS', nh4: 'NH₄⁺' };
  const UNIT = { Cel: '°C', 'ug/m3': 'µg/m³', 'm3/h': 'm³/h', 'mg/L': 'mg/L', pH: '', '%': '%' };
  const ORDER = ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3', 'ph', 'cod', 'tss', 'nh4', 'flow', 'temperature', 'humidity'];
  let lang = localStorage.getItem('metronet.lang') || 'vi';
  let data = null;
  let failures = 0;
  const $ = (id) => document.getElementById(id);
  const t = (k, vars) => {
    const s = TEXT[lang][k] ?? TEXT.vi[k] ?? k;
    return vars ? s.replace(/\{(\w+)\}/g, (_, x) => vars[x]) : s;
  };
  const num = (v) =>
    v === null || v === undefined
      ? '–'
      : new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2 }).format(v);
  const label = (ch) => PARAM[ch] ?? t('ch.' + ch);
  const level = (p) => (p.limitRatio === null ? 'none' : p.limitRatio >= 1 ? 'over' : p.limitRatio >= 0.8 ? 'near' : 'ok');
  const svg = (tag, attrs = {}, text) => {
    const n = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const el = (tag, attrs = {}, ...kids) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k === 'class' ? 'class' : k, v);
    for (const c of kids) if (c !== null && c !== undefined) n.append(c);
    return n;
  };

  function drawMap(items) {
    const map = $('map');
    map.replaceChildren();
    if (!items.length) return;
    const W = 400,
      H = 300,
      pad = 30;
    // The province outline (stations-outline.js; schematic, not survey data) widens the bounds to the province.
    const outline = window.METRONET_PROVINCE_OUTLINE;
    const shape = outline ? outline.rings.flat() : [];
    const lats = [...items.map((s) => s.latitude), ...shape.map((p) => p[0])],
      lons = [...items.map((s) => s.longitude), ...shape.map((p) => p[1])];
    // Bounds on a 0.1° grid around the stations and the outline.
    const lat0 = Math.floor(Math.min(...lats) * 10 - 1) / 10,
      lat1 = Math.ceil(Math.max(...lats) * 10 + 1) / 10;
    const lon0 = Math.floor(Math.min(...lons) * 10 - 1) / 10,
      lon1 = Math.ceil(Math.max(...lons) * 10 + 1) / 10;
    // Equirectangular, x scaled by cos(latitude) so distances look right at this latitude.
    const k = Math.cos((((lat0 + lat1) / 2) * Math.PI) / 180);
    const sc = Math.min((W - 2 * pad) / ((lon1 - lon0) * k), (H - 2 * pad) / (lat1 - lat0));
    const x = (lon) => pad + (lon - lon0) * k * sc,
      y = (lat) => H - pad - (lat - lat0) * sc;
    const grid = svg('g', { class: 'grid' });
    const step = lat1 - lat0 > 1 ? 0.5 : 0.1;
    for (let v = Math.ceil(lat0 / step) * step; v <= lat1 + 1e-9; v += step) {
      grid.append(svg('line', { x1: x(lon0), x2: x(lon1), y1: y(v), y2: y(v) }), svg('text', { x: 2, y: y(v) + 3 }, `${v.toFixed(1)}°N`));
    }
    for (let v = Math.ceil(lon0 / step) * step; v <= lon1 + 1e-9; v += step) {
      grid.append(svg('line', { x1: x(v), x2: x(v), y1: y(lat0), y2: y(lat1) }), svg('text', { x: x(v) - 14, y: H - 4 }, `${v.toFixed(1)}°E`));
    }
    map.append(grid);
    if (outline) {
      const d = outline.rings.map((ring) => ring.map((p, i) => `${i ? 'L' : 'M'}${x(p[1]).toFixed(1)},${y(p[0]).toFixed(1)}`).join('') + 'Z').join('');
      const path = svg('path', { d, class: 'province' });
      path.append(svg('title', {}, `${outline.name} — ${t('map.outline')}`));
      map.append(path);
    }
    for (const s of items) {
      const worst = s.parameters.reduce((a, p) => (p.limitRatio !== null && (a === null || p.limitRatio > a) ? p.limitRatio : a), null);
      const lvl = s.state === 'gap' || s.state === 'no_data' ? 'gap' : 'lvl-' + level({ limitRatio: worst });
      const g = svg('g', { class: 'st', 'data-station': s.id });
      g.append(svg('circle', { cx: x(s.longitude), cy: y(s.latitude), r: 7, class: lvl }), svg('text', { x: x(s.longitude) + 10, y: y(s.latitude) + 4 }, s.id));
      g.append(svg('title', {}, `${s.name ?? s.id} — ${t('state.' + s.state)}`));
      map.append(g);
    }
  }

  function drawGrid(items) {
    const params = [...new Set(items.flatMap((s) => s.parameters.map((p) => p.channel)))].sort(
      (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99),
    );
    const table = el('table', { class: 'params' });
    table.append(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, t('station')),
          el('th', {}, t('state')),
          el('th', {}, t('completeness')),
          ...params.map((p) => el('th', { scope: 'col' }, label(p))),
        ),
      ),
    );
    const body = el('tbody');
    for (const s of items) {
      const byCh = new Map(s.parameters.map((p) => [p.channel, p]));
      const ex = s.exceedances.length
        ? el(
            'ul',
            { class: 'exceed' },
            ...s.exceedances.map((e) =>
              el('li', {}, t('exceed', { p: label(e.parameter), period: e.period, v: num(e.value), l: num(e.limit), u: UNIT[e.unit] ?? e.unit })),
            ),
          )
        : null;
      const ratio = s.completeness.ratio;
      body.append(
        el(
          'tr',
          { 'data-station': s.id },
          el(
            'th',
            { scope: 'row' },
            el('div', { class: 'id' }, s.id),
            el('div', { class: 'name' }, `${s.name ?? ''} · ${t('medium.' + s.medium)}`),
            aqiBadge(s),
            ex,
          ),
          el('td', {}, el('span', { class: `state state-${s.state}` }, t('state.' + s.state))),
          el('td', { class: 'completeness' }, ratio === null ? '–' : `${Math.round(ratio * 100)} %`),
          ...params.map((ch) => {
            const p = byCh.get(ch);
            if (!p) return el('td', { class: 'lvl-none' }, '');
            const cls = [`lvl-${level(p)}`, p.status ? `status-${p.status}` : '', p.suspect ? 'suspect' : ''].join(' ').trim();
            const td = el('td', { class: cls, 'data-param': ch, 'data-level': level(p) }, num(p.value), el('span', { class: 'unit' }, UNIT[p.unit] ?? p.unit));
            if (p.suspect) {
              td.append(el('span', { class: 'suspect-mark' }, '?'));
              td.title = t('suspect', { t: new Date(p.suspectSince).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB') });
            }
            return td;
          }),
        ),
      );
    }
    table.append(body);
    $('grid').replaceChildren(table);
  }

  // VN_AQI badge (issue 17): the last complete hour's index, in its category's colour, named in Vietnamese.
  const aqi = new Map();
  function aqiBadge(s) {
    const a = aqi.get(s.id);
    if (s.medium !== 'air' || !a) return null;
    if (a.aqi === null) return el('span', { class: 'aqi aqi-none', 'data-aqi': '' }, t('aqi.none'));
    const c = a.category;
    const dark = c.key === 'very_bad' || c.key === 'hazardous' || c.key === 'bad';
    const hour = new Date(a.to).toLocaleTimeString(lang === 'vi' ? 'vi-VN' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
    const b = el('span', { class: 'aqi', 'data-aqi': String(a.aqi), 'data-category': c.key }, `AQI ${a.aqi} · ${lang === 'vi' ? c.vi : c.en}`);
    b.style.background = c.hex;
    b.style.color = dark ? '#fff' : '#000';
    b.style.padding = '0 0.4em';
    b.style.borderRadius = '0.3em';
    b.title = t('aqi.title', { h: hour, v: a.aqi, c: `${c.vi} / ${c.en}` });
    return el('div', {}, b);
  }
  async function loadAqi(items) {
    for (const s of items.filter((x) => x.medium === 'air')) {
      try {
        const res = await fetch(`/api/v1/stations/${encodeURIComponent(s.id)}/aqi?period=hour`, {
          credentials: 'same-origin',
          headers: { accept: 'application/json' },
        });
        if (res.ok) aqi.set(s.id, await res.json());
      } catch {
        // the badge waits for the next refresh
      }
    }
  }

  function render() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-s]').forEach((n) => (n.textContent = t(n.dataset.s)));
    document.querySelectorAll('[data-lang]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
    if (!data) return;
    drawMap(data.items);
    drawGrid(data.items);
    $('updated').textContent = new Date().toLocaleTimeString(lang === 'vi' ? 'vi-VN' : 'en-GB');
  }

  async function refresh() {
    try {
      const res = await fetch('/api/v1/stations', { credentials: 'same-origin', headers: { accept: 'application/json' } });
      $('signin').hidden = res.status !== 401;
      if (res.status === 401) return;
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data = await res.json();
      await loadAqi(data.items);
      failures = 0;
      $('error').hidden = true;
    } catch {
      failures++;
      $('error').textContent = t('loadError');
      $('error').hidden = false;
    }
    render();
    setTimeout(refresh, failures ? Math.min(30_000, REFRESH_MS * 2 ** failures) : REFRESH_MS);
  }

  document.querySelectorAll('[data-lang]').forEach((b) =>
    b.addEventListener('click', () => {
      lang = b.dataset.lang;
      localStorage.setItem('metronet.lang', lang);
      render();
    }),
  );
  render();
  refresh();
})();
