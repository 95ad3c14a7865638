import { afterEach, describe, expect, it } from 'vitest';
import {
  NUMERIC_TYPES,
  decode,
  loadProfiles,
  registerCount,
  toEngineering,
  validateProfile,
  type Profile,
  type NumericType,
  type ProfilePoint,
} from '../../core/index.js';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../simulators/index.js';
import { activeResources, expectNoLeaks } from '../support/resources.js';
import { sleep } from '../support/wait.js';
import { closeClient, connectClient, type ModbusClient } from './support.js';

const profiles = loadProfiles();

/** A profile that exercises every word order, addressBase 1, 64-bit values and scale/offset. */
const orders: Profile = validateProfile(
  {
    id: 'word-orders',
    name: 'Word order test device',
    kind: 'other',
    modbus: { wordOrder: 'ABCD', addressBase: 1 },
    points: [
      { name: 'abcd', address: 1, type: 'float32', unit: 'kg' },
      { name: 'cdab', address: 3, type: 'float32', wordOrder: 'CDAB', unit: 'kg' },
      { name: 'badc', address: 5, type: 'float32', wordOrder: 'BADC', unit: 'kg' },
      { name: 'dcba', address: 7, type: 'float32', wordOrder: 'DCBA', unit: 'kg' },
      { name: 'wide', address: 9, type: 'float64', wordOrder: 'CDAB', unit: 'kg' },
      { name: 'temp', table: 'input', address: 1, type: 'int16', scale: 0.1, offset: -40, unit: 'Cel' },
    ],
  },
  'test:word-orders',
);

let sims: SimulatorHandle[] = [];
let clients: ModbusClient[] = [];

async function sim(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const s = await startSimulator(opts);
  sims.push(s);
  return s;
}

async function client(port: number, timeoutMs = 1000): Promise<ModbusClient> {
  const c = await connectClient(port, { timeoutMs });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.map(closeClient));
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
  clients = [];
});

const wire = (profile: Profile, p: ProfilePoint) => p.address! - (profile.modbus?.addressBase ?? 0);
const orderOf = (profile: Profile, p: ProfilePoint) => p.wordOrder ?? profile.modbus?.wordOrder ?? 'ABCD';
const typeOf = (p: ProfilePoint) => p.type as NumericType;
/** Profiles of register-only devices (the serial and bit-table profiles have their own tests). */
const numericOnly = (p: Profile) => p.modbus !== undefined && p.points.every((x) => (NUMERIC_TYPES as readonly string[]).includes(x.type ?? ''));

/** Reads one point with its own request and returns its engineering value. */
async function readPoint(c: ModbusClient, profile: Profile, p: ProfilePoint): Promise<number> {
  const len = registerCount(typeOf(p));
  const res = p.table === 'input' ? await c.readInputRegisters(wire(profile, p), len) : await c.readHoldingRegisters(wire(profile, p), len);
  return toEngineering(decode(res.data, typeOf(p), orderOf(profile, p)), p.scale ?? 1, p.offset ?? 0);
}

describe.each([...[...profiles.values()].filter(numericOnly), orders].map((p) => [p.id, p] as const))('simulator serving %s', (_id, profile) => {
  it('serves pinned values in the point type, word order, scale and address base', async () => {
    const s = await sim({ profile, seed: 7 });
    const c = await client(s.port);
    const pinned = new Map<string, number>();
    profile.points.forEach((p, i) => {
      // Values exact in float32, and whole multiples of the scale for integer registers.
      const value = typeOf(p).startsWith('float') ? 20.004 + i : (p.offset ?? 0) + (p.scale ?? 1) * (100 + i);
      s.setValue(p.name, value);
      pinned.set(p.name, value);
    });
    for (const p of profile.points) {
      const value = await readPoint(c, profile, p);
      const expected = p.type === 'float32' ? Math.fround(pinned.get(p.name)!) : pinned.get(p.name)!;
      expect(value, `${p.name} (${p.type} ${orderOf(profile, p)})`).toBeCloseTo(expected, 9);
    }
    expect(s.requests).toBe(profile.points.length);
  });

  it('serves simulated values within their hints', async () => {
    const s = await sim({ profile, seed: 11 });
    const c = await client(s.port);
    for (const p of profile.points.filter((q) => q.sim)) {
      const value = await readPoint(c, profile, p);
      const sim = p.sim!;
      if (sim.min !== undefined) expect(value).toBeGreaterThanOrEqual(sim.min - (p.scale ?? 1));
      if (sim.max !== undefined) expect(value).toBeLessThanOrEqual(sim.max + (p.scale ?? 1));
      const spread = 6 * (sim.noise ?? 0) + (sim.dailyAmplitude ?? 0) + (p.scale ?? 1) + 1e-3 * Math.abs(sim.value) + 1;
      expect(Math.abs(value - sim.value), p.name).toBeLessThan(spread);
    }
  });
});

describe('simulator behaviour', () => {
  it('answers a forced status register raw, e.g. station status 2 = device fault', async () => {
    const profile = profiles.get('air-station-tcp')!;
    const s = await sim({ profile });
    const c = await client(s.port);
    s.setStatus('status', 2);
    expect((await c.readInputRegisters(16, 1)).data).toEqual([2]);
    s.setStatus('status', null);
    expect((await c.readInputRegisters(16, 1)).data).toEqual([0]);
  });

  it('reads uncovered registers as 0 and answers exception 2 past the end of the map', async () => {
    const s = await sim({ profile: profiles.get('weighing-indicator-tcp')! });
    const c = await client(s.port);
    expect((await c.readHoldingRegisters(9, 4)).data).toEqual([0, 0, 0, 0]); // just past capacity (7–8)
    await expect(c.readHoldingRegisters(200, 2)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(c.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 2 }); // no input table
  });

  it('advances totalisers and applies drift with the injected clock', async () => {
    let now = Date.UTC(2026, 0, 1, 3);
    const clock = () => now;
    const profile = profiles.get('fuel-dispenser-2n-tcp')!;
    const s = await sim({ profile, clock, drift: { kind: 'linear', perDay: 2, channels: ['n1_unit_price'] } });
    const c = await client(s.port);
    const point = (name: string) => profile.points.find((p) => p.name === name)!;
    expect(await readPoint(c, profile, point('n1_totaliser'))).toBeCloseTo(125000, 2);
    now += 3600_000;
    expect(await readPoint(c, profile, point('n1_totaliser'))).toBeCloseTo(125000 + 0.35 * 3600, 2);
    now += 23 * 3600_000; // one day after start
    expect(await readPoint(c, profile, point('n1_unit_price'))).toBe(20832);
    expect(await readPoint(c, profile, point('n2_unit_price'))).toBe(19710); // not a drifting channel
  });

  it('applies a step drift to value points from its instant on', async () => {
    let now = 1_000_000;
    const profile = profiles.get('weighing-indicator-tcp')!;
    const s = await sim({ profile, clock: () => now, drift: { kind: 'step', at: 2_000_000, size: 0.5 }, seed: 3 });
    const c = await client(s.port);
    const gross = profile.points.find((p) => p.name === 'gross')!;
    const division = profile.points.find((p) => p.name === 'division')!;
    expect(await readPoint(c, profile, gross)).toBeCloseTo(20, 1);
    now = 2_000_000;
    expect(await readPoint(c, profile, gross)).toBeCloseTo(20.5, 1);
    expect(await readPoint(c, profile, division)).toBeCloseTo(0.005, 6); // parameters do not drift
  });

  it('serves the same values for the same seed and request sequence', async () => {
    const profile = profiles.get('air-station-tcp')!;
    const clock = () => Date.UTC(2026, 5, 1, 7);
    const [a, b] = [await sim({ profile, seed: 42, clock }), await sim({ profile, seed: 42, clock })];
    const [ca, cb] = [await client(a.port), await client(b.port)];
    for (let i = 0; i < 3; i++) expect((await ca.readInputRegisters(0, 17)).data).toEqual((await cb.readInputRegisters(0, 17)).data);
  });

  it('answers only its own unit id', async () => {
    const s = await sim({ profile: profiles.get('weighing-indicator-tcp')!, unitId: 5 });
    const c = await client(s.port, 300);
    await expect(c.readHoldingRegisters(0, 2)).rejects.toMatchObject({ name: 'TransactionTimedOutError' });
    c.setID(5);
    expect((await c.readHoldingRegisters(0, 2)).data).toHaveLength(2);
  });

  it('rejects an unknown point name, naming the profile points', async () => {
    const s = await sim({ profile: profiles.get('weighing-indicator-tcp')! });
    expect(() => s.setValue('nope', 1)).toThrow(/"nope" is not in profile weighing-indicator-tcp; points: gross, net/);
  });

  it('fails to start on a port in use, saying which', async () => {
    const a = await sim({ profile: orders });
    await expect(startSimulator({ profile: orders, port: a.port })).rejects.toMatchObject({ code: 'E_DEVICE_UNREACHABLE' });
  });
});

describe('simulator faults', () => {
  const profile = profiles.get('weighing-indicator-tcp')!;

  it('answers a Modbus exception, at start or set at run time, and recovers when cleared', async () => {
    const s = await sim({ profile, faults: { exception: { code: 6 } } });
    const c = await client(s.port);
    await expect(c.readHoldingRegisters(0, 4)).rejects.toMatchObject({ modbusCode: 6 });
    s.setFaults({ exception: { code: 4, rate: 1 } });
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 4 });
    s.setFaults({ exception: undefined });
    expect((await c.readHoldingRegisters(0, 4)).data).toHaveLength(4);
    expect(s.requests).toBe(3);
  });

  it('answers exceptions to about `rate` of the requests', async () => {
    const s = await sim({ profile, seed: 5, faults: { exception: { code: 6, rate: 0.5 } } });
    const c = await client(s.port);
    let failed = 0;
    for (let i = 0; i < 40; i++) await c.readHoldingRegisters(0, 2).catch(() => failed++);
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });

  it('stays silent, so the client times out, then answers again', async () => {
    const s = await sim({ profile, faults: { silent: true } });
    const c = await client(s.port, 200);
    await expect(c.readHoldingRegisters(0, 2)).rejects.toMatchObject({ name: 'TransactionTimedOutError', errno: 'ETIMEDOUT' });
    expect(s.requests).toBe(0);
    s.setFaults({ silent: false });
    expect((await c.readHoldingRegisters(0, 2)).data).toHaveLength(2);
  });

  it('answers late with delayMs', async () => {
    const s = await sim({ profile, faults: { delayMs: 150 } });
    const c = await client(s.port);
    const t0 = Date.now();
    await c.readHoldingRegisters(0, 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('drops connections on request', async () => {
    const s = await sim({ profile, faults: { dropConnections: true } });
    const c = await client(s.port, 300);
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    await expect(c.readHoldingRegisters(0, 2)).rejects.toBeDefined();
    await closed;
    expect(c.isOpen).toBe(false);
  });
});

describe('simulator close', () => {
  it('leaves no active handles, even with requests pending', async () => {
    const before = activeResources();
    const started = await Promise.all([...profiles.values()].map((profile) => startSimulator({ profile })));
    const byId = (id: string) => started.findIndex((s) => s.profile.id === id);
    const [scale, fuel, air] = [byId('weighing-indicator-tcp'), byId('fuel-dispenser-2n-tcp'), byId('air-station-tcp')] as [number, number, number];
    const cs = await Promise.all(started.map((s) => connectClient(s.port, { timeoutMs: 5000 })));
    expect((await cs[fuel]!.readHoldingRegisters(0, 20)).data).toHaveLength(20);
    started[scale]!.setFaults({ silent: true });
    started[air]!.setFaults({ delayMs: 10_000 });
    // Left unanswered on purpose: modbus-serial never settles a request whose socket is destroyed.
    void cs[scale]!.readHoldingRegisters(0, 2).catch(() => undefined);
    void cs[air]!.readInputRegisters(0, 2).catch(() => undefined);
    // Nothing to await: the handle counts answered requests only, so a short pause lets these two
    // arrive. Should they be late, close() runs with less pending and the test checks less; it cannot fail for it.
    await sleep(50);
    await Promise.all(started.map((s) => s.close()));
    await started[fuel]!.close(); // closing twice is harmless
    await Promise.all(cs.map(closeClient));
    await expectNoLeaks(before);
  });
});
