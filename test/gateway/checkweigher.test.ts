import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerHandle } from '../../broker/index.js';
import { loadProfiles, validateProfile, type Profile, type Reading } from '../../core/index.js';
import { start as startGateway, type GatewayHandle, type GatewayOptions } from '../../gateway/index.js';
import { gatewayMetrics } from '../../gateway/metrics.js';
import { startCheckweigher, type CheckweigherHandle, type PackageRecord } from '../../simulators/index.js';
import { periods, waitFor } from '../support/wait.js';
import { broker as startBroker, collect, type Collector } from './support.js';

const shipped = loadProfiles();
const PROFILE = shipped.get('checkweigher-tcp')!;
/** The same line controller with a 16-bit counter and no head register: record s is in slot s mod 64. */
const NO_HEAD: Profile = (() => {
  const p = structuredClone(PROFILE) as Profile & { records: NonNullable<Profile['records']> };
  p.id = 'checkweigher-u16-tcp';
  p.records = { ...p.records, latest: { address: 100, type: 'uint16' }, slots: 64 };
  delete p.records.head;
  p.records.fields = p.records.fields.map((f) => (f.role === 'sequence' ? { ...f, type: 'uint16' as const } : f));
  // The 16-bit sequence leaves register 1 of the record unused.
  return validateProfile(p, 'checkweigher-u16-tcp.yaml');
})();
const profiles = new Map([...shipped, [NO_HEAD.id, NO_HEAD]]);

const ORG = 'org-line';
const GW = 'gw-line-01';
const POLL_MS = 400;
const PUBLISH_MS = 100;
const INSTRUMENT = 'CW-0001';
const RECORD_CHANNELS = ['lot', 'net', 'product', 'reject'];

function memoryLogger() {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  return { logger: pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) }), lines };
}

/** The published readings of each package, keyed by record time. */
function packagesOf(readings: Reading[]): Map<number, Record<string, Reading[]>> {
  const out = new Map<number, Record<string, Reading[]>>();
  for (const r of readings) {
    if (!RECORD_CHANNELS.includes(r.channel)) continue;
    const p = out.get(r.ts) ?? {};
    (p[r.channel] ??= []).push(r);
    out.set(r.ts, p);
  }
  return out;
}

/** Every package of `made` published exactly once per channel, with its own time and values. */
function expectEachOnce(readings: Reading[], made: readonly PackageRecord[]): void {
  const published = packagesOf(readings);
  expect([...published.keys()].sort((a, b) => a - b)).toEqual(made.map((p) => p.ts));
  for (const p of made) {
    const got = published.get(p.ts)!;
    expect(Object.keys(got).sort()).toEqual(RECORD_CHANNELS);
    for (const [channel, list] of Object.entries(got)) expect(list, `${channel} of package ${p.sequence}`).toHaveLength(1);
    expect({ net: got.net![0]!.value, product: got.product![0]!.value, lot: got.lot![0]!.value, reject: got.reject![0]!.value }).toEqual({
      net: p.net,
      product: p.product,
      lot: p.lot,
      reject: p.reject,
    });
    expect(got.net![0]).toMatchObject({ instrument: INSTRUMENT, unit: 'g', status: 'ok' });
  }
}

describe('checkweigher records: one reading set per package', () => {
  let broker: BrokerHandle;
  let stateDir: string;
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    broker = await startBroker();
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await broker.close();
  });

  async function line(opts: Parameters<typeof startCheckweigher>[0]): Promise<CheckweigherHandle> {
    const sim = await startCheckweigher(opts);
    open.push(sim);
    return sim;
  }

  async function subscriber(): Promise<Collector> {
    const sub = await collect(broker.url);
    open.push(sub);
    return sub;
  }

  async function gateway(sim: CheckweigherHandle, extra: Partial<GatewayOptions> = {}): Promise<GatewayHandle> {
    const gw = await startGateway({
      id: GW,
      org: ORG,
      mqtt: { url: broker.url },
      publishMs: PUBLISH_MS,
      maxBatch: 1000,
      // Acknowledged readings sent again after a reconnect would only add copies here.
      spool: { flushMs: 50, replayMs: 0 } as GatewayOptions['spool'],
      devices: [
        {
          name: 'checkweigher-1',
          instrument: INSTRUMENT,
          profile: sim.profile.id,
          transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 },
          pollMs: POLL_MS,
        },
      ],
      profiles,
      stateDir,
      backoff: { initialMs: 100, maxMs: 400 },
      ...extra,
    });
    open.push(gw);
    return gw;
  }

  const recordStats = (gw: GatewayHandle) => gw.stats().devices[0]!.records!;
  const net = (sub: Collector) => sub.readings(INSTRUMENT).filter((r) => r.channel === 'net');

  it('at 300 packages/min publishes every package once, with its own time and values, across a gateway restart', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'metronet-cw-'));
    const sim = await line({ profile: PROFILE, seed: 7, line: { speed: 300, mean: 502, spread: 2, lot: 40, lotSize: 7, rejectBelow: 500 } });
    const sub = await subscriber();
    const first = await gateway(sim);
    await waitFor(() => net(sub).length >= 10, { message: '10 packages published', timeout: periods(10, POLL_MS) });
    await first.close();
    open.splice(open.indexOf(first), 1);
    const beforeRestart = sim.made.length;
    // The line goes on while no gateway reads it; the 50-record ring holds 10 s of it.
    await waitFor(() => sim.made.length >= beforeRestart + 5, { message: 'packages made while the gateway is away', timeout: periods(20, 200) });
    const second = await gateway(sim);
    await waitFor(() => sim.made.length >= beforeRestart + 15, { message: 'more packages', timeout: periods(30, 200) });
    sim.setLine({ speed: 0 });
    const made = [...sim.made];
    await waitFor(() => net(sub).length >= made.length, { message: `all ${made.length} packages published`, timeout: periods(10, POLL_MS) });
    await waitFor(() => recordStats(second).lastRecord === made.at(-1)!.sequence, 'the last record read');

    expectEachOnce(sub.readings(INSTRUMENT), made);
    // 5 packages a second, 200 ms apart on the device clock; the lot changes every 7 packages.
    expect(made[1]!.ts - made[0]!.ts).toBe(200);
    expect(made.slice(0, 15).map((p) => p.lot)).toEqual([40, 40, 40, 40, 40, 40, 40, 41, 41, 41, 41, 41, 41, 41, 42]);
    expect(made.some((p) => p.reject === 1) && made.some((p) => p.reject === 0)).toBe(true);
    expect(recordStats(second).recordGaps).toBe(0);
    // The nominal quantity and speed are ordinary parameter points, published besides the records.
    expect(sub.readings(INSTRUMENT).find((r) => r.channel === 'target')).toMatchObject({ value: 500, unit: 'g' });
  });

  it('counts the records overwritten while the gateway was away as a gap with its reason, and a metric', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'metronet-cw-'));
    const sim = await line({ profile: PROFILE, seed: 8, line: { speed: 600 } });
    const sub = await subscriber();
    const first = await gateway(sim);
    await waitFor(() => net(sub).length >= 5 && recordStats(first).lastRecord !== undefined, { message: 'first packages', timeout: periods(10, POLL_MS) });
    await first.close();
    open.splice(open.indexOf(first), 1);
    const cursor = sim.made.findIndex((p) => p.sequence === recordStats(first).lastRecord);
    expect(cursor).toBeGreaterThanOrEqual(0);
    // 50 slots: anything beyond 50 packages after the cursor is overwritten before anyone reads it.
    sim.setLine({ speed: 6000 });
    await waitFor(() => sim.made.length >= cursor + 1 + 50 + 30, { message: '80 packages after the cursor', timeout: periods(100, 10) });
    sim.setLine({ speed: 0 });
    const made = [...sim.made];
    const lost = made.length - (cursor + 1) - 50;

    const log = memoryLogger();
    const second = await gateway(sim, { logger: log.logger });
    const metrics = gatewayMetrics();
    metrics.add(GW, second);
    await waitFor(() => recordStats(second).lastRecord === made.at(-1)!.sequence, { message: 'the last record read', timeout: periods(10, POLL_MS) });
    await waitFor(() => net(sub).length >= made.length - lost, { message: 'the packages the ring still held', timeout: periods(10, POLL_MS) });

    expect(recordStats(second).recordGaps).toBe(lost);
    const gap = log.lines.find((l) => l.msg === 'device records lost')!;
    expect(gap).toMatchObject({ lost, from: made[cursor + 1]!.sequence, to: made[cursor + lost]!.sequence, device: 'checkweigher-1' });
    expect(gap.reason).toMatch(/overwritten: the device holds 50 records and made \d+ since the last read/);
    const kept = made.filter((_, i) => i <= cursor || i > cursor + lost);
    expectEachOnce(sub.readings(INSTRUMENT), kept);
    expect(await metrics.registry.metrics()).toContain(`metronet_gateway_record_gaps_total{gateway="${GW}",device="checkweigher-1"} ${lost}`);
  });

  for (const [profile, counter, start] of [
    [PROFILE, 'a 32-bit counter and a head register', 2 ** 32 - 12],
    [NO_HEAD, 'a 16-bit counter and slot = sequence mod 64', 2 ** 16 - 12],
  ] as const) {
    it(`reads across the wrap of ${counter}`, async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'metronet-cw-'));
      const sim = await line({ profile, seed: 9, firstSequence: start, line: { speed: 600 } });
      const sub = await subscriber();
      const gw = await gateway(sim);
      await waitFor(() => sim.made.length >= 30, { message: '30 packages', timeout: periods(30, 100) });
      sim.setLine({ speed: 0 });
      const made = [...sim.made];
      expect(made.map((p) => p.sequence)).toContain(0);
      expect(made[0]!.sequence).toBe(start);
      await waitFor(() => recordStats(gw).lastRecord === made.at(-1)!.sequence, { message: 'the last record read', timeout: periods(10, POLL_MS) });
      await waitFor(() => net(sub).length >= made.length, { message: 'every package', timeout: periods(5, POLL_MS) });
      expectEachOnce(sub.readings(INSTRUMENT), made);
      expect(recordStats(gw)).toMatchObject({ records: made.length, recordGaps: 0, recordCounterResets: 0 });
    });
  }
});
