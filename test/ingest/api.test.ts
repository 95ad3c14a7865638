import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type RejectsNotice } from '../../core/index.js';
import * as broker from '../../broker/index.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry } from '../../store/index.js';
import * as ingest from '../../ingest/index.js';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { bearer } from '../analytics/support.js';
import { METRICS_AUTH, METRICS_TOKEN } from '../support/metrics-auth.js';
import { periods, waitFor } from '../support/wait.js';

const FLUSH_MS = 20;

/** Rejects and metrics of ingest through the dashboard (GET /api/v1/rejects, GET /metrics), on the embedded broker. */
let dir: string;
let mqtt: broker.BrokerHandle;
let registry: Registry;
let readings: ReadingsStore;
let worker: ingest.IngestHandle;
let app: App;
let gw: MqttClient;
/** The authority sees every organisation's rejects (issue 6: the API needs a token). */
let auth: { authorization: string };
const notices: RejectsNotice[] = [];
const NOW = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-api-'));
  mqtt = await broker.start({ host: '127.0.0.1', port: 0 });
  registry = openRegistry(join(dir, 'registry.db'));
  readings = openSqliteReadings(join(dir, 'readings.db'));
  worker = await ingest.start({
    mqtt: { url: mqtt.url },
    ingest: { batchSize: 1000, flushMs: FLUSH_MS, maxFutureMs: 300_000, clientId: 'ingest-api' },
    registry,
    readings,
  });
  app = await buildApp({
    registry,
    readings,
    analytics: new Engine({ registry }),
    metrics: () => worker.metrics(),
    rejectCounts: () => worker.stats().rejected,
    metricsToken: METRICS_TOKEN,
  });
  auth = await bearer(registry, { id: 'tdc', role: 'authority' });
  gw = await connectAsync(mqtt.url, { clientId: 'gw-api' });
  gw.on('message', (_t, p) => notices.push(JSON.parse(p.toString()) as RejectsNotice));
  await gw.subscribeAsync(topics.rejects('org-a', 'gw-a1'), { qos: 1 });
  const rd = (value: unknown, unit: string, dt: number) => ({ instrument: 'SC-1', channel: 'mass', ts: NOW - 60_000 + dt, value, unit, status: 'ok' });
  await gw.publishAsync(
    topics.readings('org-a', 'gw-a1'),
    JSON.stringify({ v: 1, gateway: 'gw-a1', seq: 1, readings: [rd(1, 'kg', 0), rd(2, 'furlong', 1000), rd(3, 'kg', 2000)] }),
    { qos: 1 },
  );
  await gw.publishAsync(topics.readings('org-b', 'gw-b1'), JSON.stringify({ v: 1, gateway: 'gw-b1', seq: 1, readings: [rd(4, 'kg', NOW)] }), { qos: 1 });
  await waitFor(() => worker.stats().stored >= 2 && registry.listRejects().length >= 2 && notices.length > 0, {
    message: 'two readings stored, two rejects and a notice to the gateway',
    timeout: periods(5, FLUSH_MS),
  });
});
afterAll(async () => {
  await gw?.endAsync();
  await app?.close();
  await worker?.close();
  await mqtt?.close();
  registry?.close();
  await readings?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rejects and metrics through the dashboard', () => {
  it('lists recent rejects newest first, filtered by gateway, org and code, with counts by reason', async () => {
    const all = await app.inject({ method: 'GET', url: '/api/v1/rejects', headers: auth });
    expect(all.statusCode).toBe(200);
    const body = all.json() as {
      items: { gateway: string | null; code: string; field: string | null; value: unknown; message: string }[];
      counts: Record<string, number>;
    };
    expect(body.items.map((i) => i.code).sort()).toEqual(['E_TS_IN_FUTURE', 'E_UNKNOWN_UNIT']);
    expect(body.counts).toEqual({ E_TS_IN_FUTURE: 1, E_UNKNOWN_UNIT: 1 });
    const unit = body.items.find((i) => i.code === 'E_UNKNOWN_UNIT');
    expect(unit).toMatchObject({ gateway: 'gw-a1', value: 'furlong' });
    expect(unit?.field).toContain('unit');

    const byGateway = (await app.inject({ method: 'GET', url: '/api/v1/rejects?gateway=gw-b1', headers: auth })).json() as { items: { code: string }[] };
    expect(byGateway.items.map((i) => i.code)).toEqual(['E_TS_IN_FUTURE']);
    const byOrg = (await app.inject({ method: 'GET', url: '/api/v1/rejects?org=org-a&code=E_UNKNOWN_UNIT&limit=5', headers: auth })).json() as {
      items: { code: string }[];
    };
    expect(byOrg.items).toHaveLength(1);
    const none = (await app.inject({ method: 'GET', url: '/api/v1/rejects?org=org-a&code=E_UNIT_MISMATCH', headers: auth })).json() as { items: unknown[] };
    expect(none.items).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/rejects?code=E_NOPE&limit=0', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'E_BAD_REQUEST' } });
  });

  it('tells the gateway on metronet/v1/{org}/{gateway}/rejects', () => {
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      v: 1,
      gateway: 'gw-a1',
      seq: 1,
      rejected: 1,
      reasons: [{ code: 'E_UNKNOWN_UNIT', value: 'furlong', instrument: 'SC-1' }],
    });
  });

  it('serves Prometheus metrics: readings in, stored, rejects by reason, queue depth, write latency', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', ...METRICS_AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(/^metronet_ingest_readings_in_total\{worker="ingest-api"\} 4$/m);
    expect(text).toMatch(/^metronet_ingest_readings_stored_total\{worker="ingest-api"\} 2$/m);
    expect(text).toMatch(/^metronet_ingest_rejects_total\{code="E_UNKNOWN_UNIT",worker="ingest-api"\} 1$/m);
    expect(text).toMatch(/^metronet_ingest_queue_readings\{worker="ingest-api"\} 0$/m);
    expect(text).toMatch(/^metronet_store_write_seconds_count\{worker="ingest-api"\} [1-9]/m);
    expect(text).toMatch(/^metronet_store_write_seconds_bucket\{le="0\.001",worker="ingest-api"\}/m);
    expect(text).toMatch(/^process_resident_memory_bytes/m);
  });

  it('serves the process metrics alone when no ingest runs in the process', async () => {
    const bare = await buildApp({ registry, readings, analytics: new Engine({ registry }), metricsToken: METRICS_TOKEN });
    const res = await bare.inject({ method: 'GET', url: '/metrics', ...METRICS_AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^process_resident_memory_bytes/m);
    await bare.close();
  });
});
