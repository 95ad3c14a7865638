import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type IngestConfig, type RejectsNotice } from '../../core/index.js';
import { openInfluxReadings, openRegistry, type ReadingsStore, type Registry } from '../../store/index.js';
import * as ingest from '../../ingest/index.js';
import { startInflux, startMosquitto, type InfluxServer, type MosquittoServer } from '../support/servers.js';
import { periods, waitFor } from '../support/wait.js';
import { ingestUser, loadGateways, publishLoad } from './load.js';

const FLUSH_MS = 50;
const BATCH_SIZE = 2000;

/**
 * Ingest on an external broker and InfluxDB, both real: Mosquitto 2 with a password file and
 * ACLs (anonymous refused), and InfluxDB 1.6.7 behind the v2-write forwarder (see
 * test/store/readings-influx.test.ts). Workers share the stream through the MQTT shared
 * subscription `$share/metronet-ingest/metronet/v1/+/+/readings`; Mosquitto serves shared
 * subscriptions to MQTT 3.1.1 clients too, which ingest is (see ingest/subscriber.ts on why).
 */
let mosq: MosquittoServer;
let influx: InfluxServer;
let dir: string;
let registry: Registry;
const { gateways, users } = loadGateways(8);
const workers = [ingestUser('ingest-a'), ingestUser('ingest-b'), ingestUser('ingest-c')];
let db = 0;

beforeAll(async () => {
  [mosq, influx] = await Promise.all([startMosquitto([...users, ...workers]), startInflux()]);
  dir = mkdtempSync(join(tmpdir(), 'metronet-shared-'));
  registry = openRegistry(join(dir, 'registry.db'));
}, 30_000);
afterAll(async () => {
  registry?.close();
  await Promise.all([mosq?.close(), influx?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function store(): Promise<{ bucket: string; open: () => Promise<ReadingsStore> }> {
  const bucket = `shared_${db++}`;
  await influx.createDb(bucket);
  return { bucket, open: () => openInfluxReadings({ url: influx.url, bucket }) };
}

const cfg = (clientId: string, shareGroup?: string): IngestConfig => ({
  batchSize: BATCH_SIZE,
  flushMs: FLUSH_MS,
  maxFutureMs: 300_000,
  clientId,
  ...(shareGroup ? { shareGroup } : {}),
});
const creds = (u: { username: string; password: string }) => ({ url: mosq.url, username: u.username, password: u.password });

describe('ingest on Mosquitto and InfluxDB', () => {
  it('refuses to start with wrong credentials (Mosquitto refuses anonymous and unknown clients)', async () => {
    const s = await store();
    const readings = await s.open();
    await expect(
      ingest.start({ mqtt: { url: mosq.url, username: 'ingest-a', password: 'wrong' }, ingest: cfg('ingest-x'), registry, readings }),
    ).rejects.toMatchObject({ code: 'E_UNAUTHORIZED' });
    await expect(ingest.start({ mqtt: { url: mosq.url }, ingest: cfg('ingest-y'), registry, readings })).rejects.toMatchObject({ code: 'E_UNAUTHORIZED' });
    await readings.close();
  });

  it('two workers share one stream through $share/metronet-ingest and together store all of it exactly once', async () => {
    const s = await store();
    const [ra, rb] = [await s.open(), await s.open()];
    const a = await ingest.start({ mqtt: creds(workers[0]!), ingest: cfg('ingest-a', 'metronet-ingest'), registry, readings: ra });
    const b = await ingest.start({ mqtt: creds(workers[1]!), ingest: cfg('ingest-b', 'metronet-ingest'), registry, readings: rb });
    const N = 40_000;
    const res = await publishLoad({ url: mosq.url, gateways, readings: N, batch: 200, t0: Date.now() - 86_400_000 });
    expect(res.acked).toBe(N);
    // Each worker writes a batch of BATCH_SIZE per flush at least; InfluxDB takes them one by one.
    await waitFor(() => a.stats().stored + b.stats().stored >= N, {
      message: `${N} readings stored by the two workers`,
      timeout: periods(N / BATCH_SIZE, 1000),
    });
    const [sa, sb] = [a.stats(), b.stats()];
    await Promise.all([a.close(), b.close()]);
    // Each message went to one worker: the two together stored N, each a real share.
    expect(sa.stored + sb.stored).toBe(N);
    expect(sa.received).toBeGreaterThan(0);
    expect(sb.received).toBeGreaterThan(0);
    expect(Math.min(sa.stored, sb.stored)).toBeGreaterThan(N / 10);
    expect(sa.received + sb.received).toBe(N / 200);
    expect(await ra.count()).toBe(N);
    await Promise.all([ra.close(), rb.close()]);
  });

  it('tells a gateway why readings were refused on its rejects topic, including those InfluxDB refuses for good', async () => {
    const s = await store();
    const readings = await s.open();
    const w = await ingest.start({ mqtt: creds(workers[2]!), ingest: cfg('ingest-c'), registry, readings });
    const g = gateways[0]!;
    const gw = await connectAsync(mosq.url, { clientId: `${g.id}-rejects`, username: g.username, password: g.password });
    const notices: RejectsNotice[] = [];
    gw.on('message', (_t, p) => notices.push(JSON.parse(p.toString()) as RejectsNotice));
    await gw.subscribeAsync(topics.rejects(g.org, g.id), { qos: 1 });
    // `value` is made an integer field in this shard: InfluxDB will refuse the float reading at t.
    const t = Date.now() - 3_600_000;
    const pre = await fetch(`${influx.v1Url}/write?db=${s.bucket}&precision=ms`, {
      method: 'POST',
      body: `reading,channel=x,instrument=OTHER,org=o,status=ok value=1i ${t}`,
    });
    expect(pre.status).toBe(204);
    const later = Date.now() - 30 * 86_400_000; // another shard: stored
    const batch = {
      v: 1,
      gateway: g.id,
      seq: 7,
      readings: [
        { instrument: 'SC-R1', channel: 'mass', ts: later, value: 1, unit: 'kg', status: 'ok' },
        { instrument: 'SC-R1', channel: 'mass', ts: later + 1000, value: 2, unit: 'furlong', status: 'ok' },
        { instrument: 'SC-R1', channel: 'mass', ts: t, value: 3, unit: 'kg', status: 'ok' },
      ],
    };
    await gw.publishAsync(topics.readings(g.org, g.id), JSON.stringify(batch), { qos: 1 });
    await waitFor(() => notices.length > 0, { message: 'a rejects notice to the gateway', timeout: periods(3, FLUSH_MS) });
    expect(notices[0]).toMatchObject({ v: 1, gateway: g.id, seq: 7, rejected: 2 });
    expect(notices[0]?.reasons.map((r) => r.code).sort()).toEqual(['E_STORE_REFUSED', 'E_UNKNOWN_UNIT']);
    expect(await readings.count('SC-R1')).toBe(1);
    expect(
      registry
        .listRejects({ gateway: g.id })
        .map((r) => r.code)
        .sort(),
    ).toEqual(['E_STORE_REFUSED', 'E_UNKNOWN_UNIT']);
    expect(w.stats().rejected.E_STORE_REFUSED).toBe(1);
    await gw.endAsync();
    await w.close();
    await readings.close();
  });
});
