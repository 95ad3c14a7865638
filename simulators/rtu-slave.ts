import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { READ_FC, crcOk, isInstance, encodeException, encodeResponse, silentLogger, type Logger, type ModbusTable, type Profile } from '../core/index.js';
import { gaussian, mulberry32 } from './random.js';
import { inRange, mapRegisters, readRegisters, type MappedPoint } from './registers.js';
import { simulatedValue, type ValueContext } from './values.js';

/** Faults of one RTU slave, each for the next `n` requests addressed to it (STYLE.md 11). */
export interface RtuFaults {
  /** Answer exception 6 SLAVE DEVICE BUSY. */
  busy?: number;
  /** Do not answer at all (the master times out). */
  silent?: number;
  /** Send random bytes before the answer. */
  garbage?: number;
  /** Answer with a corrupted CRC. */
  crc?: number;
}

export interface RtuSlaveSpec {
  unitId: number;
  profile: Profile;
  seed?: number;
  /** Answer this much later (a slow slave). */
  delayMs?: number;
}

export interface RtuBusHandle {
  /** Requests seen per unit id, answered or not. */
  readonly requests: Map<number, number>;
  /** Requests that arrived while an answer was still pending: two transactions on one bus. */
  readonly collisions: number;
  setFaults(unitId: number, faults: RtuFaults): void;
  setValue(unitId: number, point: string, value: number | null): void;
  close(): Promise<void>;
}

const TABLE_BY_FC: Record<number, ModbusTable> = Object.fromEntries(Object.entries(READ_FC).map(([t, fc]) => [fc, t as ModbusTable]));

/**
 * Several Modbus RTU slaves on one bus: a serial port (one end of a socat pty pair) or any
 * duplex stream. Requests are cut by length (read requests are 8 bytes: unit, FC, start,
 * quantity, CRC), bad-CRC requests are ignored as a real slave does (Modbus over Serial Line
 * V1.02 §2.4.1), and only the addressed slave answers.
 */
export async function startRtuBus(opts: {
  path?: string;
  stream?: Duplex;
  baudRate?: number;
  slaves: RtuSlaveSpec[];
  /** A pty moves bytes instantly: delay each answer by the time request and answer take on a real line at this baud rate (10 bits a character, 3.5-character gaps). */
  emulateBaud?: number;
  logger?: Logger;
}): Promise<RtuBusHandle> {
  const log = (opts.logger ?? silentLogger).child({ svc: 'rtu-simulator' });
  const slaves = new Map(
    opts.slaves.map((s) => {
      const seed = s.seed ?? 1;
      const ctx: ValueContext = { t0: Date.now(), normal: gaussian(mulberry32(seed)) };
      return [
        s.unitId,
        { spec: s, map: mapRegisters(s.profile), ctx, pinned: new Map<string, number>(), faults: {} as RtuFaults, garbage: mulberry32(seed ^ 0x9e3779b9) },
      ];
    }),
  );
  const requests = new Map<number, number>();
  let collisions = 0;
  let pending = 0;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();

  let stream: Duplex;
  if (opts.stream) stream = opts.stream;
  else {
    const port = new SerialPort({ path: opts.path!, baudRate: opts.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    stream = port;
  }
  stream.on('error', (err) => log.debug({ err: err.message }, 'rtu simulator stream error'));

  const take = (fault: keyof RtuFaults, faults: RtuFaults): boolean => {
    if (!faults[fault]) return false;
    faults[fault]!--;
    return true;
  };

  const answer = (req: Buffer) => {
    const unit = req[0]!;
    const fc = req[1]!;
    const slave = slaves.get(unit);
    requests.set(unit, (requests.get(unit) ?? 0) + 1);
    if (!slave) return; // nobody with that address on the bus: silence
    if (pending > 0) collisions++;
    const { faults } = slave;
    if (take('silent', faults)) return;
    const table = TABLE_BY_FC[fc];
    const start = req.readUInt16BE(2);
    const qty = req.readUInt16BE(4);
    let res: Buffer;
    if (take('busy', faults)) res = encodeException(unit, fc, 6);
    else if (!table) res = encodeException(unit, fc, 1);
    else if (!inRange(slave.map, table, start, qty)) res = encodeException(unit, fc, 2);
    else {
      const registersOf = (p: MappedPoint) => {
        const pinned = slave.pinned.get(p.point.name);
        return p.toRegisters(pinned ?? simulatedValue(p.point, Date.now(), slave.ctx));
      };
      res = encodeResponse(unit, table, readRegisters(slave.map, table, start, qty, registersOf));
    }
    if (take('crc', faults)) res[res.length - 1]! ^= 0x5a;
    if (take('garbage', faults)) res = Buffer.concat([Buffer.from(Array.from({ length: 7 }, () => Math.floor(slave.garbage() * 256))), res]);
    pending++;
    const send = () => {
      pending--;
      if (!closed) stream.write(res);
    };
    const wire = opts.emulateBaud ? ((req.length + res.length + 7) * 10_000) / opts.emulateBaud : 0;
    const delay = (slave.spec.delayMs ?? 0) + wire;
    if (delay <= 0) return send();
    const t = setTimeout(() => (timers.delete(t), send()), delay);
    timers.add(t);
  };

  let rx = Buffer.alloc(0);
  stream.on('data', (d: Buffer) => {
    rx = Buffer.concat([rx, d]);
    // Resynchronise on the first 8 bytes that form a read request with a good CRC.
    while (rx.length >= 8) {
      const frame = rx.subarray(0, 8);
      if (crcOk(frame)) {
        answer(Buffer.from(frame));
        rx = rx.subarray(8);
      } else rx = rx.subarray(1);
    }
  });

  return {
    requests,
    get collisions() {
      return collisions;
    },
    setFaults(unitId, faults) {
      const s = slaves.get(unitId);
      if (s) s.faults = { ...faults };
    },
    setValue(unitId, point, value) {
      const s = slaves.get(unitId);
      if (!s) return;
      if (value === null) s.pinned.delete(point);
      else s.pinned.set(point, value);
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      if (isInstance(stream, SerialPort)) {
        if (stream.isOpen) await new Promise<void>((r) => stream.close(() => r()));
      } else stream.destroy();
    },
  };
}
