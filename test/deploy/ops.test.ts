import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/index.js';
import { openRegistry, openSqliteReadings } from '../../store/index.js';
import { buildApp } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { exposition, lifecycle, startOps } from '../../cli/ops.js';
import { startInflux, startMosquitto, type InfluxServer, type MosquittoServer } from '../support/servers.js';
import { INSTRUMENTS_PER_GATEWAY, ingestUser, loadGateways, publishLoad } from '../ingest/load.js';
import { METRICS_AUTH, startDemoStack, type DemoStack } from '../e2e/stack.js';
import { waitFor } from '../support/wait.js';
import { SERVICES_MS, sample, spawnMetronet } from './procs.js';

/**
 * Operations of the services (issue 9): graceful shutdown of a real `metronet ingest` process
 * under load, the ops listener (/health, /ready, /metrics), one exposition for the in-process
 * stack, and request ids and secret redaction in the dashboard's JSON logs.
 */
const typeLines = (text: string) => text.split('\n').filter((l) => l.startsWith('# TYPE '));

describe('ingest process: SIGTERM under load drains in-flight work (Mosquitto, SQLite)', () => {
  let mosq: MosquittoServer;
  let dir: string;
  const { gateways, users } = loadGateways(4);
  const svc = ingestUser('ingest-drain');
  beforeAll(async () => {
    mosq = await startMosquitto([...users, svc]);
    dir = mkdtempSync(join(tmpdir(), 'metronet-drain-'));
  });
  afterAll(async () => {
    await mosq?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('commits and acknowledges every message it took, exits 0, and its next start stores the rest exactly once', { timeout: 120_000 }, async () => {
    const N = 80_000;
    const config = {
      dataDir: join(dir, 'data'),
      mqtt: { url: mosq.url, username: svc.username, password: svc.password },
      readings: { kind: 'sqlite' },
      ingest: { clientId: 'metronet-ingest-drain', batchSize: 2000, flushMs: 50, ops: { port: 0 } },
      shutdownTimeoutMs: 30_000,
    };
    const file = join(dir, 'ingest.yaml');
    const first = spawnMetronet('ingest', ['ingest'], { config, file });
    const running = await first.waitForLine((l) => l.msg === 'ingest running', 'ingest running');
    const ops = String(running.ops);
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    expect((await fetch(new URL('health', ops))).status).toBe(200);
    const ready = await fetch(new URL('ready', ops));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, { ok: boolean }> }).checks).toMatchObject({
      broker: { ok: true },
      registry: { ok: true },
      readings: { ok: true },
      draining: { ok: true },
    });

    const stored = () => {
      const d = new Database(join(dir, 'data', 'readings.db'), { readonly: true, fileMustExist: true });
      try {
        return (d.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    // A steady load, and SIGTERM once a third of it is stored: batches are in flight then.
    const load = publishLoad({ url: mosq.url, gateways, readings: N, batch: 500, t0: Date.now() - 86_400_000, window: 1, pauseMs: 150 }); // about 6 s of steady load
    await waitFor(() => stored() >= N / 3, { message: 'a third of the load stored', timeout: 60_000 });

    const metrics = await (await fetch(new URL('metrics', ops))).text();
    for (const name of [
      'metronet_ingest_lag_seconds',
      'metronet_ingest_commit_latency_seconds_count',
      'metronet_store_write_seconds_count',
      'metronet_ingest_readings_stored_total',
    ]) {
      expect(sample(metrics, name), name).toBeGreaterThan(0);
    }
    expect(metrics).toContain('metronet_ingest_rejects_total');
    expect(typeLines(metrics).filter((l) => l.startsWith('# TYPE process_cpu_user_seconds_total'))).toHaveLength(1);

    expect(await first.stop()).toBe(0);
    const closed = first.lines.find((l) => l.msg === 'ingest closed') as unknown as
      | { received: number; acked: number; stored: number; pending: number }
      | undefined;
    expect(closed, first.output()).toBeDefined();
    // Drained: every message the worker took was committed and then acknowledged; none abandoned.
    expect(closed!.pending).toBe(0);
    expect(closed!.acked).toBe(closed!.received);
    expect(closed!.stored).toBe(closed!.received * 500);
    expect(stored()).toBe(closed!.stored);
    expect(first.lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(closed!.stored).toBeLessThan(N); // it did stop mid-load

    // The rest waited at the broker (persistent session) and reaches the next incarnation.
    const second = spawnMetronet('ingest-2', ['ingest'], { file });
    await second.waitForLine((l) => l.msg === 'ingest running', 'ingest running');
    expect((await load).acked).toBe(N);
    await waitFor(() => stored() >= N, { message: 'every reading stored', timeout: 60_000 });
    expect(await second.stop()).toBe(0);

    const d = new Database(join(dir, 'data', 'readings.db'), { readonly: true });
    const per = d.prepare('SELECT instrument, count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM readings GROUP BY instrument').all() as {
      n: number;
      lo: number;
      hi: number;
    }[];
    const total = (d.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    d.close();
    expect(total).toBe(N);
    expect(per).toHaveLength(gateways.length * INSTRUMENTS_PER_GATEWAY);
    for (const p of per) expect((p.hi - p.lo) / 1000 + 1).toBe(p.n);
  });
});

describe('ingest process: SIGTERM while the store is down', () => {
  let mosq: MosquittoServer;
  let influx: InfluxServer;
  let dir: string;
  const { gateways, users } = loadGateways(2);
  const svc = ingestUser('ingest-stuck');
  beforeAll(async () => {
    [mosq, influx] = await Promise.all([startMosquitto([...users, svc]), startInflux()]);
    await influx.createDb('stuck');
    dir = mkdtempSync(join(tmpdir(), 'metronet-stuck-'));
  });
  afterAll(async () => {
    await Promise.all([mosq?.close(), influx?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives up after shutdownTimeoutMs, exits 1 naming what it left, and loses nothing', { timeout: 120_000 }, async () => {
    const N = 2000;
    const file = join(dir, 'ingest.yaml');
    const config = {
      dataDir: join(dir, 'data'),
      mqtt: { url: mosq.url, username: svc.username, password: svc.password },
      readings: { kind: 'influx', url: influx.url, bucket: 'stuck' },
      ingest: { clientId: 'metronet-ingest-stuck', flushMs: 50, ops: { port: 0 } },
      shutdownTimeoutMs: 5000,
    };
    const first = spawnMetronet('ingest', ['ingest'], { config, file });
    const ops = new URL(String((await first.waitForLine((l) => l.msg === 'ingest running', 'ingest running')).ops));
    await influx.kill();
    expect((await publishLoad({ url: mosq.url, gateways, readings: N, batch: 500, t0: Date.now() - 3_600_000 })).acked).toBe(N);
    await waitFor(async () => sample(await (await fetch(new URL('metrics', ops))).text(), 'metronet_ingest_messages_received_total')! > 0, {
      message: 'messages reaching ingest',
      timeout: SERVICES_MS,
    });
    const ready = await fetch(new URL('ready', ops));
    expect(ready.status).toBe(503); // the readings store does not answer
    expect(await ready.json()).toMatchObject({ checks: { readings: { ok: false } } });

    expect(await first.stop()).toBe(1);
    const gaveUp = first.lines.find((l) => l.msg === 'stopped with work left') as { left?: { messagesNotStored?: number } } | undefined;
    expect(gaveUp, first.output()).toBeDefined();
    expect(gaveUp!.left?.messagesNotStored).toBeGreaterThan(0);

    // What it left was never acknowledged: the broker delivers it to the next incarnation.
    await influx.start();
    const second = spawnMetronet('ingest-2', ['ingest'], { file });
    await second.waitForLine((l) => l.msg === 'ingest running', 'ingest running');
    const count = async () => {
      const r = (await (await fetch(`${influx.v1Url}/query?db=stuck&q=${encodeURIComponent('SELECT count("value") FROM "reading"')}`)).json()) as {
        results: { series?: { values: [string, number][] }[] }[];
      };
      return r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    };
    await waitFor(async () => (await count()) >= N, { message: 'every reading in InfluxDB', timeout: 60_000 });
    expect(await count()).toBe(N);
    expect(await second.stop()).toBe(0);
  });
});

describe('broker process', () => {
  it('serves its ops endpoints with the connection metrics, and stops with exit code 0 on SIGTERM', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metronet-broker-'));
    const broker = spawnMetronet('broker', ['broker'], { config: { dataDir: dir, broker: { port: 0, ops: { port: 0 } } }, file: join(dir, 'broker.yaml') });
    try {
      const ops = new URL(String((await broker.waitForLine((l) => l.msg === 'broker running', 'broker running')).ops));
      expect((await fetch(new URL('health', ops))).status).toBe(200);
      expect(await (await fetch(new URL('ready', ops))).json()).toMatchObject({ status: 'ready', checks: { registry: { ok: true }, draining: { ok: true } } });
      const text = await (await fetch(new URL('metrics', ops))).text();
      expect(sample(text, 'metronet_mqtt_clients_connected')).toBe(0);
      for (const name of ['metronet_mqtt_messages_in_total', 'metronet_mqtt_refusals_total', 'process_cpu_user_seconds_total'])
        expect(text).toMatch(new RegExp(`^${name}[ {]`, 'm'));
      expect(await broker.stop()).toBe(0);
      expect(broker.lines.some((l) => l.msg === 'stopped')).toBe(true);
    } finally {
      await broker.stop(1000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ops listener', () => {
  it('answers /health, /ready (503 with the reason while draining) and /metrics with the process metrics once', async () => {
    const own = new Registry();
    new Counter({ name: 'metronet_test_things_total', help: 'things', registers: [own] }).inc(3);
    let brokerUp = true;
    const ops = await startOps({
      service: 'test',
      listener: { host: '127.0.0.1', port: 0 },
      registries: [own],
      ready: () => ({ broker: brokerUp ? { ok: true } : { ok: false, detail: 'not connected' } }),
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect(await (await fetch(new URL('health', ops.url))).json()).toMatchObject({ status: 'ok', service: 'test' });
      expect((await fetch(new URL('ready', ops.url))).status).toBe(200);
      brokerUp = false;
      const down = await fetch(new URL('ready', ops.url));
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ checks: { broker: { ok: false, detail: 'not connected' } } });
      brokerUp = true;
      lifecycle.draining = true;
      const draining = await fetch(new URL('ready', ops.url));
      expect(draining.status).toBe(503);
      expect(await draining.json()).toMatchObject({ checks: { draining: { ok: false } } });
      const text = await (await fetch(new URL('metrics', ops.url))).text();
      expect(sample(text, 'metronet_test_things_total')).toBe(3);
      expect(typeLines(text).filter((l) => l.includes(' process_resident_memory_bytes '))).toHaveLength(1);
      expect((await fetch(new URL('nothing', ops.url))).status).toBe(404);
    } finally {
      lifecycle.draining = false;
      await ops.close();
    }
  });

  it('refuses to serve two registries that hold the same metric name', () => {
    const a = new Registry();
    const b = new Registry();
    new Counter({ name: 'metronet_dup_total', help: 'a', registers: [a] });
    new Counter({ name: 'metronet_dup_total', help: 'b', registers: [b] });
    expect(() => exposition([a, b])).toThrow(/metronet_dup_total/);
  });
});

describe('in-process stack: one /metrics for every service', () => {
  let stack: DemoStack;
  beforeAll(async () => {
    stack = await startDemoStack();
  }, 60_000);
  afterAll(async () => stack?.close());

  it('exposes ingest, broker, analytics and gateway metrics without a name twice, and readiness', async () => {
    await waitFor(
      async () => sample(await (await fetch(new URL('/metrics', stack.dashboardUrl), METRICS_AUTH)).text(), 'metronet_gateway_readings_published_total')! > 0,
      {
        message: 'gateways publishing',
        timeout: SERVICES_MS,
      },
    );
    const text = await (await fetch(new URL('/metrics', stack.dashboardUrl), METRICS_AUTH)).text();
    const types = typeLines(text).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
    for (const name of [
      'metronet_ingest_readings_stored_total',
      'metronet_ingest_lag_seconds',
      'metronet_store_write_seconds',
      'metronet_mqtt_clients_connected',
      'metronet_mqtt_messages_in_total',
      'metronet_mqtt_refusals_total',
      'metronet_analytics_checks_evaluated_total',
      'metronet_alert_deliveries_total',
      'metronet_webhook_queue_depth',
      'metronet_gateway_spool_readings',
      'metronet_gateway_spool_oldest_age_seconds',
      'metronet_gateway_poll_errors_total',
      'process_cpu_user_seconds_total',
    ])
      expect(types, name).toContain(name);
    expect(sample(text, 'metronet_mqtt_clients_connected')).toBeGreaterThan(2);
    const ready = await fetch(new URL('/api/v1/ready', stack.dashboardUrl));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { registry: { ok: true }, readings: { ok: true }, draining: { ok: true } } });
  });
});

describe('dashboard logs: request ids, no secrets', () => {
  it('keeps a safe incoming X-Request-Id, makes one otherwise, logs it on the request lines, and never logs credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metronet-reqid-'));
    const registry = openRegistry(join(dir, 'registry.db'));
    const readings = openSqliteReadings(join(dir, 'readings.db'));
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = createLogger({ level: 'trace' }, sink);
    const app = await buildApp({ registry, readings, logger, analytics: new Engine({ registry }) });
    try {
      await registry.identity.createUser({ id: 'op', role: 'authority', password: 'pw-very-secret-1' });
      const token = registry.identity.issueToken({ kind: 'api', user: 'op', ttlMs: 60_000 }).secret;

      const kept = await app.inject({
        method: 'GET',
        url: '/api/v1/orgs',
        headers: { 'x-request-id': 'edge-7f3a.2', authorization: `Bearer ${token}`, cookie: 'metronet_session=cookie-secret-42' },
      });
      expect(kept.statusCode).toBe(200);
      expect(kept.headers['x-request-id']).toBe('edge-7f3a.2');
      const ofKept = lines.filter((l) => l.reqId === 'edge-7f3a.2');
      expect(ofKept.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));

      for (const bad of ['has space', 'x'.repeat(129), 'quote"inside', '']) {
        const res = await app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': bad } });
        const id = String(res.headers['x-request-id']);
        expect(id).not.toBe(bad);
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(lines.some((l) => l.reqId === id)).toBe(true);
      }

      const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'op', password: 'pw-very-secret-1' } });
      expect(login.statusCode).toBe(200);
      const session = String(login.headers['set-cookie']).split(';')[0]!;
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'op', password: 'wrong-password-99' } });
      await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: session } });

      // The redaction itself: fields that carry secrets, wherever a caller logs them.
      logger.info(
        { req: { headers: { authorization: `Bearer ${token}`, cookie: session } }, mqtt: { password: 'mqtt-secret-5' }, password: 'pw-very-secret-1' },
        'probe',
      );
      const text = lines.map((l) => JSON.stringify(l)).join('\n');
      expect(text).toContain('"probe"');
      expect(text).toContain('[redacted]');
      for (const secret of [token, 'cookie-secret-42', session.split('=')[1]!, 'pw-very-secret-1', 'wrong-password-99', 'mqtt-secret-5'])
        expect(text).not.toContain(secret);
    } finally {
      await app.close();
      await readings.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
