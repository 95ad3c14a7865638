import { type FormCell, type OfficialForm, share, sumInts, tx } from './form.js';
import { COLUMNS as C, enterpriseColumn, groupBy, SUMMARY_SHEET, stateCount, sum, text, col, type Work } from './official-common.js';
import { INSTRUMENT_STATES, isConforming } from '../states.js';
import { vnYearRange } from './year.js';

/** Enterprise measurement assurance: per enterprise, its instruments by state word and its own checks in the year; then each instrument. */
export function assurance(w: Work): OfficialForm {
  const { from, to } = vnYearRange(w.year);
  const mine = w.states.filter((s) => w.orgs.get(s.org)?.kind === 'enterprise' && (w.org === undefined || s.org === w.org));
  const columns = [
    enterpriseColumn(2.5),
    C.commune,
    C.instruments,
    ...INSTRUMENT_STATES.map((st) => stateCount(st, st)),
    col('share', 'Tỷ lệ đạt yêu cầu', 'Share conforming', 'pct'),
    col('checks', 'Lần tự kiểm tra trong năm', 'Own checks in year', 'int'),
    col('checked', 'Phương tiện đo được tự kiểm tra', 'Instruments checked', 'int'),
  ];
  const rows: FormCell[][] = [];
  for (const [org, list] of groupBy(mine, (s) => s.org)) {
    const counts = INSTRUMENT_STATES.map((st) => list.filter((s) => s.state === st).length);
    const checks = list.map((s) => w.registry.analytics.listChecks({ instrument: s.id, from, to, limit: 1_000_000 }).length);
    rows.push([
      w.orgName(org),
      list[0]!.place,
      list.length,
      ...counts,
      share(list.filter(isConforming).length, list.length),
      sum(checks),
      checks.filter((n) => n > 0).length,
    ]);
  }
  rows.sort((a, b) => text(a[0]).localeCompare(text(b[0]), 'vi'));
  const totals = sumInts(columns, rows);
  totals[columns.findIndex((c) => c.key === 'share')] = share(mine.filter(isConforming).length, mine.length);
  const list = [enterpriseColumn(2), C.instrument, C.name, C.kind, C.state, C.due];
  const items = mine.map((s) => [w.orgName(s.org), s.id, s.name, s.kind, s.state, s.nextDue]);
  items.sort((a, b) => text(a[0]).localeCompare(text(b[0]), 'vi') || text(a[1]).localeCompare(text(b[1])));
  return {
    name: 'enterprise-assurance',
    title: tx('BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH ĐẢM BẢO ĐO LƯỜNG CỦA DOANH NGHIỆP', 'ENTERPRISE MEASUREMENT ASSURANCE SUMMARY'),
    period: { year: w.year, asOf: w.now },
    sections: [
      { title: tx('I. Tổng hợp theo doanh nghiệp', 'I. Summary by enterprise'), sheet: SUMMARY_SHEET, columns, rows, totals },
      {
        title: tx('II. Tình trạng từng phương tiện đo', 'II. State of each instrument'),
        sheet: tx('Phương tiện đo', 'Instruments'),
        columns: list,
        rows: items,
      },
    ],
    notes: [
      tx(
        'Tình trạng của mỗi phương tiện đo là tình trạng hiển thị trên trang của phương tiện đo đó tại ngày báo cáo; tỷ lệ đạt yêu cầu = số phương tiện đo "Đạt yêu cầu" đã có kết quả kiểm định hoặc hiệu chuẩn / tổng số, như trang Tổng quan.',
        "Each instrument's state is the one its page shows on the report date; share conforming = instruments in tolerance with a verification or calibration on record / all, as on the overview.",
      ),
    ],
  };
}
