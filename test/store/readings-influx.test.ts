import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInfluxReadings, openReadings, parseRetryAfter, type ReadingsStore, type StoredReading } from '../../store/index.js';
import { readingsContract } from './readings-contract.js';
import { startInflux, type InfluxServer } from '../support/servers.js';

/**
 * The InfluxDB readings store against a real InfluxDB: Debian's influxdb 1.6.7, started here on
 * a free port with a temporary data folder. 1.6.7 serves the v1 `/write` and InfluxQL `/query`
 * but not 2.x's `/api/v2/write`, which @influxdata/influxdb-client sends; a thin test-only
 * forwarder (servers.ts, startForwarder) stands in for InfluxDB 2.x's write API by passing
 * `/api/v2/write?bucket=B&precision=P` to `/write?db=B&precision=P` unchanged otherwise. So what
 * the store writes goes through a real InfluxDB and is read back through the same store.
 */
let influx: InfluxServer;
let n = 0;
const T0 = 1_795_351_200_000;
const r = (ts: number, value: number, extra: Partial<StoredReading> = {}): StoredReading => ({
  instrument: 'SC-0001',
  channel: 'mass',
  ts,
  value,
  unit: 'kg',
  status: 'ok',
  org: 'org-a',
  ...extra,
});

beforeAll(async () => {
  influx = await startInflux();
}, 30_000);
afterAll(async () => influx?.close());

async function fresh(over: Partial<Parameters<typeof openInfluxReadings>[0]> = {}): Promise<ReadingsStore> {
  const bucket = `contract_${n++}`;
  await influx.createDb(bucket);
  return openInfluxReadings({ url: influx.url, bucket, token: 'test-token-not-checked-by-1.6', org: 'metronet', ...over });
}

readingsContract('influx', () => fresh());

describe('InfluxDB store: protocol details', () => {
  it('writes millisecond timestamps (not the client default ns, which lands in 1970)', async () => {
    const store = await fresh();
    await store.write([r(T0, 1)]);
    const res = await fetch(`${influx.v1Url}/query?${new URLSearchParams({ db: `contract_${n - 1}`, q: 'SELECT value FROM reading', epoch: 'ms' })}`);
    const body = (await res.json()) as { results: { series: { values: [number, number][] }[] }[] };
    expect(body.results[0]?.series[0]?.values).toEqual([[T0, 1]]);
    await store.close();
  });

  it('opens through openReadings({kind: influx}) and refuses a bucket that does not exist', async () => {
    const store = await openReadings({ kind: 'influx', url: influx.url, bucket: `contract_${n - 1}` }, '/nonexistent');
    expect(await store.count()).toBe(1);
    await store.close();
    await expect(openReadings({ kind: 'influx', url: influx.url, bucket: 'no_such_db' }, '/nonexistent')).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });

  it('waits Retry-After in seconds on 429, then writes', async () => {
    const retries: { status?: number; delayMs: number }[] = [];
    // The throttling ends as soon as the client has been told to wait (its first retry is
    // scheduled): the retry after that wait must get through.
    const store = await fresh({ onRetry: (i) => (retries.push(i), (influx.fault = undefined)) });
    influx.fault = { status: 429, body: '{"code":"too many requests","message":"throttled"}', headers: { 'retry-after': '1' } };
    const started = Date.now();
    await store.write([r(T0, 1)]);
    // One 429, and the next attempt no sooner than a second later: the client's own handling would read "1" as 1 ms.
    const seen = influx.writes.filter((w) => w.at >= started);
    expect(seen.map((w) => w.status)).toEqual([429, 204]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(retries[0]).toMatchObject({ status: 429 });
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(1000);
    expect(await store.count()).toBe(1);
    await store.close();
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60_000);
  });

  it('retries 503 with backoff and gives up to the caller with E_STORE_UNAVAILABLE, never resolving unwritten', async () => {
    const store = await fresh({ retry: { attempts: 3, minMs: 10, maxMs: 50, maxRetryAfterMs: 1000 } });
    influx.fault = { status: 503, body: '{"message":"unavailable"}' };
    try {
      await expect(store.write([r(T0, 1)])).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
    } finally {
      influx.fault = undefined;
    }
    expect(await store.count()).toBe(0);
    await store.write([r(T0, 1)]);
    expect(await store.count()).toBe(1);
    await store.close();
  });

  it('sends points refused for good (field-type conflict) back as refused, storing the rest, without retrying for ever', async () => {
    const store = await fresh();
    const db = `contract_${n - 1}`;
    // `value` becomes an integer field in the shard of T0's week: every float there now conflicts.
    const pre = await fetch(`${influx.v1Url}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: `reading,channel=x,instrument=OTHER,org=o,status=ok value=1i ${T0}`,
    });
    expect(pre.status).toBe(204);
    const later = T0 + 30 * 86_400_000; // another shard (7-day shard groups)
    const result = await store.write([r(T0 + 1000, 1), r(later, 2), r(T0 + 2000, 3), r(later + 1000, 4)]);
    expect(result?.refused.map((x) => x.reading.value).sort()).toEqual([1, 3]);
    expect(result?.refused[0]?.reason).toMatch(/field type conflict/);
    expect(await store.count('SC-0001')).toBe(2);
    await store.close();
  });

  it('counts a write refused because the server is down as not written, and writes once it is back', async () => {
    const store = await fresh({ retry: { attempts: 2, minMs: 10, maxMs: 20, maxRetryAfterMs: 1000 } });
    await influx.kill();
    try {
      await expect(store.write([r(T0, 1)])).rejects.toMatchObject({ code: 'E_STORE_UNAVAILABLE' });
    } finally {
      await influx.start();
    }
    await store.write([r(T0, 1)]);
    expect(await store.count()).toBe(1);
    await store.close();
  });
});
