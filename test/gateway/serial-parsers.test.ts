import { describe, expect, it } from 'vitest';
import { Framer } from '../../gateway/serial/framer.js';
import { ad, convertMass, mtSics, pattern, toledo, yaohuaA12, yaohuaReversed } from '../../gateway/serial/parsers.js';
import { formatFrame } from '../../simulators/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe("serial scale parsers, on the manuals' examples", () => {
  it('A&D: ST/US/OL headers, GS/NT, sign and unit', () => {
    expect(ad(b('ST,GS,+00123.0kg'))).toEqual({ weight: 123, unit: 'kg', stable: true, overload: false });
    expect(ad(b('US,NT,-00001.5kg'))).toEqual({ weight: -1.5, unit: 'kg', stable: false, overload: false });
    expect(ad(b('ST,+00250.00  g'))).toEqual({ weight: 250, unit: 'g', stable: true, overload: false });
    expect(ad(b('OL,GS,+99999.9kg'))).toMatchObject({ overload: true });
    expect(ad(b('XX,GS,+1kg'))).toBeUndefined();
  });

  it('MT-SICS: S S stable, S D dynamic, S +/- over/underload, ES/ET/EL errors', () => {
    expect(mtSics(b('S S     20.004 kg'))).toEqual({ weight: 20.004, unit: 'kg', stable: true, overload: false });
    expect(mtSics(b('S D     20.010 kg'))).toEqual({ weight: 20.01, unit: 'kg', stable: false, overload: false });
    expect(mtSics(b('S +'))).toEqual({ stable: false, overload: true });
    expect(mtSics(b('S -'))).toEqual({ stable: false, overload: true });
    expect(mtSics(b('EL'))).toMatchObject({ error: 'EL' });
    expect(mtSics(b('S S   garbage kg'))).toBeUndefined();
  });

  it('Toledo continuous: decimal position from SWA, sign/motion/range/kg bits from SWB, checksum', () => {
    const f = formatFrame('toledo', { weight: 12.34, tare: 1.5, unit: 'kg', stable: true }, 2, { checksum: true });
    expect(f.length).toBe(18);
    expect(toledo(true)(f)).toEqual({ weight: 12.34, tare: 1.5, unit: 'kg', stable: true, overload: false });
    const moving = formatFrame('toledo', { weight: -0.5, unit: 'lb', stable: false }, 1, { checksum: true });
    expect(toledo(true)(moving)).toMatchObject({ weight: -0.5, unit: 'lb', stable: false });
    const bad = Buffer.from(f);
    bad[6]! ^= 1;
    expect(toledo(true)(bad)).toBeUndefined(); // checksum catches the flipped bit
  });

  it('Yaohua XK3190: A12 frames with XOR check, and the reversed-digit stream', () => {
    const f = formatFrame('yaohua-a12', { weight: 1234.5, unit: 'kg', stable: true }, 1);
    expect(f.length).toBe(12);
    expect(yaohuaA12(f)).toEqual({ weight: 1234.5, stable: true, overload: false });
    const bad = Buffer.from(f);
    bad[4]! ^= 1;
    expect(yaohuaA12(bad)).toBeUndefined();
    expect(yaohuaReversed(b('=000.3000'))).toEqual({ weight: 3, stable: true, overload: false });
    expect(yaohuaReversed(b('=5.21000-'))).toMatchObject({ weight: -12.5 });
  });

  it('pattern: named groups value, unit, state', () => {
    const p = pattern({
      mode: 'continuous',
      framing: { kind: 'terminator', terminator: '\n' },
      parser: 'pattern',
      pattern: '^(?<state>ST|US) (?<value>[-\\d.]+) (?<unit>\\w+)',
      stableStates: ['ST'],
    });
    expect(p(b('US 5.25 kg'))).toEqual({ weight: 5.25, unit: 'kg', stable: false, overload: false });
  });

  it('framers resynchronise after garbage', () => {
    const stx = new Framer({ kind: 'stx-etx', stx: 2, etx: 3 });
    expect(stx.push(Buffer.concat([b('zz\x02ab'), b('\x02good\x03xx')])).map(String)).toEqual(['\x02good\x03']);
    const term = new Framer({ kind: 'terminator', terminator: '\r\n' });
    expect(term.push(b('\x00\x13junk\r\nST,GS,+1.0kg\r\nST')).map(String)).toEqual(['\x00\x13junk', 'ST,GS,+1.0kg']);
    const fixed = new Framer({ kind: 'fixed', length: 4, start: 0x3d });
    expect(fixed.push(b('xx=123=45')).map(String)).toEqual(['=123']);
  });

  it('converts mass units to the channel unit', () => {
    expect(convertMass(250, 'g', 'kg')).toBe(0.25);
    expect(convertMass(1, 'lb', 'kg')).toBe(0.45359237);
    expect(convertMass(1, 'L', 'kg')).toBeUndefined();
  });
});
