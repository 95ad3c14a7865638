import { seesAll } from '../auth/tenant.js';
import { type FormCell, type OfficialForm, sumInts, type Texts, tx } from './form.js';
import { alertKinds, COLUMNS as C, col, groupBy, stateCount, text, type Work } from './official-common.js';
import { datedIn, validRecords, vnYearRange } from './year.js';

/** Not tracked by the registry yet: the row is printed empty and marked, to be filled in by hand. */
const NOT_TRACKED = tx('Chưa theo dõi trên hệ thống — điền khi lập báo cáo', 'Not tracked by the system yet — fill in by hand');

/** The province's yearly measurement report: instruments by kind, then the indicators of the 996 programme. */
export function annual(w: Work): OfficialForm {
  const year = vnYearRange(w.year);
  const kinds = alertKinds(w);
  const byKind = [
    C.kind,
    C.instruments,
    col('verified', 'Phương tiện đo được kiểm định trong năm', 'Instruments verified in year', 'int'),
    col('verifications', 'Lượt kiểm định', 'Verifications', 'int'),
    col('verPass', 'Đạt', 'Passed', 'int'),
    col('verFail', 'Không đạt', 'Failed', 'int'),
    col('calibrations', 'Lượt hiệu chuẩn', 'Calibrations', 'int'),
    stateCount('overdue', 'overdue'),
    stateCount('outOfTolerance', 'out_of_tolerance'),
  ];
  const rows: FormCell[][] = [];
  const checkingOrgs = new Set<string>();
  for (const [kind, g] of groupBy(w.states, (s) => String(s.kind))) {
    const n = [0, 0, 0, 0, 0, 0, 0, 0];
    for (const s of g) {
      const recs = datedIn(validRecords(w.registry, s.id), year);
      const ver = recs.filter((c) => c.type === 'verification');
      const alerts = kinds(s.id);
      n[0]!++;
      n[1]! += ver.length > 0 ? 1 : 0;
      n[2]! += ver.length;
      n[3]! += ver.filter((c) => c.result !== 'fail').length;
      n[4]! += ver.filter((c) => c.result === 'fail').length;
      n[5]! += recs.length - ver.length;
      n[6]! += alerts.has('overdue') ? 1 : 0;
      n[7]! += alerts.has('out_of_tolerance') ? 1 : 0;
      if (w.registry.analytics.listChecks({ instrument: s.id, ...year, limit: 1 }).length > 0) checkingOrgs.add(s.org);
    }
    rows.push([kind === 'null' ? null : kind, ...n]);
  }
  rows.sort((a, b) => text(a[0]).localeCompare(text(b[0])));
  const totals = sumInts(byKind, rows);

  const standards = seesAll(w.p)
    ? w.registry.analytics.listReferences()
    : w.p.role === 'lab' && w.p.org
      ? w.registry.analytics.listReferences({ lab: w.p.org })
      : [];
  const valid = standards.filter((r) => !r.outOfTolerance && (r.due == null || r.due >= w.now)).length;
  const labs = seesAll(w.p) ? [...w.orgs.values()].filter((o) => o.kind === 'lab').length : new Set(w.states.flatMap((s) => (s.lab ? [s.lab] : []))).size;
  const enterprises = new Set(w.states.filter((s) => w.orgs.get(s.org)?.kind === 'enterprise').map((s) => s.org));
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
    ind('13', 'Tuyên truyền, phổ biến về đo lường', 'Awareness activities', times, null, NOT_TRACKED),
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
