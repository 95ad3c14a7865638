// Shared helpers of the web UI: texts and Vietnamese formats, DOM building, API calls, live events.
import { TEXT } from './i18n.js';

export const state = { lang: localStorage.getItem('metronet.lang') || 'vi', me: null };
/** Live events from the server (GET /api/v1/events), re-dispatched here: values, states, alert. */
export const live = new EventTarget();
/** The latest state of each instrument from the live `states` events: id → {state, online}. */
export const liveStates = new Map();

export function t(key, vars) {
  const text = TEXT[state.lang]?.[key] ?? TEXT.vi[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '') : text;
}
export const has = (key) => key in TEXT.vi;
export const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');
/** Dates as people in the province read them: Vietnam time, whatever the browser's zone. */
export const TZ = 'Asia/Ho_Chi_Minh';
/** One day in milliseconds (the web UI's only copy). */
export const DAY = 86_400_000;

export function fmtNum(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const d = digits ?? (Math.abs(v) >= 1000 ? 1 : Math.abs(v) >= 100 ? 2 : Math.abs(v) >= 1 ? 3 : 4);
  // signDisplay 'negative': -0.00001 at 4 digits is "0", never "-0".
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: d, signDisplay: 'negative' }).format(v);
}
/** Decimals of a number as written: 0.005 → 3, 20 → 0, 0.0031999999999996476 → 4 (binary noise ignored); at most 10. */
export function decimalsOf(x) {
  if (!Number.isFinite(x)) return 0;
  for (let d = 0; d < 10; d++) {
    const m = x * 10 ** d;
    if (Math.abs(m - Math.round(m)) < 1e-9 * Math.max(1, Math.abs(m))) return d;
  }
  return 10;
}
/**
 * A channel's resolution: a scale's actual scale interval d, which its indicator serves as the
 * `division` channel (OIML R76-1 T.2.3.4), for its channels in the same unit; null when unknown.
 */
export function resolutionOf(channels, channel) {
  const own = channels?.find((c) => c.channel === channel);
  const d = channels?.find((c) => c.channel === 'division');
  return own && d && d.value > 0 && d.unit === own.unit ? d.value : null;
}
/**
 * A measured value at a resolution: rounded to a multiple of `step`, with its decimals
 * (20.05 kg at d = 0.01 is "20,05"; -0.004 at d = 0.01 is "0,00", never "-0,00"). Without a step, fmtNum.
 * An error computed from values (indicated − reference) takes the finest of their decimals and
 * the step: `fmtStep(e, Math.min(d, 10 ** -Math.max(decimalsOf(i), decimalsOf(r))))`.
 */
export function fmtStep(v, step) {
  if (!(step > 0) || v === null || v === undefined || Number.isNaN(v)) return fmtNum(v);
  const digits = decimalsOf(step);
  const q = Number((Math.round(v / step) * step).toFixed(digits));
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits, signDisplay: 'negative' }).format(q);
}
export const fmtInt = (v) => (v === null || v === undefined ? '–' : new Intl.NumberFormat(locale()).format(v));
export const fmtDate = (ts) => (ts ? new Intl.DateTimeFormat(locale(), { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' }).format(ts) : '–');
export const fmtDateTime = (ts) =>
  ts
    ? new Intl.DateTimeFormat(locale(), { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(ts)
    : '–';
export const fmtTime = (ts) => new Intl.DateTimeFormat(locale(), { timeZone: TZ, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ts);
export const fmtMonth = (ts) => new Intl.DateTimeFormat(locale(), { timeZone: TZ, month: 'long', year: 'numeric' }).format(ts);
/** yyyy-mm-dd of a timestamp in Vietnam time (for grouping and the API; never shown: people read dd/mm/yyyy). */
export const isoDay = (ts) => new Date(ts + 7 * 3_600_000).toISOString().slice(0, 10);
/** dd/mm/yyyy (with hh:mm: "dd/mm/yyyy hh:mm") of a timestamp in Vietnam time, as a date field shows it in both languages. */
export function dateText(ts, withTime = false) {
  const [y, m, d, hm] = new Date(ts + 7 * 3_600_000).toISOString().split(/[-T]|:\d\d\./);
  return `${d}/${m}/${y}${withTime ? ` ${hm}` : ''}`;
}
/**
 * What a person typed in a date field, as yyyy-mm-dd (with time: yyyy-mm-ddThh:mm), or null when
 * it is not a real date: day first (d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy), whatever the browser's locale.
 */
export function readDate(text, withTime = false) {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ ,T]+(\d{1,2})[:h.](\d{2}))?$/.exec(String(text ?? '').trim());
  if (!m || (withTime ? m[4] === undefined : m[4] !== undefined)) return null;
  const [d, mo, y, h = 0, mi = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  const at = new Date(Date.UTC(y, mo - 1, d));
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || h > 23 || mi > 59) return null;
  const p2 = (n) => String(n).padStart(2, '0');
  return `${y}-${p2(mo)}-${p2(d)}${withTime ? `T${p2(h)}:${p2(mi)}` : ''}`;
}
/** A date field: dd/mm/yyyy text with a digit keyboard (the browser's date picker writes the browser locale's order). */
export const dateInput = (name, ts, { withTime = false, ...attrs } = {}) =>
  el('input', {
    name,
    type: 'text',
    inputmode: 'numeric',
    placeholder: withTime ? 'dd/mm/yyyy hh:mm' : 'dd/mm/yyyy',
    'data-date': withTime ? 'datetime' : 'day',
    autocomplete: 'off',
    value: ts === null || ts === undefined ? '' : dateText(ts, withTime),
    ...attrs,
  });
/**
 * Calendar days in Vietnam time from today to the day of `ts` (negative: past). The server's rule
 * (core/time.ts calendarDaysUntil), so the alert, the calendar and the lists say the same number.
 */
export const daysUntil = (ts, now = Date.now()) => Math.floor((ts + 7 * 3_600_000) / DAY) - Math.floor((now + 7 * 3_600_000) / DAY);

/**
 * Text folded for search as the server folds it (core/admin-units.ts foldName): lower case,
 * without diacritics, đ as d, spaces collapsed — "can ban" finds "Cân bàn".
 */
export const fold = (s) =>
  String(s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();

/** Organisation names by id (the caller's own, those it sees instruments of, and their labs), from /overview. */
const orgNameMap = new Map();
let orgNamesLoaded = null;
let orgNamesOf = null;
/** Loads the names once per signed-in user; views await it before writing a lab or owner by name. */
export function loadOrgNames() {
  if (orgNamesOf !== state.me?.id) (orgNamesOf = state.me?.id), orgNameMap.clear(), (orgNamesLoaded = null);
  orgNamesLoaded ??= api('/overview?items=false')
    .then((o) => o.orgs.forEach((x) => orgNameMap.set(x.id, x.name)))
    .catch(() => (orgNamesLoaded = null));
  return orgNamesLoaded;
}
/** An organisation's name; its id only when the name is not known. */
export const orgName = (id) => (id ? (orgNameMap.get(id) ?? id) : '–');

/**
 * Open alerts (new, not yet acknowledged) of the caller's tenant: the server's count of
 * GET /alerts?state=open — the one definition the menu badge and the overview both show.
 */
export async function openAlertCounts(bySeverity = false) {
  const n = (q) => api(`/alerts?state=open&limit=1${q}`).then((r) => r.total);
  if (!bySeverity) return { open: await n('') };
  const [open, critical, warning] = await Promise.all([n(''), n('&severity=critical'), n('&severity=warning')]);
  return { open, critical, warning };
}

/** The quantity of a reference standard in the page's language ("mass" → "khối lượng"); unknown ones as written. */
export function quantityLabel(q) {
  const key = `qty.${fold(q).replace(/[^a-z0-9]+/g, '_')}`;
  return has(key) ? t(key) : (q ?? '–');
}

const UNIT_LABELS = {
  Cel: '°C',
  'ug/m3': 'µg/m³',
  'mg/m3': 'mg/m³',
  'mg/Nm3': 'mg/Nm³',
  m3: 'm³',
  'm3/h': 'm³/h',
  1: '',
  'VND/L': 'đ/L',
  VND: 'đ',
  'VND/kg': 'đ/kg',
};
const PARAM_LABELS = { pm25: 'PM2.5', pm10: 'PM10', so2: 'SO₂', no2: 'NO₂', co: 'CO', o3: 'O₃', ph: 'pH', cod: 'COD', tss: 'TSS', nh4: 'NH₄⁺' };
export const unitLabel = (u) => (u in UNIT_LABELS ? UNIT_LABELS[u] : (u ?? ''));

export function channelLabel(ch) {
  if (PARAM_LABELS[ch]) return PARAM_LABELS[ch];
  const nozzle = /^n(\d+)_(.+)$/.exec(ch);
  if (nozzle) return `${t('nozzle', { n: nozzle[1] })} · ${t('ch.' + nozzle[2])}`;
  return has('ch.' + ch) ? t('ch.' + ch) : ch;
}

/** A value with its unit; `step` (resolutionOf) shows it at the channel's resolution. Never "-0". */
export function formatValue(value, unit, channel, step) {
  if (value === null || value === undefined) return '–';
  if (/(^|_)state$/.test(channel) && has('nozzle.' + value)) return t('nozzle.' + value);
  const digits = unit === 'VND' || unit === 'VND/L' || unit === '1' ? 0 : Math.abs(value) >= 1000 ? 1 : Math.abs(value) >= 100 ? 2 : 3;
  const text =
    step > 0
      ? fmtStep(value, step)
      : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: unit === 'kg' ? digits : 0, signDisplay: 'negative' }).format(
          value,
        );
  const u = unitLabel(unit);
  return u ? `${text} ${u}` : text;
}

/** Reading order of channels: what a person looks at first comes first. */
const ORDER = [
  'gross',
  'net',
  'totaliser',
  'last_delivery',
  'unit_price',
  'amount',
  'state',
  'pm25',
  'pm10',
  'so2',
  'no2',
  'co',
  'o3',
  'temperature',
  'humidity',
  'division',
  'capacity',
];
export function channelRank(ch) {
  const nozzle = /^n(\d+)_(.+)$/.exec(ch);
  const r = ORDER.indexOf(nozzle ? nozzle[2] : ch);
  return (nozzle ? Number(nozzle[1]) * 100 : 0) + (r < 0 ? 99 : r);
}

export function ago(ts, now = Date.now()) {
  if (!ts) return t('never');
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return t('ago.s', { n: s });
  if (s < 3600) return t('ago.m', { n: Math.floor(s / 60) });
  if (s < 86400) return t('ago.h', { n: Math.floor(s / 3600) });
  return t('ago.d', { n: Math.floor(s / 86400) });
}

/** el('a', {href, class, onclick}, ...children): attributes, event handlers (on…), children (strings or nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? t('apiError', { status }));
    this.status = status;
    this.code = body?.error?.code;
  }
}

/** fetch on the API with the session cookie; JSON in and out; 401 sends the user to the sign-in form. */
export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    // Refusals come back in the interface's language.
    headers: { accept: 'application/json', 'accept-language': state.lang, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) window.dispatchEvent(new Event('metronet:signed-out'));
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

export const can = (...roles) => !!state.me && (state.me.role === 'admin' || roles.includes(state.me.role));

/** A state word as a coloured badge (the colour is never the only signal: the word is written). */
export const stateBadge = (s) => el('span', { class: `badge st-${s}`, 'data-state': s }, t('state.' + s));

/** Subscribe to a live event for the life of a view; returns the unsubscribe function. */
export function onLive(type, fn) {
  const h = (e) => fn(e.detail);
  live.addEventListener(type, h);
  return () => live.removeEventListener(type, h);
}

/** What `fetch` resolves to, or undefined after showing in `root` why it could not be loaded. */
export async function load(root, fetch) {
  try {
    return await fetch();
  } catch (err) {
    root.append(errorBox(err));
    return undefined;
  }
}

export function errorBox(err) {
  return el('p', { class: 'error', role: 'alert' }, err instanceof ApiError && err.status === 403 ? t('forbidden') : `${t('loadError')} (${err.message})`);
}

/**
 * Gives every cell of a table its column's name as `data-label` (the header's `abbr`, else its
 * text), so that on a phone, where style.css lays each row out as a card, a value still says what
 * it is. A cell spanning several columns gets none. The one helper for all tables: the shell runs
 * it (labelTables) on whatever the views draw, and views need not call it.
 */
export function labelTable(table) {
  const head = table.tHead?.rows[table.tHead.rows.length - 1];
  if (!head) return;
  const names = [];
  for (const th of head.cells) for (let i = 0; i < th.colSpan; i++) names.push((th.getAttribute('abbr') || th.textContent).trim());
  for (const section of [...table.tBodies, ...(table.tFoot ? [table.tFoot] : [])]) {
    for (const row of section.rows) {
      let col = 0;
      for (const cell of row.cells) {
        const name = cell.colSpan === 1 ? names[col] : '';
        if (!name) cell.removeAttribute('data-label');
        else if (cell.dataset.label !== name) cell.dataset.label = name;
        col += cell.colSpan;
      }
    }
  }
}

/** labelTable on every table under `root`, now and each time the views change what is in it; returns the stop function. */
export function labelTables(root) {
  let queued = false;
  const run = () => {
    queued = false;
    for (const table of root.querySelectorAll('table')) labelTable(table);
  };
  const observer = new MutationObserver(() => {
    if (!queued) (queued = true), queueMicrotask(run);
  });
  observer.observe(root, { childList: true, subtree: true });
  run();
  return () => observer.disconnect();
}

export const fmtPct = (n, d) => (d ? new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(n / d) : '–');

// Why a check or result is not traceable, as analytics writes it (traceability.ts, periodic.ts),
// in the reader's language; an unknown sentence is shown as the server wrote it.
const REASONS = [
  [/^traceability chain loops or is deeper than (\d+) at (\S+)$/, 'reason.loop', ['n', 'ref']],
  [/^standard (\S+) is not in the registry$/, 'reason.unknown', ['ref']],
  [/^standard (\S+) was found out of tolerance$/, 'reason.outOfTolerance', ['ref']],
  [/^standard (\S+) expired on (\d{4}-\d{2}-\d{2}) \(in the chain of (\S+)\)$/, 'reason.expiredIn', ['ref', 'date', 'of']],
  [/^(?:reference )?standard (\S+) expired on (\d{4}-\d{2}-\d{2})$/, 'reason.expired', ['ref', 'date']],
  [/^reference standard (\S+) was found out of tolerance at its calibration$/, 'reason.outAtCalibration', ['ref']],
  [/^standard (\S+) is not anchored to a national standard or an accredited certificate$/, 'reason.notAnchored', ['ref']],
  // Standard fitness and traceability of checks (analytics/entry-rules.ts, issue 15).
  [/^no registered standard/, 'reason.noStandard', []],
  [/^reference standard (\S+) expired on (\d{4}-\d{2}-\d{2}), before/, 'reason.expired', ['ref', 'date']],
  [
    /^reference standard (\S+) has U = (\S+) \(k = 2\), more than 1\/3 of the \S+ MPE (\S+) at the load (\S+)/,
    'reason.uncertainty',
    ['ref', 'U', 'mpe', 'load'],
  ],
  // A test load outside the channel's range (analytics/tolerance.ts loadIssue).
  [/^the load (\S+) is above Max (\S+) /, 'reason.aboveMax', ['load', 'limit']],
  [/^the load (\S+) is below Min (\S+) /, 'reason.belowMin', ['load', 'limit']],
  [/^the volume (\S+) L is below the minimum measured quantity (\S+) L/, 'reason.belowMmq', ['load', 'limit']],
];
export function reasonText(reason) {
  if (!reason) return '';
  // Several reasons joined by "; " (a standard both expired and too uncertain): each in words.
  if (reason.includes('; ')) return reason.split('; ').map(reasonText).join('; ');
  for (const [re, key, names] of REASONS) {
    const m = re.exec(reason);
    if (!m) continue;
    const vars = Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
    if (vars.date) vars.date = fmtDate(Date.parse(`${vars.date}T12:00:00Z`));
    return t(key, vars);
  }
  return reason;
}

/**
 * An alert in the reader's language from its code and params: the template of the code (from
 * the server's alert catalogue, analytics/alert-catalogue.ts) filled with `{name|format}`
 * placeholders, numbers and dates in the reader's format. Without a text for the code, the
 * server's English message.
 */
export function alertMessage(a) {
  const key = `alertmsg.${String(a.code ?? '').replace(/^alert\./, '')}`;
  if (!a.code || !has(key)) return a.message;
  const p = a.params ?? {};
  const u = unitLabel(p.unit);
  const format = (fmt, name) => {
    const v = p[name];
    if (v === null || v === undefined) return '–';
    switch (fmt) {
      case 'qty':
        return `${fmtNum(v)}${u ? ` ${u}` : ''}`;
      case 'num':
        return fmtNum(v);
      case 'int':
        return fmtInt(v);
      case 'date':
        return fmtDate(v);
      case 'datetime':
        return fmtDateTime(v);
      case 'days':
        return fmtInt(Math.abs(daysUntil(v)));
      case 'word':
        return has(`${name}.${v}`) ? t(`${name}.${v}`) : String(v);
      case 'reason':
        return reasonText(v);
      case 'org':
        return orgName(v);
      default:
        return String(v);
    }
  };
  const ch = p.channel ? channelLabel(p.channel) : (p.instrument ?? p.subject ?? '');
  return t(key).replace(/\{(\w+)(?:\|(\w+))?\}/g, (_, name, fmt) => (name === 'ch' ? ch : format(fmt ?? 'text', name)));
}
