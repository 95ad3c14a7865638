import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BrokerHandle } from '../../broker/index.js';
import { loadProfiles, type GatewayDevice } from '../../core/index.js';
import { start as startGateway, type GatewayHandle } from '../../gateway/index.js';
import { startPtyPair, startRtuBus, type PtyPair, type RtuBusHandle } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';
import { memoryLogger } from '../support/log.js';
import { periods, waitFor } from '../support/wait.js';
import { broker, collect, type Collector } from './support.js';

const profiles = loadProfiles();
const POLL_MS = 100;
const PUBLISH_MS = 50;
const CYCLE_MS = POLL_MS + PUBLISH_MS;
/** Backoff of a dead device: at most this between tries. */
const BACKOFF_MAX_MS = 600;
/** Response timeout of a slave: short, so that the dead slave's tries are quick. */
const TIMEOUT_MS = 150;

/**
 * Modbus RTU over a real serial path: socat joins two pseudo-terminals, the RTU simulator (three
 * slaves' worth of bus, one of them missing) opens one end, the gateway the other.
 */
describe('Modbus RTU over a socat pty pair', () => {
  let pty: PtyPair;
  let bus: RtuBusHandle;
  let mqtt: BrokerHandle;
  let sub: Collector;
  let stateDir: string;
  let gw: GatewayHandle | undefined;

  beforeEach(async () => {
    pty = await startPtyPair();
    bus = await startRtuBus({
      path: pty.device,
      slaves: [
        { unitId: 1, profile: profiles.get('weighing-indicator-rtu')!, delayMs: 15 },
        { unitId: 2, profile: profiles.get('fuel-dispenser-rtu')! },
      ],
    });
    bus.setValue(1, 'gross', 20.004);
    bus.setValue(1, 'net', 19.504);
    mqtt = await broker();
    sub = await collect(mqtt.url);
    stateDir = await tempDir();
  });

  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await sub.close();
    await mqtt.close();
    await bus.close();
    await pty.close();
    await removeDir(stateDir);
  });

  const device = (name: string, instrument: string, profile: string, unitId: number, timeoutMs = TIMEOUT_MS): GatewayDevice => ({
    name,
    instrument,
    profile,
    transport: { kind: 'modbus-rtu', path: pty.host, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, unitId, timeoutMs },
    pollMs: POLL_MS,
  });

  const run = (devices: GatewayDevice[], logger = memoryLogger().logger) =>
    startGateway({
      id: 'gw-rtu',
      org: 'org-t',
      mqtt: { url: mqtt.url },
      publishMs: PUBLISH_MS,
      maxBatch: 500,
      devices,
      profiles,
      stateDir,
      logger,
      backoff: { initialMs: 300, maxMs: BACKOFF_MAX_MS },
    });

  it('reads every type of both RTU profiles, one transaction at a time on the bus, and skips a dead slave without slowing the others', async () => {
    gw = await run([
      device('indicator', 'SC-R1', 'weighing-indicator-rtu', 1),
      device('dispenser', 'FD-R1', 'fuel-dispenser-rtu', 2),
      device('ghost', 'SC-R9', 'weighing-indicator-rtu', 9), // nobody answers at address 9
    ]);
    await waitFor(() => sub.readings('SC-R1').length >= 10 && sub.readings('FD-R1').length >= 40, {
      message: 'readings of both live slaves',
      timeout: periods(10, CYCLE_MS),
    });
    const gross = sub.readings('SC-R1').filter((r) => r.channel === 'gross');
    expect(gross.every((r) => r.value === 20.004 && r.unit === 'kg' && r.status === 'ok')).toBe(true);
    const fd = new Map(sub.readings('FD-R1').map((r) => [r.channel, r.value]));
    expect(fd.get('n1_last_delivery')).toBe(20.125);
    expect(fd.get('n2_unit_price')).toBe(19850);
    expect(fd.get('n2_lifted')).toBe(1);
    expect(fd.get('n1_lifted')).toBe(0);
    expect(fd.get('pump_enabled')).toBe(1);
    expect(fd.get('n1_totaliser')).toBeGreaterThan(125000);
    // The line never overlaps two transactions of its own. The master moves on after timeoutMs,
    // so an answer that a busy machine delayed beyond that may overlap the next request: at most
    // one such overlap per failed poll of a live slave, and none when nothing failed.
    const live = gw.stats().devices.filter((d) => d.name !== 'ghost');
    expect(bus.collisions).toBeLessThanOrEqual(live.reduce((n, d) => n + d.failures, 0));
    const ghost = gw.stats().devices.find((d) => d.name === 'ghost')!;
    expect(ghost.state).toBe('backoff');
    expect(ghost.lastError).toMatch(/unit 9 did not answer within 150 ms/);
    expect(sub.readings('SC-R9')).toEqual([]);
    // Backoff keeps the dead slave to a few tries, so the live ones keep close to their cadence.
    expect(bus.requests.get(9) ?? 0).toBeLessThan(20);
  });

  it('retries busy, rejects garbage and CRC errors, publishes the good frames after them', async () => {
    const { logger, lines } = memoryLogger('debug');
    // No fault here waits out the response timeout, and every one must be seen as itself: an
    // answer that a busy machine delays beyond 150 ms (socat and both ends share the CPU) would
    // be a timeout instead of the busy, garbage or CRC fault it carries.
    gw = await run([device('indicator', 'SC-R1', 'weighing-indicator-rtu', 1, 2000)], logger);
    await waitFor(() => sub.readings('SC-R1').length >= 4, { message: 'first readings', timeout: periods(4, CYCLE_MS) });
    bus.setFaults(1, { busy: 2 });
    await waitFor(() => lines.some((l) => l.msg === 'device busy; retrying'), { message: 'busy retried', timeout: periods(3, POLL_MS) });
    // Each fault is for the next n requests to the slave: garbage answers three, then bad CRCs three.
    const asked = bus.requests.get(1) ?? 0;
    bus.setFaults(1, { garbage: 3 });
    await waitFor(() => (bus.requests.get(1) ?? 0) >= asked + 3, { message: 'three answers with garbage', timeout: periods(3, BACKOFF_MAX_MS + POLL_MS) });
    bus.setFaults(1, { crc: 3 });
    const before = sub.readings('SC-R1').length;
    // Asked of the log, not of lastError: that keeps only the latest failure, and on a busy
    // machine an answer late by more than timeoutMs may come after the CRC errors as a timeout.
    await waitFor(() => lines.some((l) => /CRC error/.test(String(l.reason ?? ''))), {
      message: 'a CRC error reported',
      timeout: periods(3, BACKOFF_MAX_MS + POLL_MS),
    });
    await waitFor(() => sub.readings('SC-R1').length >= before + 20, { message: 'readings after the faults', timeout: periods(10, BACKOFF_MAX_MS + CYCLE_MS) });
    const gross = sub.readings('SC-R1').filter((r) => r.channel === 'gross');
    expect(gross.every((r) => r.value === 20.004)).toBe(true); // nothing corrupted was published
  });

  it('reconnects by itself after the cable is pulled and plugged back', async () => {
    const log = memoryLogger('debug');
    gw = await run([device('dispenser', 'FD-R1', 'fuel-dispenser-rtu', 2)], log.logger);
    await waitFor(() => sub.readings('FD-R1').length >= 9, { message: 'first readings', timeout: periods(4, CYCLE_MS) });
    await bus.close();
    await pty.unplug();
    await waitFor(() => gw!.stats().devices[0]!.state === 'backoff', { message: 'the dispenser in backoff', timeout: periods(3, POLL_MS + 150) });
    await pty.plug();
    bus = await startRtuBus({ path: pty.device, slaves: [{ unitId: 2, profile: profiles.get('fuel-dispenser-rtu')! }] });
    const t = Date.now();
    await waitFor(() => sub.readings('FD-R1').some((r) => r.ts > t), {
      message: 'readings after replugging',
      timeout: periods(3, BACKOFF_MAX_MS + CYCLE_MS),
    }).catch((err: Error) => {
      throw new Error(`${err.message}; device ${JSON.stringify(gw!.stats().devices[0])}; log: ${JSON.stringify(log.lines.slice(-12))}`);
    });
    // A poll after those readings may still time out on a busy machine (a short backoff): wait for the state, do not sample it.
    await waitFor(() => gw!.stats().devices[0]!.state === 'ok', { message: 'the dispenser ok', timeout: periods(3, BACKOFF_MAX_MS + CYCLE_MS) });
  });
});
