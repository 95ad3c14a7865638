import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../dashboard/app.js';
import { browserAvailable, launch } from '../../e2e/browser.js';
import { T, USERS, closeAll, dashboardOn, twoTenants, type Fixture } from '../fixture.js';

/**
 * Issue 16, item 6: what a hostile web page can make a signed-in user's browser do, tried
 * against the running dashboard. Before the fix: no Content-Security-Policy, frame, nosniff or
 * referrer header; a POST carrying the session cookie from a foreign Origin or marked
 * `Sec-Fetch-Site: cross-site` was carried out (logout 204, token created 201, alert
 * acknowledged 200), `text/plain` bodies included; the cookie kept its plain name under HTTPS.
 * Now each is refused with 403 E_CROSS_SITE and changes nothing, `text/plain` bodies get 415,
 * and the cookie is `__Host-metronet_session` (Secure) when the service knows it is behind TLS.
 */
const EVIL = 'http://evil.example';
const WEB_ROOT = fileURLToPath(new URL('../../../dashboard/web/', import.meta.url));

let f: Fixture;
let app: App;
let secure: App;
let base = '';
beforeAll(async () => {
  f = await twoTenants();
  ({ app, base } = await dashboardOn(f, {}, { listen: true }));
  // As behind a TLS-terminating proxy: the service is told its pages are served over HTTPS.
  ({ app: secure } = await dashboardOn(f, { secureCookies: true }));
});
afterAll(async () => {
  await secure?.close();
  await closeAll(app, f);
});

/** Signs in as the tenant-A enterprise user; the `name=value` pair of its session cookie. */
async function session(): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify({ username: USERS.enterprise.id, password: `password-of-${USERS.enterprise.id}` }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

const openAlert = () =>
  f.registry.analytics.raiseAlert(
    { kind: 'near_limit', severity: 'warning', subject: `${T.a.inst}-${Math.random()}`, instrument: T.a.inst, org: T.a.ent, lab: T.a.lab, message: 'near' },
    Date.now(),
  )!.alert.id;

const tokensOf = (user: string) => f.registry.identity.listTokens(user).length;

describe('security headers', () => {
  it('every page and API answer carries a CSP without inline script (inline style only on /docs), frame-ancestors none, nosniff and a referrer policy', async () => {
    for (const path of ['/', '/index.html', '/stations.html', '/app.js', '/api/v1/health', '/docs/']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...values]) => [name!, values]),
      );
      const scripts = directives.get('script-src') ?? directives.get('default-src');
      expect([path, scripts]).toEqual([path, ["'self'"]]);
      expect([path, directives.get('script-src-attr')]).toEqual([path, ["'none'"]]);
      expect([path, directives.get('frame-ancestors')]).toEqual([path, ["'none'"]]);
      expect([path, directives.get('object-src')]).toEqual([path, ["'none'"]]);
      // Inline styles: on the API docs page only (Swagger UI adds a <style> element); inline script nowhere.
      const inline = [...directives].filter(([, values]) => values.includes("'unsafe-inline'")).map(([name]) => name);
      expect([path, inline]).toEqual([path, path.startsWith('/docs') ? ['style-src'] : []]);
      expect([path, csp]).not.toContain('unsafe-eval');
      expect([path, res.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
      expect([path, res.headers.get('x-frame-options')]).toEqual([path, 'DENY']);
      expect([path, res.headers.get('referrer-policy')]).toEqual([path, 'no-referrer']);
      await res.arrayBuffer();
    }
  });

  it('the web pages hold no inline script, event handler or style attribute (the CSP would block them)', () => {
    const pages = readdirSync(WEB_ROOT).filter((n) => n.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(1);
    for (const name of pages) {
      const html = readFileSync(`${WEB_ROOT}${name}`, 'utf8');
      for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect([name, tag]).toEqual([name, expect.stringMatching(/\bsrc=/)]);
      expect([name, html]).not.toEqual([name, expect.stringMatching(/<script\b[^>]*>\s*[^<\s]/i)]);
      expect([name, html]).not.toEqual([name, expect.stringMatching(/\son[a-z]+\s*=|\sstyle\s*=|<style\b|javascript:/i)]);
    }
  });
});

describe('cross-site requests carrying the session cookie', () => {
  const foreign: Array<[string, Record<string, string>]> = [
    ['a foreign Origin', { origin: EVIL }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling host)', { 'sec-fetch-site': 'same-site', origin: 'http://other.127.0.0.1.nip.io' }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
  ];

  for (const [what, headers] of foreign) {
    it(`${what}: JSON, text/plain and empty-body POSTs are refused 403 E_CROSS_SITE and change nothing`, async () => {
      const cookie = await session();
      const alert = openAlert();
      const before = tokensOf(USERS.enterprise.id);
      const attempts: Array<[string, RequestInit]> = [
        ['/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'csrf', ttlDays: 1 }) }],
        ['/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'csrf', ttlDays: 1 }) }],
        [`/api/v1/alerts/${alert}/ack`, { method: 'POST' }],
        [`/api/v1/alerts/${alert}/ack`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }],
        [`/api/v1/gateways/${T.a.gw}/rotate`, { method: 'POST' }],
        [
          `/api/v1/instruments/${T.a.inst}`,
          { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'scale', name: 'pwned' }) },
        ],
        [`/api/v1/webhooks/${f.webhooks.a}`, { method: 'DELETE' }],
        ['/api/v1/auth/logout', { method: 'POST' }],
      ];
      for (const [path, init] of attempts) {
        const res = await fetch(`${base}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers, cookie } });
        const body = (await res.json()) as { error?: { code: string; message: string } };
        expect([init.method, path, res.status, body.error?.code]).toEqual([init.method, path, 403, 'E_CROSS_SITE']);
      }
      // Nothing happened: no token, the alert still open, the webhook and the session still there.
      expect(tokensOf(USERS.enterprise.id)).toBe(before);
      expect(f.registry.analytics.getAlert(alert)!.state).toBe('open');
      expect(f.registry.getInstrument(T.a.inst)!.name).not.toBe('pwned');
      expect(f.registry.analytics.listWebhooks().some((w) => w.id === f.webhooks.a)).toBe(true);
      expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(200);
    });
  }

  it('a foreign-origin sign-in (login CSRF) is refused too', async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: EVIL },
      body: JSON.stringify({ username: USERS.enterprise.id, password: `password-of-${USERS.enterprise.id}` }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_CROSS_SITE');
  });

  it('the refusal explains itself in Vietnamese and English', async () => {
    const cookie = await session();
    for (const [lang, text] of [
      ['vi', /khác nguồn|trang web khác/i],
      ['en', /another site|cross-site/i],
    ] as const) {
      const res = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, origin: EVIL, 'accept-language': lang } });
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(text);
    }
  });

  it('same-origin requests of the web UI work: JSON, empty body, with Origin and Sec-Fetch-Site or without them', async () => {
    const cookie = await session();
    const same = { cookie, origin: base, 'sec-fetch-site': 'same-origin' };
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...same, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ui', ttlDays: 1 }),
    });
    expect(created.status).toBe(201);
    const ack = await fetch(`${base}/api/v1/alerts/${openAlert()}/ack`, { method: 'POST', headers: same });
    expect(ack.status).toBe(200);
    // A client that is not a browser sends neither header: not a cross-site request.
    const bare = await fetch(`${base}/api/v1/alerts/${openAlert()}/ack`, { method: 'POST', headers: { cookie } });
    expect(bare.status).toBe(200);
    expect((await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: same })).status).toBe(204);
    expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('a bearer-token call is not CSRF-able and is left alone, whatever its Origin', async () => {
    const res = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...f.auth.enterprise, origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'script', ttlDays: 1 }),
    });
    expect(res.status).toBe(201);
  });

  it('a JSON route answers 415 to a text/plain body, even same-origin', async () => {
    const res = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...f.auth.enterprise, 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'plain', ttlDays: 1 }),
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('E_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('the session cookie', () => {
  const attributes = (setCookie: string) => setCookie.split(';').map((a) => a.trim().toLowerCase());

  it('over plain HTTP (the demo on localhost): metronet_session, HttpOnly, SameSite=Strict, Path=/, not Secure', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: USERS.lab.id, password: `password-of-${USERS.lab.id}` },
    });
    const [set] = [res.headers['set-cookie']].flat() as string[];
    expect(set).toMatch(/^metronet_session=[^;]+;/);
    expect(attributes(set!)).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/', 'max-age=43200']));
    expect(attributes(set!)).not.toContain('secure');
  });

  it('under HTTPS: __Host-metronet_session, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain; the old name still signs in once', async () => {
    const res = await secure.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: USERS.lab.id, password: `password-of-${USERS.lab.id}` },
    });
    expect(res.statusCode).toBe(200);
    const [set] = [res.headers['set-cookie']].flat() as string[];
    expect(set).toMatch(/^__Host-metronet_session=[^;]+;/);
    expect(attributes(set!)).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/', 'max-age=43200']));
    expect(attributes(set!).some((a) => a.startsWith('domain='))).toBe(false);
    const value = set!.split(';')[0]!.split('=').slice(1).join('=');
    expect((await secure.inject({ url: '/api/v1/auth/me', headers: { cookie: `__Host-metronet_session=${value}` } })).statusCode).toBe(200);
    // A session set before the upgrade (plain name) keeps working through the transition.
    expect((await secure.inject({ url: '/api/v1/auth/me', headers: { cookie: `metronet_session=${value}` } })).statusCode).toBe(200);
    const out = await secure.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: `__Host-metronet_session=${value}` } });
    expect(out.statusCode).toBe(204);
    const cleared = ([out.headers['set-cookie']].flat() as string[]).map((c) => c.split('=')[0]);
    expect(cleared).toEqual(expect.arrayContaining(['__Host-metronet_session', 'metronet_session']));
  });
});

describe.runIf(browserAvailable)('the web UI under the policy, in headless Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('signs in through the form (a same-origin POST), lists the instruments and opens the API docs with no policy violation', async () => {
    const context = await browser.newContext();
    const violations: string[] = [];
    await context.addInitScript(() => {
      const doc = (
        globalThis as unknown as { document: { addEventListener(t: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void } }
      ).document;
      doc.addEventListener('securitypolicyviolation', (e) => console.error(`csp-violation ${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/csp-violation|Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
    });
    await page.goto(`${base}/`);
    await page.fill('#login-user', USERS.enterprise.id);
    await page.fill('#login-password', `password-of-${USERS.enterprise.id}`);
    await page.click('#login button[type="submit"]');
    await page.goto(`${base}/#/instruments`);
    await expect.poll(() => page.locator('tr[data-instrument]').evaluateAll((els) => els.map((e) => e.getAttribute('data-instrument')))).toEqual([T.a.inst]);
    await page.goto(`${base}/stations.html`);
    await page.waitForLoadState('networkidle');
    await page.goto(`${base}/docs/`);
    await page.locator('.swagger-ui .info').waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });
});
