/**
 * Modbus RTU framing, pure functions shared by the gateway's RTU master and the RTU simulators.
 * Frame = unit id, PDU, CRC-16/MODBUS little-endian (Modbus over Serial Line V1.02 §2.5.1.2, §6.2.2).
 */

/** CRC-16/MODBUS: polynomial 0xA001 (reflected 0x8005), init 0xFFFF. check("123456789") = 0x4B37. */
export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function withCrc(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length + 2);
  body.copy(out);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}

export function crcOk(frame: Buffer): boolean {
  return frame.length >= 4 && frame.readUInt16LE(frame.length - 2) === crc16(frame.subarray(0, -2));
}

/** Read function codes by table (Modbus Application Protocol V1.1b3 §6.1–6.4). */
export const READ_FC = { coil: 1, discrete: 2, holding: 3, input: 4 } as const;
export type ModbusTable = keyof typeof READ_FC;

/** Quantity limits per request: 2000 bits (FC1/2), 125 registers (FC3/4), same sections. */
export const MAX_QUANTITY = { coil: 2000, discrete: 2000, holding: 125, input: 125 } as const;

export function readRequest(unit: number, table: ModbusTable, start: number, quantity: number): Buffer {
  const body = Buffer.alloc(6);
  body[0] = unit;
  body[1] = READ_FC[table];
  body.writeUInt16BE(start, 2);
  body.writeUInt16BE(quantity, 4);
  return withCrc(body);
}

/** Length of a normal response to a read: unit, fc, byte count, data, CRC. */
export function responseLength(table: ModbusTable, quantity: number): number {
  const data = table === 'coil' || table === 'discrete' ? Math.ceil(quantity / 8) : quantity * 2;
  return 3 + data + 2;
}

/** Values of a read response's data: registers, or bits as 0/1 (LSB of the first byte first, §6.1). */
export function responseValues(table: ModbusTable, frame: Buffer, quantity: number): number[] {
  const out: number[] = [];
  if (table === 'coil' || table === 'discrete') {
    for (let i = 0; i < quantity; i++) out.push((frame[3 + (i >> 3)]! >> (i & 7)) & 1);
  } else {
    for (let i = 0; i < quantity; i++) out.push(frame.readUInt16BE(3 + 2 * i));
  }
  return out;
}

/** Response frame for values (the simulator's direction). */
export function encodeResponse(unit: number, table: ModbusTable, values: number[]): Buffer {
  const bits = table === 'coil' || table === 'discrete';
  const data = Buffer.alloc(bits ? Math.ceil(values.length / 8) : values.length * 2);
  values.forEach((v, i) => {
    if (bits) data[i >> 3]! |= (v ? 1 : 0) << (i & 7);
    else data.writeUInt16BE(v & 0xffff, 2 * i);
  });
  return withCrc(Buffer.concat([Buffer.from([unit, READ_FC[table], data.length]), data]));
}

export function encodeException(unit: number, fc: number, code: number): Buffer {
  return withCrc(Buffer.from([unit, fc | 0x80, code]));
}

export type ResponseScan =
  | { kind: 'data'; frame: Buffer; end: number }
  | { kind: 'exception'; code: number; end: number }
  | { kind: 'bad-crc'; end: number }
  | { kind: 'incomplete' };

/**
 * Looks for the answer to (unit, fc) anywhere in `buf`: bytes before it are line noise (a
 * half-received frame, garbage after a cable was plugged in) and are skipped, which is how the
 * master resynchronises. A candidate with the right header and length but a wrong CRC is
 * reported so the caller can fail fast instead of waiting for its timeout.
 */
export function scanResponse(buf: Buffer, unit: number, fc: number, length: number): ResponseScan {
  let badCrc: number | undefined;
  for (let i = 0; i + 5 <= buf.length; i++) {
    if (buf[i] !== unit) continue;
    if (buf[i + 1] === (fc | 0x80)) {
      const f = buf.subarray(i, i + 5);
      if (crcOk(f)) return { kind: 'exception', code: f[2]!, end: i + 5 };
      badCrc ??= i + 5;
    } else if (buf[i + 1] === fc && buf[i + 2] === length - 5) {
      if (i + length > buf.length) continue;
      const f = buf.subarray(i, i + length);
      if (crcOk(f)) return { kind: 'data', frame: Buffer.from(f), end: i + length };
      badCrc ??= i + length;
    }
  }
  return badCrc !== undefined ? { kind: 'bad-crc', end: badCrc } : { kind: 'incomplete' };
}
