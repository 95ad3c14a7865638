import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfiles, type SerialFraming, type SerialParserName } from '../../core/index.js';
import { Framer } from '../../gateway/serial/framer.js';
import { parserFor } from '../../gateway/serial/parsers.js';
import { formatFrame } from '../../simulators/scale-formats.js';
import { count, fuzzParams, report } from './support.js';

/**
 * Serial scale frames through the gateway's framer and the parsers of every serial profile
 * (gateway/serial/): any byte stream, cut anywhere, never throws nor grows memory; frames the
 * indicators send (simulators/scale-formats.ts, written from the manuals) are read back with
 * their weight; a frame with a checksum (Toledo, Yaohua A12) that has one byte corrupted is
 * dropped, never read as another weight.
 */
afterAll(report);

const profiles = [...loadProfiles().values()].filter((p) => p.serial);

/** A byte stream cut into chunks at arbitrary places, as a serial port delivers it. */
const chunked = (bytes: Buffer, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
};

describe('serial frames (framer + parsers of every serial profile)', () => {
  it('any byte stream, cut anywhere: no throw, bounded buffer, every frame parsed or dropped', () => {
    fc.assert(
      fc.property(fc.constantFrom(...profiles), fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (profile, bytes, cuts) => {
        count('serial frames (any bytes)');
        const framer = new Framer(profile.serial!.framing);
        const parse = parserFor(profile.serial!);
        for (const chunk of chunked(Buffer.from(bytes), cuts)) {
          for (const frame of framer.push(chunk)) {
            const r = parse(frame);
            if (r?.weight !== undefined) expect(Number.isFinite(r.weight)).toBe(true);
          }
        }
        expect((framer as unknown as { pending: Buffer }).pending.length).toBeLessThanOrEqual(4096);
      }),
      fuzzParams(600),
    );
  });

  it('a long stream of garbage keeps the pending buffer bounded', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SerialFraming>(
          { kind: 'terminator', terminator: '\r\n' },
          { kind: 'stx-etx', stx: 2, etx: 13, trailer: 1 },
          { kind: 'fixed', length: 12, start: 2 },
        ),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (framing, unit) => {
          count('serial frames (any bytes)');
          const framer = new Framer(framing);
          // 20 000 bytes without a frame end (no CR, LF, ETX) and with STX only at the start.
          const filler = Buffer.from(unit.map((b) => (b === 10 || b === 13 || b === 3 || b === 2 ? 0x41 : b)));
          framer.push(Buffer.from([2]));
          for (let i = 0; i < 20_000 / filler.length; i++) framer.push(filler);
          expect((framer as unknown as { pending: Buffer }).pending.length).toBeLessThanOrEqual(4096);
        },
      ),
      fuzzParams(15),
    );
  });

  const state = fc.record({
    decimals: fc.integer({ min: 0, max: 3 }),
    digits: fc.integer({ min: 0, max: 99_999 }),
    negative: fc.boolean(),
    stable: fc.boolean(),
  });
  const FORMATS: Array<{ parser: SerialParserName; profile: string }> = [
    { parser: 'ad', profile: 'scale-ad-serial' },
    { parser: 'mt-sics', profile: 'scale-mtsics-serial' },
    { parser: 'toledo', profile: 'scale-toledo-continuous' },
    { parser: 'yaohua-a12', profile: 'scale-yaohua-xk3190' },
  ];

  it('frames the indicators send are read back with their weight, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMATS),
        fc.array(state, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        ({ parser, profile: id }, states, cuts) => {
          count('serial frames (valid)');
          const profile = profiles.find((p) => p.id === id)!;
          const framer = new Framer(profile.serial!.framing);
          const parse = parserFor(profile.serial!);
          const sent = states.map((s) => ({ ...s, weight: ((s.negative && parser !== 'toledo' ? -1 : 1) * s.digits) / 10 ** s.decimals + 0 })); // + 0: no −0
          const stream = Buffer.concat(
            sent.map((s) => formatFrame(parser, { weight: s.weight, unit: 'kg', stable: s.stable }, s.decimals, { checksum: profile.serial!.checksum })),
          );
          const read: number[] = [];
          for (const chunk of chunked(stream, cuts))
            for (const f of framer.push(chunk)) {
              const r = parse(f);
              if (r?.weight !== undefined) read.push(r.weight + 0);
            }
          expect(read).toEqual(sent.map((s) => s.weight));
        },
      ),
      fuzzParams(400),
    );
  });

  it('a checksummed frame with one corrupted byte is dropped, never read as another weight', () => {
    const checked = FORMATS.filter((f) => f.parser === 'toledo' || f.parser === 'yaohua-a12');
    fc.assert(
      fc.property(fc.constantFrom(...checked), state, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ parser, profile: id }, s, at, flip) => {
        count('serial frames (corrupted)');
        const profile = profiles.find((p) => p.id === id)!;
        const weight = s.digits / 10 ** s.decimals;
        const frame = formatFrame(parser, { weight, unit: 'kg', stable: true }, s.decimals, { checksum: profile.serial!.checksum });
        const i = 1 + (at % (frame.length - 2)); // a byte inside the frame, not its start or end marker
        const bad = Buffer.from(frame);
        bad[i]! ^= flip;
        const r = parserFor(profile.serial!)(bad);
        if (r?.weight !== undefined) expect(r.weight, `byte ${i} ^ ${flip}`).toBe(weight);
      }),
      fuzzParams(600),
    );
  });
});
