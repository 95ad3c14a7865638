import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LotInput, RunningLot, judgeLot } from '../../analytics/prepackaged.js';
import { isMetronetError } from '../../core/index.js';
import {
  SAMPLING_PLANS,
  TOLERABLE_DEFICIENCY,
  deficiencyRowFor,
  samplingPlanFor,
  tolerableDeficiency,
  wholeLotAllowedT1,
} from '../../core/legal/prepackaged.js';

/**
 * The quantity rule for prepackaged goods (Circular 21/2014/TT-BKHCN, OIML R 87; data in
 * core/legal/prepackaged.ts, rules in docs/inspections.md "Prepackaged goods").
 *
 * Oracles. Neither R 87's annex example nor a worked example in the Circular could be read (only the
 * opening articles of the Circular are in the copies at hand), so the oracles are:
 * - the worked application of the Circular's annexes published at https://www.scribd.com/document/616718699
 *   ("Tra phụ lục IV được T = 4,5%.184 = 8.28g"; "Tra bảng 1, phụ lục III ta được k = 0,379 (N = 100–500,
 *   n = 50)"; "Qn – k.s = 184 – 0.379*3.27 = 182,76"; "250 g … T = 9 g … 250 – 0.379*6.87 = 247,40");
 * - the lot worked by hand in the comment of analytics/prepackaged.ts (Qn 500 g, N 1 000, n 80);
 * - k = t0.995(n − 1)/√n, the definition of the correction factor (UK SI 2006/659 Sch. 2 §4.2),
 *   computed here from the Student t distribution.
 */

function refusal(f: () => unknown): { code: string; details: { field?: string; value?: unknown; rule?: string }; vi?: string; message: string } {
  try {
    f();
  } catch (err) {
    if (isMetronetError(err)) return { code: err.code, details: err.details as never, vi: err.messageVi, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

const repeat = (count: number, value: number) => Array.from({ length: count }, () => value);

describe('the worked application of the Circular (Scribd 616718699)', () => {
  it('T for 184 g is 4.5 % of Qn, 8.28 g, rounded up to 8.3 g; T for 250 g is 9 g', () => {
    const t184 = tolerableDeficiency(184)!;
    expect(t184.row.kind).toBe('percent');
    expect(t184.raw).toBeCloseTo(8.28, 10);
    expect(t184.T).toBe(8.3);
    expect(tolerableDeficiency(250)!.T).toBe(9);
  });

  it('a lot of 355 takes the plan of 100–500: n = 50, k = 0.379; Qn − k·s = 182.76 and 247.40', () => {
    const plan = samplingPlanFor(355)!;
    expect(plan.sampleSize).toBe(50);
    expect(plan.k).toBe(0.379);
    expect(Number((184 - plan.k * 3.27).toFixed(2))).toBe(182.76);
    expect(Number((250 - plan.k * 6.87).toFixed(2))).toBe(247.4);
  });
});

describe('the lot worked by hand (analytics/prepackaged.ts): Qn 500 g, N 1 000, n 80', () => {
  const base: Omit<LotInput, 'net'> = { nominal: 500, unit: 'g', lotSize: 1000 };

  it('76 × 501 g and 4 × 484 g pass: x̄ 500.15, s 3.7284, limit 498.900, 4 T1 of 5 allowed', () => {
    const j = judgeLot({ ...base, net: [...repeat(76, 501), ...repeat(4, 484)] });
    expect(j.plan).toBe('sampling');
    expect(j.sampleSizeRequired).toBe(80);
    expect(j.T).toBe(15);
    expect(j.T2).toBe(30);
    expect(j.k).toBe(0.295);
    expect(j.mean).toBeCloseTo(500.15, 10);
    expect(j.s).toBeCloseTo(Math.sqrt(1098.2 / 79), 10);
    expect(j.s).toBeCloseTo(3.7284, 4);
    expect(j.meanLimit).toBeCloseTo(498.9, 3);
    expect(j.t1Count).toBe(4);
    expect(j.t2Count).toBe(0);
    expect(j.allowedT1).toBe(5);
    expect(j.verdict).toBe('pass');
    expect(j.reasons.map((r) => [r.rule, r.ok])).toEqual([
      ['mean', true],
      ['t1', true],
      ['t2', true],
    ]);
  });

  it('six packages of 484 g are one T1 package too many: fail on T1 alone', () => {
    const j = judgeLot({ ...base, net: [...repeat(74, 501), ...repeat(6, 484)] });
    expect(j.t1Count).toBe(6);
    expect(j.verdict).toBe('fail');
    expect(j.reasons.filter((r) => !r.ok).map((r) => r.rule)).toEqual(['t1']);
    const t1 = j.reasons.find((r) => r.rule === 't1')!;
    expect(t1.en).toContain('6 of 80');
    expect(t1.vi).toContain('không đạt');
    expect(t1.clause).toContain('Phụ lục III');
  });

  it('one package lacking 30.1 g (more than 2T) fails the lot however good the rest', () => {
    const j = judgeLot({ ...base, net: [...repeat(79, 510), 469.9] });
    expect(j.t2Count).toBe(1);
    expect(j.t1Count).toBe(1);
    expect(j.reasons.filter((r) => !r.ok).map((r) => r.rule)).toEqual(['t2']);
    expect(j.verdict).toBe('fail');
  });

  it('a mean below Qn − k·s fails on the mean alone', () => {
    // 80 packages spread ±1 g about 498.5 g: s ≈ 1.006, limit ≈ 499.70 > 498.5.
    const net = Array.from({ length: 80 }, (_, i) => 498.5 + (i % 2 === 0 ? 1 : -1));
    const j = judgeLot({ ...base, net });
    expect(j.meanLimit).toBeCloseTo(500 - 0.295 * j.s, 12);
    expect(j.mean).toBeLessThan(j.meanLimit);
    expect(j.reasons.filter((r) => !r.ok).map((r) => r.rule)).toEqual(['mean']);
    expect(j.reasons[0]!.vi).toContain('nhỏ hơn Qn − k·s');
  });
});

describe('the tolerable deficiency table at the boundaries of every range', () => {
  // [Qn, T]: each boundary, and 0.1 either side of it.
  const cases: [number, number][] = [
    [0.1, 0.1],
    [49.9, 4.5],
    [50, 4.5],
    [50.1, 4.5],
    [99.9, 4.5],
    [100, 4.5],
    [100.1, 4.6],
    [199.9, 9],
    [200, 9],
    [200.1, 9],
    [299.9, 9],
    [300, 9],
    [300.1, 9.1],
    [499.9, 15],
    [500, 15],
    [500.1, 15],
    [999.9, 15],
    [1000, 15],
    [1000.1, 15.1],
    [9999.9, 150],
    [10_000, 150],
    [10_000.1, 150],
    [14_999.9, 150],
    [15_000, 150],
    [15_000.1, 150.1],
    [25_000, 250],
  ];
  it.each(cases)('Qn %d → T %d', (qn, t) => {
    expect(tolerableDeficiency(qn)!.T).toBe(t);
  });

  it('each boundary belongs to the lower row, and both rows give the same T there (the table is continuous)', () => {
    for (const row of TOLERABLE_DEFICIENCY.slice(0, -1)) {
      const b = row.upTo!;
      expect(deficiencyRowFor(b)).toBe(row);
      const next = deficiencyRowFor(b + 1e-6)!;
      expect(next).not.toBe(row);
      const at = (r: typeof row) => (r.kind === 'absolute' ? r.value : (b * r.value) / 100);
      expect(at(next)).toBeCloseTo(at(row), 9);
    }
  });

  it('has no T for Qn of 0 or less, or not finite', () => {
    for (const qn of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect(tolerableDeficiency(qn)).toBeUndefined();
  });
});

describe('the sampling plans', () => {
  it.each([
    [99, undefined],
    [100, 50],
    [500, 50],
    [501, 80],
    [3200, 80],
    [3201, 125],
    [1_000_000, 125],
  ])('a lot of %d takes a sample of %s', (lot, n) => {
    expect(samplingPlanFor(lot)?.sampleSize).toBe(n);
  });

  it('allows 3, 5 and 7 packages above T in samples of 50, 80 and 125', () => {
    expect(SAMPLING_PLANS.map((p) => [p.sampleSize, p.allowedT1])).toEqual([
      [50, 3],
      [80, 5],
      [125, 7],
    ]);
  });

  it('each correction factor is t0.995(n − 1)/√n to the three decimals given', () => {
    for (const p of SAMPLING_PLANS) {
      const k = studentQuantile(0.995, p.sampleSize - 1) / Math.sqrt(p.sampleSize);
      expect(Math.abs(k - p.k)).toBeLessThan(0.0005);
    }
  });

  it('a lot measured whole allows ⌊2.5 % of N⌋ packages above T', () => {
    expect([1, 39, 40, 79, 80, 99, 1000].map(wholeLotAllowedT1)).toEqual([0, 0, 1, 1, 2, 2, 25]);
  });
});

describe('counting T1 and T2 packages (Qn 184 g: T 8.3 g, 2T 16.6 g)', () => {
  const judge = (x: number) => judgeLot({ nominal: 184, unit: 'g', lotSize: 1, net: [x] });
  it('a deficiency of exactly T is allowed; 0.1 g more is a T1 package', () => {
    expect(judge(175.7).t1Count).toBe(0);
    expect(judge(175.6).t1Count).toBe(1);
  });
  it('a deficiency of exactly 2T is a T1 package but not a T2; 0.1 g more is both', () => {
    expect([judge(167.4).t1Count, judge(167.4).t2Count]).toEqual([1, 0]);
    expect([judge(167.3).t1Count, judge(167.3).t2Count]).toEqual([1, 1]);
  });
  it('a lot measured whole must reach Qn on average (no k·s allowance)', () => {
    const at = judgeLot({ nominal: 184, unit: 'g', lotSize: 4, net: [183, 185, 184, 184] });
    expect(at.plan).toBe('whole-lot');
    expect(at.k).toBe(0);
    expect(at.meanLimit).toBe(184);
    expect(at.verdict).toBe('pass');
    const below = judgeLot({ nominal: 184, unit: 'g', lotSize: 4, net: [183, 185, 184, 183.9] });
    expect(below.verdict).toBe('fail');
    expect(below.reasons[0]!.en).toContain('lot measured whole');
  });
  it('a lot of 80 measured whole allows 2 T1 packages, not 3', () => {
    const net = (t1: number) => [...repeat(80 - t1, 190), ...repeat(t1, 175)];
    expect(judgeLot({ nominal: 184, unit: 'g', lotSize: 80, net: net(2) }).verdict).toBe('pass');
    const three = judgeLot({ nominal: 184, unit: 'g', lotSize: 80, net: net(3) });
    expect([three.allowedT1, three.t1Count, three.verdict]).toEqual([2, 3, 'fail']);
  });
});

describe('tare', () => {
  const gross = repeat(80, 520);
  const lot = { nominal: 500, unit: 'g' as const, lotSize: 1000 };
  it('subtracts a constant tare, or each package its own', () => {
    expect(judgeLot({ ...lot, gross, tare: 19 }).mean).toBeCloseTo(501, 10);
    const own = judgeLot({ ...lot, gross, tare: repeat(80, 20).map((t, i) => t + (i % 2 ? 0.5 : -0.5)) });
    expect(own.tare).toMatchObject({ mode: 'individual', average: 20, count: 80 });
    expect(own.mean).toBeCloseTo(500, 10);
  });
  it('uses the average of 10 empty packagings when the tare is at most 10 % of Qn', () => {
    const j = judgeLot({ ...lot, gross, tare: { sample: [19, 21, 20, 20, 19.5, 20.5, 20, 20, 20, 20] } });
    expect(j.tare).toMatchObject({ mode: 'average', average: 20, count: 10 });
    expect(j.mean).toBeCloseTo(500, 10);
  });
  it('refuses fewer than 10 empty packagings', () => {
    const r = refusal(() => judgeLot({ ...lot, gross, tare: { sample: repeat(9, 20) } }));
    expect(r.code).toBe('E_SAMPLE_SIZE');
    expect(r.details).toMatchObject({ field: 'tare.sample', value: 9, rule: 'minimum' });
  });
  it('a tare above 10 % of Qn needs 25 packagings, and s ≤ 0.25 T', () => {
    const heavy = (n: number, spread: number) => ({ sample: Array.from({ length: n }, (_, i) => 60 + (i % 2 ? spread : -spread)) });
    // 60 g > 50 g = 10 % of 500 g; 0.25 T = 3.75 g.
    expect(refusal(() => judgeLot({ ...lot, gross: repeat(80, 560), tare: heavy(10, 1) })).details).toMatchObject({ rule: 'extended-sample', value: 10 });
    expect(judgeLot({ ...lot, gross: repeat(80, 560), tare: heavy(25, 1) }).tare).toMatchObject({ mode: 'average', count: 25 });
    const varied = refusal(() => judgeLot({ ...lot, gross: repeat(80, 560), tare: heavy(25, 5) }));
    expect(varied.code).toBe('E_BAD_REQUEST');
    expect(varied.details.rule).toBe('tare-variation');
    expect(varied.vi).toContain('từng đơn vị');
  });
  it('refuses a gross quantity below its tare', () => {
    expect(refusal(() => judgeLot({ ...lot, gross: [...repeat(79, 520), 10], tare: 19 })).details).toMatchObject({ field: 'gross[79]', rule: 'above-tare' });
  });
});

describe('malformed input is refused with the field and the rule', () => {
  const ok: LotInput = { nominal: 500, unit: 'g', lotSize: 10, net: repeat(10, 500) };
  it.each<[string, Partial<LotInput> | Record<string, unknown>, string, string]>([
    ['unit kg', { unit: 'kg' }, 'unit', 'enum'],
    ['nominal 0', { nominal: 0 }, 'nominal', 'positive'],
    ['nominal NaN', { nominal: Number.NaN }, 'nominal', 'positive'],
    ['lot size 0', { lotSize: 0 }, 'lotSize', 'integer'],
    ['lot size 1.5', { lotSize: 1.5 }, 'lotSize', 'integer'],
    ['empty net', { net: [] }, 'net', 'non-empty'],
    ['NaN in net', { net: [500, 500, Number.NaN, ...repeat(7, 500)] }, 'net[2]', 'non-negative'],
    ['negative net', { net: [...repeat(9, 500), -1] }, 'net[9]', 'non-negative'],
    ['net and gross', { gross: repeat(10, 520), tare: 20 }, 'net', 'one-of'],
    ['gross without tare', { net: undefined, gross: repeat(10, 520) }, 'tare', 'required'],
    ['more packages than the lot', { lotSize: 5 }, 'net', 'maximum'],
  ])('%s', (_, change, field, rule) => {
    const r = refusal(() => judgeLot({ ...ok, ...change } as LotInput));
    expect(r.code).toBe('E_BAD_REQUEST');
    expect(r.details).toMatchObject({ field, rule });
    expect(r.vi).toBeTruthy();
  });

  it('a sample smaller than the plan: E_SAMPLE_SIZE naming the plan, in English and Vietnamese', () => {
    const r = refusal(() => judgeLot({ nominal: 500, unit: 'g', lotSize: 1000, net: repeat(79, 500) }));
    expect(r.code).toBe('E_SAMPLE_SIZE');
    expect(r.details).toEqual({ field: 'net', value: 79, rule: 'minimum' });
    expect(r.message).toContain('exactly 80');
    expect(r.vi).toContain('đúng 80');
  });
  it('a sample larger than the plan but not the whole lot is refused too', () => {
    expect(refusal(() => judgeLot({ nominal: 500, unit: 'g', lotSize: 1000, net: repeat(81, 500) })).details).toMatchObject({ rule: 'plan-size', value: 81 });
  });
  it('a part of a lot below 100 is refused: such lots are measured whole', () => {
    expect(refusal(() => judgeLot({ nominal: 500, unit: 'g', lotSize: 60, net: repeat(50, 500) })).details).toMatchObject({ rule: 'whole-lot', value: 50 });
  });
});

describe('the running lot', () => {
  const qn = 500;
  /** Net quantities about Qn + shift: mostly small noise, now and then a deep deficiency. */
  const packages = fc.array(
    fc.oneof({ weight: 20, arbitrary: fc.double({ min: -6, max: 6, noNaN: true }) }, { weight: 1, arbitrary: fc.double({ min: -40, max: -10, noNaN: true }) }),
    { minLength: 1, maxLength: 400 },
  );

  it('agrees with the batch judge on random lots measured whole', () => {
    fc.assert(
      fc.property(packages, fc.double({ min: -2, max: 3, noNaN: true }), (deltas, shift) => {
        const net = deltas.map((d) => qn + shift + d);
        const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: net.length });
        for (const x of net) expect(lot.add(x)).toBe(true);
        const a = lot.close();
        const b = judgeLot({ nominal: qn, unit: 'g', lotSize: net.length, net });
        expect(a.mean).toBeCloseTo(b.mean, 9);
        expect(Math.abs(a.s - b.s)).toBeLessThan(1e-9 * Math.max(1, b.s));
        expect([a.t1Count, a.t2Count, a.allowedT1, a.plan]).toEqual([b.t1Count, b.t2Count, b.allowedT1, b.plan]);
        expect(a.verdict).toBe(b.verdict);
        expect(a.reasons.map((r) => r.ok)).toEqual(b.reasons.map((r) => r.ok));
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with the batch judge on plan samples (n 80 of a lot of 1 000)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 8, noNaN: true }), { minLength: 80, maxLength: 80 }), (deltas) => {
        const net = deltas.map((d) => qn + d);
        const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 1000 });
        for (const x of net) lot.add(x);
        const a = lot.close({ lotSize: 1000 });
        const b = judgeLot({ nominal: qn, unit: 'g', lotSize: 1000, net });
        expect(a.meanLimit).toBeCloseTo(b.meanLimit, 9);
        expect([a.plan, a.k, a.t1Count, a.t2Count, a.verdict]).toEqual([b.plan, b.k, b.t1Count, b.t2Count, b.verdict]);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps Welford exact on the worked triple 501, 484, 501 (s = 9.815)', () => {
    const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 3 });
    for (const x of [501, 484, 501]) lot.add(x);
    const st = lot.state();
    expect(st.mean).toBeCloseTo(1486 / 3, 10);
    expect(st.s).toBeCloseTo(Math.sqrt(192.666666666 / 2), 6);
  });

  it('refuses readings that are not quantities, or past the lot size, without stopping', () => {
    const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 2 });
    expect([lot.add(Number.NaN), lot.add(-1), lot.add(Number.POSITIVE_INFINITY), lot.add(500), lot.add(501), lot.add(502)]).toEqual([
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect(lot.state()).toMatchObject({ count: 2, rejected: 4, mean: 500.5 });
  });

  it('adds gross quantities with the lot tare', () => {
    const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 10, tare: 20 });
    lot.addGross(521);
    expect(lot.state().mean).toBe(501);
    expect(() => new RunningLot({ nominal: qn, unit: 'g', lotSize: 10 }).addGross(520)).toThrow(/tare/);
  });

  describe('atRisk', () => {
    it('a T2 package: failed at once', () => {
      const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 1000 });
      lot.add(501);
      lot.add(469.9);
      expect(lot.state()).toMatchObject({ failed: true, t2Count: 1, atRisk: { t2: true, any: true } });
    });

    it('the T1 allowance: at risk when used up, failed when exceeded', () => {
      const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 80, warmup: 1000 });
      lot.add(484);
      expect(lot.state().atRisk.t1).toBe(false);
      lot.add(484);
      expect(lot.state()).toMatchObject({ allowedT1: 2, t1Count: 2, failed: false, atRisk: { t1: true } });
      lot.add(484);
      expect(lot.state()).toMatchObject({ failed: true, atRisk: { t1: true } });
    });

    it('the T1 rate projected over the lot after warmup', () => {
      // 1 000 packages allow 25; 2 T1 in the first 50 project 40 at close.
      const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 1000, warmup: 50 });
      for (let i = 0; i < 48; i++) lot.add(505);
      lot.add(484);
      expect(lot.state().atRisk.t1).toBe(false); // 49 packages: before warmup
      lot.add(484);
      expect(lot.state()).toMatchObject({ projectedT1: 40, failed: false, atRisk: { t1: true } });
      for (let i = 0; i < 50; i++) lot.add(505);
      expect(lot.state()).toMatchObject({ projectedT1: 20, atRisk: { t1: false } });
    });

    it('the mean: a running mean below Qn after warmup, with the mean the rest must reach', () => {
      const lot = new RunningLot({ nominal: qn, unit: 'g', lotSize: 100, warmup: 10 });
      for (let i = 0; i < 9; i++) lot.add(499);
      expect(lot.state().atRisk.mean).toBe(false);
      lot.add(499);
      const st = lot.state();
      expect(st.atRisk).toMatchObject({ mean: true, any: true });
      expect(st.meanNeededForRest).toBeCloseTo((100 * 500 - 10 * 499) / 90, 10);
      for (let i = 0; i < 10; i++) lot.add(502);
      expect(lot.state().atRisk.mean).toBe(false);
    });
  });
});

/** Quantile of Student's t with v degrees of freedom: Simpson's rule on the density, then bisection. */
function studentQuantile(p: number, v: number): number {
  const c = Math.exp(lnGamma((v + 1) / 2) - lnGamma(v / 2)) / Math.sqrt(v * Math.PI);
  const pdf = (t: number) => c * (1 + (t * t) / v) ** (-(v + 1) / 2);
  const cdf = (x: number) => {
    const steps = 2000;
    const h = x / steps;
    let sum = pdf(0) + pdf(x);
    for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * pdf(i * h);
    return 0.5 + (sum * h) / 3;
  };
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** ln Γ(x), Lanczos (g = 7, n = 9). */
function lnGamma(x: number): number {
  const g = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012,
    9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = g[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
