import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { start as startBroker, type BrokerHandle } from '../../broker/index.js';
import {
  GatewayStatus,
  ReadingsBatch,
  compile,
  loadProfiles,
  parseTopic,
  topics,
  validateProfile,
  type GatewayDevice,
  type Reading,
} from '../../core/index.js';
import { start as startGateway, type GatewayHandle, type GatewayOptions } from '../../gateway/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { freePort } from '../support/net.js';
import { activeResources, expectNoLeaks } from '../support/resources.js';
import { periods, waitFor } from '../support/wait.js';

const profiles = loadProfiles();
const validBatch = compile(ReadingsBatch);
const validStatus = compile(GatewayStatus);
const ORG = 'org-test';
const GW = 'gw-test-01';
/** Poll and publish periods of the gateways below; waits are counted in them. */
const POLL_MS = 100;
const PUBLISH_MS = 100;
/** A reading's way from the device to the subscriber: one poll, one publish. */
const CYCLE_MS = POLL_MS + PUBLISH_MS;

/** Everything the gateway logged, parsed, so tests can check what an operator would read. */
function memoryLogger() {
  const lines: Array<Record<string, unknown> & { msg: string; level: number }> = [];
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => (raw.push(s), lines.push(JSON.parse(s))) });
  return { logger, lines, raw };
}

interface Subscriber {
  client: MqttClient;
  batches: ReadingsBatch[];
  statuses: GatewayStatus[];
  readings(instrument?: string): Reading[];
}

async function subscribe(url: string, filter = 'metronet/v1/#'): Promise<Subscriber> {
  const client = await connectAsync(url, { clientId: `test-sub-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 });
  const sub: Subscriber = {
    client,
    batches: [],
    statuses: [],
    readings: (instrument) => sub.batches.flatMap((b) => b.readings).filter((r) => !instrument || r.instrument === instrument),
  };
  client.on('message', (topic, payload) => {
    const parsed = parseTopic(topic);
    const json: unknown = JSON.parse(payload.toString());
    if (parsed?.kind === 'readings') {
      expect(validBatch(json), JSON.stringify(validBatch.issues(json))).toBe(true);
      sub.batches.push(json as ReadingsBatch);
    } else if (parsed?.kind === 'status') {
      expect(validStatus(json)).toBe(true);
      sub.statuses.push(json as GatewayStatus);
    }
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return sub;
}

/** The retained status a newcomer receives on subscribing. */
async function retainedStatus(url: string): Promise<GatewayStatus> {
  const sub = await subscribe(url, topics.status(ORG, GW));
  try {
    await waitFor(() => sub.statuses.length > 0, 'the retained status');
    return sub.statuses[0]!;
  } finally {
    await sub.client.endAsync();
  }
}

const device = (name: string, instrument: string, profile: string, port: number, extra: Partial<GatewayDevice> = {}): GatewayDevice => ({
  name,
  instrument,
  profile,
  transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 300 },
  pollMs: POLL_MS,
  ...extra,
});

describe('gateway against simulators and the embedded broker', () => {
  let broker: BrokerHandle;
  let scale: SimulatorHandle;
  let fuel: SimulatorHandle;
  let air: SimulatorHandle;
  let stateDir: string;
  const open: Array<{ close(): Promise<void> }> = [];

  const config = (extra: Partial<GatewayOptions> = {}): GatewayOptions => ({
    id: GW,
    org: ORG,
    mqtt: { url: broker.url, username: GW, password: 'hunter2-secret' },
    publishMs: PUBLISH_MS,
    maxBatch: 1000,
    devices: [
      device('scale-1', 'SC-0001', 'weighing-indicator-tcp', scale.port),
      device('pump-1', 'FD-0001', 'fuel-dispenser-2n-tcp', fuel.port),
      device('station-1', 'AQ-0001', 'air-station-tcp', air.port),
    ],
    profiles,
    stateDir,
    backoff: { initialMs: 100, maxMs: 400 },
    ...extra,
  });

  async function gateway(extra: Partial<GatewayOptions> = {}): Promise<GatewayHandle> {
    const gw = await startGateway(config(extra));
    open.push(gw);
    return gw;
  }

  async function subscriber(): Promise<Subscriber> {
    const sub = await subscribe(broker.url);
    open.push({ close: () => sub.client.endAsync() });
    return sub;
  }

  beforeAll(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
    scale = await startSimulator({ profile: profiles.get('weighing-indicator-tcp')!, seed: 1 });
    // On a port of its own (freePort): one test closes it and starts it again on the same port.
    fuel = await startSimulator({ profile: profiles.get('fuel-dispenser-2n-tcp')!, seed: 2, port: await freePort() });
    air = await startSimulator({ profile: profiles.get('air-station-tcp')!, seed: 3 });
    stateDir = await mkdtemp(join(tmpdir(), 'metronet-gw-'));
  });

  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    for (const s of [scale, fuel, air]) s.setFaults({ silent: false, exception: undefined });
    scale.setStatus('overload', null);
    air.setStatus('status', null);
  });

  afterAll(async () => {
    await Promise.all([scale, fuel, air].map((s) => s.close()));
    await broker.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('publishes valid readings batches with the profile channels, units and statuses', async () => {
    const sub = await subscriber();
    const log = memoryLogger();
    const gw = await gateway({ logger: log.logger });
    await waitFor(() => ['SC-0001', 'FD-0001', 'AQ-0001'].every((i) => sub.readings(i).length > 0), {
      message: 'readings from all devices',
      timeout: periods(3, CYCLE_MS),
    });

    const channels = (i: string) => [...new Set(sub.readings(i).map((r) => r.channel))].sort();
    expect(channels('SC-0001')).toEqual(['capacity', 'division', 'gross', 'net']);
    expect(channels('AQ-0001')).toEqual(['co', 'humidity', 'no2', 'o3', 'pm10', 'pm25', 'so2', 'temperature']);
    expect(channels('FD-0001')).toHaveLength(10);
    const one = (i: string, c: string) => sub.readings(i).find((r) => r.channel === c)!;
    expect(one('SC-0001', 'gross')).toMatchObject({ unit: 'kg', status: 'ok' });
    expect(one('SC-0001', 'capacity')).toMatchObject({ value: 30, unit: 'kg' });
    expect(one('AQ-0001', 'pm25')).toMatchObject({ unit: 'ug/m3', status: 'ok' });
    expect(one('FD-0001', 'n1_unit_price')).toMatchObject({ value: 20830, unit: 'VND/L' });
    expect(Math.abs(one('SC-0001', 'gross').ts - Date.now())).toBeLessThan(5000);

    // A status register turns into the reading status of the value channels.
    scale.setStatus('overload', 1);
    air.setStatus('status', 1);
    await waitFor(() => sub.readings('SC-0001').some((r) => r.channel === 'gross' && r.status === 'overload'), {
      message: 'overload status',
      timeout: periods(3, CYCLE_MS),
    });
    await waitFor(() => sub.readings('AQ-0001').some((r) => r.channel === 'pm25' && r.status === 'check'), {
      message: 'check status',
      timeout: periods(3, CYCLE_MS),
    });
    scale.setStatus('overload', null);
    air.setStatus('status', null);
    // Parameters were published once, at the first poll, and not again while unchanged.
    expect(sub.readings('SC-0001').filter((r) => r.channel === 'capacity')).toHaveLength(1);

    const online = await retainedStatus(broker.url);
    expect(online).toMatchObject({ v: 1, gateway: GW, state: 'online' });
    expect(online.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(online.instruments).toEqual([
      { instrument: 'SC-0001', profile: 'weighing-indicator-tcp' },
      { instrument: 'FD-0001', profile: 'fuel-dispenser-2n-tcp' },
      { instrument: 'AQ-0001', profile: 'air-station-tcp' },
    ]);

    const stats = gw.stats();
    expect(stats.devices.map((d) => [d.name, d.instrument, d.state])).toEqual([
      ['scale-1', 'SC-0001', 'ok'],
      ['pump-1', 'FD-0001', 'ok'],
      ['station-1', 'AQ-0001', 'ok'],
    ]);
    expect(stats.devices.every((d) => d.polls > 0 && d.failures === 0 && d.lastOk! > 0)).toBe(true);
    await gw.close();
    // close() flushed what was waiting; every batch arrived, numbered without a gap.
    const seqs = sub.batches.map((b) => b.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(sub.batches.every((b) => b.gateway === GW)).toBe(true);
    expect(gw.stats().published).toBe(sub.readings().length);
    expect(gw.stats()).toMatchObject({ batches: sub.batches.length, dropped: 0, buffered: 0, seq: seqs.at(-1) });

    const offline = await retainedStatus(broker.url);
    expect(offline).toMatchObject({ v: 1, gateway: GW, state: 'offline' });

    // The plan is logged at start; the password never reaches the log.
    const plan = log.lines.find((l) => l.msg === 'device request plan' && l.device === 'station-1');
    expect(plan?.requests).toEqual([
      { table: 'input', fc: 4, start: 0, length: 17, points: ['pm25', 'pm10', 'so2', 'no2', 'co', 'o3', 'temperature', 'humidity', 'status'] },
    ]);
    expect(log.raw.join('')).not.toContain('hunter2-secret');
  });

  it('continues the batch counter after a restart with the same state dir', async () => {
    const sub = await subscriber();
    const first = await gateway();
    await waitFor(() => sub.batches.length >= 2, { message: 'two batches', timeout: periods(4, CYCLE_MS) });
    await first.close();
    const last = first.stats().seq;
    expect((await readFile(join(stateDir, `${GW}.seq`), 'utf8')).trim()).toBe(String(last));
    const before = sub.batches.length;
    const second = await gateway();
    await waitFor(() => sub.batches.length > before, { message: 'a batch after restart', timeout: periods(3, CYCLE_MS) });
    expect(sub.batches[before]!.seq).toBe(last + 1);
    await second.close();
  });

  it('keeps polling the other devices while one is silent, and recovers when it answers', async () => {
    const sub = await subscriber();
    const log = memoryLogger();
    const gw = await gateway({ logger: log.logger });
    await waitFor(() => sub.readings('SC-0001').length > 0, { message: 'scale readings', timeout: periods(3, CYCLE_MS) });
    scale.setFaults({ silent: true });
    await waitFor(() => gw.stats().devices[0]!.state === 'backoff', { message: 'scale in backoff', timeout: periods(3, POLL_MS + 300) });
    // The scale's last answer (a reading is stamped when its request is answered): nothing after it,
    // while the other two keep their cadence — awaited as 20 readings of each since then.
    const lastOk = gw.stats().devices[0]!.lastOk!;
    const since = (i: string) => sub.readings(i).filter((r) => r.ts > lastOk);
    await waitFor(() => since('FD-0001').length > 20 && since('AQ-0001').length > 20, {
      message: 'the other devices to keep reporting',
      timeout: periods(8, CYCLE_MS),
    });
    expect(gw.stats().devices[0]!.lastOk).toBe(lastOk);
    expect(since('SC-0001')).toEqual([]);
    const scaleStats = gw.stats().devices[0]!;
    expect(scaleStats).toMatchObject({ name: 'scale-1', state: 'backoff' });
    expect(scaleStats.lastError).toMatch(/did not answer within 300 ms/);
    expect(
      gw
        .stats()
        .devices.slice(1)
        .map((d) => d.state),
    ).toEqual(['ok', 'ok']);
    const warn = log.lines.find((l) => l.level === 40 && l.device === 'scale-1');
    expect(warn).toMatchObject({ instrument: 'SC-0001', code: 'E_DEVICE_TIMEOUT' });
    expect(String(warn?.reason)).toMatch(/127\.0\.0\.1:\d+ unit 1 did not answer/);

    scale.setFaults({ silent: false });
    const back = Date.now();
    await waitFor(() => sub.readings('SC-0001').some((r) => r.ts > back), { message: 'scale readings again', timeout: periods(3, 400 + CYCLE_MS) }); // backoff maxMs 400
    await waitFor(() => gw.stats().devices[0]!.state === 'ok', { message: 'scale ok', timeout: periods(2, POLL_MS) });
    expect(log.lines.some((l) => l.msg === 'device answering again' && l.device === 'scale-1')).toBe(true);
  });

  it('reports a closed device as unreachable and reconnects when it is back', async () => {
    const sub = await subscriber();
    const gw = await gateway();
    await waitFor(() => sub.readings('FD-0001').length > 0, { message: 'fuel readings', timeout: periods(3, CYCLE_MS) });
    const port = fuel.port;
    await fuel.close();
    await waitFor(() => gw.stats().devices[1]!.state === 'backoff', { message: 'fuel in backoff', timeout: periods(3, POLL_MS) });
    expect(gw.stats().devices[1]!.lastError).toMatch(/ECONNREFUSED|closed the connection/);
    const n = sub.readings('AQ-0001').length;
    await waitFor(() => sub.readings('AQ-0001').length > n + 10, { message: 'station readings meanwhile', timeout: periods(4, CYCLE_MS) });
    fuel = await startSimulator({ profile: profiles.get('fuel-dispenser-2n-tcp')!, seed: 2, port });
    const back = Date.now();
    await waitFor(() => sub.readings('FD-0001').some((r) => r.ts > back), { message: 'fuel readings again', timeout: periods(3, 400 + CYCLE_MS) }); // backoff maxMs 400
  });

  it('loses only the points of a request the device refuses, and names the exception', async () => {
    // The gateway's profile has one point more than the simulated device serves.
    const base = profiles.get('weighing-indicator-tcp')!;
    const extended = validateProfile(
      { ...base, id: 'weighing-indicator-ext', points: [...base.points, { name: 'tare', address: 400, type: 'float32', unit: 'kg' }] },
      'test:weighing-indicator-ext',
    );
    const sub = await subscriber();
    const gw = await gateway({
      profiles: new Map([...profiles, [extended.id, extended]]),
      devices: [device('scale-1', 'SC-0001', extended.id, scale.port)],
    });
    await waitFor(() => sub.readings('SC-0001').filter((r) => r.channel === 'gross').length >= 5, { message: 'gross readings', timeout: periods(6, CYCLE_MS) });
    expect(sub.readings('SC-0001').some((r) => r.channel === 'tare')).toBe(false);
    const st = gw.stats().devices[0]!;
    expect(st.state).toBe('failing');
    expect(st.lastError).toMatch(/exception 2 ILLEGAL DATA ADDRESS to FC3 start 400 length 2/);
  });

  it('refuses a bad configuration, naming the field', async () => {
    await expect(startGateway({ ...config(), devices: [device('x', 'X-1', 'no-such-profile', 1)] })).rejects.toMatchObject({
      code: 'E_PROFILE_UNKNOWN',
      message: expect.stringContaining('devices[0].profile'),
    });
    const dup = config().devices.map((d) => ({ ...d, instrument: 'SAME' }));
    await expect(startGateway({ ...config(), devices: dup })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('devices[1].instrument "SAME" is already used by devices[0]'),
    });
    await expect(startGateway({ ...config(), mqtt: { url: broker.url, password: 'x' } })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('mqtt.password is set but mqtt.username is not'),
    });
    await expect(startGateway({ ...config(), publishMs: 1 })).rejects.toMatchObject({
      code: 'E_CONFIG_INVALID',
      message: expect.stringContaining('publishMs'),
    });
  });
});

describe('gateway shutdown', () => {
  it('leaves no handles once gateway, simulators, broker and subscriber are closed', async () => {
    const before = activeResources();
    const stateDir = await mkdtemp(join(tmpdir(), 'metronet-gw-'));
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    // Every Modbus profile on its TCP simulator (serial profiles have their own tests over ptys).
    const sims = await Promise.all([...profiles.values()].filter((p) => p.modbus).map((profile) => startSimulator({ profile })));
    const sub = await subscribe(broker.url);
    const gw = await startGateway({
      id: GW,
      org: ORG,
      mqtt: { url: broker.url },
      publishMs: PUBLISH_MS,
      maxBatch: 1000,
      devices: sims.map((s, i) => device(`dev-${i}`, `INST-${i}`, s.profile.id, s.port)),
      profiles,
      stateDir,
    });
    await waitFor(() => sub.batches.length > 0, { message: 'a batch', timeout: periods(3, CYCLE_MS) });
    // A request left hanging must not keep anything open: wait until a poll has started after the
    // device went silent (polls count at their start, and the request goes out at once).
    const polls = gw.stats().devices[0]!.polls;
    sims[0]!.setFaults({ silent: true });
    await waitFor(() => gw.stats().devices[0]!.polls > polls, { message: 'a poll of the silent device', timeout: periods(2, POLL_MS) });
    await gw.close();
    await sub.client.endAsync();
    await Promise.all(sims.map((s) => s.close()));
    await broker.close();
    await rm(stateDir, { recursive: true, force: true });
    await expectNoLeaks(before);
  });
});
