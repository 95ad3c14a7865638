import type { AlertKind } from '../../core/index.js';
import type { CalibrationRecord, Registry } from '../../store/index.js';
import { seesAll, type Principal } from '../auth/tenant.js';
import { instrumentStates, INSTRUMENT_STATES, liveAlertsByInstrument, type InstrumentStateRow, type OfflineRule } from '../states.js';
import { localityResolver } from '../locality.js';
import { type FormCell, type FormColumn, type OfficialForm, share, sumInts, type Texts, tx } from './form.js';
import { label } from './labels.js';

/**
 * The four reports in official form (issue 17, item 2), built from the same tenant-scoped states
 * the overview and the instrument pages show: an instrument's state is the one word
 * analytics/state.ts decides (through dashboard/states.ts), never decided again here, and its
 * locality is the one dashboard/locality.ts decides for every report.
 */
export const OFFICIAL_REPORTS = ['group2-inventory', 'verification-status', 'province-annual', 'enterprise-assurance'] as const;
export type OfficialReportName = (typeof OFFICIAL_REPORTS)[number];

export interface OfficialCtx {
  registry: Registry;
  p: Principal;
  now: number;
  year: number;
  offline?: OfflineRule;
  /** enterprise-assurance: one enterprise only. */
  org?: string;
  /** Only instruments of this province / commune (codes checked by the caller). */
  province?: string;
  commune?: string;
}

export function buildOfficial(name: OfficialReportName, ctx: OfficialCtx): OfficialForm {
  const at = localityResolver(ctx.registry);
  const states = instrumentStates(ctx.registry, ctx.p, ctx.now, ctx.offline).filter((s) => {
    const l = at(s.id, s.org);
    return (ctx.province === undefined || l.province === ctx.province) && (ctx.commune === undefined || l.commune === ctx.commune);
  });
  const w = { ...ctx, states, place: localities(ctx), orgName: orgNames(ctx.registry) };
  if (name === 'group2-inventory') return inventory(w);
  if (name === 'verification-status') return verification(w);
  if (name === 'enterprise-assurance') return assurance(w);
  return annual(w);
}

interface Work extends OfficialCtx {
  states: InstrumentStateRow[];
  place: (instrument: string, org: string) => FormCell;
  orgName: (org: string | null) => string | null;
}

const NO_PLACE = tx('Chưa xác định địa bàn', 'Locality not set');
const col = (key: string, vi: string, en: string, type: FormColumn['type'], extra: Partial<FormColumn> = {}): FormColumn => ({
  key,
  title: tx(vi, en),
  type,
  ...extra,
});
const COMMUNE = col('commune', 'Xã, phường, đặc khu', 'Commune, ward, special zone', 'text', { width: 2 });
const KIND = col('kind', 'Loại phương tiện đo', 'Kind of instrument', 'text', { label: 'kind', width: 1.5 });
const VN_OFFSET = 7 * 3_600_000;
const yearRange = (year: number) => ({ from: Date.UTC(year, 0, 1) - VN_OFFSET, to: Date.UTC(year + 1, 0, 1) - VN_OFFSET });
const text = (v: FormCell | undefined) => (v == null ? '' : typeof v === 'object' ? v.vi : String(v));
const byPlaceKind = (a: FormCell[], b: FormCell[]) => text(a[0]).localeCompare(text(b[0]), 'vi') || text(a[1]).localeCompare(text(b[1]));

/** The commune (else the province) an instrument counts in: dashboard/locality.ts decides it, as for every report. */
function localities(ctx: OfficialCtx): (instrument: string, org: string) => FormCell {
  const at = localityResolver(ctx.registry);
  return (id, org) => at(id, org).communeName ?? at(id, org).provinceName ?? NO_PLACE;
}

function orgNames(registry: Registry): (org: string | null) => string | null {
  const names = new Map(registry.listOrgs().map((o) => [o.id, o.name]));
  return (org) => (org === null ? null : (names.get(org) ?? null));
}

/** Valid (neither superseded nor voided) records of an instrument dated within [from, to). */
function recordsIn(registry: Registry, id: string, from: number, to: number): CalibrationRecord[] {
  return registry.analytics.listCalibrations(id).filter((c) => (c.status ?? 'valid') === 'valid' && c.date >= from && c.date < to);
}

/** Rows grouped by a key, in first-seen order. */
function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

function inventory(w: Work): OfficialForm {
  const summary = [
    COMMUNE,
    KIND,
    col('instruments', 'Số phương tiện đo', 'Instruments', 'int'),
    col('registered', 'Đã đăng ký', 'Registered', 'int'),
    col('unregistered', 'Chưa đăng ký', 'Not registered', 'int'),
    col('users', 'Số cơ sở sử dụng', 'Organisations using them', 'int'),
    col('online', 'Đang gửi dữ liệu', 'Sending data', 'int'),
  ];
  const groups = groupBy(w.states, (s) => `${text(w.place(s.id, s.org))}\u0000${s.kind}`);
  const rows = [...groups.values()].map((g) => [
    w.place(g[0]!.id, g[0]!.org),
    g[0]!.kind,
    g.length,
    g.filter((s) => s.state !== 'unregistered').length,
    g.filter((s) => s.state === 'unregistered').length,
    new Set(g.map((s) => s.org)).size,
    g.filter((s) => s.online).length,
  ]);
  rows.sort(byPlaceKind);
  const totals = sumInts(summary, rows);
  totals[5] = new Set(w.states.map((s) => s.org)).size;
  const list = [
    COMMUNE,
    col('org', 'Tổ chức, cá nhân sử dụng', 'Owner', 'text', { width: 2 }),
    col('instrument', 'Mã phương tiện đo', 'Instrument id', 'text'),
    col('name', 'Tên phương tiện đo', 'Name', 'text', { width: 2 }),
    KIND,
    col('serial', 'Số sản xuất', 'Serial number', 'text'),
    col('site', 'Vị trí sử dụng', 'Site', 'text', { width: 2 }),
    col('lab', 'Tổ chức kiểm định', 'Verification body', 'text', { width: 2 }),
    col('state', 'Tình trạng', 'State', 'text', { label: 'state', width: 1.5 }),
    col('last', 'Kiểm định, hiệu chuẩn gần nhất', 'Last verification or calibration', 'date'),
    col('due', 'Hạn kiểm định', 'Verification due', 'date'),
  ];
  const items = w.states.map((s) => [
    w.place(s.id, s.org),
    w.orgName(s.org),
    s.id,
    s.name,
    s.kind,
    s.serial,
    s.site,
    w.orgName(s.lab),
    s.state,
    s.lastCalibration,
    s.nextDue,
  ]);
  items.sort((a, b) => byPlaceKind(a, b) || text(a[2]).localeCompare(text(b[2])));
  return {
    name: 'group2-inventory',
    title: tx('DANH MỤC PHƯƠNG TIỆN ĐO NHÓM 2 ĐANG SỬ DỤNG', 'INVENTORY OF GROUP 2 MEASURING INSTRUMENTS IN USE'),
    period: { asOf: w.now },
    sections: [
      {
        title: tx('I. Tổng hợp theo địa bàn và loại phương tiện đo', 'I. Summary by locality and kind'),
        sheet: tx('Tổng hợp', 'Summary'),
        columns: summary,
        rows,
        totals,
      },
      { title: tx('II. Danh sách phương tiện đo', 'II. List of instruments'), sheet: tx('Danh sách', 'Instruments'), columns: list, rows: items },
    ],
    notes: [
      tx(
        'Phương tiện đo nhóm 2: phương tiện đo phải kiểm định theo Thông tư 23/2013/TT-BKHCN (sửa đổi, bổ sung).',
        'Group 2: instruments subject to legal verification under Circular 23/2013/TT-BKHCN as amended.',
      ),
    ],
  };
}

/** Kinds of live alerts per instrument: the same alerts the state word is decided from. */
function alertKinds(w: Work): (id: string) => Set<AlertKind> {
  const live = liveAlertsByInstrument(w.registry, w.p);
  return (id) => new Set((live.get(id) ?? []).map((a) => a.kind));
}

function verification(w: Work): OfficialForm {
  const { from, to } = yearRange(w.year);
  const kinds = alertKinds(w);
  const columns = [
    COMMUNE,
    KIND,
    col('instruments', 'Số phương tiện đo', 'Instruments', 'int'),
    col('onTimeV', 'Còn hạn — theo kiểm định', 'Valid — by verification', 'int'),
    col('onTimeC', 'Còn hạn — theo hiệu chuẩn', 'Valid — by calibration', 'int'),
    col('overdue', 'Quá hạn kiểm định', 'Overdue', 'int'),
    col('failed', 'Kiểm định không đạt', 'Failed verification', 'int'),
    col('none', 'Chưa có kết quả kiểm định, hiệu chuẩn', 'No verification or calibration', 'int'),
    col('unregistered', 'Chưa đăng ký', 'Not registered', 'int'),
    col('verifications', 'Lượt kiểm định trong năm', 'Verifications in year', 'int'),
    col('verPass', 'Kiểm định đạt', 'Verifications passed', 'int'),
    col('verFail', 'Kiểm định không đạt', 'Verifications failed', 'int'),
    col('calibrations', 'Lượt hiệu chuẩn trong năm', 'Calibrations in year', 'int'),
    col('calPass', 'Hiệu chuẩn đạt', 'Calibrations passed', 'int'),
    col('calFail', 'Hiệu chuẩn không đạt', 'Calibrations failed', 'int'),
  ];
  const groups = groupBy(w.states, (s) => `${text(w.place(s.id, s.org))}\u0000${s.kind}`);
  const rows: FormCell[][] = [];
  const late: FormCell[][] = [];
  for (const g of groups.values()) {
    const n = Array(13).fill(0) as number[];
    for (const s of g) {
      const k = kinds(s.id);
      const last = s.lastCalibration === null ? undefined : w.registry.analytics.lastCalibration(s.id);
      // One status per instrument, in this order: not registered, failed, overdue, never verified, valid.
      const status =
        s.state === 'unregistered' ? 6 : k.has('verification_failed') ? 4 : k.has('overdue') ? 3 : !last ? 5 : last.type === 'verification' ? 1 : 2;
      n[0]!++;
      n[status]!++;
      if (status === 3 || status === 4)
        late.push([w.place(s.id, s.org), w.orgName(s.org), s.id, s.name, s.kind, status === 3 ? 'overdue' : 'verification_failed', s.nextDue]);
      for (const c of recordsIn(w.registry, s.id, from, to)) {
        const base = c.type === 'verification' ? 7 : 10;
        n[base]!++;
        n[c.result === 'fail' ? base + 2 : base + 1]!++;
      }
    }
    rows.push([w.place(g[0]!.id, g[0]!.org), g[0]!.kind, ...n]);
  }
  rows.sort(byPlaceKind);
  late.sort((a, b) => byPlaceKind(a, b) || text(a[2]).localeCompare(text(b[2])));
  const list = [
    COMMUNE,
    col('org', 'Tổ chức, cá nhân sử dụng', 'Owner', 'text', { width: 2 }),
    col('instrument', 'Mã phương tiện đo', 'Instrument id', 'text'),
    col('name', 'Tên phương tiện đo', 'Name', 'text', { width: 2 }),
    KIND,
    col('state', 'Tình trạng', 'State', 'text', { label: 'state', width: 1.5 }),
    col('due', 'Hạn kiểm định', 'Verification due', 'date'),
  ];
  return {
    name: 'verification-status',
    title: tx('BÁO CÁO TÌNH HÌNH KIỂM ĐỊNH, HIỆU CHUẨN PHƯƠNG TIỆN ĐO', 'VERIFICATION AND CALIBRATION STATUS OF MEASURING INSTRUMENTS'),
    period: { year: w.year, asOf: w.now },
    sections: [
      {
        title: tx('I. Tổng hợp theo địa bàn và loại phương tiện đo', 'I. Summary by locality and kind'),
        sheet: tx('Tổng hợp', 'Summary'),
        columns,
        rows,
        totals: sumInts(columns, rows),
      },
      {
        title: tx('II. Phương tiện đo quá hạn hoặc kiểm định không đạt', 'II. Instruments overdue or failed'),
        sheet: tx('Quá hạn, không đạt', 'Overdue or failed'),
        columns: list,
        rows: late,
      },
    ],
    notes: [
      tx(
        'Kiểm định (bắt buộc với phương tiện đo nhóm 2) và hiệu chuẩn được đếm riêng. "Còn hạn" theo loại của giấy chứng nhận còn hiệu lực gần nhất; mỗi phương tiện đo thuộc đúng một cột tình trạng.',
        'Verification (compulsory for Group 2) and calibration are counted apart. "Valid" by the type of the latest valid certificate; each instrument is in exactly one status column.',
      ),
      tx(
        'Lượt kiểm định, hiệu chuẩn: giấy chứng nhận còn hiệu lực, ngày trong năm báo cáo; "đạt" gồm cả đạt sau hiệu chỉnh.',
        'Verifications and calibrations: valid certificates dated in the year; "passed" includes passed after adjustment.',
      ),
    ],
  };
}

function assurance(w: Work): OfficialForm {
  const { from, to } = yearRange(w.year);
  const orgs = new Map(w.registry.listOrgs().map((o) => [o.id, o]));
  const mine = w.states.filter((s) => orgs.get(s.org)?.kind === 'enterprise' && (w.org === undefined || s.org === w.org));
  const byState = INSTRUMENT_STATES.map((st) => col(st, label('vi', 'state', st), label('en', 'state', st), 'int'));
  const columns = [
    col('org', 'Doanh nghiệp', 'Enterprise', 'text', { width: 2.5 }),
    COMMUNE,
    col('instruments', 'Số phương tiện đo', 'Instruments', 'int'),
    ...byState,
    col('share', 'Tỷ lệ đạt yêu cầu', 'Share in tolerance', 'pct'),
    col('checks', 'Lần tự kiểm tra trong năm', 'Own checks in year', 'int'),
    col('checked', 'Phương tiện đo được tự kiểm tra', 'Instruments checked', 'int'),
  ];
  const rows: FormCell[][] = [];
  for (const [org, list] of groupBy(mine, (s) => s.org)) {
    const counts = INSTRUMENT_STATES.map((st) => list.filter((s) => s.state === st).length);
    const checks = list.map((s) => w.registry.analytics.listChecks({ instrument: s.id, from, to, limit: 1_000_000 }).length);
    rows.push([
      w.orgName(org),
      w.place(list[0]!.id, list[0]!.org),
      list.length,
      ...counts,
      share(counts[INSTRUMENT_STATES.indexOf('in_tolerance')]!, list.length),
      sum(checks),
      checks.filter((n) => n > 0).length,
    ]);
  }
  rows.sort((a, b) => text(a[0]).localeCompare(text(b[0]), 'vi'));
  const totals = sumInts(columns, rows);
  const iShare = columns.findIndex((c) => c.key === 'share');
  totals[iShare] = share(totals[columns.findIndex((c) => c.key === 'in_tolerance')] as number, mine.length);
  const list = [
    col('org', 'Doanh nghiệp', 'Enterprise', 'text', { width: 2 }),
    col('instrument', 'Mã phương tiện đo', 'Instrument id', 'text'),
    col('name', 'Tên phương tiện đo', 'Name', 'text', { width: 2 }),
    KIND,
    col('state', 'Tình trạng', 'State', 'text', { label: 'state', width: 1.5 }),
    col('due', 'Hạn kiểm định', 'Verification due', 'date'),
  ];
  const items = mine.map((s) => [w.orgName(s.org), s.id, s.name, s.kind, s.state, s.nextDue]);
  items.sort((a, b) => text(a[0]).localeCompare(text(b[0]), 'vi') || text(a[1]).localeCompare(text(b[1])));
  return {
    name: 'enterprise-assurance',
    title: tx('BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH ĐẢM BẢO ĐO LƯỜNG CỦA DOANH NGHIỆP', 'ENTERPRISE MEASUREMENT ASSURANCE SUMMARY'),
    period: { year: w.year, asOf: w.now },
    sections: [
      { title: tx('I. Tổng hợp theo doanh nghiệp', 'I. Summary by enterprise'), sheet: tx('Tổng hợp', 'Summary'), columns, rows, totals },
      {
        title: tx('II. Tình trạng từng phương tiện đo', 'II. State of each instrument'),
        sheet: tx('Phương tiện đo', 'Instruments'),
        columns: list,
        rows: items,
      },
    ],
    notes: [
      tx(
        'Tình trạng của mỗi phương tiện đo là tình trạng hiển thị trên trang của phương tiện đo đó tại ngày báo cáo; tỷ lệ đạt yêu cầu = số phương tiện đo "Đạt yêu cầu" / tổng số, như trang Tổng quan.',
        "Each instrument's state is the one its page shows on the report date; share in tolerance = instruments in tolerance / all, as on the overview.",
      ),
    ],
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Not tracked by the registry yet: the row is printed empty and marked, to be filled in by hand. */
const NOT_TRACKED = tx('Chưa theo dõi trên hệ thống — điền khi lập báo cáo', 'Not tracked by the system yet — fill in by hand');

function annual(w: Work): OfficialForm {
  const { from, to } = yearRange(w.year);
  const kinds = alertKinds(w);
  const byKind = [
    KIND,
    col('instruments', 'Số phương tiện đo', 'Instruments', 'int'),
    col('verified', 'Phương tiện đo được kiểm định trong năm', 'Instruments verified in year', 'int'),
    col('verifications', 'Lượt kiểm định', 'Verifications', 'int'),
    col('verPass', 'Đạt', 'Passed', 'int'),
    col('verFail', 'Không đạt', 'Failed', 'int'),
    col('calibrations', 'Lượt hiệu chuẩn', 'Calibrations', 'int'),
    col('overdue', 'Quá hạn kiểm định', 'Overdue', 'int'),
    col('outOfTolerance', 'Vượt sai số cho phép', 'Out of tolerance', 'int'),
  ];
  const rows: FormCell[][] = [];
  const checkingOrgs = new Set<string>();
  for (const [kind, g] of groupBy(w.states, (s) => String(s.kind))) {
    const n = [0, 0, 0, 0, 0, 0, 0, 0];
    for (const s of g) {
      const recs = recordsIn(w.registry, s.id, from, to);
      const ver = recs.filter((c) => c.type === 'verification');
      n[0]!++;
      n[1]! += ver.length > 0 ? 1 : 0;
      n[2]! += ver.length;
      n[3]! += ver.filter((c) => c.result !== 'fail').length;
      n[4]! += ver.filter((c) => c.result === 'fail').length;
      n[5]! += recs.length - ver.length;
      n[6]! += kinds(s.id).has('overdue') ? 1 : 0;
      n[7]! += kinds(s.id).has('out_of_tolerance') ? 1 : 0;
      if (w.registry.analytics.listChecks({ instrument: s.id, from, to, limit: 1 }).length > 0) checkingOrgs.add(s.org);
    }
    rows.push([kind === 'null' ? null : kind, ...n]);
  }
  rows.sort((a, b) => text(a[0]).localeCompare(text(b[0])));
  const totals = sumInts(byKind, rows);

  const orgs = w.registry.listOrgs();
  const standards = seesAll(w.p)
    ? w.registry.analytics.listReferences()
    : w.p.role === 'lab' && w.p.org
      ? w.registry.analytics.listReferences({ lab: w.p.org })
      : [];
  const valid = standards.filter((r) => !r.outOfTolerance && (r.due == null || r.due >= w.now)).length;
  const labs = seesAll(w.p) ? orgs.filter((o) => o.kind === 'lab').length : new Set(w.states.flatMap((s) => (s.lab ? [s.lab] : []))).size;
  const enterprises = new Set(w.states.filter((s) => orgs.find((o) => o.id === s.org)?.kind === 'enterprise').map((s) => s.org));
  const ind = (no: string, vi: string, en: string, unit: Texts, value: number | null, note: Texts | null = null): FormCell[] => [
    no,
    tx(vi, en),
    unit,
    value,
    note,
  ];
  const pcs = tx('chiếc', 'pcs');
  const times = tx('lượt', 'times');
  const indicators = [
    ind('1', 'Phương tiện đo nhóm 2 trong mạng lưới', 'Group 2 instruments in the network', pcs, totals[1] as number),
    ind('2', 'Phương tiện đo được kiểm định trong năm', 'Instruments verified in the year', pcs, totals[2] as number),
    ind('3', 'Lượt kiểm định trong năm (đạt / không đạt ở Phần I)', 'Verifications in the year (passed / failed in part I)', times, totals[3] as number),
    ind('4', 'Lượt hiệu chuẩn trong năm', 'Calibrations in the year', times, totals[6] as number),
    ind('5', 'Phương tiện đo quá hạn kiểm định tại ngày báo cáo', 'Instruments overdue on the report date', pcs, totals[7] as number),
    ind('6', 'Chuẩn đo lường đã đăng ký', 'Registered measurement standards', tx('chuẩn', 'standards'), standards.length),
    ind('6.1', 'trong đó còn hiệu lực', 'of which valid', tx('chuẩn', 'standards'), valid),
    ind('7', 'Tổ chức kiểm định, hiệu chuẩn', 'Verification and calibration bodies', tx('tổ chức', 'bodies'), labs),
    ind(
      '8',
      'Doanh nghiệp có phương tiện đo trong mạng lưới',
      'Enterprises with instruments in the network',
      tx('doanh nghiệp', 'enterprises'),
      enterprises.size,
    ),
    ind(
      '9',
      'Doanh nghiệp tự kiểm tra phương tiện đo trong năm (đảm bảo đo lường)',
      'Enterprises checking their own instruments (measurement assurance)',
      tx('doanh nghiệp', 'enterprises'),
      checkingOrgs.size,
    ),
    ind('10', 'Thanh tra, kiểm tra nhà nước về đo lường', 'State inspections of measurement', tx('cuộc', 'inspections'), null, NOT_TRACKED),
    ind('11', 'So sánh liên phòng, thử nghiệm thành thạo', 'Interlaboratory comparisons, proficiency tests', times, null, NOT_TRACKED),
    ind('12', 'Đào tạo, tập huấn về đo lường', 'Training in measurement', tx('lượt người', 'attendees'), null, NOT_TRACKED),
    ind('13', 'Tuyên truyền, phổ biến về đo lường', 'Awareness activities', tx('lượt', 'times'), null, NOT_TRACKED),
  ];
  return {
    name: 'province-annual',
    title: tx(`BÁO CÁO KẾT QUẢ HOẠT ĐỘNG ĐO LƯỜNG NĂM ${w.year}`, `MEASUREMENT ACTIVITIES OF THE PROVINCE IN ${w.year}`),
    period: { year: w.year, asOf: w.now },
    sections: [
      { title: tx('I. Phương tiện đo theo loại', 'I. Instruments by kind'), sheet: tx('Theo loại', 'By kind'), columns: byKind, rows, totals },
      {
        title: tx('II. Các chỉ tiêu thực hiện Đề án 996', 'II. Indicators of the 996 programme'),
        sheet: tx('Chỉ tiêu', 'Indicators'),
        columns: [
          col('no', 'Mục', 'Item', 'text'),
          col('indicator', 'Chỉ tiêu', 'Indicator', 'text', { width: 4 }),
          col('unit', 'Đơn vị tính', 'Unit', 'text'),
          col('value', 'Số lượng', 'Number', 'int'),
          col('note', 'Ghi chú', 'Note', 'text', { width: 3 }),
        ],
        rows: indicators,
      },
    ],
    notes: [
      tx(
        'Chưa tìm thấy biểu mẫu báo cáo do Bộ Khoa học và Công nghệ quy định cho báo cáo này; các chỉ tiêu lấy theo nội dung các kế hoạch thực hiện Đề án 996 (Quyết định 996/QĐ-TTg năm 2018) của các tỉnh. Dòng ghi "chưa theo dõi" do đơn vị điền.',
        'No form prescribed by the Ministry of Science and Technology was found; the indicators follow what provincial plans for the 996 programme (Decision 996/QĐ-TTg, 2018) ask. Rows marked "not tracked" are filled in by hand.',
      ),
    ],
  };
}
