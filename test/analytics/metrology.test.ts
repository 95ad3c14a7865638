import { describe, expect, it } from 'vitest';
import { loadIssue, mpeFor, type R76Spec, r117Emin, r76RangeOf, toleranceProblems } from '../../analytics/tolerance.js';
import { conformity } from '../../analytics/conformity.js';
import { fitPoints, fitSums, emptySums, addPoint, predictOutOfTolerance } from '../../analytics/trend.js';
import { cusumRun } from '../../analytics/cusum.js';
import { channelSigma, movingRangeSigma } from '../../analytics/sigma.js';
import { analyserStatus } from '../../analytics/analyser.js';
import { DAY } from '../../core/index.js';
import { dueDate, dueState } from '../../analytics/due.js';
import { intervalAdvice, rp1A3, staircase } from '../../analytics/interval.js';
import { traceabilityAt, type StandardLink } from '../../analytics/traceability.js';
import { TEST_ANCHOR } from './support.js';
import { binomialCdf, tQuantile } from '../../analytics/stats.js';

describe('distributions', () => {
  it('t quantiles match the tables', () => {
    expect(tQuantile(0.95, 3)).toBeCloseTo(2.3534, 4);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
    expect(tQuantile(0.95, 1000)).toBeCloseTo(1.6464, 3);
    expect(tQuantile(0.05, 3)).toBeCloseTo(-2.3534, 4);
  });
  it('binomial CDF', () => {
    expect(binomialCdf(15, 20, 0.95)).toBeCloseTo(0.002574, 6);
    expect(binomialCdf(20, 20, 0.95)).toBe(1);
  });
});

describe('tolerances as data', () => {
  it('OIML R76: class III, e = 10 g, 20 kg = 2 000 e → ±10 g at verification, ±20 g in service', () => {
    const spec = { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 } as const;
    expect(mpeFor(spec, 20, 'verification')).toBeCloseTo(0.01, 12);
    expect(mpeFor(spec, 20, 'in-service')).toBeCloseTo(0.02, 12);
    expect(mpeFor(spec, 5, 'verification')).toBeCloseTo(0.005, 12); // 500 e → 0.5 e
    expect(mpeFor(spec, 30, 'verification')).toBeCloseTo(0.015, 12); // 3 000 e → 1.5 e
    expect(mpeFor({ model: 'oiml-r76', accuracyClass: 'II', e: 0.001 }, 10, 'verification')).toBeCloseTo(0.001, 12); // 10 000 e → 1 e
  });
  it('OIML R117 class 0.5: % of volume with small-volume factors', () => {
    const spec = { model: 'oiml-r117', accuracyClass: '0.5' } as const;
    expect(mpeFor(spec, 20)).toBeCloseTo(0.1, 12);
    expect(mpeFor(spec, 0.5)).toBeCloseTo(0.005, 12);
    expect(mpeFor(spec, 0.2)).toBeCloseTo(0.004, 12);
    expect(mpeFor({ ...spec, part: 'meter' }, 20)).toBeCloseTo(0.06, 12);
  });
  it('OIML R76 multi-interval (T.3.2.7): the MPE uses e_i of the partial range the load is in', () => {
    // class III, e₁ = 2 g to 6 kg, e₂ = 5 g to 15 kg
    const spec: R76Spec = {
      model: 'oiml-r76',
      accuracyClass: 'III',
      e: 0.002,
      max: 15,
      min: 0.04,
      multiInterval: [
        { e: 0.002, max: 6 },
        { e: 0.005, max: 15 },
      ],
    };
    expect(toleranceProblems(spec)).toEqual([]);
    expect(r76RangeOf(spec, 4)).toEqual({ index: 0, e: 0.002, max: 6 });
    expect(mpeFor(spec, 4, 'verification')).toBeCloseTo(0.002, 12); // 2 000 e₁ → 1 e₁
    expect(mpeFor(spec, 6, 'verification')).toBeCloseTo(0.003, 12); // 3 000 e₁ → 1.5 e₁ (boundary stays in WR₁)
    expect(mpeFor(spec, 10, 'verification')).toBeCloseTo(0.005, 12); // WR₂: 2 000 e₂ → 1 e₂
    expect(mpeFor(spec, 10, 'in-service')).toBeCloseTo(0.01, 12); // R76-1 3.5.2
    expect(mpeFor(spec, 1, 'verification')).toBeCloseTo(0.001, 12); // 500 e₁ → 0.5 e₁
    expect(loadIssue(spec, 16)).toMatchObject({ rule: 'r76-above-max', limit: 15 });
    expect(loadIssue(spec, 0.02)).toMatchObject({ rule: 'r76-below-min', limit: 0.04, messageVi: expect.stringMatching(/Min/) });
    expect(loadIssue(spec, 10)).toBeNull();
    // Existing single-range specs keep working, with no range limits unless stated.
    expect(loadIssue({ model: 'oiml-r76', accuracyClass: 'III', e: 0.01 }, 1e6)).toBeNull();
  });
  it('OIML R76 multiple-range (T.3.2.8): the smallest range that holds the load', () => {
    const spec: R76Spec = {
      model: 'oiml-r76',
      accuracyClass: 'III',
      e: 0.01,
      multipleRange: [
        { e: 0.01, max: 30 },
        { e: 0.05, max: 150 },
      ],
    };
    expect(mpeFor(spec, 20, 'verification')).toBeCloseTo(0.01, 12);
    expect(mpeFor(spec, 100, 'verification')).toBeCloseTo(0.05, 12);
    expect(mpeFor(spec, 160, 'verification')).toBeCloseTo(0.075, 12); // above Max: last range, flagged
    expect(loadIssue(spec, 160)).toMatchObject({ rule: 'r76-above-max', limit: 150 });
    expect(toleranceProblems({ ...spec, e: 0.05 })).toEqual([expect.stringMatching(/must be e₁/)]);
    expect(
      toleranceProblems({
        ...spec,
        multipleRange: [
          { e: 0.05, max: 30 },
          { e: 0.01, max: 150 },
        ],
        e: 0.05,
      }),
    ).toEqual([expect.stringMatching(/e must grow/)]);
  });
  it('OIML R117-1 Table 3: below 2 L each band from its stated volume (stricter than the old factors)', () => {
    const spec = { model: 'oiml-r117', accuracyClass: '0.5' } as const;
    expect(mpeFor(spec, 2)).toBeCloseTo(0.01, 12); // Table 2: 0.5 % × 2 L
    expect(mpeFor(spec, 1.5)).toBeCloseTo(0.01, 12); // 1–2 L: value applied to 2 L (old: 0.015)
    expect(mpeFor(spec, 1)).toBeCloseTo(0.01, 12);
    expect(mpeFor(spec, 0.99)).toBeCloseTo(0.0099, 12); // 0.4–1 L: 2 × 0.5 % × V
    expect(mpeFor(spec, 0.4)).toBeCloseTo(0.004, 12);
    expect(mpeFor(spec, 0.3)).toBeCloseTo(0.004, 12); // 0.2–0.4 L: 2 × value applied to 0.4 L (old: 0.006)
    expect(mpeFor(spec, 0.15)).toBeCloseTo(0.003, 12); // 0.1–0.2 L: 4 × 0.5 % × V
    expect(mpeFor(spec, 0.05)).toBeCloseTo(0.002, 12); // < 0.1 L: 4 × value applied to 0.1 L (old: 0.001)
    // Continuous at every band edge from below.
    for (const edge of [0.1, 0.2, 0.4, 1, 2]) expect(mpeFor(spec, edge - 1e-9)).toBeCloseTo(mpeFor(spec, edge), 8);
  });
  it('OIML R117 E_min: the MPE is never below the minimum specified volume deviation of the MMQ', () => {
    const five = { model: 'oiml-r117', accuracyClass: '0.5', mmq: 5 } as const;
    expect(r117Emin(five)).toBeCloseTo(0.05, 12); // 2 × 5 L × 0.5 %
    expect(mpeFor(five, 5)).toBeCloseTo(0.05, 12); // not 0.025
    expect(mpeFor(five, 20)).toBeCloseTo(0.1, 12); // Table 2 wins
    expect(loadIssue(five, 2)).toMatchObject({ rule: 'r117-below-mmq', limit: 5 });
    expect(loadIssue(five, 20)).toBeNull();
    const half = { model: 'oiml-r117', accuracyClass: '0.5', mmq: 0.5 } as const;
    expect(r117Emin(half)).toBeCloseTo(0.01, 12); // 2 × Table 3 at 0.5 L (0.005)
    expect(mpeFor(half, 0.5)).toBeCloseTo(0.01, 12);
    expect(mpeFor({ ...five, eMin: 0.08 }, 10)).toBeCloseTo(0.08, 12); // a larger stated E_min governs
    expect(toleranceProblems({ ...five, eMin: 0.01 })).toEqual([expect.stringMatching(/below the 0.05 L/)]);
    expect(mpeFor({ ...five, part: 'meter' }, 5)).toBeCloseTo(0.015, 12); // meter alone: line B, no system E_min
  });
  it('analysers: % of span by gas, O₂ absolute; explicit absolute override', () => {
    expect(mpeFor({ model: 'analyser', span: 500, gas: 'SO2' }, 400)).toBeCloseTo(12.5, 12);
    expect(mpeFor({ model: 'analyser', span: 100, gas: 'co' }, 80)).toBeCloseTo(5, 12);
    expect(mpeFor({ model: 'analyser', span: 25, gas: 'o2' }, 20)).toBeCloseTo(0.5, 12);
    expect(mpeFor({ model: 'absolute', mpe: 0.03 }, 20)).toBe(0.03);
  });
});

describe('conformity (ILAC-G8)', () => {
  it('simple vs guarded acceptance, near limit', () => {
    expect(conformity(0.018, 0.02, 0.004, 'simple')).toMatchObject({ decision: 'pass', zone: 'near_limit' });
    expect(conformity(0.018, 0.02, 0.004, 'guarded')).toMatchObject({ decision: 'fail', zone: 'out', acceptanceLimit: 0.016 });
    expect(conformity(-0.021, 0.02, 0, 'simple')).toMatchObject({ decision: 'fail', zone: 'out' });
    expect(conformity(0.005, 0.02, 0.004).zone).toBe('in');
    expect(conformity(0.018, 0.02, 0.004, 'guarded').statement).toMatch(/guarded acceptance.*ILAC-G8/);
  });
});

describe('trend and predicted out-of-tolerance date (DOMAIN.md oracle)', () => {
  const t = [0, 90, 180, 270, 360];
  const e = [0.1, 0.3, 0.45, 0.7, 0.85];
  it('slope 0.0021111 /d, s 0.02582, point 900 d, 95 % bound ≈ 827 d', () => {
    const fit = fitPoints(t, e)!;
    expect(fit.slope).toBeCloseTo(0.0021111, 7);
    expect(fit.intercept).toBeCloseTo(0.1, 10);
    expect(fit.s).toBeCloseTo(0.02582, 5);
    const p = predictOutOfTolerance(fit, 2, 360, 0.95);
    expect(p.pointT).toBeCloseTo(900, 6);
    expect(p.boundT).toBeGreaterThan(826);
    expect(p.boundT).toBeLessThan(828);
    expect(p.side).toBe(1);
    expect(fit.slopeCi[0]).toBeGreaterThan(0);
  });
  it('running sums give the same fit; a falling series predicts the lower limit', () => {
    const s = emptySums();
    t.forEach((ti, i) => addPoint(s, ti, -e[i]!));
    const fit = fitSums(s)!;
    expect(fit.slope).toBeCloseTo(-0.0021111, 7);
    const p = predictOutOfTolerance(fit, 2, 360);
    expect(p.side).toBe(-1);
    expect(p.boundT).toBeCloseTo(predictOutOfTolerance(fitPoints(t, e)!, 2, 360).boundT!, 6);
  });
  it('a bound already beyond MPE predicts now; a flat series only far away (the bound widens with t)', () => {
    const fit = fitPoints(t, e)!;
    expect(predictOutOfTolerance(fit, 0.9, 360).boundT).toBe(360);
    const flat = fitPoints([0, 1, 2, 3, 4, 5], [0.01, -0.01, 0.01, -0.01, 0.01, -0.01])!;
    expect(predictOutOfTolerance(flat, 2, 5).boundT).toBeGreaterThan(100);
    expect(flat.slopeCi[0]).toBeLessThan(0); // not significant: the engine raises no alert on it
  });
});

describe('noise and shift', () => {
  it('σ: moving range / 1.128, never below the reference standard uncertainty', () => {
    expect(movingRangeSigma([0.1, 0.13, 0.11, 0.15])).toBeCloseTo(0.03 / 1.128, 10);
    expect(channelSigma({ movingRange: 0.0266, referenceU: 0.08 })).toBeCloseTo(0.04, 10);
    expect(channelSigma({ repeatability: 0.05, movingRange: 0.01, referenceU: 0.02 })).toBe(0.05);
  });
  it('tabular CUSUM k = 0.5, h = 5 signals the worked example at the 7th check', () => {
    const r = cusumRun([0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    expect(r.signals).toEqual([{ index: 6, direction: 'up' }]);
    expect(cusumRun([0, -3, -3, -3]).signals).toEqual([{ index: 3, direction: 'down' }]);
    expect(cusumRun([0.4, -0.4, 0.4, -0.4, 0.4]).signals).toEqual([]);
  });
});

describe('EPA out-of-control rule for analysers', () => {
  it('5 consecutive days above 2× the limit, or once above 4×', () => {
    const days = [1, 5.5, 6, 5.2, 5.1, 6.3].map((d, i) => ({ ts: i * DAY, driftPct: d }));
    expect(analyserStatus(days.slice(0, 5), 2.5).outOfControl).toBe(false);
    expect(analyserStatus(days, 2.5)).toMatchObject({ outOfControl: true, reason: 'consecutive', suspectSince: 0 });
    expect(
      analyserStatus(
        [
          { ts: 0, driftPct: 1 },
          { ts: DAY, driftPct: -10.5 },
        ],
        2.5,
      ),
    ).toMatchObject({ outOfControl: true, reason: 'once' });
    expect(analyserStatus([...days, { ts: 7 * DAY, driftPct: 0.5 }], 2.5).outOfControl).toBe(false);
  });
});

describe('due dates and interval advice', () => {
  it('due soon within the lead time, overdue after', () => {
    const verified = Date.UTC(2026, 0, 15);
    const due = dueDate({ date: verified, nextDue: null, intervalDays: null }, { days: 365 })!;
    expect(dueDate({ date: verified, nextDue: Date.UTC(2026, 6, 1), intervalDays: 365 }, { days: 365 })).toBe(Date.UTC(2026, 6, 1));
    expect(dueDate({ date: verified, nextDue: null, intervalDays: 30 }, { days: 365 })).toBe(verified + 30 * DAY);
    expect(dueDate(undefined, { days: 365 })).toBeNull();
    expect(new Date(due).toISOString().slice(0, 10)).toBe('2027-01-15');
    expect(dueState(due, Date.UTC(2026, 11, 20), 30)).toBe('due_soon');
    expect(dueState(due, Date.UTC(2026, 10, 1), 30)).toBe('ok');
    expect(dueState(due, Date.UTC(2027, 0, 16), 30)).toBe('overdue');
    expect(dueState(null, 0, 30)).toBe('unknown');
  });
  it('RP-1 A3 published cases: Rt 0.95, 15/20 at 365 d → 231 d; 16/20 at 730 d → 523 d', () => {
    const a = rp1A3(15, 20, 365, { reliabilityTarget: 0.95 });
    expect(Math.abs(a.suggestedDays - 231)).toBeLessThanOrEqual(1);
    const b = rp1A3(16, 20, 730, { reliabilityTarget: 0.95 });
    expect(Math.abs(b.suggestedDays - 523)).toBeLessThanOrEqual(1);
    expect(rp1A3(19, 20, 365, { reliabilityTarget: 0.95 }).suggestedDays).toBe(365); // consistent with target: keep
  });
  it('staircase: within 80 % → longer, outside MPE → shorter; A3 once history suffices', () => {
    expect(staircase(365, 0.5).suggestedDays).toBe(456);
    expect(staircase(365, 1.2).suggestedDays).toBe(183);
    expect(staircase(365, 0.9).suggestedDays).toBe(365);
    expect(
      intervalAdvice(
        365,
        Array.from({ length: 20 }, (_, i) => ({ asFoundFraction: i < 15 ? 0.5 : 1.5 })),
      ).method,
    ).toBe('rp1-a3');
  });
});

describe('traceability', () => {
  it('an expired link anywhere in the chain breaks it', () => {
    const links = new Map<string, StandardLink>([
      ['REF-M1-20KG', { id: 'REF-M1-20KG', due: Date.UTC(2026, 5, 30), parent: 'REF-F1-SET' }],
      ['REF-F1-SET', { id: 'REF-F1-SET', due: Date.UTC(2026, 2, 31), parent: null, anchor: TEST_ANCHOR }],
    ]);
    const at = Date.UTC(2026, 3, 10);
    expect(traceabilityAt('REF-M1-20KG', at, (id) => links.get(id))).toMatchObject({ traceable: false, brokenLink: 'REF-F1-SET' });
    expect(traceabilityAt('REF-M1-20KG', Date.UTC(2026, 2, 1), (id) => links.get(id))).toMatchObject({
      traceable: true,
      chain: ['REF-M1-20KG', 'REF-F1-SET'],
      anchor: TEST_ANCHOR,
    });
    expect(traceabilityAt('NOPE', at, (id) => links.get(id)).traceable).toBe(false);
  });

  it('a chain ends at an anchored root (ILAC P10): an unanchored root breaks it; an anchor below the root does not end it', () => {
    const links = new Map<string, StandardLink>([
      ['REF-M1-20KG', { id: 'REF-M1-20KG', due: null, parent: 'REF-F1-SET', anchor: TEST_ANCHOR }],
      ['REF-F1-SET', { id: 'REF-F1-SET', due: null, parent: null }],
    ]);
    expect(traceabilityAt('REF-M1-20KG', Date.UTC(2026, 2, 1), (id) => links.get(id))).toEqual({
      traceable: false,
      brokenLink: 'REF-F1-SET',
      reason: 'standard REF-F1-SET is not anchored to a national standard or an accredited certificate',
      chain: ['REF-M1-20KG', 'REF-F1-SET'],
      anchor: null,
    });
  });
});
