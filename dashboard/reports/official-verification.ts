import { type FormCell, type OfficialForm, sumInts, tx } from './form.js';
import {
  alertKinds,
  BY_PLACE_AND_KIND,
  byPlaceAndKind,
  byPlaceKind,
  byPlaceOwnerId,
  COLUMNS as C,
  col,
  SUMMARY_SHEET,
  stateCount,
  type Work,
} from './official-common.js';
import { datedIn, validRecords, vnYearRange } from './year.js';

/**
 * Verification and calibration status: per commune and kind, each instrument in exactly one
 * status column, and the verifications and calibrations of the year counted apart; then the
 * instruments overdue or failed.
 */
export function verification(w: Work): OfficialForm {
  const year = vnYearRange(w.year);
  const kinds = alertKinds(w);
  const columns = [
    C.commune,
    C.kind,
    C.instruments,
    col('onTimeV', 'Còn hạn — theo kiểm định', 'Valid — by verification', 'int'),
    col('onTimeC', 'Còn hạn — theo hiệu chuẩn', 'Valid — by calibration', 'int'),
    stateCount('overdue', 'overdue'),
    stateCount('failed', 'verification_failed'),
    col('none', 'Chưa có kết quả kiểm định, hiệu chuẩn', 'No verification or calibration', 'int'),
    C.unregistered,
    col('verifications', 'Lượt kiểm định trong năm', 'Verifications in year', 'int'),
    col('verPass', 'Kiểm định đạt', 'Verifications passed', 'int'),
    col('verFail', 'Kiểm định không đạt', 'Verifications failed', 'int'),
    col('calibrations', 'Lượt hiệu chuẩn trong năm', 'Calibrations in year', 'int'),
    col('calPass', 'Hiệu chuẩn đạt', 'Calibrations passed', 'int'),
    col('calFail', 'Hiệu chuẩn không đạt', 'Calibrations failed', 'int'),
  ];
  const rows: FormCell[][] = [];
  const late: FormCell[][] = [];
  for (const g of byPlaceAndKind(w.states)) {
    const n = Array(13).fill(0) as number[];
    for (const s of g) {
      const k = kinds(s.id);
      const records = validRecords(w.registry, s.id);
      const last = s.lastCalibration === null ? undefined : records.at(-1);
      // One status per instrument, in this order: not registered, failed, overdue, never verified, valid.
      const status =
        s.state === 'unregistered' ? 6 : k.has('verification_failed') ? 4 : k.has('overdue') ? 3 : !last ? 5 : last.type === 'verification' ? 1 : 2;
      n[0]!++;
      n[status]!++;
      if (status === 3 || status === 4)
        late.push([s.place, w.orgName(s.org), s.id, s.name, s.kind, status === 3 ? 'overdue' : 'verification_failed', s.nextDue]);
      for (const c of datedIn(records, year)) {
        const base = c.type === 'verification' ? 7 : 10;
        n[base]!++;
        n[c.result === 'fail' ? base + 2 : base + 1]!++;
      }
    }
    rows.push([g[0]!.place, g[0]!.kind, ...n]);
  }
  rows.sort(byPlaceKind);
  late.sort(byPlaceOwnerId);
  const list = [C.commune, C.owner, C.instrument, C.name, C.kind, C.state, C.due];
  return {
    name: 'verification-status',
    title: tx('BÁO CÁO TÌNH HÌNH KIỂM ĐỊNH, HIỆU CHUẨN PHƯƠNG TIỆN ĐO', 'VERIFICATION AND CALIBRATION STATUS OF MEASURING INSTRUMENTS'),
    period: { year: w.year, asOf: w.now },
    sections: [
      { title: BY_PLACE_AND_KIND, sheet: SUMMARY_SHEET, columns, rows, totals: sumInts(columns, rows) },
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
