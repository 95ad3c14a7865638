import type { Server, AddressInfo } from 'node:net';
import ModbusSerial, { type IServiceVector } from 'modbus-serial';
import { MetronetError, silentLogger, type Logger, type Profile } from '../core/index.js';
import { gaussian, mulberry32 } from './random.js';
import { inRange, mapRegisters, readRegisters, type MappedPoint, type Table } from './registers.js';
import { quantise, simulatedValue, withPointSims, type DriftConfig, type PointSim, type ValueContext } from './values.js';

/** Scriptable device faults (STYLE.md 11): what a flaky field device does to its gateway. */
export interface FaultConfig {
  /** Answer a Modbus exception (e.g. 6 SLAVE DEVICE BUSY) to a share `rate` of requests (default 1 = all). */
  exception?: { code: number; rate?: number };
  /** Answer every request this much later (slow device, congested radio link). */
  delayMs?: number;
  /** Never answer: the client times out while the TCP connection stays up. */
  silent?: boolean;
  /** Reset every connection when a request arrives (device reboot, flaky serial-to-TCP converter). */
  dropConnections?: boolean;
}

export interface SimulatorOptions {
  profile: Profile;
  /** Listen address; loopback by default. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one, reported in the handle. */
  port?: number;
  /** Modbus unit id the device answers to; requests for other units go unanswered, as on a bus. */
  unitId?: number;
  /** Seed of the noise and fault generators; same seed, same request sequence → same values. */
  seed?: number;
  drift?: DriftConfig;
  /** Per-point changes to the profile's simulation hints for this device, and the step its values show in (values.ts). */
  points?: Record<string, PointSim>;
  faults?: FaultConfig;
  /** Epoch-ms clock; tests may move time to exercise drift and totalisers. */
  clock?: () => number;
  logger?: Logger;
}

export interface SimulatorHandle {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly profile: Profile;
  /** Requests answered so far, with data or an exception. */
  readonly requests: number;
  readonly faults: Readonly<FaultConfig>;
  /** Merges faults into the current ones; pass a key as undefined to clear it. */
  setFaults(faults: Partial<FaultConfig>): void;
  /** Forces a point's raw register value (e.g. station status 2 = fault); null releases it. */
  setStatus(point: string, raw: number | null): void;
  /** Pins a point to an engineering value, without noise or drift; null releases it. */
  setValue(point: string, value: number | null): void;
  /** Closes the server and every connection; nothing stays open afterwards. */
  close(): Promise<void>;
}

type RegistersCallback = (err: Error | null, values: number[]) => void;

/** Modbus exception codes (Modbus Application Protocol V1.1b3 §7). */
const ILLEGAL_DATA_ADDRESS = 2;

/** Starts a Modbus TCP device that serves a profile's register map with simulated values. */
export async function startSimulator(opts: SimulatorOptions): Promise<SimulatorHandle> {
  const profile = withPointSims(opts.profile, opts.points);
  const steps = new Map(Object.entries(opts.points ?? {}).flatMap(([name, o]) => (o.step ? [[name, o.step] as const] : [])));
  const host = opts.host ?? '127.0.0.1';
  const unitId = opts.unitId ?? 1;
  const clock = opts.clock ?? Date.now;
  const log = (opts.logger ?? silentLogger).child({ svc: 'simulator', profile: profile.id });
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  // Faults draw from their own generator so that injecting them leaves the value sequence unchanged.
  const faultRandom = mulberry32(seed ^ 0x5bd1e995);
  const ctx: ValueContext = { t0: clock(), normal: gaussian(mulberry32(seed)), ...(opts.drift ? { drift: opts.drift } : {}) };
  const map = mapRegisters(profile);
  const pinnedValues = new Map<string, number>();
  const pinnedRaw = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let faults: FaultConfig = { ...opts.faults };
  let requests = 0;
  let closed = false;

  const registersOf = (p: MappedPoint): number[] => {
    const raw = pinnedRaw.get(p.point.name);
    if (raw !== undefined) return p.rawToRegisters(raw);
    const pinned = pinnedValues.get(p.point.name);
    if (pinned !== undefined) return p.toRegisters(pinned);
    const v = simulatedValue(p.point, clock(), ctx);
    const step = steps.get(p.point.name);
    return p.toRegisters(step ? quantise(v, step) : v);
  };

  const exception = (code: number) => Object.assign(new Error(`Modbus exception ${code}`), { modbusErrorCode: code });

  const answer = (table: Table, start: number, length: number, cb: RegistersCallback) => {
    if (closed) return;
    requests++;
    const fault = faults.exception;
    if (fault && faultRandom() < (fault.rate ?? 1)) return cb(exception(fault.code), []);
    if (!inRange(map, table, start, length)) return cb(exception(ILLEGAL_DATA_ADDRESS), []);
    cb(null, readRegisters(map, table, start, length, registersOf));
  };

  const serve = (table: Table, start: number, length: number, cb: RegistersCallback) => {
    if (closed || faults.silent) return; // a silent device never calls back: the client must time out
    if (faults.dropConnections) {
      for (const sock of server.socks.keys()) sock.destroy();
      return;
    }
    const delay = faults.delayMs ?? 0;
    if (delay <= 0) return answer(table, start, length, cb);
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer(table, start, length, cb);
    }, delay);
    timers.add(timer);
  };

  // Callback forms: modbus-serial picks them by arity (3 or 4 parameters), so keep the parameters.
  const vector: IServiceVector = {
    getHoldingRegister: (addr: number, _unit: number, cb: (err: Error | null, value: number) => void) =>
      serve('holding', addr, 1, (err, regs) => cb(err, regs[0] ?? 0)),
    getInputRegister: (addr: number, _unit: number, cb: (err: Error | null, value: number) => void) =>
      serve('input', addr, 1, (err, regs) => cb(err, regs[0] ?? 0)),
    getCoil: (addr: number, _unit: number, cb: (err: Error | null, value: boolean) => void) => serve('coil', addr, 1, (err, regs) => cb(err, Boolean(regs[0]))),
    getDiscreteInput: (addr: number, _unit: number, cb: (err: Error | null, value: boolean) => void) =>
      serve('discrete', addr, 1, (err, regs) => cb(err, Boolean(regs[0]))),
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: RegistersCallback) => serve('holding', addr, length, cb),
    getMultipleInputRegisters: (addr: number, length: number, _unit: number, cb: RegistersCallback) => serve('input', addr, length, cb),
  };

  // ServerTCP reads `options.port || 502`, so a numeric 0 would mean 502; net.listen accepts the
  // string '0' as "any free port". It also treats unitID 0 as 255 (answer every unit).
  const server = new ModbusSerial.ServerTCP(vector, { host, port: (opts.port ?? 0) === 0 ? ('0' as unknown as number) : opts.port!, unitID: unitId });
  const net = (server as unknown as { _server: Server })._server;
  server.on('socketError', (err) => log.debug({ err: err?.message }, 'simulator socket error'));
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', (err) => {
      closed = true;
      server.close(() => undefined);
      reject(
        new MetronetError('E_DEVICE_UNREACHABLE', `simulator for ${profile.id} cannot listen on ${host}:${opts.port ?? 0}: ${err?.message ?? 'unknown error'}`),
      );
    });
  });
  const port = (net.address() as AddressInfo).port;
  log.info({ host, port, unitId, seed, faults }, 'device simulator listening');

  const mapped = (name: string): MappedPoint => {
    const p = map.byName.get(name);
    if (!p) throw new MetronetError('E_BAD_REQUEST', `point "${name}" is not in profile ${profile.id}; points: ${[...map.byName.keys()].join(', ')}`);
    return p;
  };
  const pin = (pins: Map<string, number>, name: string, value: number | null) => {
    mapped(name);
    if (value === null) pins.delete(name);
    else pins.set(name, value);
  };

  return {
    host,
    port,
    unitId,
    profile,
    get requests() {
      return requests;
    },
    get faults() {
      return { ...faults };
    },
    setFaults(partial) {
      faults = { ...faults, ...partial };
      log.info({ port, faults }, 'simulator faults changed');
    },
    setStatus: (name, raw) => pin(pinnedRaw, name, raw),
    setValue: (name, value) => pin(pinnedValues, name, value),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // ServerTCP.close destroys the open sockets; wait until each has really closed so that
      // callers (and handle-leak tests) see nothing left behind.
      const sockets = [...server.socks.keys()];
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(sockets.map((s) => (s.closed ? undefined : new Promise((r) => s.once('close', r)))));
    },
  };
}
