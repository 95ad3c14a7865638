import { describe, expect, it } from 'vitest';
import { decode, encode, registerCount, WORD_ORDERS, toEngineering, fromEngineering } from '../../core/index.js';

// float32 20.004 = 0x41A0083 1 → bytes A=0x41 B=0xA0 C=0x08 D=0x31 (IEEE 754, big-endian).
const KNOWN: Record<(typeof WORD_ORDERS)[number], number[]> = {
  ABCD: [0x41a0, 0x0831],
  CDAB: [0x0831, 0x41a0],
  BADC: [0xa041, 0x3108],
  DCBA: [0x3108, 0xa041],
};

describe('register codecs', () => {
  it.each(WORD_ORDERS)('decodes a known float32 in word order %s', (order) => {
    expect(decode(KNOWN[order], 'float32', order)).toBeCloseTo(20.004, 5);
    expect(encode(20.004, 'float32', order)).toEqual(KNOWN[order]);
  });

  it('decodes signed and unsigned integers of each width', () => {
    expect(decode([0xffff], 'int16')).toBe(-1);
    expect(decode([0xffff], 'uint16')).toBe(65535);
    expect(decode([0xfffe, 0xffff], 'int32', 'CDAB')).toBe(-2);
    expect(decode([0x0001, 0x0002], 'uint32')).toBe(65538);
    expect(decode([0x0002, 0x0001], 'uint32', 'CDAB')).toBe(65538);
    expect(decode([0x0100], 'uint16', 'BADC')).toBe(1);
    expect(decode([0, 0, 0x0001, 0x0000], 'uint64')).toBe(65536);
    expect(decode([0x0000, 0x0001, 0, 0], 'uint64', 'CDAB')).toBe(65536);
  });

  it.each(['int16', 'uint16', 'int32', 'uint32', 'float32', 'int64', 'uint64', 'float64'] as const)('round-trips %s in every order', (type) => {
    for (const order of WORD_ORDERS) {
      const v = type.startsWith('u') ? 1234 : -1234;
      const regs = encode(v, type, order);
      expect(regs).toHaveLength(registerCount(type));
      expect(decode(regs, type, order)).toBe(v);
    }
  });

  it('decodes at an offset into a longer register block', () => {
    expect(decode([9, 9, ...KNOWN.CDAB], 'float32', 'CDAB', 2)).toBeCloseTo(20.004, 5);
    expect(() => decode([0x41a0], 'float32')).toThrow(/need 2 registers/);
  });

  it('applies scale and offset both ways', () => {
    expect(toEngineering(12345, 0.01, -5)).toBeCloseTo(118.45, 10);
    expect(fromEngineering(118.45, 0.01, -5)).toBeCloseTo(12345, 8);
  });
});
