import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';
import { TEST_ANCHOR } from '../analytics/support.js';

/**
 * Issue 15, section 1 (a verification body is designated for instrument kinds *and ranges*) and
 * section 2 (a test load inside the channel's range), through the public REST API as the role
 * that would try each write: the authority designates with ranges as data; the lab sets the
 * channel's class, Max, Min, MMQ and Qmax, then verifies or checks. Rules:
 * analytics/authority.ts `designationRangeIssue`, analytics/entry-rules.ts `loadRangeIssue`.
 */
let f: Fixture;
let app: App;
let clock = Date.now();
const VI = { 'accept-language': 'vi' };
const DISPENSER = 'FD-a';
const MEASURE = 'REF-20L-a';

const call = async (
  who: 'authority' | 'lab' | 'enterprise',
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
  h: Record<string, string> = {},
) => {
  const r = await app.inject({
    method,
    url: `/api/v1/${url}`,
    headers: { ...f.auth[who], ...h },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body ? r.json() : null };
};
const tolerance = (inst: string, channel: string, t: Record<string, unknown>) =>
  call('lab', 'PUT', `instruments/${inst}/channels/${channel}/metrology`, { tolerance: t, repeatability: null, analyser: false });
let n = 0;
const scaleVerification = (o: Record<string, unknown> = {}) => ({
  type: 'verification',
  date: clock - DAY,
  certificate: `RV-${++n}`,
  results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
  references: [T.a.ref],
  ...o,
});
const dispenserVerification = () => ({
  type: 'verification',
  date: clock - DAY,
  certificate: `RD-${++n}`,
  results: [{ channel: 'volume', unit: 'L', nominal: 20, asFound: 0.02, U: 0.01 }],
  references: [MEASURE],
});
const designate = (body: Record<string, unknown>) =>
  call('authority', 'POST', 'designations', { lab: T.a.lab, validFrom: clock - 400 * DAY, validUntil: clock + 400 * DAY, ...body });

let scales60t: number;

beforeAll(async () => {
  f = await twoTenants();
  // A fuel dispenser of tenant A, served by lab-a, and lab-a's 20 L test measure.
  f.registry.upsertInstrument({ id: DISPENSER, org: T.a.ent, registration: 'registered', kind: 'fuel_dispenser', name: 'cột đo', gateway: T.a.gw });
  f.registry.ensureChannel(DISPENSER, 'volume', 'L');
  f.registry.analytics.setService({ instrument: DISPENSER, lab: T.a.lab, intervalDays: null });
  f.registry.analytics.upsertReference({
    id: MEASURE,
    lab: T.a.lab,
    quantity: 'volume',
    unit: 'L',
    nominal: 20,
    value: 20.001,
    U: 0.004,
    k: 2,
    calibratedOn: clock - 30 * DAY,
    due: clock + 300 * DAY,
    parent: null,
  });
  f.registry.records.setAnchor(MEASURE, TEST_ANCHOR);
  const engine = new Engine({ registry: f.registry, now: () => clock });
  app = await buildApp({ registry: f.registry, readings: f.readings, now: () => clock, analytics: engine });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

describe('designation ranges as data, checked at every verification', () => {
  it('the authority designates lab-a for scales of class III/IIII up to Max 60 t and dispensers up to 130 L/min; ranges name only designated kinds', async () => {
    const r = await designate({
      decision: '45/QĐ-TĐC',
      kinds: ['scale', 'fuel_dispenser'],
      ranges: 'cân cấp III, IIII đến 60 t; cột đo xăng dầu đến 130 L/min',
      rangeLimits: [
        { kind: 'scale', classes: ['III', 'IIII'], maxCapacity: { value: 60, unit: 't' } },
        { kind: 'fuel_dispenser', classes: ['0.5'], maxFlow: { value: 130, unit: 'L/min' } },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body.rangeLimits).toEqual([
      { kind: 'scale', classes: ['III', 'IIII'], maxCapacity: { value: 60, unit: 't' } },
      { kind: 'fuel_dispenser', classes: ['0.5'], maxFlow: { value: 130, unit: 'L/min' } },
    ]);
    scales60t = r.body.id;
    const stray = await designate({ decision: '46/QĐ-TĐC', kinds: ['scale'], rangeLimits: [{ kind: 'taximeter', classes: ['III'] }] });
    expect(stray.status).toBe(400);
    expect(stray.body.error).toMatchObject({ code: 'E_BAD_REQUEST', details: { field: 'rangeLimits[0].kind', rule: 'designated-kind' } });
    const badUnit = await designate({ decision: '47/QĐ-TĐC', kinds: ['scale'], rangeLimits: [{ kind: 'scale', maxCapacity: { value: 60, unit: 'L' } }] });
    expect(badUnit.status).toBe(400);
  });

  it('a scale whose channel states no Max cannot be shown inside "up to 60 t": refused, asking for its Max, in Vietnamese', async () => {
    expect((await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'III', e: 0.01 })).status).toBe(200);
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification(), VI);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { field: 'mass.max', rule: 'designation-range-stated', value: null } });
    expect(r.body.error.message).toMatch(/chưa khai báo mức cân lớn nhất \(Max\).*đến Max 60 t/);
  });

  it('a truck scale of Max 80 000 kg is above the 60 t designated: refused with field, value, rule and Vietnamese words', async () => {
    await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'III', e: 0.01, max: 80_000 });
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification(), VI);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { field: 'mass.max', rule: 'designation-max', value: 80_000 } });
    expect(r.body.error.message).toBe(
      'Kênh mass có mức cân lớn nhất Max 80000 kg, vượt phạm vi được chỉ định (đến 60 t) (quyết định chỉ định 45/QĐ-TĐC của lab-a).',
    );
    const en = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification());
    expect(en.body.error.message).toMatch(/Max 80000 kg, above the 60 t the designation covers/);
  });

  it('a class II scale is outside a class III/IIII designation', async () => {
    await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'II', e: 0.001, max: 30 });
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification(), VI);
    expect(r.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { field: 'mass.accuracyClass', rule: 'designation-class', value: 'II' } });
    expect(r.body.error.message).toMatch(/cấp chính xác II; quyết định chỉ định chỉ cho phép kiểm định cấp chính xác III, IIII/);
  });

  it('inside the ranges the verification is recorded under that designation; a second designation up to 150 t covers the truck scale', async () => {
    await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'III', e: 0.01, max: 30 });
    const ok = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification());
    expect(ok.status).toBe(201);
    expect(ok.body.content).toMatchObject({ designation: scales60t });

    const wide = await designate({
      decision: '50/QĐ-TĐC',
      kinds: ['scale'],
      rangeLimits: [{ kind: 'scale', classes: ['III'], maxCapacity: { value: 150, unit: 't' } }],
    });
    await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'III', e: 0.01, max: 80_000 });
    const truck = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification());
    expect(truck.status).toBe(201);
    expect(truck.body.content).toMatchObject({ designation: wide.body.id });
    // Naming the 60 t designation for the 80 t scale is refused with the range rule.
    const named = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, scaleVerification({ designation: scales60t }));
    expect(named.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { rule: 'designation-max' } });
  });

  it('a dispenser: no Qmax stated, or a Qmax above the 130 L/min designated, is refused; 90 L/min is recorded', async () => {
    await tolerance(DISPENSER, 'volume', { model: 'oiml-r117', accuracyClass: '0.5' });
    const unknown = await call('lab', 'POST', `instruments/${DISPENSER}/calibrations`, dispenserVerification(), VI);
    expect(unknown.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { field: 'volume.qmax', rule: 'designation-range-stated' } });
    expect(unknown.body.error.message).toMatch(/chưa khai báo lưu lượng lớn nhất \(Qmax\)/);
    await tolerance(DISPENSER, 'volume', { model: 'oiml-r117', accuracyClass: '0.5', qmax: 200 });
    const fast = await call('lab', 'POST', `instruments/${DISPENSER}/calibrations`, dispenserVerification(), VI);
    expect(fast.body.error).toMatchObject({ code: 'E_DESIGNATION_RANGE', details: { field: 'volume.qmax', rule: 'designation-flow', value: 200 } });
    expect(fast.body.error.message).toMatch(/Qmax 200 L\/min, vượt phạm vi được chỉ định \(đến 130 L\/min\)/);
    await tolerance(DISPENSER, 'volume', { model: 'oiml-r117', accuracyClass: '0.5', qmax: 90 });
    const ok = await call('lab', 'POST', `instruments/${DISPENSER}/calibrations`, dispenserVerification());
    expect(ok.status).toBe(201);
    expect(ok.body.content).toMatchObject({ designation: scales60t });
  });
});

describe('test loads outside the channel range (loadIssue): refused on a verification, flagged on a check', () => {
  it('a verification point above Max or below Min of the scale is refused with field, value, rule and Vietnamese words', async () => {
    await tolerance(T.a.inst, 'mass', { model: 'oiml-r76', accuracyClass: 'III', e: 0.01, max: 30, min: 0.2 });
    const above = await call(
      'lab',
      'POST',
      `instruments/${T.a.inst}/calibrations`,
      scaleVerification({ results: [{ channel: 'mass', unit: 'kg', nominal: 31, asFound: 0.001, U: 0.002 }] }),
      VI,
    );
    expect(above.status).toBe(400);
    expect(above.body.error).toMatchObject({ code: 'E_LOAD_OUT_OF_RANGE', details: { field: 'results[0].nominal', rule: 'r76-above-max', value: 31 } });
    expect(above.body.error.message).toMatch(/^Tải 31 lớn hơn mức cân lớn nhất Max 30/);
    const below = await call(
      'lab',
      'POST',
      `instruments/${T.a.inst}/calibrations`,
      scaleVerification({
        results: [
          { channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 },
          { channel: 'mass', unit: 'kg', nominal: 0.1, reference: 0.1, asFound: 0.0, U: 0.002 },
        ],
      }),
      VI,
    );
    expect(below.body.error).toMatchObject({ code: 'E_LOAD_OUT_OF_RANGE', details: { field: 'results[1].reference', rule: 'r76-below-min', value: 0.1 } });
    expect(below.body.error.message).toMatch(/nhỏ hơn mức cân nhỏ nhất Min 0.2/);
    const history = (await call('lab', 'GET', `instruments/${T.a.inst}/calibrations`)).body.items as Array<{ results: Array<{ nominal: number }> }>;
    expect(history.some((c) => c.results.some((p) => p.nominal === 31 || p.nominal === 0.1))).toBe(false);
  });

  it('a dispenser verification below its MMQ is refused', async () => {
    await tolerance(DISPENSER, 'volume', { model: 'oiml-r117', accuracyClass: '0.5', qmax: 90, mmq: 5 });
    const r = await call(
      'lab',
      'POST',
      `instruments/${DISPENSER}/calibrations`,
      { ...dispenserVerification(), results: [{ channel: 'volume', unit: 'L', nominal: 2, asFound: 0.002, U: 0.001 }] },
      VI,
    );
    expect(r.body.error).toMatchObject({ code: 'E_LOAD_OUT_OF_RANGE', details: { rule: 'r117-below-mmq', value: 2 } });
    expect(r.body.error.message).toMatch(/nhỏ hơn lượng đo nhỏ nhất \(MMQ\) 5 L/);
  });

  it('a check at a load above Max is stored, flagged with its reason, and the drift view counts it', async () => {
    clock += 60_000;
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/checks`, {
      checks: [
        { channel: 'mass', ts: clock - 1000, referenceValue: 35, indicated: 35.01 },
        { channel: 'mass', ts: clock - 1000, referenceValue: 20, indicated: 20.001 },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stored: 2, rejects: [] });
    const checks = (await call('lab', 'GET', `instruments/${T.a.inst}/checks?channel=mass&from=${clock - 2000}`)).body.items as Array<{
      referenceValue: number;
      fitness: string | null;
    }>;
    expect(checks.find((c) => c.referenceValue === 35)?.fitness).toMatch(/^the load 35 is above Max 30 \(OIML R76-1:2006 T\.3\.1\.1\)/);
    expect(checks.find((c) => c.referenceValue === 20)?.fitness).toBeNull();
    const drift = (await call('lab', 'GET', `instruments/${T.a.inst}/drift`)).body;
    expect(drift.channels.find((c: { channel: string }) => c.channel === 'mass').unfit).toBeGreaterThanOrEqual(1);
  });
});
