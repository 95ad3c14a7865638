import { describe, expect, it } from 'vitest';
import { loadProfiles, validateProfile, type Profile } from '../../core/index.js';
import { describePlan, MAX_READ_REGISTERS, planRequests } from '../../gateway/index.js';

type PointSpec = { name: string; address: number; type: 'uint16' | 'float32' | 'uint32' | 'float64' | 'bit'; bit?: number; table?: 'holding' | 'input' };

function profile(points: PointSpec[], addressBase: 0 | 1 = 0): Profile {
  return validateProfile(
    { id: 'plan-test', name: 'plan test', kind: 'other', modbus: { addressBase }, points: points.map((p) => ({ ...p, unit: '1' })) },
    'test:plan',
  );
}

const spans = (p: Profile, opts?: Parameters<typeof planRequests>[1]) => planRequests(p, opts).map((r) => [r.table, r.start, r.length]);

describe('request plan', () => {
  it('joins contiguous points into one request', () => {
    const p = profile([
      { name: 'a', address: 0, type: 'float32' },
      { name: 'b', address: 2, type: 'float32' },
      { name: 'c', address: 4, type: 'uint16' },
    ]);
    const [req, ...rest] = planRequests(p);
    expect(rest).toEqual([]);
    expect(req).toMatchObject({ table: 'holding', fc: 3, start: 0, length: 5 });
    expect(req!.points.map((q) => [q.point.name, q.address, q.count])).toEqual([
      ['a', 0, 2],
      ['b', 2, 2],
      ['c', 4, 1],
    ]);
  });

  it('sorts points by address, whatever their order in the profile', () => {
    const p = profile([
      { name: 'late', address: 6, type: 'uint16' },
      { name: 'early', address: 0, type: 'float32' },
    ]);
    expect(planRequests(p)[0]!.points.map((q) => q.point.name)).toEqual(['early', 'late']);
  });

  it('fills a hole of up to 8 unused registers, and splits at 9', () => {
    const within = profile([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 'b', address: 9, type: 'uint16' }, // registers 1..8 unused: a hole of 8
    ]);
    expect(spans(within)).toEqual([['holding', 0, 10]]);
    const over = profile([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 'b', address: 10, type: 'uint16' }, // hole of 9
    ]);
    expect(spans(over)).toEqual([
      ['holding', 0, 1],
      ['holding', 10, 1],
    ]);
  });

  it('takes the hole limit from the options', () => {
    const p = profile([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 'b', address: 2, type: 'uint16' },
      { name: 'c', address: 30, type: 'uint16' },
    ]);
    expect(spans(p, { maxHole: 0 })).toEqual([
      ['holding', 0, 1],
      ['holding', 2, 1],
      ['holding', 30, 1],
    ]);
    expect(spans(p, { maxHole: 40 })).toEqual([['holding', 0, 31]]);
  });

  it('never reads more than 125 registers in one request, nor splits a point', () => {
    const points = Array.from({ length: 70 }, (_, i): PointSpec => ({ name: `f${i}`, address: 2 * i, type: 'float32' }));
    const plan = planRequests(profile(points));
    expect(plan.map((r) => [r.start, r.length])).toEqual([
      [0, 124],
      [124, 16],
    ]); // 63 floats would need 126
    expect(plan.every((r) => r.length <= MAX_READ_REGISTERS)).toBe(true);
    expect(plan.flatMap((r) => r.points).length).toBe(70);
    expect(spans(profile(points), { maxRegisters: 500 })).toEqual([
      ['holding', 0, 124],
      ['holding', 124, 16],
    ]);
    expect(spans(profile(points), { maxRegisters: 40 })).toEqual([
      ['holding', 0, 40],
      ['holding', 40, 40],
      ['holding', 80, 40],
      ['holding', 120, 20],
    ]);
  });

  it('counts a hole against the 125 limit too', () => {
    const p = profile([
      { name: 'a', address: 0, type: 'float64' },
      { name: 'b', address: 121, type: 'float64' }, // would end at 125: exactly the limit
      { name: 'c', address: 130, type: 'uint16' },
    ]);
    expect(spans(p, { maxHole: 200 })).toEqual([
      ['holding', 0, 125],
      ['holding', 130, 1],
    ]);
  });

  it('plans holding (FC3) and input (FC4) registers separately', () => {
    const p = profile([
      { name: 'h', address: 0, type: 'float32' },
      { name: 'i', address: 2, type: 'float32', table: 'input' },
    ]);
    expect(planRequests(p).map((r) => [r.table, r.fc, r.start, r.length])).toEqual([
      ['holding', 3, 0, 2],
      ['input', 4, 2, 2],
    ]);
  });

  it('converts 1-based manual addresses to wire addresses', () => {
    const p = profile(
      [
        { name: 'a', address: 1, type: 'float32' },
        { name: 'b', address: 3, type: 'uint16' },
      ],
      1,
    );
    expect(spans(p)).toEqual([['holding', 0, 3]]);
    const bad = profile([{ name: 'zero', address: 0, type: 'uint16' }], 1);
    expect(() => planRequests(bad)).toThrow(/point "zero" has address 0, below the profile's addressBase 1/);
  });

  it('reads each shipped Modbus profile in one request per table (two for the RTU indicator, whose firmware text is far away)', () => {
    const modbus = [...loadProfiles()].filter(([, p]) => p.modbus);
    const plans = Object.fromEntries(
      modbus.map(([id, p]) => [id, describePlan(planRequests(p)).map(({ table, fc, start, length }) => ({ table, fc, start, length }))]),
    );
    expect(plans).toEqual({
      'air-station-tcp': [{ table: 'input', fc: 4, start: 0, length: 17 }],
      // Its package records are read through the records plan (test/gateway/checkweigher-profile.test.ts).
      'checkweigher-tcp': [{ table: 'holding', fc: 3, start: 0, length: 3 }],
      'fuel-dispenser-2n-tcp': [{ table: 'holding', fc: 3, start: 0, length: 19 }],
      'fuel-dispenser-rtu': [
        { table: 'holding', fc: 3, start: 0, length: 20 },
        { table: 'coil', fc: 1, start: 0, length: 1 },
        { table: 'discrete', fc: 2, start: 0, length: 2 },
      ],
      'water-station-tcp': [{ table: 'input', fc: 4, start: 0, length: 13 }],
      'weighing-indicator-rtu': [
        { table: 'holding', fc: 3, start: 0, length: 8 },
        { table: 'holding', fc: 3, start: 19, length: 4 },
      ],
      'weighing-indicator-tcp': [{ table: 'holding', fc: 3, start: 0, length: 9 }],
    });
  });

  it('bit points share their register; onePerPoint and a lowered maximum split requests', () => {
    const p = profile([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 's0', address: 1, type: 'bit', bit: 0 },
      { name: 's1', address: 1, type: 'bit', bit: 1 },
      { name: 'b', address: 2, type: 'float32' },
    ]);
    expect(describePlan(planRequests(p)).map((r) => [r.start, r.length])).toEqual([[0, 4]]);
    expect(describePlan(planRequests(p, { onePerPoint: true })).map((r) => [r.start, r.length])).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
    ]);
    expect(describePlan(planRequests(p, { maxRegisters: 2 })).map((r) => [r.start, r.length])).toEqual([
      [0, 2],
      [2, 2],
    ]);
  });

  it('describes the plan for the start-up log', () => {
    const p = profile([
      { name: 'a', address: 0, type: 'uint16' },
      { name: 'b', address: 1, type: 'uint16' },
    ]);
    expect(describePlan(planRequests(p))).toEqual([{ table: 'holding', fc: 3, start: 0, length: 2, points: ['a', 'b'] }]);
  });
});
