// The instruments page: latest values of every instrument the user may see, refreshed live.
(() => {
  'use strict';
  const REFRESH_MS = 2000;
  /** A reading older than this marks the instrument as not reporting. */
  const STALE_MS = 60_000;
  const UNIT_LABELS = { Cel: '°C', 'ug/m3': 'µg/m³', 'mg/m3': 'mg/m³', 'mg/Nm3': 'mg/Nm³', m3: 'm³', 'm3/h': 'm³/h', 1: '', 'VND/L': 'đ/L', VND: 'đ', 'VND/kg': 'đ/kg' };
  const PARAM_LABELS = { pm25: 'PM2.5', pm10: 'PM10', so2: 'SO₂', no2: 'NO₂', co: 'CO', o3: 'O₃' };
  /** Reading order of channels: what a person looks at first comes first. */
  const ORDER = ['gross', 'net', 'totaliser', 'last_delivery', 'unit_price', 'amount', 'state', 'pm25', 'pm10', 'so2', 'no2', 'co', 'o3', 'temperature', 'humidity', 'division', 'capacity'];
  const rank = (ch) => {
    const nozzle = /^n(\d+)_(.+)$/.exec(ch);
    const base = nozzle ? nozzle[2] : ch;
    const r = ORDER.indexOf(base);
    return (nozzle ? Number(nozzle[1]) * 100 : 0) + (r < 0 ? 99 : r);
  };

  let lang = localStorage.getItem('metronet.lang') || 'vi';
  let data = null;
  let failures = 0;

  const $ = (id) => document.getElementById(id);
  const t = (key, vars) => {
    const text = (I18N[lang] && I18N[lang][key]) ?? I18N.vi[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (_, k) => vars[k]) : text;
  };
  const locale = () => (lang === 'vi' ? 'vi-VN' : 'en-GB');

  function channelLabel(ch) {
    if (PARAM_LABELS[ch]) return PARAM_LABELS[ch];
    const nozzle = /^n(\d+)_(.+)$/.exec(ch);
    if (nozzle) return `${t('nozzle', { n: nozzle[1] })} · ${t('ch.' + nozzle[2])}`;
    const key = 'ch.' + ch;
    return I18N.vi[key] ? t(key) : ch;
  }

  function formatValue(value, unit, channel) {
    if (value === null || value === undefined) return '–';
    if (/(^|_)state$/.test(channel) && I18N.vi['nozzle.' + value]) return t('nozzle.' + value);
    const digits = unit === 'VND' || unit === 'VND/L' || unit === '1' ? 0 : Math.abs(value) >= 1000 ? 1 : Math.abs(value) >= 100 ? 2 : 3;
    const text = new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: unit === 'kg' ? digits : 0 }).format(value);
    const u = unit in UNIT_LABELS ? UNIT_LABELS[unit] : unit;
    return u ? `${text} ${u}` : text;
  }

  function ago(ts, now) {
    if (!ts) return t('never');
    const s = Math.max(0, Math.round((now - ts) / 1000));
    if (s < 60) return t('ago.s', { n: s });
    if (s < 3600) return t('ago.m', { n: Math.floor(s / 60) });
    if (s < 86400) return t('ago.h', { n: Math.floor(s / 3600) });
    return t('ago.d', { n: Math.floor(s / 86400) });
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function render() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach((n) => (n.textContent = t(n.dataset.i18n)));
    document.querySelectorAll('[data-i18n-placeholder]').forEach((n) => (n.placeholder = t(n.dataset.i18nPlaceholder)));
    document.querySelectorAll('[data-lang]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
    if (!data) return;
    const now = Date.now();
    const q = $('q').value.trim().toLowerCase();
    const items = data.items.filter((i) => !q || [i.id, i.name, i.site, i.orgName, i.org].some((f) => f && f.toLowerCase().includes(q)));
    $('count-total').textContent = data.total.toLocaleString(locale());
    $('count-live').textContent = data.items.filter((i) => i.lastSeen && now - i.lastSeen < STALE_MS).length.toLocaleString(locale());
    $('count-unregistered').textContent = data.items.filter((i) => i.registration === 'unregistered').length.toLocaleString(locale());
    const byOrg = new Map();
    for (const i of items) {
      if (!byOrg.has(i.org)) byOrg.set(i.org, { name: i.orgName || i.org, items: [] });
      byOrg.get(i.org).items.push(i);
    }
    $('count-orgs').textContent = new Set(data.items.map((i) => i.org)).size.toLocaleString(locale());
    $('updated').textContent = new Date(now).toLocaleTimeString(locale());
    const root = $('orgs');
    root.replaceChildren();
    if (!items.length) root.append(el('p', { class: 'empty' }, t('empty')));
    for (const [orgId, org] of byOrg) {
      const table = el('table', { class: 'instruments' },
        el('caption', {}, org.name),
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col' }, t('col.instrument')),
          el('th', { scope: 'col' }, t('col.kind')),
          el('th', { scope: 'col' }, t('col.values')),
          el('th', { scope: 'col' }, t('col.seen')))));
      const body = el('tbody');
      for (const i of org.items) {
        const stale = !i.lastSeen || now - i.lastSeen > STALE_MS;
        const values = el('ul', { class: 'values' });
        for (const c of [...i.channels].sort((a, b) => rank(a.channel) - rank(b.channel))) {
          const status = c.status && c.status !== 'ok' ? el('span', { class: `badge status-${c.status}` }, t('status.' + c.status)) : null;
          values.append(el('li', { 'data-channel': c.channel },
            el('span', { class: 'ch' }, channelLabel(c.channel)), ' ',
            el('span', { class: 'val' }, formatValue(c.value, c.unit, c.channel)), status ? ' ' : null, status));
        }
        const name = el('div', { class: 'id' }, i.id);
        const badges = [];
        if (i.registration === 'unregistered') badges.push(el('span', { class: 'badge unregistered' }, t('unregistered')));
        if (stale) badges.push(el('span', { class: 'badge offline' }, t('offline')));
        body.append(el('tr', { 'data-instrument': i.id, class: stale ? 'stale' : '' },
          el('th', { scope: 'row' }, name, i.name ? el('div', { class: 'name' }, i.name) : null, i.site ? el('div', { class: 'site' }, i.site) : null, ...badges),
          el('td', {}, t('kind.' + (i.kind ?? 'null'))),
          el('td', {}, values),
          el('td', { class: 'seen' }, ago(i.lastSeen, now))));
      }
      table.append(body);
      root.append(el('section', { class: 'org', 'data-org': orgId }, table));
    }
  }

  // Sign-in (issue 6): the API answers 401 without a session; the form posts the credentials and
  // the server sets an HttpOnly session cookie, which the browser then sends with every request.
  let timer;
  function showLogin(show) {
    $('login').hidden = !show;
    $('main').hidden = show;
    $('logout').hidden = show;
    if (show) $('login-user').focus();
  }
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: $('login-user').value, password: $('login-password').value }),
    });
    $('login-password').value = '';
    if (!res.ok) {
      $('login-error').textContent = t(res.status === 429 ? 'login.limited' : 'login.failed');
      $('login-error').hidden = false;
      return;
    }
    $('login-error').hidden = true;
    showLogin(false);
    clearTimeout(timer);
    refresh();
  });
  $('logout').addEventListener('click', async () => {
    await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' });
    clearTimeout(timer);
    data = { items: [] };
    render();
    showLogin(true);
  });

  async function refresh() {
    try {
      const res = await fetch('/api/v1/instruments?limit=5000', { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (res.status === 401) return showLogin(true);
      showLogin(false);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      data = await res.json();
      failures = 0;
      $('error').hidden = true;
    } catch (err) {
      failures++;
      $('error').textContent = t('loadError');
      $('error').hidden = false;
    }
    render();
    timer = setTimeout(refresh, failures ? Math.min(30_000, REFRESH_MS * 2 ** failures) : REFRESH_MS);
  }

  document.querySelectorAll('[data-lang]').forEach((b) =>
    b.addEventListener('click', () => {
      lang = b.dataset.lang;
      localStorage.setItem('metronet.lang', lang);
      render();
    }));
  $('q').addEventListener('input', render);
  refresh();
})();
