// The web UI shell (issue 7): sign-in, navigation, a small router over hash routes, language,
// and the live event stream that views subscribe to. Each page is an ES module under views/.
import { state, live, liveStates, t, el, api, can, labelTables, openAlertCounts } from './lib.js';

const ROUTES = [
  { re: /^\/?$/, nav: 'overview', load: () => import('./views/overview.js') },
  { re: /^\/instruments$/, nav: 'instruments', load: () => import('./views/instruments.js') },
  { re: /^\/instruments\/([^/]+)$/, nav: 'instruments', load: () => import('./views/instrument.js') },
  { re: /^\/alerts$/, nav: 'alerts', load: () => import('./views/alerts.js') },
  { re: /^\/calendar$/, nav: 'calendar', load: () => import('./views/calendar.js') },
  { re: /^\/references$/, nav: 'references', load: () => import('./views/references.js') },
  { re: /^\/gateways$/, nav: 'gateways', load: () => import('./views/gateways.js') },
  { re: /^\/reports$/, nav: 'reports', load: () => import('./views/reports.js') },
  { re: /^\/stations$/, nav: 'stations', load: () => import('./views/stations.js') },
];
/** Who sees which menu entry (the API refuses the rest anyway: policy.ts); the others are for every role (stations: GET /api/v1/stations answers each its own). */
const NAV_ROLES = { references: ['authority', 'lab'], gateways: ['authority', 'enterprise'] };

const $ = (id) => document.getElementById(id);
let cleanup = null;
/** Counts route changes, so that a page still loading when another is opened knows it was left. */
let routes = 0;
let events = null;

function translateStatic() {
  document.documentElement.lang = state.lang;
  document.title = `metronet — ${t('tagline')}`;
  document.querySelectorAll('[data-i18n]').forEach((n) => (n.textContent = t(n.dataset.i18n)));
  document.querySelectorAll('[data-lang]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang)));
  document.querySelectorAll('[data-nav]').forEach((a) => {
    const roles = NAV_ROLES[a.dataset.nav];
    a.parentElement.hidden = !!roles && !can(...roles);
  });
  if (state.me) $('whoami').textContent = `${state.me.name ?? state.me.id} · ${t('role.' + state.me.role)}`;
}

async function route() {
  if (!state.me) return;
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const known = ROUTES.find((x) => x.re.test(path || '/'));
  const r = known ?? ROUTES[0];
  const params = known ? (path || '/').match(r.re).slice(1).map(decodeURIComponent) : [];
  document
    .querySelectorAll('[data-nav]')
    .forEach((a) => (a.dataset.nav === r.nav ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current')));
  if (cleanup) cleanup();
  cleanup = null;
  const root = $('main');
  // Busy until the page has drawn what it loads (assistive technologies wait; so do the browser tests).
  const seq = ++routes;
  root.setAttribute('aria-busy', 'true');
  const mod = await r.load();
  // A newer navigation began while this page's module loaded: that one draws, not this one.
  if (seq !== routes) return;
  const view = el('div', { class: 'view' });
  root.replaceChildren(view);
  let stop = null;
  try {
    stop = (await mod.render(view, params, new URLSearchParams(query))) ?? null;
  } catch (err) {
    view.append(el('p', { class: 'error', role: 'alert' }, `${t('loadError')} (${err.message})`));
  }
  // A page left before it finished drawing stops at once (its timers and subscriptions too).
  if (seq !== routes) return stop?.();
  cleanup = stop;
  root.setAttribute('aria-busy', 'false');
  // Keyboard and screen-reader users land on the new page's heading.
  const h1 = view.querySelector('h1');
  if (h1 && document.activeElement?.closest('nav.menu')) h1.setAttribute('tabindex', '-1'), h1.focus();
}

/** One EventSource per page; its events are re-dispatched on `live` for the views. */
function connectEvents() {
  events?.close();
  events = new EventSource('/api/v1/events');
  for (const type of ['values', 'alert']) {
    events.addEventListener(type, (e) => live.dispatchEvent(new CustomEvent(type, { detail: JSON.parse(e.data) })));
  }
  // Each state change carries the state before it (`prev`, when known), so a view can move its
  // counts without holding every instrument itself.
  events.addEventListener('states', (e) => {
    const changes = JSON.parse(e.data);
    for (const c of changes) {
      const before = liveStates.get(c.id);
      if (before) c.prev = before;
      liveStates.set(c.id, { state: c.state, online: c.online });
    }
    live.dispatchEvent(new CustomEvent('states', { detail: changes }));
  });
  events.addEventListener('hello', () => document.body.setAttribute('data-live', 'on'));
  events.onerror = () => document.body.setAttribute('data-live', 'off');
}

async function start() {
  try {
    state.me = (await api('/auth/me')).user;
  } catch {
    state.me = null;
  }
  showLogin(!state.me);
  translateStatic();
  if (!state.me) return;
  connectEvents();
  refreshAlertCount();
  await route();
}

async function refreshAlertCount() {
  try {
    // The overview's count too (lib.js openAlertCounts): one definition of an open alert.
    const { open } = await openAlertCounts();
    $('nav-alerts-count').textContent = open ? String(open) : '';
  } catch {
    /* the count is a hint; the inbox shows errors */
  }
}
live.addEventListener('alert', refreshAlertCount);

function showLogin(show) {
  $('login').hidden = !show;
  $('shell').hidden = show;
  $('logout').hidden = show;
  $('whoami').hidden = show;
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
  await start();
});
$('logout').addEventListener('click', async () => {
  await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' });
  events?.close();
  if (cleanup) cleanup();
  cleanup = null;
  state.me = null;
  $('main').replaceChildren();
  showLogin(true);
});
window.addEventListener('metronet:signed-out', () => {
  if (state.me) (state.me = null), events?.close(), showLogin(true);
});
document.querySelectorAll('[data-lang]').forEach((b) =>
  b.addEventListener('click', () => {
    state.lang = b.dataset.lang;
    localStorage.setItem('metronet.lang', state.lang);
    translateStatic();
    route();
  }),
);
window.addEventListener('hashchange', route);
// Every table the views draw carries its column names, for the phone layout (lib.js labelTable).
labelTables($('main'));
start();
