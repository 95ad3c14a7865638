import { type OfficialForm, sumInts, tx } from './form.js';
import { BY_PLACE_AND_KIND, byPlaceAndKind, byPlaceKind, byPlaceOwnerId, COLUMNS as C, col, SUMMARY_SHEET, type Work } from './official-common.js';

/** Group 2 instruments in use: a summary by commune and kind, then every instrument with its state and due date. */
export function inventory(w: Work): OfficialForm {
  const summary = [
    C.commune,
    C.kind,
    C.instruments,
    col('registered', 'Đã đăng ký', 'Registered', 'int'),
    C.unregistered,
    col('users', 'Số cơ sở sử dụng', 'Organisations using them', 'int'),
    col('online', 'Đang gửi dữ liệu', 'Sending data', 'int'),
  ];
  const rows = byPlaceAndKind(w.states).map((g) => [
    g[0]!.place,
    g[0]!.kind,
    g.length,
    g.filter((s) => s.state !== 'unregistered').length,
    g.filter((s) => s.state === 'unregistered').length,
    new Set(g.map((s) => s.org)).size,
    g.filter((s) => s.online).length,
  ]);
  rows.sort(byPlaceKind);
  const totals = sumInts(summary, rows);
  // An organisation with instruments in two communes is one organisation in the total.
  totals[5] = new Set(w.states.map((s) => s.org)).size;
  const list = [
    C.commune,
    C.owner,
    C.instrument,
    C.name,
    C.kind,
    C.serial,
    col('site', 'Vị trí sử dụng', 'Site', 'text', { width: 2 }),
    col('lab', 'Tổ chức kiểm định', 'Verification body', 'text', { width: 2 }),
    C.state,
    C.last,
    C.due,
  ];
  const items = w.states.map((s) => [
    s.place,
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
  items.sort(byPlaceOwnerId);
  return {
    name: 'group2-inventory',
    title: tx('DANH MỤC PHƯƠNG TIỆN ĐO NHÓM 2 ĐANG SỬ DỤNG', 'INVENTORY OF GROUP 2 MEASURING INSTRUMENTS IN USE'),
    period: { asOf: w.now },
    sections: [
      { title: BY_PLACE_AND_KIND, sheet: SUMMARY_SHEET, columns: summary, rows, totals },
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
