import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import readXlsxFile from 'read-excel-file/node';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { CERTIFICATE_STAGE, CHECK_STAGE, mpeFor } from '../../analytics/tolerance.js';
import { R76_IN_SERVICE_FACTOR, type ToleranceSpec } from '../../core/index.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';
import { parseCsv } from '../support/csv.js';

/**
 * "Records a province can rely on", section 5 — one number everywhere. For one scale at one load
 * (INST-a, 20 kg) the MPE in the drift API (the figure the error chart draws: charts.js reads
 * `channels[].mpe` and `mpeStage` from GET …/drift), in the certificate (GET …/calibrations
 * results[].mpe) and in the report (GET /reports/results, CSV and XLSX) is the number mpeFor
 * gives for the stage each names: in service for checks, on verification for certificates
 * (OIML R76-1:2006 3.5.2: in service = 2 × verification). The "chart ±0.02 kg, certificate
 * 0.01 kg" is thus two named numbers, not two unexplained ones.
 */
let f: Fixture;
let app: App;
const clock = Date.now();
const LOAD = 20;
const SPEC: ToleranceSpec = { model: 'oiml-r76', accuracyClass: 'III', e: 0.01, max: 30, min: 0.2 };

const call = async (who: 'admin' | 'lab' | 'authority' | 'enterprise', method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
  const r = await app.inject({ method, url: `/api/v1/${url}`, headers: f.auth[who], ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body && r.headers['content-type']?.toString().startsWith('application/json') ? r.json() : null, raw: r };
};

beforeAll(async () => {
  f = await twoTenants();
  f.registry.records.createDesignation(
    { lab: T.a.lab, decision: '15/QĐ-TĐC', kinds: ['scale'], ranges: null, validFrom: clock - 400 * DAY, validUntil: clock + 400 * DAY },
    'tdc',
  );
  app = await buildApp({ registry: f.registry, readings: f.readings, now: () => clock, analytics: new Engine({ registry: f.registry, now: () => clock }) });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

describe('one number everywhere: chart, API, certificate and report for one scale at one load', () => {
  it('the tolerance is a class III R76 scale with Max and Min; an inconsistent one is refused', async () => {
    const bad = await call('admin', 'PUT', `instruments/${T.a.inst}/channels/mass/metrology`, {
      tolerance: { ...SPEC, min: 40 },
      repeatability: 0.002,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'E_BAD_REQUEST', details: { field: 'tolerance', rule: 'tolerance-consistent' } });
    const put = await call('admin', 'PUT', `instruments/${T.a.inst}/channels/mass/metrology`, { tolerance: SPEC, repeatability: 0.002 });
    expect(put.status).toBe(200);
    expect(put.body.effectiveTolerance).toEqual(SPEC);
  });

  it('a certificate carries mpeFor at the verification stage and refuses a second, hand-typed MPE', async () => {
    const point = { channel: 'mass', unit: 'kg', nominal: LOAD, reference: LOAD, asFound: 0.004, U: 0.002 };
    const base = { type: 'verification', date: clock - 2 * DAY, references: [T.a.ref] };
    const typed = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, { ...base, certificate: 'KĐ-15-0', results: [{ ...point, mpe: 0.02 }] });
    expect(typed.status).toBe(400);
    expect(typed.body.error).toMatchObject({ code: 'E_BAD_REQUEST', details: { field: 'results[0].mpe', rule: 'one-mpe' } });
    const ok = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, { ...base, certificate: 'KĐ-15-1', results: [point] });
    expect(ok.status).toBe(201);
  });

  it('a check at the same load is judged in service', async () => {
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/checks`, {
      checks: [{ channel: 'mass', ts: clock - DAY, reference: T.a.ref, indicated: LOAD + 0.004 }],
    });
    expect(r.status).toBeLessThan(300);
  });

  it('drift API (what the chart draws), certificate and report give the same number per named stage', async () => {
    const inService = mpeFor(SPEC, LOAD, CHECK_STAGE);
    const onVerification = mpeFor(SPEC, LOAD, CERTIFICATE_STAGE);
    expect(CHECK_STAGE).toBe('in-service');
    expect(CERTIFICATE_STAGE).toBe('verification');
    expect(onVerification).toBeCloseTo(0.01, 12); // 2 000 e → ±1 e
    expect(inService).toBe(R76_IN_SERVICE_FACTOR * onVerification); // R76-1 3.5.2

    // The drift API: the chart's ±MPE lines and caption are channels[].mpe, named by mpeStage.
    const drift = await call('enterprise', 'GET', `instruments/${T.a.inst}/drift`);
    expect(drift.status).toBe(200);
    const dc = drift.body.channels.find((c: { channel: string }) => c.channel === 'mass');
    expect(dc).toMatchObject({ mpe: inService, mpeStage: 'in-service', currentError: expect.closeTo(0.004, 9) });

    // The certificate.
    const cals = await call('enterprise', 'GET', `instruments/${T.a.inst}/calibrations`);
    const cert = cals.body.items.find((c: { certificate: string }) => c.certificate === 'KĐ-15-1');
    expect(cert.results[0]).toMatchObject({ mpe: onVerification, mpeStage: 'verification', conformity: 'pass' });

    // The report, as CSV (English headers) and as XLSX (Vietnamese headers).
    const csv = await call('enterprise', 'GET', 'reports/results?format=csv&lang=en');
    expect(csv.status).toBe(200);
    const [head, ...rows] = parseCsv(csv.raw.body);
    const col = (label: RegExp) => head!.findIndex((h) => label.test(h));
    const [iInst, iRec, iNum, iLoad, iMpe, iStage] = [
      /^Instrument id$/,
      /^Record/,
      /^Certificate number/,
      /^Test load/,
      /^Maximum permissible error/,
      /^MPE stage/,
    ].map(col);
    expect([iInst, iRec, iNum, iLoad, iMpe, iStage].every((i) => i! >= 0)).toBe(true);
    const mine = rows.filter((r) => r[iInst!] === T.a.inst);
    const certRow = mine.find((r) => r[iNum!] === 'KĐ-15-1')!;
    expect(certRow[iRec!]).toBe('verification');
    expect(Number(certRow[iLoad!])).toBe(LOAD);
    expect(Number(certRow[iMpe!])).toBe(onVerification);
    expect(certRow[iStage!]).toBe('verification');
    const checkRow = mine.find((r) => r[iRec!] === 'check')!;
    expect(Number(checkRow[iLoad!])).toBe(LOAD);
    expect(Number(checkRow[iMpe!])).toBe(dc.mpe);
    expect(checkRow[iStage!]).toBe(dc.mpeStage);
    // Tenant B's rows are not in tenant A's report.
    expect(rows.some((r) => r.join(',').includes('bbb'))).toBe(false);

    const xlsx = await call('enterprise', 'GET', 'reports/results?format=xlsx&lang=vi');
    const [sheet] = await readXlsxFile(xlsx.raw.rawPayload);
    const [vh, ...vrows] = sheet!.data;
    expect(vh).toContain('Sai số lớn nhất cho phép (MPE)');
    const vi = (label: string) => vh!.indexOf(label);
    const xCert = vrows.find((r) => r[vi('Số giấy chứng nhận / mã lần kiểm tra')] === 'KĐ-15-1')!;
    expect(xCert[vi('Sai số lớn nhất cho phép (MPE)')]).toBe(onVerification);
    const xCheck = vrows.find((r) => r[vi('Loại (kiểm định / hiệu chuẩn / kiểm tra)')] === 'check')!;
    expect(xCheck[vi('Sai số lớn nhất cho phép (MPE)')]).toBe(inService);
  });

  it('the chart and the certificate list name their stage in Vietnamese and English', async () => {
    // The dictionaries are plain ESM objects of the web client; read as text (no declaration file for the JS).
    const dict = (lang: string) =>
      Object.fromEntries(
        [...readFileSync(new URL(`../../dashboard/web/i18n-${lang}.js`, import.meta.url), 'utf8').matchAll(/^\s+'([^']+)': (['"])(.*)\2,$/gm)].map((m) => [
          m[1]!,
          m[3]!,
        ]),
      );
    const V = dict('vi');
    const E = dict('en');
    expect(V['stage.in-service']).toMatch(/khi đang sử dụng.*2 × khi kiểm định/);
    expect(E['stage.in-service']).toMatch(/in service.*2 × on verification/);
    expect(V['stage.verification']).toBe('khi kiểm định');
    expect(E['err.mpeStage']).toMatch(/\{stage\}.*\{mpe\}/);
    expect(V['err.mpeStage']).toMatch(/\{stage\}.*\{mpe\}/);
  });
});
