import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_FC, crcOk, encodeException, encodeResponse, isMetronetError, scanResponse, withCrc, type ModbusTable } from '../../core/index.js';
import { createModbusTcpDriver } from '../../gateway/drivers/modbus-tcp.js';
import { RtuLine } from '../../gateway/drivers/rtu-line.js';
import { count, fuzzParams, report, timeout } from './support.js';

/**
 * Modbus answers as a broken or hostile device sends them, over real TCP sockets to the gateway's
 * drivers (modbus-tcp; RTU frames through the RTU line over a serial server): wrong lengths,
 * wrong unit and transaction ids, exception codes, truncated frames, CRC errors, noise. Property:
 * a read resolves only with the values of a well-formed answer to that request; anything else
 * rejects with a device error (E_MODBUS_EXCEPTION, E_DEVICE_TIMEOUT, E_DEVICE_UNREACHABLE) that
 * names the device; nothing throws elsewhere; and the next good answer is read correctly.
 */
const TIMEOUT_MS = 250;
const DEVICE_CODES = ['E_MODBUS_EXCEPTION', 'E_DEVICE_TIMEOUT', 'E_DEVICE_UNREACHABLE'];

afterAll(report);

/** What the fake device does with the next request. */
type Answer =
  | { kind: 'good'; values: number[] }
  | { kind: 'exception'; code: number }
  | {
      kind: 'wrong-tid' | 'wrong-unit' | 'wrong-fc' | 'short-count' | 'long-count' | 'truncated' | 'silence' | 'close' | 'garbage';
      values: number[];
      bytes: number[];
    };

const answer = (length: number): fc.Arbitrary<Answer> => {
  const values = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: length, maxLength: length });
  return fc.oneof(
    { weight: 3, arbitrary: values.map((v) => ({ kind: 'good' as const, values: v })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 255 }).map((code) => ({ kind: 'exception' as const, code })) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constantFrom(
          'wrong-tid',
          'wrong-unit',
          'wrong-fc',
          'short-count',
          'long-count',
          'truncated',
          'silence',
          'close',
          'garbage',
        ) as fc.Arbitrary<'garbage'>,
        values,
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }),
      }),
    },
  );
};

/** Checks what a read came to against what the device answered. */
async function expectVerdict(read: Promise<number[]>, a: Answer, where: string, device = '127.0.0.1'): Promise<void> {
  const out = await read.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  if (a.kind === 'good') {
    expect(out, `a good answer must be read (${where})`).toEqual({ ok: true, v: a.values });
    return;
  }
  if (out.ok) {
    // Only a well-formed answer may be read; a device error never becomes values.
    throw new Error(`${a.kind} answer was read as values ${JSON.stringify(out.v)} (${where})`);
  }
  expect(isMetronetError(out.e), `not a MetronetError: ${String(out.e)}`).toBe(true);
  const e = out.e as { code: string; message: string; details?: { exception?: number } };
  expect(DEVICE_CODES).toContain(e.code);
  expect(e.message).toContain(device);
  if (a.kind === 'exception') {
    expect(e.code).toBe('E_MODBUS_EXCEPTION');
    expect(e.details?.exception).toBe(a.code);
  }
}

describe('Modbus TCP driver against a hostile device', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let next: Answer = { kind: 'good', values: [] };

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (req) => {
        // MBAP: tid(2) proto(2) len(2) unit(1), PDU: fc(1) start(2) qty(2).
        if (req.length < 12) return;
        const tid = req.readUInt16BE(0);
        const unit = req[6]!;
        const fc = req[7]!;
        const a = next;
        const mbap = (t: number, u: number, pdu: Buffer) => {
          const h = Buffer.alloc(7);
          h.writeUInt16BE(t, 0);
          h.writeUInt16BE(0, 2);
          h.writeUInt16BE(pdu.length + 1, 4);
          h[6] = u;
          return Buffer.concat([h, pdu]);
        };
        const data = (vals: number[]) => {
          const b = Buffer.alloc(vals.length * 2);
          vals.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
          return b;
        };
        switch (a.kind) {
          case 'good':
            return void socket.write(mbap(tid, unit, Buffer.concat([Buffer.from([fc, a.values.length * 2]), data(a.values)])));
          case 'exception':
            return void socket.write(mbap(tid, unit, Buffer.from([fc | 0x80, a.code])));
          case 'wrong-tid':
            return void socket.write(mbap((tid + 1 + a.bytes[0]!) & 0xffff, unit, Buffer.concat([Buffer.from([fc, a.values.length * 2]), data(a.values)])));
          case 'wrong-unit':
            return void socket.write(
              mbap(tid, (unit + 1 + (a.bytes[0]! % 255)) % 256, Buffer.concat([Buffer.from([fc, a.values.length * 2]), data(a.values)])),
            );
          case 'wrong-fc':
            return void socket.write(mbap(tid, unit, Buffer.concat([Buffer.from([fc === 3 ? 4 : 3, a.values.length * 2]), data(a.values)])));
          case 'short-count':
            return void socket.write(mbap(tid, unit, Buffer.concat([Buffer.from([fc, Math.max(0, a.values.length * 2 - 2)]), data(a.values.slice(1))])));
          case 'long-count':
            return void socket.write(mbap(tid, unit, Buffer.concat([Buffer.from([fc, a.values.length * 2 + 2]), data([...a.values, 7])])));
          case 'truncated': {
            const full = mbap(tid, unit, Buffer.concat([Buffer.from([fc, a.values.length * 2]), data(a.values)]));
            return void socket.write(full.subarray(0, Math.max(1, full.length - 1 - (a.bytes[0]! % (full.length - 1)))));
          }
          case 'garbage':
            return void socket.write(Buffer.from(a.bytes));
          case 'close':
            return void socket.destroy();
          case 'silence':
            return;
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it(
    'reads only well-formed answers; refuses the rest with a device error; recovers',
    async () => {
      const driver = createModbusTcpDriver({ kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: TIMEOUT_MS });
      try {
        await fc.assert(
          fc.asyncProperty(
            fc
              .integer({ min: 1, max: 10 })
              .chain((length) =>
                fc.tuple(fc.constant(length), fc.integer({ min: 0, max: 1000 }), fc.constantFrom<ModbusTable>('holding', 'input'), answer(length)),
              ),
            async ([length, start, table, a]) => {
              count('modbus tcp answers');
              next = a;
              await expectVerdict(driver.read(table, start, length), a, `${a.kind} to ${table} ${start}+${length}`);
              // The link heals: the next good answer is read whatever came before.
              const values = Array.from({ length }, (_, i) => (start + i) & 0xffff);
              next = { kind: 'good', values };
              expect(await driver.read(table, start, length)).toEqual(values);
            },
          ),
          fuzzParams(60),
        );
      } finally {
        await driver.close();
      }
    },
    timeout(60_000),
  );
});

describe('Modbus RTU frames', () => {
  it('scanResponse: any bytes; a data or exception verdict is a CRC-checked frame of that unit and function', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 1, max: 247 }),
        fc.constantFrom(1, 2, 3, 4),
        fc.integer({ min: 5, max: 40 }),
        (bytes, unit, fcode, length) => {
          count('modbus rtu frames (scanResponse)');
          const buf = Buffer.from(bytes);
          const s = scanResponse(buf, unit, fcode, length);
          if (s.kind === 'data') {
            expect(crcOk(s.frame)).toBe(true);
            expect([s.frame[0], s.frame[1], s.frame.length]).toEqual([unit, fcode, length]);
          }
          if (s.kind === 'exception') expect(buf.includes(Buffer.from([unit, fcode | 0x80]))).toBe(true);
        },
      ),
      fuzzParams(1000),
    );
  });

  it('scanResponse: a good frame behind noise is found; one flipped bit is never read as data', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 247 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 20 }),
        fc.uint8Array({ maxLength: 20 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (unit, values, noise, at, bit) => {
          count('modbus rtu frames (scanResponse)');
          const frame = encodeResponse(unit, 'holding', values);
          const length = frame.length;
          const found = scanResponse(Buffer.concat([Buffer.from(noise), frame]), unit, READ_FC.holding, length);
          expect(found.kind).toBe('data');
          if (found.kind === 'data') expect(found.frame.equals(frame)).toBe(true);
          const bad = Buffer.from(frame);
          bad[at % bad.length]! ^= 1 << bit;
          const s = scanResponse(bad, unit, READ_FC.holding, length);
          expect(s.kind).not.toBe('data');
        },
      ),
      fuzzParams(1000),
    );
  });
});

describe('RTU line over a serial server against a hostile device', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let reply: (req: Buffer) => Buffer | 'close' | null = () => null;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (req) => {
        const r = reply(req);
        if (r === 'close') socket.destroy();
        else if (r) socket.write(r);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it(
    'reads only CRC-checked answers of the right unit; refuses the rest with a device error; recovers',
    async () => {
      const UNIT = 7;
      const line = new RtuLine(
        'fuzz-line',
        { kind: 'modbus-rtu-tcp', host: '127.0.0.1', port, unitId: UNIT, timeoutMs: TIMEOUT_MS },
        { connectPauseMs: 0, requestPauseMs: 0 },
      );
      type Rtu =
        | { kind: 'good'; values: number[] }
        | { kind: 'exception'; code: number }
        | { kind: 'crc' | 'other-unit' | 'truncated' | 'noise-then-good' | 'garbage' | 'silence' | 'close'; values: number[]; bytes: number[] };
      const rtuAnswer = (length: number): fc.Arbitrary<Rtu> => {
        const values = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: length, maxLength: length });
        return fc.oneof(
          { weight: 3, arbitrary: values.map((v) => ({ kind: 'good' as const, values: v })) },
          { weight: 2, arbitrary: fc.integer({ min: 1, max: 255 }).map((code) => ({ kind: 'exception' as const, code })) },
          {
            weight: 7,
            arbitrary: fc.record({
              kind: fc.constantFrom('crc', 'other-unit', 'truncated', 'noise-then-good', 'garbage', 'silence', 'close') as fc.Arbitrary<'crc'>,
              values,
              bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 30 }),
            }),
          },
        );
      };
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 10 }).chain((length) => fc.tuple(fc.constant(length), fc.integer({ min: 0, max: 1000 }), rtuAnswer(length))),
            async ([length, start, a]) => {
              count('modbus rtu answers (rtu line)');
              reply = () => {
                const good = encodeResponse(UNIT, 'holding', a.kind === 'exception' ? [] : a.values);
                switch (a.kind) {
                  case 'good':
                    return good;
                  case 'exception':
                    return encodeException(UNIT, 3, a.code);
                  case 'crc': {
                    const b = Buffer.from(good);
                    b[b.length - 1 - (a.bytes[0]! % 2)]! ^= 0x5a;
                    return b;
                  }
                  case 'other-unit':
                    return encodeResponse(UNIT + 1, 'holding', a.values);
                  case 'truncated':
                    return good.subarray(0, Math.max(1, good.length - 1 - (a.bytes[0]! % (good.length - 1))));
                  case 'noise-then-good':
                    return Buffer.concat([Buffer.from(a.bytes), good]);
                  case 'garbage':
                    return Buffer.from(a.bytes);
                  case 'close':
                    return 'close';
                  case 'silence':
                    return null;
                }
              };
              const read = line.read(UNIT, 'holding', start, length, TIMEOUT_MS);
              if (a.kind === 'noise-then-good') {
                // Noise before the frame is skipped (resynchronisation), unless the noise itself
                // holds a valid frame of this unit and function, which a master cannot tell apart.
                const noise = Buffer.from(a.bytes);
                const fromNoise = scanResponse(noise, UNIT, 3, 5 + 2 * length);
                if (fromNoise.kind === 'incomplete') expect(await read).toEqual(a.values);
                else await read.catch(() => undefined);
              } else {
                await expectVerdict(
                  read,
                  a.kind === 'good' || a.kind === 'exception' ? a : { kind: 'garbage', values: [], bytes: [] },
                  `${a.kind} on the RTU line`,
                  'fuzz-line',
                );
              }
              const values = Array.from({ length }, (_, i) => (start * 3 + i) & 0xffff);
              reply = () => encodeResponse(UNIT, 'holding', values);
              expect(await line.read(UNIT, 'holding', start, length, TIMEOUT_MS)).toEqual(values);
            },
          ),
          fuzzParams(60),
        );
      } finally {
        await line.close();
      }
    },
    timeout(60_000),
  );

  it('the fixture encoder and the master decoder agree', () => {
    // Sanity of the fixture's encoder against the master's decoder (a wrong fixture would make the property vacuous).
    const f = withCrc(Buffer.from([7, 3, 2, 0, 1]));
    expect(scanResponse(f, 7, 3, 7)).toMatchObject({ kind: 'data' });
  });
});
