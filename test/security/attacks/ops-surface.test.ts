import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../analytics/engine.js';
import { loadConfig, MetronetConfig } from '../../../core/index.js';
import * as dashboard from '../../../dashboard/index.js';
import { twoTenants, type Fixture } from '../fixture.js';

/**
 * What an anonymous client on the network finds on the dashboard's public port (issue 16, item 7),
 * against the dashboard listening on loopback as `metronet dashboard` starts it.
 *
 * Before the fix: `GET /metrics` on the public port answered 200 to anyone, with every gateway id
 * (an MQTT user name) and its connection state.
 */

const GATEWAY_LOGIN = 'gw-leaky-login-77';
const TOKEN = 'ops-surface-metrics-token-0123456789';
/** The exposition the composing process hands the dashboard (cli/stack.ts): here with a gateway's connection state. */
const exposition = async () => ({
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  body: `# HELP metronet_gateway_connected 1 when the gateway's MQTT session is up\n# TYPE metronet_gateway_connected gauge\nmetronet_gateway_connected{gateway="${GATEWAY_LOGIN}"} 1\n`,
});

let f: Fixture;
let plain: dashboard.DashboardHandle;
let withToken: dashboard.DashboardHandle;

async function startDashboard(overrides: Record<string, unknown>) {
  const config = loadConfig(MetronetConfig, { overrides: { 'dashboard.port': 0, ...overrides } });
  return dashboard.start({
    ...config.dashboard,
    registry: f.registry,
    readings: f.readings,
    analytics: new Engine({ registry: f.registry }),
    metrics: exposition,
  });
}

beforeAll(async () => {
  f = await twoTenants();
  // The defaults, with an ops listener asked for (loopback unless configured otherwise).
  plain = await startDashboard({ 'dashboard.ops.port': 0 });
  withToken = await startDashboard({ 'dashboard.metricsToken': TOKEN });
});
afterAll(async () => {
  await plain?.close();
  await withToken?.close();
  await f?.cleanup();
});

describe('the public port shows the app, the API and health only', () => {
  it('has no /metrics by default: 404, and no gateway login anywhere an anonymous client looks', async () => {
    const res = await fetch(new URL('metrics', plain.url));
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(GATEWAY_LOGIN);
    for (const path of ['metrics/', 'Metrics', 'api/v1/metrics', 'docs/json', 'api/v1/health']) {
      const r = await fetch(new URL(path, plain.url));
      expect(await r.text(), path).not.toContain(GATEWAY_LOGIN);
    }
    expect((await fetch(new URL('api/v1/health', plain.url))).status).toBe(200);
    expect((await (await fetch(new URL('docs/json', plain.url))).json()) as { paths: Record<string, unknown> }).not.toHaveProperty('paths./metrics');
  });

  it('serves /metrics, /health and /ready on the ops listener, bound to loopback', async () => {
    expect(plain.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const ops = new URL(plain.opsUrl!);
    const metrics = await fetch(new URL('metrics', ops));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`metronet_gateway_connected{gateway="${GATEWAY_LOGIN}"} 1`);
    expect((await fetch(new URL('health', ops))).status).toBe(200);
    expect(await (await fetch(new URL('ready', ops))).json()).toMatchObject({ status: 'ready' });
    // The ops listener is not the app: no API there.
    expect((await fetch(new URL('api/v1/health', ops))).status).toBe(404);
  });

  it('with dashboard.metricsToken, /metrics on the public port answers only a request bearing it', async () => {
    const url = new URL('metrics', withToken.url);
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, TOKEN, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]) {
      const r = await fetch(url, { headers: authorization ? { authorization } : {} });
      expect(r.status, String(authorization)).toBe(401);
      const body = await r.text();
      expect(body).not.toContain(GATEWAY_LOGIN);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'E_UNAUTHORIZED' } });
    }
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(GATEWAY_LOGIN);
    expect(withToken.opsUrl).toBeUndefined();
  });
});
