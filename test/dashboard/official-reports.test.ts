import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../analytics/engine.js';
import { INSTRUMENT_KINDS, isInstance } from '../../core/index.js';
import { buildApp, type App } from '../../dashboard/app.js';
import { OFFICIAL_REPORTS } from '../../dashboard/reports/official.js';
import { INSTRUMENT_STATES } from '../../dashboard/states.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';

/**
 * Reports in official form (issue 17, item 2): each of the four as CSV, XLSX and PDF carries its
 * title, the issuing agency, the period, totals and the signature block, in Vietnamese words for
 * every code; XLSX is read back (typed numbers and dates, Vietnamese sheet names) and the PDF's
 * text is extracted with poppler's pdftotext.
 */
let f: Fixture;
let app: App;
let dir: string;
const AGENCY = 'Sở Khoa học và Công nghệ tỉnh Lâm Đồng';
const now = Date.now();
const year = new Date(now + 7 * 3_600_000).getUTCFullYear();

beforeAll(async () => {
  f = await twoTenants();
  dir = mkdtempSync(join(tmpdir(), 'metronet-forms-'));
  const cal = (instrument: string, type: 'verification' | 'calibration', result: 'pass' | 'fail', date: number, certificate: string) =>
    f.registry.analytics.insertCalibration({
      instrument,
      type,
      date,
      lab: T.a.lab,
      certificate,
      procedure: 'ĐLVN 16:2009',
      conditions: null,
      results: [],
      references: [T.a.ref],
      result,
      decisionRule: 'simple',
      statement: null,
      authorisedBy: 'Nguyễn Văn A',
      intervalDays: null,
      nextDue: null,
      status: 'valid',
    });
  cal(T.a.inst, 'calibration', 'pass', now - 40 * DAY, 'HC-1');
  cal(T.a.inst, 'verification', 'pass', now - 20 * DAY, 'KĐ-1');
  // A second scale of tenant A, overdue; an unregistered one.
  f.registry.upsertInstrument({ id: 'INST-a2', org: T.a.ent, registration: 'registered', kind: 'scale', name: 'cân bàn 2', serial: '=1+2' });
  f.registry.analytics.setService({ instrument: 'INST-a2', lab: T.a.lab, intervalDays: 365 });
  f.registry.analytics.raiseAlert(
    { kind: 'overdue', severity: 'critical', subject: 'INST-a2', instrument: 'INST-a2', channel: null, org: T.a.ent, lab: T.a.lab, message: 'overdue' },
    now,
  );
  f.registry.upsertInstrument({ id: 'INST-a3', org: T.a.ent, registration: 'unregistered', kind: 'fuel_dispenser' });
  app = await buildApp({
    registry: f.registry,
    readings: f.readings,
    analytics: new Engine({ registry: f.registry }),
    reports: { agency: AGENCY, parentAgency: 'UBND tỉnh Lâm Đồng', place: 'Lâm Đồng' },
  });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, role: keyof Fixture['auth'] = 'authority', headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `/api/v1/reports/${url}`, headers: { ...f.auth[role], ...headers } });

function pdfText(pdf: Buffer, name: string): string {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/**
 * What must never be printed in a Vietnamese report: a code of a state, kind, registration or record
 * type as a cell (instrument names are free text: "scale a" is a name), an organisation id anywhere.
 */
const CODES = new Set<string>([...INSTRUMENT_STATES, ...INSTRUMENT_KINDS, 'registered', 'verification', 'calibration', 'pass', 'fail', 'null']);
const ORG_IDS = [T.a.lab, T.a.ent, T.b.lab, T.b.ent, 'tdc-org'];
const leaks = (cells: string[]) =>
  cells.map((c) => c.trim()).filter((c) => CODES.has(c) || ORG_IDS.some((id) => new RegExp(`(^|[^\\p{L}\\w-])${id}($|[^\\p{L}\\w-])`, 'u').test(c)));

const TITLES = {
  'group2-inventory': 'DANH MỤC PHƯƠNG TIỆN ĐO NHÓM 2 ĐANG SỬ DỤNG',
  'verification-status': 'BÁO CÁO TÌNH HÌNH KIỂM ĐỊNH, HIỆU CHUẨN PHƯƠNG TIỆN ĐO',
  'province-annual': `BÁO CÁO KẾT QUẢ HOẠT ĐỘNG ĐO LƯỜNG NĂM ${year}`,
  'enterprise-assurance': 'BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH ĐẢM BẢO ĐO LƯỜNG CỦA DOANH NGHIỆP',
} as const;

describe('reports in official form', () => {
  for (const name of OFFICIAL_REPORTS) {
    it(`${name}: PDF with agency, title, period, totals and signature block, in Vietnamese`, async () => {
      const res = await get(`${name}?format=pdf`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      const text = pdfText(res.rawPayload, name);
      const flat = text.replace(/\s+/g, ' ');
      expect(flat).toContain('SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH LÂM ĐỒNG');
      expect(flat).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
      expect(flat).toContain(TITLES[name]);
      expect(flat).toMatch(/Lâm Đồng, ngày \d+ tháng \d+ năm \d{4}/);
      expect(flat.toLowerCase()).toContain('người lập');
      expect(flat.toLowerCase()).toContain('người duyệt');
      if (name !== 'province-annual') expect(flat).toContain('Tổng cộng');
      expect(leaks(text.split(/\s{2,}|\n/))).toEqual([]);
    });

    it(`${name}: XLSX read back — Vietnamese sheet names, typed numbers and dates, no code in any cell`, async () => {
      const res = await get(`${name}?format=xlsx`);
      expect(res.statusCode).toBe(200);
      const sheets = await readXlsxFile(res.rawPayload);
      for (const s of sheets) expect(s.sheet).toMatch(/^[\p{L} ,]+$/u);
      const cells = sheets.flatMap((s) => s.data.flat());
      const texts = cells.filter((c): c is string => typeof c === 'string');
      expect(texts).toContain(TITLES[name]);
      expect(texts).toContain('NGƯỜI LẬP');
      expect(leaks(texts)).toEqual([]);
      expect(cells.some((c) => typeof c === 'number')).toBe(true);
    });

    it(`${name}: CSV through the one cell writer, with title, totals and signature block`, async () => {
      const res = await get(`${name}?format=csv`);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.body.startsWith('\uFEFF')).toBe(true);
      expect(res.body).toContain(TITLES[name]);
      expect(res.body).toContain('NGƯỜI LẬP');
      expect(res.body).not.toMatch(/(^|,)=1\+2/m); // a serial "=1+2" is neutralised
      expect(leaks(res.body.split(/[,\r\n]/))).toEqual([]);
    });
  }

  it('counts kiểm định and hiệu chuẩn apart and each instrument once by status; totals add up (verification-status)', async () => {
    const [summary, late] = await readXlsxFile((await get('verification-status?format=xlsx')).rawPayload);
    expect(summary!.sheet).toBe('Tổng hợp');
    expect(late!.sheet).toBe('Quá hạn, không đạt');
    const head = summary!.data.findIndex((r) => r[0] === 'STT');
    const cols = summary!.data[head] as string[];
    const total = summary!.data.find((r) => r[0] === 'Tổng cộng')!;
    const at = (title: string) => total[cols.indexOf(title)];
    expect(at('Số phương tiện đo')).toBe(4); // INST-a, INST-a2, INST-a3, INST-bbb
    expect(at('Còn hạn — theo kiểm định')).toBe(1);
    expect(at('Quá hạn kiểm định')).toBe(1);
    expect(at('Chưa đăng ký')).toBe(1);
    expect(at('Lượt kiểm định trong năm')).toBe(new Date(now - 20 * DAY + 7 * 3_600_000).getUTCFullYear() === year ? 1 : 0);
    const statusCols = [
      'Còn hạn — theo kiểm định',
      'Còn hạn — theo hiệu chuẩn',
      'Quá hạn kiểm định',
      'Kiểm định không đạt',
      'Chưa có kết quả kiểm định, hiệu chuẩn',
      'Chưa đăng ký',
    ];
    expect(statusCols.reduce((n, c) => n + (at(c) as number), 0)).toBe(4);
    // The overdue scale is listed with its state in words; its due date is a real date cell when known.
    const row = late!.data.find((r) => r.includes('INST-a2'))!;
    expect(row).toContain('Quá hạn kiểm định');
    expect(row).toContain('Enterprise a');
  });

  it("enterprise-assurance: each instrument under its page's state word; the share agrees with /instruments/{id}/state", async () => {
    const [summary, list] = await readXlsxFile((await get('enterprise-assurance?format=xlsx', 'enterprise')).rawPayload);
    const cols = summary!.data.find((r) => r[0] === 'STT') as string[];
    const row = summary!.data.find((r) => r[1] === 'Enterprise a')!;
    expect(summary!.data.some((r) => r[1] === 'Enterprise b')).toBe(false); // tenant B is not in tenant A's report
    const states = await Promise.all(
      [T.a.inst, 'INST-a2', 'INST-a3'].map(
        async (id) => (await app.inject({ url: `/api/v1/instruments/${id}/state`, headers: f.auth.enterprise })).json().state as string,
      ),
    );
    // The one definition of "đạt yêu cầu" (states.ts isConforming), the overview's share too.
    const overview = (await app.inject({ url: '/api/v1/overview', headers: f.auth.enterprise })).json();
    const mine = overview.items.filter((i: { org: string }) => i.org === T.a.ent);
    const conforming = mine.filter((i: { state: string; lastCalibration: number | null }) => i.state === 'in_tolerance' && i.lastCalibration !== null).length;
    expect(row[cols.indexOf('Tỷ lệ đạt yêu cầu')]).toBeCloseTo(conforming / mine.length, 6);
    expect(mine.map((i: { id: string }) => i.id).sort()).toEqual([T.a.inst, 'INST-a2', 'INST-a3'].sort());
    expect(row[cols.indexOf('Vượt sai số cho phép')]).toBe(states.filter((s) => s === 'out_of_tolerance').length);
    expect(row[cols.indexOf('Quá hạn kiểm định')]).toBe(states.filter((s) => s === 'overdue').length);
    const words = list!.data.filter((r) => typeof r[2] === 'string' && String(r[2]).startsWith('INST-'));
    expect(words.map((r) => r[5])).toEqual(expect.arrayContaining(['Vượt sai số cho phép', 'Quá hạn kiểm định', 'Chưa đăng ký']));
  });

  it('group2-inventory: dates are real dates in the XLSX, dd/mm/yyyy in CSV and PDF', async () => {
    const [, list] = await readXlsxFile((await get('group2-inventory?format=xlsx')).rawPayload);
    const row = list!.data.find((r) => r.includes(T.a.inst))!;
    const dates = row.filter((c) => isInstance(c, Date)) as Date[];
    expect(dates.length).toBeGreaterThanOrEqual(1);
    const vn = new Date(now - 20 * DAY + 7 * 3_600_000);
    expect(dates[0]!.toISOString().slice(0, 10)).toBe(vn.toISOString().slice(0, 10));
    const dd = `${String(vn.getUTCDate()).padStart(2, '0')}/${String(vn.getUTCMonth() + 1).padStart(2, '0')}/${vn.getUTCFullYear()}`;
    expect((await get('group2-inventory?format=csv')).body).toContain(dd);
  });

  it('province-annual: indicators the registry counts, rows it does not track marked for hand entry', async () => {
    const text = pdfText((await get('province-annual?format=pdf')).rawPayload, 'annual-check').replace(/\s+/g, ' ');
    expect(text).toContain('Chuẩn đo lường đã đăng ký');
    expect(text).toContain('Thanh tra, kiểm tra nhà nước về đo lường');
    expect(text).toContain('Chưa theo dõi trên hệ thống');
    expect(text.toLowerCase()).toContain('lượt kiểm định');
  });

  it('English on ?lang=en or Accept-Language; PDF refused for a data table', async () => {
    expect((await get('group2-inventory?format=csv&lang=en')).body).toContain('INVENTORY OF GROUP 2 MEASURING INSTRUMENTS IN USE');
    const en = await get('verification-status?format=csv', 'authority', { 'accept-language': 'en-GB,en;q=0.9' });
    expect(en.body).toContain('PREPARED BY');
    expect((await get('verification-status?format=csv', 'authority', { 'accept-language': 'vi-VN' })).body).toContain('NGƯỜI LẬP');
    const bad = await get('inventory?format=pdf');
    expect(bad.statusCode).toBe(400);
  });
});
