import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as analytics from '../../../analytics/index.js';
import { webhookPolicy } from '../../../analytics/webhook-target.js';
import { WebhookDeliverer } from '../../../analytics/webhooks.js';
import { loadConfig, MetronetConfig, silentLogger } from '../../../core/index.js';
import type { App } from '../../../dashboard/app.js';
import { DAY, dashboardOn, twoTenants, type Fixture } from '../fixture.js';
import { METRICS_AUTH, METRICS_TOKEN } from '../../support/metrics-auth.js';

/**
 * Webhooks as a scanner of the service's network (issue 16, items 2 and 9), against the running
 * dashboard (the real fastify app) and the analytics service's webhook deliverer. Every receiver
 * is a server of this file on 127.0.0.1; every URL in this file is on loopback.
 *
 * Before the fix: `POST /webhooks` took http://127.0.0.1:{victim}/ (and localhost, and any
 * private or link-local address) with 201; the delivery reached the victim, and the deliveries view reported
 * `lastStatus: 404, lastError: "HTTP 404"` — the victim's answer, to the tenant; a receiver's 302
 * was followed to the victim; an organisation could hold any number of webhooks.
 */

interface Hit {
  path: string;
  host: string | undefined;
  method: string | undefined;
}
interface Receiver {
  server: Server;
  port: number;
  hits: Hit[];
}

async function receiver(answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string>; body?: string }): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push({ path: req.url ?? '', host: req.headers.host, method: req.method });
      const a = answer(req);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

let f: Fixture;
let app: App;
let svc: analytics.AnalyticsHandle;
/** An internal service nobody allowlisted: what the attacker wants to reach. */
let victim: Receiver;
/** The tenant's own receiver, allowlisted by the operator. */
let good: Receiver;
/** Allowlisted, but answers 302 to the victim. */
let redirector: Receiver;
/** Allowlisted, answers 404 with a body the tenant must never see. */
let noisy: Receiver;
const MAX_PER_ORG = 5;
const SECRET_BODY = 'internal-admin-panel-v2.3';

const tenants = new Map<string, Promise<{ authorization: string }>>();

/** An enterprise organisation with one user, and that user's API token (made once per organisation). */
function tenant(org: string): Promise<{ authorization: string }> {
  let t = tenants.get(org);
  if (!t) {
    t = (async () => {
      f.registry.upsertOrg({ id: org, name: org, kind: 'enterprise' });
      const user = `u-${org}`;
      await f.registry.identity.createUser({ id: user, role: 'enterprise', org, password: `password-of-${user}` });
      return { authorization: `Bearer ${f.registry.identity.issueToken({ kind: 'api', user, ttlMs: DAY }).secret}` };
    })();
    tenants.set(org, t);
  }
  return t;
}

const create = async (org: string, url: string, lang: 'en' | 'vi' = 'en') =>
  app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: { ...(await tenant(org)), 'accept-language': lang }, payload: { org, url } });

/** Queues one alert for the organisation's webhooks and lets the analytics service deliver it. */
async function deliverTo(org: string): Promise<void> {
  f.registry.analytics.enqueueDeliveries([org], f.alerts.a, 'opened', JSON.stringify({ v: 1, kind: 'out_of_tolerance' }), Date.now());
  await svc.flushWebhooks();
}

async function deliveries(org: string, webhook: number) {
  const res = await app.inject({ url: `/api/v1/webhooks/${webhook}/deliveries`, headers: await tenant(org) });
  expect(res.statusCode).toBe(200);
  return { body: res.body, items: (res.json() as { items: Array<Record<string, unknown>> }).items };
}

beforeAll(async () => {
  f = await twoTenants();
  victim = await receiver(() => ({ status: 404, body: SECRET_BODY }));
  good = await receiver(() => ({ status: 204 }));
  redirector = await receiver(() => ({ status: 302, headers: { location: `http://127.0.0.1:${victim.port}/redirected` } }));
  noisy = await receiver(() => ({ status: 404, body: SECRET_BODY }));
  // The operator's allowlist: the tenant's receivers, by address and port; the victim is not in it.
  const allow = [good, redirector, noisy].map((r) => `127.0.0.1:${r.port}`);
  const config = loadConfig(MetronetConfig, {
    overrides: { 'analytics.webhooks.allow': allow, 'analytics.webhooks.maxPerOrg': MAX_PER_ORG, 'analytics.webhookMaxAttempts': 1 },
  });
  ({ app } = await dashboardOn(f, { webhooks: config.analytics.webhooks, metricsToken: METRICS_TOKEN }));
  svc = await analytics.start({
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    analytics: config.analytics,
    registry: f.registry,
    subscribe: false,
    logger: silentLogger,
  });
});

afterAll(async () => {
  await svc?.close();
  await app?.close();
  for (const r of [victim, good, redirector, noisy]) await new Promise((done) => r?.server.close(done));
  await f?.cleanup();
});

describe('webhooks cannot reach what they should not', () => {
  // Every other non-public range (private, link-local, CGNAT, multicast, unspecified, mapped) is
  // refused by the same address check, tested on address literals in test/core/net-guard.test.ts:
  // the URLs here stay on loopback.
  it('refuses at creation a receiver on a loopback address in any spelling that is not allowlisted', async () => {
    const targets = [
      `http://127.0.0.1:${victim.port}/hook`,
      `http://localhost:${victim.port}/hook`, // a name resolving to 127.0.0.1
      `http://[::1]:${victim.port}/hook`,
      `http://[::ffff:127.0.0.1]:${victim.port}/hook`, // IPv4-mapped IPv6
      `http://2130706433:${victim.port}/hook`, // 127.0.0.1 as one number
      `http://0x7f.1:${victim.port}/hook`,
      `http://127.0.0.2:${good.port}/hook`, // the allowlist names 127.0.0.1 only
    ];
    for (const url of targets) {
      const res = await create('ent-ssrf', url);
      expect(res.statusCode, url).toBe(400);
      const err = (res.json() as { error: { code: string; details: { field: string; rule: string; reason: string } } }).error;
      expect(err.code, url).toBe('E_WEBHOOK_TARGET');
      expect(err.details, url).toMatchObject({ field: 'url', rule: 'public-address', reason: 'refused-address' });
    }
    const vi = await create('ent-ssrf', `http://127.0.0.1:${victim.port}/hook`, 'vi');
    expect((vi.json() as { error: { message: string } }).error.message).toMatch(/không được phép/);
    expect(f.registry.analytics.listWebhooks('ent-ssrf')).toEqual([]);
    expect(victim.hits).toEqual([]);
  });

  it('takes an allowlisted loopback receiver and delivers to it; the view says delivered and nothing of the answer', async () => {
    const res = await create('ent-good', `http://127.0.0.1:${good.port}/in`);
    expect(res.statusCode, res.body).toBe(201);
    const id = (res.json() as { id: number }).id;
    await deliverTo('ent-good');
    expect(good.hits).toEqual([{ path: '/in', host: `127.0.0.1:${good.port}`, method: 'POST' }]);
    const { items } = await deliveries('ent-good', id);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ state: 'delivered', reason: null, attempts: 1 });
    expect(Object.keys(items[0]!).sort()).toEqual(['alert', 'attempts', 'createdAt', 'deliveredAt', 'event', 'id', 'nextAt', 'reason', 'state']);
  });

  it('refuses at delivery a stored URL that leads to a refused address (set before the fix, or DNS changed since): no request, reason class only', async () => {
    // Stored behind the API's back, as a row written before the check existed would be.
    const direct = f.registry.analytics.addWebhook('ent-old', `http://127.0.0.1:${victim.port}/probe`, 'whsec-0123456789abcdef').id;
    const byName = f.registry.analytics.addWebhook('ent-old', `http://localhost:${victim.port}/probe`, 'whsec-0123456789abcdef').id;
    await deliverTo('ent-old');
    expect(victim.hits).toEqual([]);
    for (const id of [direct, byName]) {
      const { items, body } = await deliveries('ent-old', id);
      expect(items).toEqual([expect.objectContaining({ state: 'failed', reason: 'refused-address' })]);
      expect(body).not.toMatch(/404|lastStatus|lastError|127\.0\.0\.1|internal-admin/);
    }
  });

  it('never follows a redirect: a 302 to a refused address is a failure, `redirect`, and the target is never asked', async () => {
    const res = await create('ent-redir', `http://127.0.0.1:${redirector.port}/hook`);
    expect(res.statusCode, res.body).toBe(201);
    await deliverTo('ent-redir');
    expect(redirector.hits).toHaveLength(1);
    expect(victim.hits).toEqual([]);
    const { items, body } = await deliveries('ent-redir', (res.json() as { id: number }).id);
    expect(items).toEqual([expect.objectContaining({ state: 'failed', reason: 'redirect' })]);
    expect(body).not.toMatch(/302|redirected|location/i);
  });

  it("shows the tenant a failed delivery's reason class, never the receiver's status code or body", async () => {
    const res = await create('ent-noisy', `http://127.0.0.1:${noisy.port}/hook`);
    expect(res.statusCode, res.body).toBe(201);
    await deliverTo('ent-noisy');
    expect(noisy.hits).toHaveLength(1);
    const { items, body } = await deliveries('ent-noisy', (res.json() as { id: number }).id);
    expect(items).toEqual([expect.objectContaining({ state: 'failed', reason: 'http-error' })]);
    expect(body).not.toMatch(/404|internal-admin|lastStatus/);
  });

  it('resolves a name once per attempt and connects to that address, keeping the URL name as Host (no DNS rebinding)', async () => {
    const org = 'ent-pin';
    f.registry.upsertOrg({ id: org, name: org, kind: 'enterprise' });
    const hook = f.registry.analytics.addWebhook(org, `http://hooks.test:${good.port}/pinned`, 'whsec-0123456789abcdef').id;
    // A resolver that answers the allowlisted address, then (a rebinding attack) another address.
    const answers = ['127.0.0.1', '127.0.0.2'];
    let asked = 0;
    const resolve = async () => [{ address: answers[Math.min(asked++, answers.length - 1)]!, family: 4 }];
    const deliverer = new WebhookDeliverer({
      store: f.registry.analytics,
      log: silentLogger,
      now: Date.now,
      maxAttempts: 1,
      backoffMs: 10,
      timeoutMs: 2000,
      policy: webhookPolicy({ allow: [`127.0.0.1:${good.port}`] }, { resolve }),
    });
    const before = good.hits.length;
    f.registry.analytics.enqueueDeliveries([org], f.alerts.a, 'opened', '{"v":1}', Date.now());
    await deliverer.tick();
    await deliverer.close();
    expect(asked).toBe(1); // one resolution for the attempt: the check and the connection used the same answer
    expect(good.hits.slice(before)).toEqual([{ path: '/pinned', host: `hooks.test:${good.port}`, method: 'POST' }]);
    expect(f.registry.analytics.listDeliveries({ webhook: hook })[0]).toMatchObject({ state: 'delivered' });
  });

  it('caps the webhooks of an organisation: one more is refused with a reason and counted', async () => {
    const org = 'ent-cap';
    for (let i = 0; i < MAX_PER_ORG; i++) {
      const res = await create(org, `http://127.0.0.1:${good.port}/cap-${i}`);
      expect(res.statusCode, res.body).toBe(201);
    }
    const refusals = async () =>
      Number(/^metronet_webhook_refusals_total\{reason="limit"\} (\d+)/m.exec((await app.inject({ url: '/metrics', ...METRICS_AUTH })).body)?.[1] ?? 'NaN');
    const counted = await refusals();
    const over = await create(org, `http://127.0.0.1:${good.port}/cap-over`, 'vi');
    expect(over.statusCode).toBe(429);
    const err = (over.json() as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect(err.code).toBe('E_WEBHOOK_LIMIT');
    expect(err.details).toMatchObject({ field: 'org', value: org, rule: 'analytics.webhooks.maxPerOrg', max: MAX_PER_ORG });
    expect(err.message).toMatch(/tối đa/);
    expect(f.registry.analytics.listWebhooks(org)).toHaveLength(MAX_PER_ORG);
    expect(await refusals()).toBe(counted + 1);
    // Parallel requests cannot slip past the cap while their names resolve.
    const other = 'ent-cap-race';
    const race = await Promise.all(Array.from({ length: MAX_PER_ORG + 4 }, (_, i) => create(other, `http://127.0.0.1:${good.port}/race-${i}`)));
    expect(race.filter((r) => r.statusCode === 201)).toHaveLength(MAX_PER_ORG);
    expect(f.registry.analytics.listWebhooks(other)).toHaveLength(MAX_PER_ORG);
  });
});
