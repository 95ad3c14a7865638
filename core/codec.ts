/**
 * Register codecs: Modbus carries 16-bit registers; devices put wider numbers across several of
 * them in any byte and word order. An order names, for each byte on the wire, which byte of the
 * big-endian value it is: with float32 20.0 = 0x41A00000 = bytes A=41 B=A0 C=00 D=00,
 *   ABCD (big-endian, Modbus default) → registers [0x41A0, 0x0000]
 *   CDAB (word swap, common on PLCs)  → registers [0x0000, 0x41A0]
 *   BADC (byte swap)                  → registers [0xA041, 0x0000]
 *   DCBA (little-endian)              → registers [0x0000, 0xA041]
 * 16-bit types follow the order's first pair: AB as is, BA byte-swapped.
 * 64-bit orders name eight bytes (ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA).
 */
export const NUMERIC_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const;
export type NumericType = (typeof NUMERIC_TYPES)[number];

export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

const WIDTH: Record<NumericType, number> = { int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8 };

export function registerCount(type: NumericType): number {
  return WIDTH[type] / 2;
}

/** Expands a 32-bit order to the byte permutation for a given width (2, 4 or 8 bytes). */
export function bytePermutation(order: WordOrder, width: number): number[] {
  const wordSwap = order === 'CDAB' || order === 'DCBA';
  const byteSwap = order === 'BADC' || order === 'DCBA';
  const words = width / 2;
  const perm: number[] = [];
  for (let w = 0; w < words; w++) {
    const srcWord = wordSwap ? words - 1 - w : w;
    const hi = srcWord * 2;
    perm.push(byteSwap ? hi + 1 : hi, byteSwap ? hi : hi + 1);
  }
  return perm; // perm[wireByte] = index of that byte in the big-endian value
}

/** Decodes `registerCount(type)` registers starting at `offset` into a number. */
export function decode(registers: ArrayLike<number>, type: NumericType, order: WordOrder = 'ABCD', offset = 0): number {
  const width = WIDTH[type];
  const perm = bytePermutation(order, width);
  const be = Buffer.alloc(width);
  for (let i = 0; i < width; i++) {
    const reg = registers[offset + (i >> 1)];
    if (reg === undefined) throw new RangeError(`need ${width / 2} registers for ${type} at offset ${offset}`);
    const byte = i % 2 === 0 ? (reg >> 8) & 0xff : reg & 0xff;
    be[perm[i]!] = byte;
  }
  switch (type) {
    case 'int16':
      return be.readInt16BE(0);
    case 'uint16':
      return be.readUInt16BE(0);
    case 'int32':
      return be.readInt32BE(0);
    case 'uint32':
      return be.readUInt32BE(0);
    case 'float32':
      return be.readFloatBE(0);
    case 'int64':
      return Number(be.readBigInt64BE(0));
    case 'uint64':
      return Number(be.readBigUInt64BE(0));
    case 'float64':
      return be.readDoubleBE(0);
  }
}

/** Encodes a number into registers; integers are rounded and clamped to the type's range. */
export function encode(value: number, type: NumericType, order: WordOrder = 'ABCD'): number[] {
  const width = WIDTH[type];
  const be = Buffer.alloc(width);
  switch (type) {
    case 'int16':
      be.writeInt16BE(clamp(value, -0x8000, 0x7fff), 0);
      break;
    case 'uint16':
      be.writeUInt16BE(clamp(value, 0, 0xffff), 0);
      break;
    case 'int32':
      be.writeInt32BE(clamp(value, -0x80000000, 0x7fffffff), 0);
      break;
    case 'uint32':
      be.writeUInt32BE(clamp(value, 0, 0xffffffff), 0);
      break;
    case 'float32':
      be.writeFloatBE(value, 0);
      break;
    case 'int64':
      be.writeBigInt64BE(BigInt(Math.round(value)), 0);
      break;
    case 'uint64':
      be.writeBigUInt64BE(BigInt(Math.max(0, Math.round(value))), 0);
      break;
    case 'float64':
      be.writeDoubleBE(value, 0);
      break;
  }
  const perm = bytePermutation(order, width);
  const regs: number[] = [];
  for (let r = 0; r < width / 2; r++) regs.push((be[perm[2 * r]!]! << 8) | be[perm[2 * r + 1]!]!);
  return regs;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v)));
}

/** Engineering value from a raw register value: raw × scale + offset. */
export function toEngineering(raw: number, scale = 1, offset = 0): number {
  return raw * scale + offset;
}

/** Raw register value for an engineering value (the simulator's direction). */
export function fromEngineering(value: number, scale = 1, offset = 0): number {
  return (value - offset) / scale;
}
