import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { start as startBroker } from '../../broker/index.js';
import { type ReadingsBatch, loadProfiles, topics, validateGatewayStatus, type GatewayStatus } from '../../core/index.js';
import { start as startGateway, type GatewayOptions } from '../../gateway/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { freePort } from '../support/net.js';
import { activeResources, expectNoLeaks } from '../support/resources.js';
import { periods, waitFor } from '../support/wait.js';

const profiles = loadProfiles();
const POLL_MS = 50;
const PUBLISH_MS = 50;
/** mqtt.js tries to reconnect every second. */
const RECONNECT_MS = 1000;

describe('gateway while the broker is away (spool bound and drain)', () => {
  let sim: SimulatorHandle;
  let stateDir: string;
  let before: Map<string, number>;

  beforeEach(async () => {
    before = activeResources();
    sim = await startSimulator({ profile: profiles.get('air-station-tcp')!, seed: 9 });
    stateDir = await mkdtemp(join(tmpdir(), 'metronet-gw-'));
  });

  afterEach(async () => {
    await sim.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const config = (url: string, extra: Partial<GatewayOptions> = {}): GatewayOptions => ({
    id: 'gw-outage',
    org: 'org-test',
    mqtt: { url },
    publishMs: PUBLISH_MS,
    maxBatch: 1000,
    devices: [
      {
        name: 'station',
        instrument: 'AQ-9',
        profile: 'air-station-tcp',
        transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 300 },
        pollMs: POLL_MS,
      },
    ],
    profiles,
    stateDir,
    ...extra,
  });

  it('keeps a bounded buffer, counts what it drops, says why, and closes promptly', async () => {
    const lines: Array<{ msg: string; level: number }> = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const gw = await startGateway(config(`mqtt://127.0.0.1:${await freePort()}`, { maxBuffer: 30, logger }));
    await waitFor(() => gw.stats().dropped > 0, { message: 'dropped readings', timeout: periods(10, POLL_MS) });
    expect(gw.stats()).toMatchObject({ spoolFull: true, published: 0, batches: 0, connected: false });
    // 30 on disk, plus at most what was polled since the last flush (staged, not yet written).
    expect(gw.stats().buffered).toBeGreaterThanOrEqual(30);
    expect(gw.stats().buffered).toBeLessThan(30 + 40);
    expect(lines.some((l) => l.level === 40 && l.msg.startsWith('spool full: oldest readings are dropped'))).toBe(true);
    expect(lines.some((l) => l.level === 40 && l.msg.startsWith('MQTT broker not reachable'))).toBe(true);
    const t0 = Date.now();
    await gw.close();
    expect(Date.now() - t0).toBeLessThan(1500);
    await sim.close();
    await expectNoLeaks(before);
  });

  it('tells the broker in its retained status that the spool overflowed during the outage', async () => {
    const port = await freePort();
    const gw = await startGateway(config(`mqtt://127.0.0.1:${port}`, { maxBuffer: 30 }));
    await waitFor(() => gw.stats().dropped > 0, { message: 'dropped readings', timeout: periods(10, POLL_MS) });
    const broker = await startBroker({ host: '127.0.0.1', port });
    await waitFor(() => gw.stats().connected, { message: 'reconnection', timeout: periods(2, RECONNECT_MS) });
    const sub = await connectAsync(broker.url, { clientId: 'status-sub', reconnectPeriod: 0 });
    const statuses: GatewayStatus[] = [];
    sub.on('message', (_t, payload) => {
      const s = JSON.parse(payload.toString()) as unknown;
      if (validateGatewayStatus(s)) statuses.push(s);
    });
    await sub.subscribeAsync(topics.status('org-test', 'gw-outage'), { qos: 1 });
    await waitFor(() => statuses.some((s) => s.state === 'online' && s.spool !== undefined && s.spool.dropped > 0), {
      message: 'a status reporting the loss',
      timeout: periods(3, PUBLISH_MS),
    });
    const reported = statuses.find((s) => s.spool && s.spool.dropped > 0)!;
    expect(reported.spool!.dropped).toBeLessThanOrEqual(gw.stats().dropped);
    // Once drained, the flag clears and a fresh status says so; the loss count stays.
    await waitFor(() => statuses.some((s) => s.spool?.full === false && s.spool.dropped > 0), {
      message: 'a status with the flag cleared',
      timeout: periods(10, PUBLISH_MS),
    });
    await gw.close();
    await sub.endAsync();
    await broker.close();
    await sim.close();
    await expectNoLeaks(before);
  });

  it('delivers the readings buffered during the outage once the broker is there', async () => {
    const port = await freePort();
    const gw = await startGateway(config(`mqtt://127.0.0.1:${port}`));
    await waitFor(() => gw.stats().buffered >= 16, { message: 'buffered readings', timeout: periods(4, POLL_MS) });
    const brokerUp = Date.now();
    const broker = await startBroker({ host: '127.0.0.1', port });
    const sub = await connectAsync(broker.url, { clientId: 'outage-sub', reconnectPeriod: 0 });
    const batches: ReadingsBatch[] = [];
    sub.on('message', (_t, payload) => batches.push(JSON.parse(payload.toString()) as ReadingsBatch));
    await sub.subscribeAsync(topics.readings('org-test', 'gw-outage'), { qos: 1 });
    // mqtt.js retries every second; then the backlog goes out in order.
    await waitFor(() => batches.some((b) => b.readings.some((r) => r.ts > brokerUp + 100)), {
      message: 'live readings after the outage',
      timeout: periods(2, RECONNECT_MS + PUBLISH_MS),
    });
    const readings = batches.flatMap((b) => b.readings);
    expect(readings.filter((r) => r.ts < brokerUp).length).toBeGreaterThanOrEqual(16);
    expect(readings.map((r) => r.ts)).toEqual([...readings.map((r) => r.ts)].sort((a, b) => a - b));
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i)); // first batches ever in this state dir
    expect(gw.stats().dropped).toBe(0);
    await gw.close();
    await sub.endAsync();
    await broker.close();
    await sim.close();
    await expectNoLeaks(before);
  });
});
