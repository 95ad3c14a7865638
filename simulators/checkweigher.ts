import type { AddressInfo, Server } from 'node:net';
import ModbusSerial, { type IServiceVector } from 'modbus-serial';
import {
  MetronetError,
  counterModulus,
  encode,
  fromEngineering,
  registerCount,
  silentLogger,
  type Logger,
  type Profile,
  type RecordField,
  type WordOrder,
} from '../core/index.js';
import { gaussian, mulberry32 } from './random.js';
import { mapRegisters } from './registers.js';
import { quantise } from './values.js';

/** What the filling line in front of the checkweigher does; every part can change at run time. */
export interface CheckweigherLine {
  /** Packages per minute; 0 stops the line. */
  speed: number;
  /** Mean net mass of a package, in the unit of the profile's mass field (g). */
  mean: number;
  /** Standard deviation of the net mass (filler repeatability). */
  spread: number;
  /** Change of the mean per hour (a filler drifting off its setting). */
  driftPerHour: number;
  product: number;
  /** Lot number of the current lot; the next lot is numbered one higher. */
  lot: number;
  /** Packages per lot: the lot number changes every lotSize packages. */
  lotSize: number;
  /** A package lighter than this is rejected (reject = 1); undefined: none is. */
  rejectBelow?: number;
}

/** One package as the device recorded it, with the values the gateway decodes. */
export interface PackageRecord {
  sequence: number;
  ts: number;
  net: number;
  product: number;
  lot: number;
  reject: number;
}

export interface CheckweigherOptions {
  /** A profile with a `records` block; fields say which line quantity they carry (`sim`). */
  profile: Profile;
  host?: string;
  /** 0 (default): a free port, reported in the handle. */
  port?: number;
  unitId?: number;
  seed?: number;
  line?: Partial<CheckweigherLine>;
  /** Sequence number of the first package (default 1); start near 2^32 to see the counter wrap. */
  firstSequence?: number;
  /** Epoch-ms clock of the device (record times). */
  clock?: () => number;
  logger?: Logger;
}

export interface CheckweigherHandle {
  readonly host: string;
  readonly port: number;
  readonly unitId: number;
  readonly profile: Profile;
  /** Every package made since start (the last 100 000), oldest first. */
  readonly made: readonly PackageRecord[];
  readonly line: Readonly<CheckweigherLine>;
  /** Changes the line from now on: a new mean restarts the drift from it. */
  setLine(change: Partial<CheckweigherLine>): void;
  close(): Promise<void>;
}

const DEFAULT_LINE: CheckweigherLine = { speed: 300, mean: 502, spread: 1.5, driftPerHour: 0, product: 1, lot: 1, lotSize: 1000 };
const HOUR_MS = 3_600_000;
const KEEP = 100_000;
/** Exception 2 ILLEGAL DATA ADDRESS (Modbus Application Protocol V1.1b3 §7). */
const ILLEGAL_DATA_ADDRESS = 2;

/**
 * A checkweigher on a filling line, as a Modbus TCP server serving the profile's register map:
 * its points (with their `sim` values) and its records block — a ring of the last `slots`
 * package records, the latest record's sequence number and, when the profile has one, the head
 * slot. Packages are made at `speed` per minute on the device clock, each with its own time; a
 * record is written before the sequence and head registers move, as a device must for a reader
 * to trust them. The mass is mean + driftPerHour·hours + spread·z (z standard normal, seeded),
 * quantised to the mass field's scale.
 */
export async function startCheckweigher(opts: CheckweigherOptions): Promise<CheckweigherHandle> {
  const { profile } = opts;
  const spec = profile.records;
  if (!spec) throw new MetronetError('E_BAD_REQUEST', `profile ${profile.id} has no records block: a checkweigher serves records`);
  const base = profile.modbus?.addressBase ?? 0;
  const order: WordOrder = profile.modbus?.wordOrder ?? 'ABCD';
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  const unitId = opts.unitId ?? 1;
  const log = (opts.logger ?? silentLogger).child({ svc: 'simulator', profile: profile.id });
  const normal = gaussian(mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32)));
  const modulus = counterModulus(spec.latest.type);
  const recordTable = spec.table ?? 'holding';

  // The register image, per table.
  const tables = new Map<string, Uint16Array>();
  const tableOf = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = new Uint16Array(65536)));
    return t;
  };
  const put = (table: string, address: number, regs: number[]) => tableOf(table).set(regs, address);
  for (const p of mapRegisters(profile).points) if (p.point.sim) put(p.table, p.address, p.toRegisters(p.point.sim.value));

  const fieldRegisters = (f: RecordField, value: number) => encode(fromEngineering(value, f.scale ?? 1, f.offset ?? 0), f.type, f.wordOrder ?? order);
  const timeFields = spec.fields.filter((f) => f.role === 'time').sort((a, b) => (a.unit === 's' ? -1 : 0) - (b.unit === 's' ? -1 : 0));
  const massField = spec.fields.find((f) => f.sim === 'mass');
  const massStep = massField?.scale ?? 1;

  let line: CheckweigherLine = { ...DEFAULT_LINE, ...opts.line };
  let sequence = ((((opts.firstSequence ?? 1) - 1) % modulus) + modulus) % modulus; // latest; none made yet
  let slot = sequence % spec.slots;
  /** Packages made in the current lot. */
  let inLot = 0;
  // The line's time origin: packages made since it, and the mean at it (drift runs from there).
  let origin = clock();
  let madeSinceOrigin = 0;
  let meanAtOrigin = line.mean;
  const made: PackageRecord[] = [];

  const writeHeader = () => {
    put(recordTable, spec.latest.address - base, encode(sequence, spec.latest.type, order));
    if (spec.head) put(recordTable, spec.head.address - base, [slot]);
  };

  const makePackage = (ts: number) => {
    sequence = (sequence + 1) % modulus;
    slot = (slot + 1) % spec.slots;
    const mean = meanAtOrigin + (line.driftPerHour * (ts - origin)) / HOUR_MS;
    const net = quantise(mean + line.spread * normal(), massStep);
    if (inLot >= line.lotSize) {
      line = { ...line, lot: line.lot + 1 };
      inLot = 0;
    }
    inLot++;
    const lot = line.lot;
    const reject = line.rejectBelow !== undefined && net < line.rejectBelow ? 1 : 0;
    const record: PackageRecord = { sequence, ts, net, product: line.product, lot, reject };
    const regs = new Array<number>(spec.size).fill(0);
    let rest = ts;
    for (const f of timeFields) {
      const part = f.unit === 's' ? Math.floor(rest / 1000) : rest;
      rest -= f.unit === 's' ? part * 1000 : part;
      regs.splice(f.at, registerCount(f.type), ...fieldRegisters(f, part));
    }
    for (const f of spec.fields) {
      const value =
        f.role === 'sequence'
          ? sequence
          : f.sim === 'mass'
            ? net
            : f.sim === 'product'
              ? line.product
              : f.sim === 'lot'
                ? lot
                : f.sim === 'reject'
                  ? reject
                  : undefined;
      if (value !== undefined)
        regs.splice(f.at, registerCount(f.type), ...(f.role === 'sequence' ? encode(value, f.type, f.wordOrder ?? order) : fieldRegisters(f, value)));
    }
    // The record first, then the registers that announce it.
    put(recordTable, spec.start - base + slot * spec.size, regs);
    writeHeader();
    made.push(record);
    if (made.length > KEEP) made.splice(0, made.length - KEEP);
  };

  /** Makes every package due by now: the k-th after the origin at origin + k·60000/speed ms. */
  const produce = () => {
    if (line.speed <= 0) return;
    const period = 60_000 / line.speed;
    const due = Math.floor((clock() - origin) / period);
    while (madeSinceOrigin < due) {
      madeSinceOrigin++;
      makePackage(origin + Math.round(madeSinceOrigin * period));
    }
  };

  writeHeader();
  let closed = false;
  const timer = setInterval(produce, 20);

  const serve = (table: string, start: number, length: number, cb: (err: Error | null, values: number[]) => void) => {
    if (closed) return;
    produce();
    const t = tables.get(table);
    if (!t || start + length > 65536) return cb(Object.assign(new Error('Modbus exception 2'), { modbusErrorCode: ILLEGAL_DATA_ADDRESS }), []);
    cb(null, Array.from(t.subarray(start, start + length)));
  };
  const one = (table: string) => (addr: number, _unit: number, cb: (err: Error | null, value: number) => void) =>
    serve(table, addr, 1, (err, regs) => cb(err, regs[0] ?? 0));
  // Callback forms: modbus-serial picks them by arity, so keep the parameters.
  const vector: IServiceVector = {
    getHoldingRegister: one('holding'),
    getInputRegister: one('input'),
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: (err: Error | null, values: number[]) => void) =>
      serve('holding', addr, length, cb),
    getMultipleInputRegisters: (addr: number, length: number, _unit: number, cb: (err: Error | null, values: number[]) => void) =>
      serve('input', addr, length, cb),
  };
  // As in simulator.ts: the string '0' asks net.listen for any free port.
  const server = new ModbusSerial.ServerTCP(vector, { host, port: (opts.port ?? 0) === 0 ? ('0' as unknown as number) : opts.port!, unitID: unitId });
  const net = (server as unknown as { _server: Server })._server;
  server.on('socketError', (err) => log.debug({ err: err?.message }, 'checkweigher socket error'));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (err) =>
        reject(new MetronetError('E_DEVICE_UNREACHABLE', `checkweigher cannot listen on ${host}:${opts.port ?? 0}: ${err?.message}`)),
      );
    });
  } catch (err) {
    clearInterval(timer);
    closed = true;
    server.close(() => undefined);
    throw err;
  }
  const port = (net.address() as AddressInfo).port;
  log.info({ host, port, unitId, line, firstSequence: (sequence + 1) % modulus }, 'checkweigher simulator listening');

  return {
    host,
    port,
    unitId,
    profile,
    made,
    get line() {
      return { ...line };
    },
    setLine(change) {
      produce();
      const now = clock();
      const meanNow = meanAtOrigin + (line.driftPerHour * (now - origin)) / HOUR_MS;
      // A new lot number starts a new lot; otherwise the lot in progress goes on.
      if (change.lot !== undefined) inLot = 0;
      line = { ...line, ...change };
      origin = now;
      madeSinceOrigin = 0;
      meanAtOrigin = change.mean ?? meanNow;
      log.info({ port, line }, 'checkweigher line changed');
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      const sockets = [...server.socks.keys()];
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(sockets.map((s) => (s.closed ? undefined : new Promise((r) => s.once('close', r)))));
    },
  };
}
