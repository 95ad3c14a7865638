import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { openSqliteReadings } from '../../store/index.js';
import type { ReadingsStore, Registry } from '../../store/index.js';
import { DAY, T0, TEST_ANCHOR, bearer, seededRegistry } from './support.js';

/** The analytics API over real HTTP and a real SQLite registry, with a controlled clock. */
let app: App;
let base: string;
let registry: Registry;
let readings: ReadingsStore;
let cleanup: () => void;
const clock = T0 + 200 * DAY;
/** The lab that serves SC-1 and SC-2 and keeps the standards: every call here is its work. */
let auth: { authorization: string };

const call = async <T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${base}/api/v1/${path}`, {
    method,
    headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
};
const check = (ts: number, indicated: number, reference = 'REF-20') => ({ channel: 'gross', ts, reference, indicated });

beforeAll(async () => {
  const s = seededRegistry();
  registry = s.registry;
  cleanup = s.cleanup;
  readings = openSqliteReadings(`${s.dir}/readings.db`);
  auth = await bearer(registry, { id: 'lab1-user', role: 'lab', org: 'lab1' });
  // lab1 is designated to verify scales (only a designated body records a verification: test/records).
  registry.records.createDesignation({ lab: 'lab1', decision: '1/QĐ-TĐC', kinds: ['scale'], ranges: null, validFrom: 0, validUntil: null }, 'tdc');
  app = await buildApp({ registry, readings, now: () => clock, analytics: new Engine({ registry, now: () => clock }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await readings?.close();
  cleanup?.();
});

describe('checks, conformity and the alert lifecycle', () => {
  it('stores checks with their error and traceability; lists them', async () => {
    const r = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + DAY, 20.0031), check(T0 + 2 * DAY, 19.9991)], by: 'kiểm định viên A' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stored: 2, duplicates: 0, rejects: [], alerts: [] });
    expect(r.body.checks[0]).toMatchObject({
      instrument: 'SC-1',
      reference: 'REF-20',
      referenceValue: 20.0001,
      traceable: true,
      source: 'api',
      // The author is the signed-in principal, not the body's `by` (issue 15).
      by: 'lab1-user',
    });
    expect(r.body.checks[0].error).toBeCloseTo(0.003, 9);
    const again = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + DAY, 20.0031)] });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    const list = await call('GET', 'instruments/SC-1/checks?channel=gross');
    expect(list.body.items).toHaveLength(2);
  });

  it('an out-of-tolerance check opens one critical alert; ack; it clears only after two good checks (hysteresis)', async () => {
    const r = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 3 * DAY, 20.0251)] });
    // A 12σ jump: out of tolerance, and the self-starting CUSUM (from the 2nd check on) flags the shift too.
    expect(r.body.alerts).toEqual([
      expect.objectContaining({ kind: 'out_of_tolerance', event: 'opened', severity: 'critical' }),
      expect.objectContaining({ kind: 'shift_detected', event: 'opened' }),
    ]);
    const again = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 4 * DAY, 20.0301)] });
    expect(again.body.alerts.filter((a: { kind: string }) => a.kind === 'out_of_tolerance')).toEqual([]); // still the same one alert
    const open = await call('GET', 'alerts?state=live&kind=out_of_tolerance&instrument=SC-1');
    expect(open.body.total).toBe(1);
    const alert = open.body.items[0];
    expect(alert).toMatchObject({ org: 'cho', lab: 'lab1', channel: 'gross', state: 'open' });
    expect(alert.message).toMatch(/outside the maximum permissible error \(MPE\) ±0\.02/);
    const ack = await call('POST', `alerts/${alert.id}/ack`, { by: 'lab1-user' });
    expect(ack.body).toMatchObject({ state: 'acknowledged', ackedBy: 'lab1-user' });
    expect((await call('POST', `alerts/${alert.id}/ack`)).body.error.code).toBe('E_ALERT_STATE'); // an empty POST is an ack too
    expect((await call('POST', 'alerts/999999/ack')).body.error.code).toBe('E_NOT_FOUND');
    await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 5 * DAY, 20.0011)] });
    expect((await call('GET', `alerts/${alert.id}`)).body.state).toBe('acknowledged');
    await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 6 * DAY, 20.0001)] });
    expect((await call('GET', `alerts/${alert.id}`)).body).toMatchObject({ state: 'cleared', clearedAt: expect.any(Number) });
  });

  it('a check against an expired standard is not traceable, excluded from decisions, and alerts the lab', async () => {
    const before = (await call('GET', 'instruments/SC-1/drift')).body.channels[0].n;
    const r = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 7 * DAY, 20.09, 'REF-OLD')] });
    expect(r.body.checks[0]).toMatchObject({ traceable: false, traceReason: expect.stringMatching(/REF-OLD expired/) });
    expect(r.body.alerts).toEqual([expect.objectContaining({ kind: 'not_traceable' })]); // and no out_of_tolerance: excluded
    const drift = (await call('GET', 'instruments/SC-1/drift')).body.channels[0];
    expect(drift).toMatchObject({ n: before, untraceable: 1, traceability: { lastCheckTraceable: false } });
    const alerts = await call('GET', 'alerts?lab=lab1&kind=not_traceable');
    expect(alerts.body.items[0]).toMatchObject({ lab: 'lab1', severity: 'warning' });
  });

  it('refuses with codes: unknown instrument, unknown standard, no reference value, bad body', async () => {
    expect((await call('POST', 'instruments/NOPE/checks', { checks: [check(T0, 20)] })).body.error.code).toBe('E_UNKNOWN_INSTRUMENT');
    const unknownRef = await call('POST', 'instruments/SC-1/checks', { checks: [check(T0 + 8 * DAY, 20, 'REF-NONE')] });
    expect(unknownRef).toMatchObject({
      status: 404,
      body: { error: { code: 'E_UNKNOWN_REFERENCE', details: [expect.objectContaining({ field: 'checks[0].reference' })] } },
    });
    expect((await call('POST', 'instruments/SC-1/checks', { checks: [{ channel: 'gross', ts: T0, indicated: 20 }] })).body.error.code).toBe(
      'E_NO_REFERENCE_VALUE',
    );
    const bad = await call('POST', 'instruments/SC-1/checks', { checks: [{ channel: 'gross', ts: 'yesterday', indicated: 20 }] });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST' } } });
    expect((await call('GET', 'alerts?kind=bogus')).body.error.code).toBe('E_BAD_REQUEST');
  });
});

describe('trend, drift view and predicted out-of-tolerance date', () => {
  it('a steady drift towards the limit predicts a date before the due date and alerts once', async () => {
    // SC-2: verified at T0 (due T0 + 365 d); error grows 0.0001 kg/day from 0, noise-free apart from rounding.
    const cal = await call('POST', 'instruments/SC-2/calibrations', {
      type: 'verification',
      date: T0,
      certificate: 'KĐ-2026-0001',
      procedure: 'ĐLVN 10:2017',
      conditions: { temperatureC: 27.5, humidityPct: 70 },
      results: [{ channel: 'gross', unit: 'kg', nominal: 20, reference: 20.0001, asFound: 0.004, asLeft: 0, U: 0.0024 }],
      references: ['REF-20'],
      authorisedBy: 'Nguyễn Văn B',
    });
    expect(cal.status).toBe(201);
    expect(cal.body).toMatchObject({
      lab: 'lab1',
      result: 'adjusted',
      decisionRule: 'simple',
      nextDue: T0 + 365 * DAY,
      results: [expect.objectContaining({ mpe: 0.01, conformity: 'pass' })],
    });
    expect(cal.body.statement).toMatch(/Conforms .* after adjustment; decision rule: simple acceptance/);
    const kinds: string[] = [];
    for (let d = 10; d <= 120; d += 10) {
      const noise = d % 20 === 0 ? 0.0004 : -0.0004;
      const r = await call('POST', 'instruments/SC-2/checks', { checks: [check(T0 + d * DAY, 20.0001 + 0.0001 * d + noise)] });
      kinds.push(...r.body.alerts.map((a: { kind: string }) => a.kind));
    }
    expect(kinds.filter((k) => k === 'predicted_out_of_tolerance')).toHaveLength(1);
    const drift = (await call('GET', 'instruments/SC-2/drift')).body;
    const ch = drift.channels[0];
    expect(drift).toMatchObject({ lab: 'lab1', lastCalibration: T0, nextDue: T0 + 365 * DAY });
    expect(ch.trend.slopePerDay).toBeCloseTo(0.0001, 5);
    expect(ch.trend.significant).toBe(true);
    // The line reaches 0.02 at day 200; the 95 % bound earlier, and both before the due date.
    expect(ch.trend.pointTs).toBeGreaterThan(T0 + 190 * DAY);
    expect(ch.trend.predictedTs).toBeLessThan(ch.trend.pointTs);
    expect(ch.trend.predictedTs).toBeLessThan(T0 + 365 * DAY);
    expect(ch.mpe).toBeCloseTo(0.02, 9);
    expect(ch.conformity).toMatchObject({ decision: 'pass' });
    const alert = (await call('GET', 'alerts?instrument=SC-2&kind=predicted_out_of_tolerance')).body.items[0];
    expect(alert.message).toMatch(/predicted outside the MPE from \d{4}-\d\d-\d\d .* have it verified again by \d{4}-\d\d-\d\d/);
  });

  it('calibrations: certificate numbers are unique, listed oldest first; a new one resets the baseline', async () => {
    const dup = await call('POST', 'instruments/SC-2/calibrations', {
      type: 'calibration',
      date: T0 + 130 * DAY,
      certificate: 'KĐ-2026-0001',
      results: [{ channel: 'gross', unit: 'kg', nominal: 20, asFound: 0.013, U: 0.002 }],
      references: ['REF-20'],
      authorisedBy: 'X',
    });
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'E_CONFLICT' } } });
    const ok = await call('POST', 'instruments/SC-2/calibrations', {
      type: 'calibration',
      date: T0 + 130 * DAY,
      certificate: 'HC-2026-0042',
      results: [{ channel: 'gross', unit: 'kg', nominal: 20, asFound: 0.013, asLeft: 0.0002, U: 0.002 }],
      references: ['REF-20'],
      authorisedBy: 'X',
    });
    expect(ok.status).toBe(201);
    expect((await call('GET', 'instruments/SC-2/calibrations')).body.items.map((c: { certificate: string }) => c.certificate)).toEqual([
      'KĐ-2026-0001',
      'HC-2026-0042',
    ]);
    expect((await call('GET', 'instruments/SC-2/drift')).body.channels).toEqual([]);
    expect((await call('GET', 'alerts?instrument=SC-2&kind=predicted_out_of_tolerance')).body.items[0].state).toBe('cleared');
  });
});

describe('reference standards and reverse traceability', () => {
  it('CRUD with the traceability chain', async () => {
    const created = await call('POST', 'references', {
      id: 'REF-5KG',
      lab: 'lab1',
      quantity: 'mass',
      unit: 'kg',
      nominal: 5,
      value: 5.00002,
      U: 0.0008,
      k: 2,
      class: 'M1',
      certificate: 'VMI-1',
      calibratedOn: T0,
      due: T0 + 365 * DAY,
      parent: 'REF-F1',
    });
    expect(created.status).toBe(201);
    expect(created.body.traceability).toEqual({ traceable: true, brokenLink: null, reason: null, chain: ['REF-5KG', 'REF-F1'], anchor: TEST_ANCHOR });
    expect((await call('POST', 'references', { id: 'REF-5KG', lab: 'lab1', quantity: 'mass', unit: 'kg', nominal: 5, value: 5, U: 0.001, k: 2 })).status).toBe(
      409,
    );
    expect((await call('GET', 'references?lab=lab1')).body.items.map((r: { id: string }) => r.id)).toContain('REF-5KG');
    expect((await call('GET', 'references/REF-OLD')).body.traceability).toMatchObject({ traceable: false, brokenLink: 'REF-OLD' });
    expect((await call('DELETE', 'references/REF-5KG')).status).toBe(204);
    expect((await call('GET', 'references/REF-5KG')).body.error.code).toBe('E_UNKNOWN_REFERENCE');
  });

  it('a parent standard found out of tolerance puts every check and calibration that relied on its chain under review', async () => {
    const f1 = (await call('GET', 'references/REF-F1')).body;
    const { traceability: _t, ...rest } = f1;
    const { id: _id, ...body } = rest;
    const r = await call('PUT', 'references/REF-F1', { ...body, outOfTolerance: true });
    expect(r.status).toBe(200);
    expect(r.body.impact.map((a: { kind: string }) => a.kind)).toEqual(['under_review', 'under_review']);
    const checks = (await call('GET', 'instruments/SC-1/checks')).body.items;
    expect(
      checks
        .filter((c: { reference: string }) => c.reference === 'REF-20')
        .every((c: { review: string }) => /REF-F1 was found out of tolerance/.test(c.review)),
    ).toBe(true);
    expect(checks.find((c: { reference: string }) => c.reference === 'REF-OLD').review).toBeNull();
    const cals = (await call('GET', 'instruments/SC-2/calibrations')).body.items;
    expect(cals.every((c: { review: string | null }) => c.review !== null)).toBe(true);
    const alerts = (await call('GET', 'alerts?kind=under_review')).body.items;
    expect(alerts.map((a: { instrument: string }) => a.instrument).sort()).toEqual(['SC-1', 'SC-2']);
    expect(alerts[0]).toMatchObject({ org: 'cho', lab: 'lab1', reference: 'REF-F1' });
  });
});

describe('PUT /instruments/{id}/channels/{channel}/metrology', () => {
  it('sets the tolerance override and repeatability; drift uses them; errors carry codes', async () => {
    const got = await call('GET', 'instruments/SC-2/channels/gross/metrology');
    expect(got.body).toMatchObject({ toleranceSource: 'channel', repeatability: 0.002, analyser: false });
    const put = await call('PUT', 'instruments/SC-2/channels/gross/metrology', { tolerance: { model: 'absolute', mpe: 0.05 }, repeatability: 0.003 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      instrument: 'SC-2',
      channel: 'gross',
      tolerance: { model: 'absolute', mpe: 0.05 },
      effectiveTolerance: { model: 'absolute', mpe: 0.05 },
      repeatability: 0.003,
    });
    await call('POST', 'instruments/SC-2/checks', { checks: [{ channel: 'gross', ts: T0 + 150 * DAY, referenceValue: 20, indicated: 20.03 }] });
    const drift = await call('GET', 'instruments/SC-2/drift');
    expect(drift.body.channels[0]).toMatchObject({ mpe: 0.05, sigma: 0.003 });
    const reset = await call('PUT', 'instruments/SC-2/channels/gross/metrology', { tolerance: null, repeatability: null });
    expect(reset.body).toMatchObject({ tolerance: null, toleranceSource: 'kind', effectiveTolerance: { model: 'oiml-r76' } });

    const bad = await call('PUT', 'instruments/SC-2/channels/gross/metrology', { tolerance: { model: 'absolute', mpe: -1 }, repeatability: null });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    const analyser = await call('PUT', 'instruments/SC-2/channels/gross/metrology', { tolerance: null, repeatability: null, analyser: true });
    expect(analyser.status).toBe(400);
    expect(analyser.body.error.code).toBe('E_BAD_REQUEST');
    expect((await call('PUT', 'instruments/NOPE/channels/gross/metrology', { tolerance: null, repeatability: null })).body.error.code).toBe(
      'E_UNKNOWN_INSTRUMENT',
    );
    expect((await call('GET', 'instruments/SC-2/channels/nope/metrology')).body.error).toMatchObject({ code: 'E_UNKNOWN_CHANNEL', details: expect.anything() });
  });
});

describe('analyser zero and span checks through the API', () => {
  it('judges zero and span as separate series: bad spans between good zeros go out of control, named "span"', async () => {
    registry.upsertInstrument({ id: 'AN-1', org: 'cho', registration: 'registered', kind: 'env_station', name: 'SO2 analyser' });
    registry.ensureChannel('AN-1', 'so2', 'ppm');
    registry.analytics.setService({ instrument: 'AN-1', lab: 'lab1', intervalDays: null }); // the lab serving it sets its metrology
    const put = await call('PUT', 'instruments/AN-1/channels/so2/metrology', {
      tolerance: { model: 'analyser', span: 500, gas: 'so2' },
      repeatability: 1,
      analyser: true,
    });
    expect(put.status).toBe(200);
    const checks = [];
    // Daily zero (0 ppm, drift 0.4 % of span) and span (450 ppm, drift 5.6 % > 2 × 2.5 %) checks.
    for (let d = 0; d < 5; d++) {
      checks.push({ channel: 'so2', ts: T0 + (160 + d) * DAY, referenceValue: 0, referenceU: 0.5, indicated: 2 });
      checks.push({ channel: 'so2', ts: T0 + (160 + d) * DAY + 3_600_000, referenceValue: 450, referenceU: 2, indicated: 478 });
    }
    const r = await call('POST', 'instruments/AN-1/checks', { checks });
    expect(r.status).toBe(200);
    const ooc = r.body.alerts.filter((a: { kind: string }) => a.kind === 'analyser_out_of_control');
    expect(ooc).toEqual([expect.objectContaining({ event: 'opened', severity: 'critical' })]);
    const alert = await call('GET', `alerts/${ooc[0].id}`);
    expect(alert.body.message).toMatch(/analyser out of control at span/);
    const drift = await call('GET', 'instruments/AN-1/drift');
    expect(drift.body.channels[0].analyser).toMatchObject({ outOfControl: true, reason: 'consecutive', series: 'span' });
    // Trend and shift statistics per series: a constant +2 ppm zero and +28 ppm span are no shift.
    expect(drift.body.channels[0].byLevel).toMatchObject({
      zero: { n: 5, cusum: { target: 2, recentSignal: null } },
      span: { n: 5, cusum: { target: 28, recentSignal: null } },
    });
    expect(drift.body.channels[0].cusum.series).toBe('span');
    expect(r.body.alerts.filter((a: { kind: string }) => a.kind === 'shift_detected')).toEqual([]);
  });
});
