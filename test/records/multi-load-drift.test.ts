import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { addCheck, calibrationPriors, defaultSettings, evaluate, mixedMpes, needsFraction, newAcc } from '../../analytics/channel.js';
import { mpeFor } from '../../analytics/tolerance.js';
import { fitPoints, predictOutOfTolerance } from '../../analytics/trend.js';
import type { ToleranceSpec } from '../../core/index.js';
import { openSqliteReadings, type ReadingsStore, type Registry } from '../../store/index.js';
import { DAY, T0, TEST_ANCHOR, bearer, seededRegistry } from '../analytics/support.js';

/**
 * Errors at different loads (issue "Records a province can rely on", section 2): a channel whose
 * checks since the last calibration have more than one MPE trends and watches e ÷ MPE(load), the
 * prediction against ±1 (analytics/channel.ts `Normalised`); a channel with one MPE is unchanged.
 *
 * A class III scale, e = 10 g, checked at 5, 10 and 20 kg: in service (twice R76-1 Table 6) the
 * MPE is 10 g at 5 kg (500 e), 20 g at 10 kg (1 000 e) and 20 g at 20 kg (2 000 e). A proportional
 * drift of 4 ppm of the load per day is 0.002/d of MPE at 5 and 10 kg and 0.004/d at 20 kg: with
 * every load at every instant the least-squares slope of the fractions is their mean, 0.00267/d.
 */
const R76_III: ToleranceSpec = { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 };
const LOADS = [5, 10, 20] as const;
const RATE = 4e-6;
const clock = T0 + 200 * DAY;
const instants = Array.from({ length: 12 }, (_, i) => T0 + (i + 1) * 10 * DAY);
let registry: Registry;
let cleanup: () => void;
let engine: Engine;
let app: App;
let readings: ReadingsStore;
let base: string;
let lab: Record<string, string>;

/** Deterministic noise of a few tenths of a gram, different per load and instant. */
const noise = (load: number, i: number) => 0.0003 * Math.sin(1.7 * i + load);
const indicated = (load: number, i: number) => load + load * RATE * ((instants[i]! - T0) / DAY) + noise(load, i);
const check = (instrument: string, load: number, i: number) => ({
  instrument,
  channel: 'gross',
  ts: instants[i]!,
  reference: `REF-ML-${load}`,
  indicated: indicated(load, i),
});
const submit = (checks: ReturnType<typeof check>[]) => {
  const r = engine.submitChecks({ checks, source: 'api', by: 'lab1-user' });
  expect(r.rejects).toEqual([]);
  expect(r.stored.length).toBe(checks.length);
};
const gross = (instrument: string) => engine.drift(instrument).channels.find((c) => c.channel === 'gross')!;

beforeAll(async () => {
  const s = seededRegistry();
  registry = s.registry;
  cleanup = s.cleanup;
  for (const id of ['ML-1', 'ML-2', 'ML-3', 'ML-4', 'ML-5']) {
    registry.upsertInstrument({ id, org: 'cho', registration: 'registered', kind: 'scale', name: id, gateway: 'gw-1' });
    registry.ensureChannel(id, 'gross', 'kg');
    registry.analytics.setService({ instrument: id, lab: 'lab1', intervalDays: 365 });
    registry.analytics.setChannelMetrology({ instrument: id, channel: 'gross', tolerance: R76_III, repeatability: 0.002, analyser: false });
  }
  for (const load of LOADS) {
    const id = `REF-ML-${load}`;
    registry.analytics.upsertReference(
      {
        id,
        lab: 'lab1',
        quantity: 'mass',
        unit: 'kg',
        nominal: load,
        value: load,
        U: 0.0003,
        k: 2,
        calibratedOn: T0 - 30 * DAY,
        due: T0 + 600 * DAY,
        parent: null,
      },
      T0,
    );
    registry.records.setAnchor(id, TEST_ANCHOR, T0);
  }
  engine = new Engine({ registry, now: () => clock });
  instants.forEach((_, i) => {
    // ML-1: every load of an instant in one batch, smallest first.
    submit(LOADS.map((l) => check('ML-1', l, i)));
    // ML-2: the same checks one load per batch, largest first (the state is rebuilt in check order).
    for (const l of [20, 10, 5]) submit([check('ML-2', l, i)]);
    // ML-3: one batch, loads mixed.
    submit([20, 5, 10].map((l) => check('ML-3', l, i)));
    // ML-4: a single-load channel (20 kg).
    submit([check('ML-4', 20, i)]);
  });
  readings = openSqliteReadings(`${s.dir}/readings.db`);
  lab = await bearer(registry, { id: 'lab1-user', role: 'lab', org: 'lab1' });
  app = await buildApp({ registry, readings, now: () => clock, analytics: engine });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await readings?.close();
  cleanup?.();
});

describe('errors at different loads are normalised before trend and shift', () => {
  it('takes the MPE of each load from mpeFor: 10 g at 5 kg, 20 g at 10 and 20 kg (in service)', () => {
    expect(LOADS.map((l) => mpeFor(R76_III, l))).toEqual([0.01, 0.02, 0.02]);
  });

  it('trends e ÷ MPE(load) and predicts against ±1; conformity stays per check in kg', () => {
    const ch = gross('ML-1');
    expect(ch.normalised).toBe('mpe-fraction');
    expect(ch.n).toBe(36);
    // Oracle: the fractions fitted from points (simple-statistics), the bound against ±1.
    const origin = instants[0]!;
    const t: number[] = [];
    const f: number[] = [];
    instants.forEach((ts, i) => {
      for (const l of LOADS) {
        t.push((ts - origin) / DAY);
        f.push((indicated(l, i) - l) / mpeFor(R76_III, l));
      }
    });
    const fit = fitPoints(t, f)!;
    expect(ch.trend!.slopePerDay).toBeCloseTo(fit.slope, 10);
    expect(ch.trend!.slopePerDay).toBeCloseTo((2 * 0.002 + 0.004) / 3, 4);
    expect(ch.trend!.fit.intercept).toBeCloseTo(fit.intercept, 8);
    const now = (instants.at(-1)! - origin) / DAY;
    const p = predictOutOfTolerance(fit, 1, now);
    expect(p.boundT).not.toBeNull();
    expect(ch.trend!.predictedTs).toBe(Math.round(origin + p.boundT! * DAY));
    expect(ch.trend!.side).toBe(1);
    // Against the last load's ±20 g in kg the same checks would give another date.
    expect(predictOutOfTolerance(fit, 0.02, now).boundT).not.toBe(p.boundT);
    // σ in fractions: the repeatability 2 g ÷ 20 g at the last check's load.
    expect(ch.sigma).toBeCloseTo(0.1, 12);
    // The last check (20 kg, the largest load of the last instant) against its own MPE, in kg.
    expect(ch.mpe).toBe(0.02);
    expect(ch.currentError).toBeCloseTo(indicated(20, 11) - 20, 12);
    expect(ch.conformity).not.toBeNull();
  });

  it('gives the same result whatever the order of the loads at one instant, in one batch or several', () => {
    const a = gross('ML-1');
    expect(gross('ML-2')).toEqual(a);
    expect(gross('ML-3')).toEqual(a);
    // The state the engine kept check by check (saved drift state) is the rebuilt one.
    for (const id of ['ML-1', 'ML-2', 'ML-3']) {
      const saved = registry.analytics.driftStates(id).find((s) => s.channel === 'gross')!.state;
      expect(JSON.parse(JSON.stringify(a))).toMatchObject(saved as object);
    }
  });

  it('keeps a single-load channel in kg against ±MPE, as before', () => {
    const ch = gross('ML-4');
    expect(ch.normalised).toBe('none');
    const origin = instants[0]!;
    const t = instants.map((ts) => (ts - origin) / DAY);
    const e = instants.map((_, i) => indicated(20, i) - 20);
    const fit = fitPoints(t, e)!;
    expect(ch.trend!.slopePerDay).toBeCloseTo(fit.slope, 12);
    const p = predictOutOfTolerance(fit, 0.02, t.at(-1)!);
    expect(ch.trend!.predictedTs).toBe(p.boundT === null ? null : Math.round(origin + p.boundT * DAY));
    expect(ch.sigma).toBe(0.002);
    // The same checks through the channel state: no second series is kept, the same numbers.
    const s = defaultSettings({ tolerance: R76_III, repeatability: 0.002 });
    const acc = newAcc(origin, null);
    instants.forEach((ts, i) => addCheck(acc, s, { ts, error: indicated(20, i) - 20, referenceValue: 20, referenceU: 0.0003 }));
    const plain = evaluate(acc, s);
    expect(acc.frac).toBeNull();
    expect(plain.normalised).toBe('none');
    expect(plain.trend).toEqual(ch.trend);
    expect(plain.cusum).toEqual(ch.cusum);
  });

  it('says which in the drift API, with the MPE at each load for the chart', async () => {
    const get = async (id: string) => (await (await fetch(`${base}/api/v1/instruments/${id}/drift`, { headers: lab })).json()) as any;
    const multi = (await get('ML-1')).channels.find((c: { channel: string }) => c.channel === 'gross');
    expect(multi.normalised).toBe('mpe-fraction');
    expect(multi.mpeByLoad).toEqual([
      { load: 5, mpe: 0.01 },
      { load: 10, mpe: 0.02 },
      { load: 20, mpe: 0.02 },
    ]);
    expect(multi.trend.predictedTs).toBe(gross('ML-1').trend!.predictedTs);
    const single = (await get('ML-4')).channels.find((c: { channel: string }) => c.channel === 'gross');
    expect(single.normalised).toBe('none');
    expect(single.mpeByLoad).toBeUndefined();
  });

  it('keeps loads sharing one MPE (10 and 20 kg: 20 g) in kg; a second MPE asks for the fraction series', () => {
    const s = defaultSettings({ tolerance: R76_III, repeatability: 0.002 });
    expect(mixedMpes(s, [10, 20])).toBe(false);
    expect(mixedMpes(s, [10, 20, 5])).toBe(true);
    const acc = newAcc(T0, null);
    instants.forEach((ts, i) => {
      for (const l of [10, 20]) addCheck(acc, s, { ts, error: indicated(l, i) - l, referenceValue: l, referenceU: 0.0003 });
    });
    expect(evaluate(acc, s).normalised).toBe('none');
    expect(needsFraction(acc)).toBe(false);
    addCheck(acc, s, { ts: clock, error: 0.001, referenceValue: 5, referenceU: 0.0003 });
    // ChannelStates rebuilds such a state from the store with the fraction series.
    expect(needsFraction(acc)).toBe(true);
    const again = newAcc(T0, null, {}, { prior: null });
    instants.forEach((ts, i) => {
      for (const l of [10, 20]) addCheck(again, s, { ts, error: indicated(l, i) - l, referenceValue: l, referenceU: 0.0003 });
    });
    addCheck(again, s, { ts: clock, error: 0.001, referenceValue: 5, referenceU: 0.0003 });
    expect(evaluate(again, s).normalised).toBe('mpe-fraction');
  });

  it('switches a channel to fractions when its second MPE arrives, as a rebuild from the store would', () => {
    // ML-5: 20 kg only for six instants (one MPE, in kg), then 5, 10 and 20 kg.
    instants.forEach((_, i) => submit(i < 6 ? [check('ML-5', 20, i)] : LOADS.map((l) => check('ML-5', l, i))));
    const ch = gross('ML-5');
    expect(ch.normalised).toBe('mpe-fraction');
    const saved = registry.analytics.driftStates('ML-5').find((x) => x.channel === 'gross')!.state;
    expect(JSON.parse(JSON.stringify(ch))).toMatchObject(saved as object);
  });

  it("divides the calibration prior by the MPE at its point's load", () => {
    const s = defaultSettings({ tolerance: R76_III, repeatability: 0.002 });
    const p = calibrationPriors([{ channel: 'gross', nominal: 5, asFound: 0.004, asLeft: 0.002, U: 0.001, k: 2 }], 'gross', s);
    expect(p.prior).toEqual({ mean: 0.002, u: 0.0005 });
    expect(p.fraction!.mean).toBeCloseTo(0.2, 12);
    expect(p.fraction!.u).toBeCloseTo(0.05, 12);
  });
});
