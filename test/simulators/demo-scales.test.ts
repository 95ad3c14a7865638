import { afterAll, describe, expect, it } from 'vitest';
import { getProfile, loadProfiles } from '../../core/index.js';
import { decoderFor } from '../../gateway/decode.js';
import { quantise, startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { scalePoints } from '../../cli/demo.js';
import { DEMO_HISTORY, DEMO_PROVINCE, PLATFORM_SCALE } from '../../cli/province.js';
import { closeClient, connectClient } from './support.js';

/**
 * Demo realism (issue 17, item 5): every demo scale states Max, e and d that a class III scale
 * can have (OIML R76-1 Table 3: e ≥ 0.1 g, 100 ≤ n = Max/e ≤ 10 000; e of the form 1, 2 or 5 × 10^k,
 * R76-1 3.1.2), its history judges it with the same e, and its simulated indicator shows every
 * weight in steps of d, read over Modbus and decoded as the gateway does.
 */
const scales = DEMO_PROVINCE.sites.flatMap((s) => s.instruments).filter((i) => i.kind === 'scale');
const decimals = (x: number) => (String(x).split('.')[1] ?? '').length;
const sims: SimulatorHandle[] = [];
afterAll(async () => {
  for (const s of sims) await s.close();
});

describe('demo scales', () => {
  it('state Max, e and d within class III limits, and analytics uses the same e and Max', () => {
    expect(scales.length).toBeGreaterThanOrEqual(6);
    for (const i of scales) {
      const s = i.scale!;
      expect(s, i.id).toBeDefined();
      expect(s.accuracyClass).toBe('III');
      const n = s.max / s.e;
      expect(Number.isInteger(Math.round(n * 1e9) / 1e9), i.id).toBe(true);
      expect(n, i.id).toBeGreaterThanOrEqual(100);
      expect(n, i.id).toBeLessThanOrEqual(10_000);
      expect(s.e, i.id).toBeGreaterThanOrEqual(0.0001);
      expect(s.d, i.id).toBeLessThanOrEqual(s.e);
      const mantissa = s.e / 10 ** Math.floor(Math.log10(s.e) + 1e-9);
      expect([1, 2, 5], i.id).toContain(Math.round(mantissa * 1e6) / 1e6);
      expect(s.load, i.id).toBeLessThanOrEqual(s.max);
      const h = DEMO_HISTORY.find((x) => x.instrument === i.id);
      if (h) expect(h.tolerance, i.id).toMatchObject({ model: 'oiml-r76', accuracyClass: 'III', e: s.e, max: s.max });
    }
    // The 3-tonne platform scale is one.
    expect(scales.find((i) => i.id === 'SC-0101')!.scale).toBe(PLATFORM_SCALE);
    expect(PLATFORM_SCALE).toMatchObject({ max: 3000, e: 1, d: 1 });
  });

  it('rounds a value to the step without binary noise', () => {
    expect(quantise(1260.4, 1)).toBe(1260);
    expect(quantise(20.0049, 0.01)).toBe(20);
    expect(quantise(20.0051, 0.005)).toBe(20.005);
    expect(quantise(0.1 + 0.2, 0.1)).toBe(0.3);
  });

  it('serve readings in steps of d, and e and Max as parameters, as the gateway decodes them', async () => {
    const profile = getProfile(loadProfiles(), 'weighing-indicator-tcp');
    for (const id of ['SC-0001', 'SC-0003', 'SC-0101']) {
      const s = scales.find((i) => i.id === id)!.scale!;
      const sim = await startSimulator({
        profile,
        port: 0,
        seed: 7,
        points: scalePoints(s),
        drift: id === 'SC-0003' ? { kind: 'linear', perDay: 0.4 } : undefined,
      });
      sims.push(sim);
      const c = await connectClient(sim.port);
      try {
        const read = async () => {
          const regs = (await c.readHoldingRegisters(0, 9)).data;
          return Object.fromEntries(profile.points.map((p) => [p.name, decoderFor(profile, p)(regs, p.address!)]));
        };
        const seen = new Set<number>();
        for (let k = 0; k < 25; k++) {
          const v = await read();
          for (const ch of ['gross', 'net']) {
            const x = v[ch]!;
            expect(Math.abs(x / s.d - Math.round(x / s.d)), `${id} ${ch} ${x}`).toBeLessThan(1e-9);
            expect(decimals(x), `${id} ${ch} ${x}`).toBeLessThanOrEqual(decimals(s.d));
          }
          expect(Math.abs(v.gross! - s.load)).toBeLessThanOrEqual(s.d * 3);
          seen.add(v.gross!);
          expect(v.division).toBe(s.e);
          expect(v.capacity).toBe(s.max);
        }
        expect(seen.size, id).toBeLessThanOrEqual(5); // a stable load shows a few neighbouring steps, not a noise cloud
      } finally {
        await closeClient(c);
      }
    }
  });
});
