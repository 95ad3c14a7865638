import type { InstrumentKind } from '../index.js';

/**
 * Legal verification intervals of Vietnamese Group 2 measuring instruments (phương tiện đo nhóm 2)
 * as data with sources, in calendar months, and what is (and is not) known of the last valid day
 * of a verification certificate. Findings and the searches behind them: docs/legal-sources.md.
 *
 * The governing list is the appendix of Circular 23/2013/TT-BKHCN as amended by Circular
 * 07/2019/TT-BKHCN and Circular 03/2024/TT-BKHCN (in force 15/10/2024; consolidated text
 * 02/VBHN-BKHCN of 03/07/2024). That appendix itself was NOT read: the public copies of the
 * consolidated text and of Circular 03/2024 show only their opening pages, so no appendix row
 * number is known. Every row below therefore names what was read instead, and says how directly
 * (`evidence`). Upgrade a row to 'appendix-text' with its row number once the appendix is read.
 * Instruments searched for but not confirmed are in GROUP2_UNCONFIRMED, not in the table.
 */

export const CONTROL_MEASURES = ['pattern-approval', 'initial', 'periodic', 'after-repair'] as const;
/** phê duyệt mẫu, kiểm định ban đầu, kiểm định định kỳ, kiểm định sau sửa chữa. */
export type ControlMeasure = (typeof CONTROL_MEASURES)[number];

/**
 * How directly a row's interval was read, strongest first:
 * - 'appendix-text': the appendix of Circular 23/2013 as amended (none yet);
 * - 'official-summary': a state body's page (Sở KH&CN, a provincial metrology centre) summarising the circular;
 * - 'publisher-summary': a legal publisher's summary of the circular (thuvienphapluat.vn, lawnet.vn);
 * - 'dlvn-procedure': the "Xử lý chung" clause of the instrument's ĐLVN verification procedure
 *   (a technical document issued by the Directorate; read from a laboratory's public digitisation);
 * - 'secondary': trade press, a vendor or a forum answer quoting the circular.
 */
export const EVIDENCE_LEVELS = ['appendix-text', 'official-summary', 'publisher-summary', 'dlvn-procedure', 'secondary'] as const;
export type Evidence = (typeof EVIDENCE_LEVELS)[number];

/** Which state of the list the source reflects: after Circular 03/2024, after 07/2019 only, or not stated. */
export type ListState = 'as-amended-2024' | 'as-amended-2019' | 'not-stated';

export interface LegalSource {
  /** The document the rule is in, and what was actually read when that is a summary of it. */
  readonly document: string;
  /** Appendix row, article, clause or section; "(row number not seen)" when unknown. */
  readonly item: string;
  /** The page read. */
  readonly url: string;
}

/**
 * Whether a row's interval was read in the appendix of Circular 23/2013/TT-BKHCN as amended (the
 * governing list) or only elsewhere. Every row today is 'appendix-not-read': the appendix was not
 * found (docs/legal-sources.md "Read this first"). Derived from `evidence`, so the two never disagree.
 */
export type RowStatus = 'appendix-read' | 'appendix-not-read';

/** The status of a row in words, for the API and the web page to show beside the interval. */
export const ROW_STATUS_TEXT: Record<Evidence, { en: string; vi: string }> = {
  'appendix-text': { en: 'from the appendix of Circular 23/2013/TT-BKHCN as amended', vi: 'theo phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)' },
  'official-summary': {
    en: "from a state body's summary; the appendix of Circular 23/2013/TT-BKHCN as amended was not read",
    vi: 'theo bản tóm tắt của cơ quan nhà nước; chưa đọc được phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)',
  },
  'publisher-summary': {
    en: "from a legal publisher's summary; the appendix of Circular 23/2013/TT-BKHCN as amended was not read",
    vi: 'theo bản tóm tắt của trang pháp luật; chưa đọc được phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)',
  },
  'dlvn-procedure': {
    en: 'from the ĐLVN verification procedure; the appendix of Circular 23/2013/TT-BKHCN as amended was not read',
    vi: 'theo quy trình kiểm định ĐLVN; chưa đọc được phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)',
  },
  secondary: {
    en: 'from a secondary source (trade press, vendor); the appendix of Circular 23/2013/TT-BKHCN as amended was not read',
    vi: 'theo nguồn thứ cấp (báo chí, nhà cung cấp); chưa đọc được phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)',
  },
};

export interface Group2IntervalRow {
  /** Stable id, `<family>.<variant>`. */
  readonly code: string;
  /** The project's instrument kind the row describes, null when none fits. */
  readonly kind: InstrumentKind | null;
  readonly nameVi: string;
  readonly nameEn: string;
  /** Periodic verification interval (chu kỳ kiểm định), calendar months; null: no periodic verification listed. */
  readonly intervalMonths: number | null;
  /** Control measures the source states for the row. */
  readonly measures: readonly ControlMeasure[];
  /** True only when the source lists the row's measures in full; otherwise `measures` is what it shows. */
  readonly measuresComplete: boolean;
  readonly evidence: Evidence;
  /** Read in the appendix or not (from `evidence`): 'appendix-not-read' for every row today. */
  readonly status: RowStatus;
  /** `status` in words (ROW_STATUS_TEXT), as the API and the instrument page show it. */
  readonly statusText: { readonly en: string; readonly vi: string };
  readonly listState: ListState;
  readonly source: LegalSource;
  /** Further sources that agree. */
  readonly alsoIn?: readonly LegalSource[];
  readonly note?: string;
}

// Pages read (see docs/legal-sources.md for what each one shows).
const TVPL_0324 =
  'https://thuvienphapluat.vn/van-ban/Linh-vuc-khac/Thong-tu-03-2024-TT-BKHCN-sua-doi-Thong-tu-23-2013-TT-BKHCN-do-luong-phuong-tien-do-nhom-2-607097.aspx';
const HUE_0324 =
  'http://cmtsi.thuathienhue.gov.vn/Tin-t%E1%BB%A9c-S%E1%BB%B1-ki%E1%BB%87n/Tin-s%E1%BB%B1-ki%E1%BB%87n/pid/208/cid/6?tid=Quy-dinh-moi-ve-danh-muc-phuong-tien-do-nhom-2.html';
const LAWNET_0324 = 'http://www.lawnet.vn/thong-tin-phap-luat/thong-bao-van-ban-moi/bo-sung-thiet-bi-vao-danh-muc-phuong-tien-do-nhom-2-135964.html';
const CAOBANG_FUEL = 'https://sokhcn.caobang.gov.vn/khoa-hoc-cong-nghe/kiem-dinh-cot-do-xang-dau-tai-huyen-trung-khanh-tinh-cao-bang-896450';
const TAPCHINUOC_WATER = 'https://tapchinuoc.vn/kiem-dinh-dong-ho-nuoc-o-viet-nam-175221004101516657.htm';
const DANLUAT_WATER = 'https://danluatold.thuvienphapluat.vn/co-bat-hieu-chuan-kiem-dinh-dong-ho-nuoc-thai-khong-202498.aspx#596668';
const DENSHI_SCALES = 'https://denshi.vn/post/tai-sao-can-phai-hieu-chuan-lai-can-dien-tu';
const CANDONGDO_SCALES = 'https://candongdo.com/ho-tro/huong-dan/kiem-dinh-can-la-gi';
const CANDIENTU_TRUCK = 'https://candientu.vn:443/tin-tuc/quy-trinh-kiem-dinh-tram-can-xe-tai.html';
const TANQUOCHUNG_TRUCK = 'https://tanquochung.com/quy-trinh-kiem-dinh-can-o-to?p=4';
const GPMT_CV3031 = 'https://giaiphapmoitruong.info/2017/quy-dinh-ve-kiem-dinh-hieu-chuan-thiet-bi-quan-trac-tu-dong.html';
const MANLAB = 'https://github.com/namdtvast/MANLAB-AIOS/blob/';
const DLVN_333 = `${MANLAB}1b74d530cea907c258f2e04de7e2be49287f133f/03_MANAGEMENT_SYSTEM/03_M/ETV.MV_KiemDinh/1.%20MV_Phy_Che_Air/MVA_DLVN333_KhiTuDong/1.%20Quy%20trinh/DLVN333_QTKD_KhiTuDong.md`;
const DLVN_381 = `${MANLAB}6505ee91f8fa791c4b7a5f943facedcee8a1d4b2/03_MANAGEMENT_SYSTEM/03_M/ETV.MV_KiemDinh/1.%20MV_Phy_Che_Water/MVW_DLVN381_pHTram/1.%20Quy%20trinh/DLVN381_QTKD_pHTram.md`;
const DLVN_387 = `${MANLAB}6505ee91f8fa791c4b7a5f943facedcee8a1d4b2/03_MANAGEMENT_SYSTEM/03_M/ETV.MV_KiemDinh/1.%20MV_Phy_Che_Water/MVW_DLVN387_CODTram/1.%20Quy%20trinh/DLVN387_QTKD_CODTram.md`;
const DLVN_388 = `${MANLAB}6505ee91f8fa791c4b7a5f943facedcee8a1d4b2/03_MANAGEMENT_SYSTEM/03_M/ETV.MV_KiemDinh/1.%20MV_Phy_Che_Water/MVW_DLVN388_TSSTram/1.%20Quy%20trinh/DLVN388_QTKD_TSSTram.md`;
const DLVN_107 = `${MANLAB}e21a10f18759ca4721ed364fb173e4af42f2d33f/03_MANAGEMENT_SYSTEM/03_M/ETV.MV_KiemDinh/1.%20MV_Phy_Che_Air/MVA_DLVN107_NongDoCon/1.%20Quy%20trinh/DLVN107_QTKD_NongDoCon.md`;
const TT24_ART38 =
  'https://beta.thuvienphapluat.vn/phap-luat/khi-nao-se-su-dung-dong-thoi-giay-chung-nhan-hieu-chuan-voi-dau-kiem-dinh-phuong-tien-do-luong-77708.html';
const TT24_ART39 = 'https://thuvienphapluat.vn/hoi-dap-phap-luat/498CF-hd-tem-kiem-dinh-tem-hieu-chuan-do-luong.html?rel=goi-y-cung-tag';
const LAW_ART16 = 'https://vietjack.me/phap-luat/luat-do-luong-2011/chuong-3-3339.html';

const TT23_2024 = 'Circular 23/2013/TT-BKHCN, Appendix as amended by Circular 03/2024/TT-BKHCN';
const TT23_2019 = 'Circular 23/2013/TT-BKHCN, list as amended by Circular 07/2019/TT-BKHCN (Art. 1(2))';
const SUMMARY_0324 = `${TT23_2024}; read in thuvienphapluat.vn's summary of Circular 03/2024`;
const ROW_NOT_SEEN = '(row number not seen)';

/** From the summary of Circular 03/2024 (TVPL_0324), which lists these rows with their intervals. */
const fromSummary0324 = (code: string, kind: InstrumentKind | null, nameVi: string, nameEn: string, intervalMonths: number | null, note?: string) =>
  ({
    code,
    kind,
    nameVi,
    nameEn,
    intervalMonths,
    measures: intervalMonths === null ? [] : (['periodic'] as const),
    measuresComplete: false,
    evidence: 'publisher-summary',
    listState: 'as-amended-2024',
    source: { document: SUMMARY_0324, item: `"${nameVi}" ${ROW_NOT_SEEN}`, url: TVPL_0324 },
    ...(note ? { note } : {}),
  }) satisfies RowIn;

/** A row as written below; its status follows from its evidence. */
type RowIn = Omit<Group2IntervalRow, 'status' | 'statusText'>;
const withStatus = (r: RowIn): Group2IntervalRow => ({
  ...r,
  status: r.evidence === 'appendix-text' ? 'appendix-read' : 'appendix-not-read',
  statusText: ROW_STATUS_TEXT[r.evidence],
});

const ROWS: readonly RowIn[] = [
  // Length (phương tiện đo độ dài)
  fromSummary0324(
    'length.tape',
    null,
    'Thước cuộn',
    'Measuring tape',
    null,
    'The only row the summary lists without an interval while its siblings have one: read as "no periodic verification" ' +
      '(initial verification only), but the measures themselves were not seen. Confirm against the appendix.',
  ),
  fromSummary0324('length.edm', null, 'Phương tiện đo khoảng cách quang điện', 'Electro-optical distance meter', 12),
  fromSummary0324('length.water_depth', null, 'Phương tiện đo độ sâu đáy nước', 'Water depth meter', 12),
  fromSummary0324('length.underground_depth', null, 'Phương tiện đo độ sâu công trình ngầm', 'Underground works depth meter', 24),
  {
    ...fromSummary0324('taximeter', 'taximeter', 'Taximet', 'Taximeter', 18),
    alsoIn: [
      { document: `${TT23_2024}; read in a provincial metrology centre's summary (Thừa Thiên Huế, 04/07/2024)`, item: ROW_NOT_SEEN, url: HUE_0324 },
      { document: `${TT23_2024}; read in lawnet.vn's summary`, item: ROW_NOT_SEEN, url: LAWNET_0324 },
    ],
  },
  fromSummary0324(
    'speed.traffic',
    null,
    'Phương tiện đo kiểm tra tốc độ phương tiện giao thông',
    'Traffic speed meter (radar, laser)',
    24,
    'A secondary source quoting the 2013 original gives 12 months: the 2024 list reads 24.',
  ),
  fromSummary0324('survey.level', null, 'Phương tiện đo thủy chuẩn', 'Levelling instrument', 12),
  fromSummary0324('survey.total_station', null, 'Toàn đạc điện tử', 'Electronic total station', 12),

  // Non-automatic weighing (cân)
  fromSummary0324('scale.analytical', 'scale', 'Cân phân tích', 'Analytical balance', 12),
  fromSummary0324('scale.technical', 'scale', 'Cân kỹ thuật', 'Technical (precision) balance', 12),
  {
    code: 'scale.bench',
    kind: 'scale',
    nameVi: 'Cân bàn (cân thông dụng)',
    nameEn: 'Platform (bench) scale, common scale',
    intervalMonths: 12,
    measures: ['periodic'],
    measuresComplete: false,
    evidence: 'secondary',
    listState: 'not-stated',
    source: {
      document: 'Circular 23/2013/TT-BKHCN list as amended; read in a scale vendor\'s page ("cân bàn điện tử … cân xe tải … 1 năm")',
      item: `"Cân thông dụng: cân bàn" ${ROW_NOT_SEEN}`,
      url: DENSHI_SCALES,
    },
    alsoIn: [{ document: 'Scale vendor page: trade scales (cân bàn, cân treo, cân ô tô …) "định kỳ 12 tháng/lần"', item: '—', url: CANDONGDO_SCALES }],
    note: 'The 03/2024 summary breaks off at "Cân đồng hồ lò xo: Có chu kỳ kiểm định l…"; the bench-scale row itself was not seen.',
  },
  {
    code: 'scale.truck',
    kind: 'scale',
    nameVi: 'Cân ô tô',
    nameEn: 'Truck scale (weighbridge)',
    intervalMonths: 12,
    measures: ['initial', 'periodic', 'after-repair'],
    measuresComplete: false,
    evidence: 'secondary',
    listState: 'not-stated',
    source: {
      document: 'Circular 23/2013/TT-BKHCN list as amended; read in a scale vendor\'s page on ĐLVN 13:2019 ("kiểm định cân ô tô theo định kỳ 1 năm/lần")',
      item: `"Cân ô tô" ${ROW_NOT_SEEN}`,
      url: CANDIENTU_TRUCK,
    },
    alsoIn: [
      { document: 'Scale vendor page (cân xe tải: 1 năm)', item: '—', url: DENSHI_SCALES },
      {
        document: 'Scale vendor page quoting Circular 23/2013 (initial, periodic and after-repair verification of truck scales)',
        item: 'Art. 4 (as cited)',
        url: TANQUOCHUNG_TRUCK,
      },
    ],
  },
  {
    code: 'scale.rail_dynamic',
    kind: 'scale',
    nameVi: 'Cân tàu hỏa động',
    nameEn: 'In-motion railway weighbridge',
    intervalMonths: 24,
    measures: ['periodic'],
    measuresComplete: false,
    evidence: 'secondary',
    listState: 'not-stated',
    source: {
      document: 'Circular 23/2013/TT-BKHCN list as amended; read in a scale vendor\'s page ("Riêng quả cân E2 và cân tàu hỏa động là 2 năm")',
      item: `"Cân tàu hỏa động" ${ROW_NOT_SEEN}`,
      url: DENSHI_SCALES,
    },
    note: 'One vendor page only: weak.',
  },

  // Fuel
  {
    code: 'fuel_dispenser.petrol',
    kind: 'fuel_dispenser',
    nameVi: 'Cột đo xăng dầu',
    nameEn: 'Fuel dispenser (petrol, diesel)',
    intervalMonths: 12,
    measures: ['pattern-approval', 'initial', 'periodic', 'after-repair'],
    measuresComplete: true,
    evidence: 'official-summary',
    listState: 'as-amended-2019',
    source: {
      document: `${TT23_2019}; read in Sở KH&CN Cao Bằng's news of 11/01/2023 ("phải được phê duyệt mẫu … kiểm định ban đầu, kiểm định định kỳ 12 tháng/lần và kiểm định sau sửa chữa")`,
      item: `"Cột đo xăng dầu" ${ROW_NOT_SEEN}`,
      url: CAOBANG_FUEL,
    },
    note: 'Reflects the list before Circular 03/2024; the summaries of 03/2024 read here do not reach this row.',
  },

  // Water meters
  {
    code: 'water_meter.cold_mechanical',
    kind: 'water_meter',
    nameVi: 'Đồng hồ đo nước lạnh cơ khí',
    nameEn: 'Cold-water meter, mechanical',
    intervalMonths: 60,
    measures: ['periodic'],
    measuresComplete: false,
    evidence: 'secondary',
    listState: 'as-amended-2019',
    source: {
      document: `${TT23_2019}; read in Tạp chí Nước (water-sector journal)`,
      item: `"Đồng hồ đo nước lạnh cơ khí" ${ROW_NOT_SEEN}`,
      url: TAPCHINUOC_WATER,
    },
    alsoIn: [{ document: `${TT23_2019}; read in a DanLuat forum answer`, item: 'Art. 1(2) of Circular 07/2019 (as cited)', url: DANLUAT_WATER }],
    note: 'Not split by size or class in the sources read. Not re-checked against Circular 03/2024.',
  },
  {
    code: 'water_meter.cold_electronic',
    kind: 'water_meter',
    nameVi: 'Đồng hồ đo nước lạnh có cơ cấu điện tử',
    nameEn: 'Cold-water meter with electronic devices (electromagnetic, ultrasonic, vortex, Coriolis)',
    intervalMonths: 36,
    measures: ['periodic'],
    measuresComplete: false,
    evidence: 'secondary',
    listState: 'as-amended-2019',
    source: { document: `${TT23_2019}; read in Tạp chí Nước`, item: `"Đồng hồ đo nước lạnh có cơ cấu điện tử" ${ROW_NOT_SEEN}`, url: TAPCHINUOC_WATER },
    alsoIn: [{ document: `${TT23_2019}; read in a DanLuat forum answer`, item: 'Art. 1(2) of Circular 07/2019 (as cited)', url: DANLUAT_WATER }],
    note: 'Not re-checked against Circular 03/2024.',
  },

  // Environmental monitoring stations (ĐLVN procedures; the list rows themselves were not seen)
  {
    code: 'env.air_gas_station',
    kind: 'env_station',
    nameVi: 'Phương tiện đo nồng độ SO2, CO, NO, NO2 của trạm quan trắc không khí tự động, liên tục',
    nameEn: 'SO2, CO, NO, NO2 analysers of automatic continuous ambient-air monitoring stations',
    intervalMonths: 12,
    measures: ['initial', 'periodic', 'after-repair'],
    measuresComplete: false,
    evidence: 'dlvn-procedure',
    listState: 'not-stated',
    source: {
      document: "ĐLVN 333:2016 (verification procedure), read in a laboratory's digitisation",
      item: '§8.3 "Chu kỳ kiểm định: 12 tháng"; scope §1',
      url: DLVN_333,
    },
    alsoIn: [
      {
        document:
          'Official letter 3031/BTNMT-TCMT of 26/07/2016, read in a Q&A page: SO2, NO, NO2, CO, CO2, dust analysers of automatic stations, initial + periodic (12 months) + after-repair',
        item: '—',
        url: GPMT_CV3031,
      },
    ],
    note: 'Stack-gas (CEMS) analysers have their own procedure (ĐLVN 380:2021), not read.',
  },
  {
    code: 'env.water_ph_station',
    kind: 'env_station',
    nameVi: 'Phương tiện đo pH của trạm quan trắc môi trường nước',
    nameEn: 'pH meter of water monitoring stations',
    intervalMonths: 12,
    measures: ['initial', 'periodic', 'after-repair'],
    measuresComplete: false,
    evidence: 'dlvn-procedure',
    listState: 'not-stated',
    source: {
      document: "ĐLVN 381:2021 (verification procedure), read in a laboratory's digitisation",
      item: '§8.3; verification modes in Appendix 1',
      url: DLVN_381,
    },
  },
  {
    code: 'env.water_cod_station',
    kind: 'env_station',
    nameVi: 'Phương tiện đo nhu cầu oxy hóa học (COD) của trạm quan trắc môi trường nước',
    nameEn: 'COD analyser of water monitoring stations',
    intervalMonths: 12,
    measures: ['initial', 'periodic', 'after-repair'],
    measuresComplete: false,
    evidence: 'dlvn-procedure',
    listState: 'not-stated',
    source: {
      document: "ĐLVN 387:2021 (verification procedure), read in a laboratory's digitisation",
      item: '§8.3; verification modes in Appendix 1',
      url: DLVN_387,
    },
  },
  {
    code: 'env.water_tss_station',
    kind: 'env_station',
    nameVi: 'Phương tiện đo tổng chất rắn lơ lửng (TSS) trong nước của trạm quan trắc môi trường nước',
    nameEn: 'TSS analyser of water monitoring stations',
    intervalMonths: 12,
    measures: ['initial', 'periodic', 'after-repair'],
    measuresComplete: false,
    evidence: 'dlvn-procedure',
    listState: 'not-stated',
    source: {
      document: "ĐLVN 388:2021 (verification procedure), read in a laboratory's digitisation",
      item: '§8.3; verification modes in Appendix 1',
      url: DLVN_388,
    },
  },

  // Breath alcohol
  {
    code: 'alcohol.breath',
    kind: null,
    nameVi: 'Phương tiện đo nồng độ cồn trong hơi thở',
    nameEn: 'Breath alcohol analyser',
    intervalMonths: 12,
    measures: ['initial', 'periodic'],
    measuresComplete: false,
    evidence: 'dlvn-procedure',
    listState: 'not-stated',
    source: {
      document: "ĐLVN 107:2012 (verification procedure), read in a laboratory's digitisation",
      item: '§8.3 "01 năm"; Table 5 (initial and periodic MPE)',
      url: DLVN_107,
    },
  },

  // EV charging energy meters: added by Circular 03/2024
  ...(
    [
      ['ev_charging.ac_two_wheel', 'Thiết bị đo điện năng xoay chiều sạc pin xe đạp điện, xe máy điện', 'AC energy meter of e-bike / e-motorbike chargers', 60],
      ['ev_charging.ac_car', 'Thiết bị đo điện năng xoay chiều sạc pin xe ô tô điện', 'AC energy meter of electric-car chargers', 36],
      ['ev_charging.dc_car', 'Thiết bị đo điện năng một chiều sạc pin xe ô tô điện', 'DC energy meter of electric-car chargers', 36],
    ] as const
  ).map(
    ([code, nameVi, nameEn, intervalMonths]): RowIn => ({
      code,
      kind: null,
      nameVi,
      nameEn,
      intervalMonths,
      measures: ['periodic'],
      measuresComplete: false,
      evidence: 'publisher-summary',
      listState: 'as-amended-2024',
      source: { document: `${TT23_2024} (row added by 03/2024); read in lawnet.vn's summary`, item: `"${nameVi}" ${ROW_NOT_SEEN}`, url: LAWNET_0324 },
    }),
  ),
];

export const GROUP2_INTERVALS: readonly Group2IntervalRow[] = ROWS.map(withStatus);

/**
 * Instruments the brief asked for whose interval was NOT found in any source read: no value is
 * given for them here on purpose. What was searched: docs/legal-sources.md.
 */
export const GROUP2_UNCONFIRMED: readonly { readonly nameVi: string; readonly nameEn: string; readonly note: string }[] = [
  {
    nameVi: 'Cân đồng hồ lò xo',
    nameEn: 'Spring dial scale',
    note: 'The 03/2024 summary breaks off mid-row. DOMAIN.md says 24 months: no source found for it.',
  },
  { nameVi: 'Cân đĩa, cân treo', nameEn: 'Counter (pan) scale, hanging scale', note: 'Not found.' },
  { nameVi: 'Cân tàu hỏa tĩnh, cân băng tải, cân kiểm tra quá tải xe', nameEn: 'Static railway, belt, vehicle-overload scales', note: 'Not found.' },
  { nameVi: 'Cột đo khí dầu mỏ hóa lỏng (LPG)', nameEn: 'LPG dispenser', note: 'Not found.' },
  {
    nameVi: 'Công tơ điện (xoay chiều 1 pha / 3 pha, kiểu điện tử)',
    nameEn: 'Electricity meters',
    note:
      'Intervals not found. Found only that Circular 03/2024 removed "công tơ điện xoay chiều 1 pha kiểu cảm ứng" from the list ' +
      '(68 → 69 instrument types with the EV-charger meters added).',
  },
  {
    nameVi: 'Phương tiện đo nồng độ bụi (PM)',
    nameEn: 'Particulate (dust) monitors',
    note: 'Only the 2016 MONRE letter (12 months, secondary); list row not found.',
  },
  {
    nameVi: 'Phương tiện đo khí thải (CEMS), khí thải xe cơ giới',
    nameEn: 'Stack-gas CEMS, vehicle exhaust analysers',
    note: 'Procedures exist (ĐLVN 380:2021, ĐLVN 214); not read.',
  },
  {
    nameVi: 'Cân kiểm tra tự động (cân phân loại, OIML R51)',
    nameEn: 'Automatic catchweighing instrument (checkweigher)',
    note:
      'Not found. The English rendering of the 2024 list on lawnet.vn ("What are included in the list of measuring instruments … ' +
      'from October 15th, 2024", Art. 4 of Circular 23/2013 as amended by Art. 1 of Circular 03/2024) shows rows 1–11 ' +
      '(length, taximeter, speed, levelling, total station, analytical, technical and common scales, crane, truck and specialised truck scales) ' +
      'and no automatic catchweighing instrument among them; the rows after 11 were not seen, nor the 07/2019 list. No interval is given.',
  },
];

const rowOf = (code: string): Group2IntervalRow => {
  const row = GROUP2_INTERVALS.find((r) => r.code === code);
  if (!row) throw new Error(`verification-intervals: no row ${code}`);
  return row;
};

/** The row of GROUP2_INTERVALS with this code, if any. */
export function group2Row(code: string): Group2IntervalRow | undefined {
  return GROUP2_INTERVALS.find((r) => r.code === code);
}

const byRow = (code: string) => ({ months: rowOf(code).intervalMonths, row: code });

/**
 * The row that best represents each project kind, for instruments whose own row is not recorded:
 * - scale → cân bàn: the scale of markets and shops; every scale row found (analytical, technical,
 *   bench, truck) reads 12 months; only the in-motion railway scale (24, weak) differs.
 * - fuel_dispenser → cột đo xăng dầu (12).
 * - taximeter → taximet (18, in the 2024 list).
 * - env_station → the AQMS gas analysers (12); the water-station pH/COD/TSS analysers read 12 too.
 * - water_meter → the cold-water meter WITH electronic devices (36), not the mechanical one (60):
 *   a meter the network reads has an electronic register or transmitter, and the shorter interval
 *   is the conservative default; a mechanical meter gets 60 through its own row or an override.
 * - other → no default (null): the kind names no instrument.
 */
export const DEFAULT_INTERVAL_MONTHS_BY_KIND: Record<InstrumentKind, { months: number | null; row: string }> = {
  scale: byRow('scale.bench'),
  fuel_dispenser: byRow('fuel_dispenser.petrol'),
  taximeter: byRow('taximeter'),
  env_station: byRow('env.air_gas_station'),
  water_meter: byRow('water_meter.cold_electronic'),
  // Not found in the list (GROUP2_UNCONFIRMED): no default, an authority or lab sets the interval.
  checkweigher: { months: null, row: 'none' },
  other: { months: null, row: 'none' },
};

/**
 * The last valid day of a verification certificate: NOT FOUND. No text read states how the
 * "valid until" date is computed from the verification date and the interval (same day number
 * one interval later, or the day before). What was found:
 * - Circular 24/2013/TT-BKHCN Art. 39(1): the verification stamp (tem kiểm định, Form 16.TKĐ) is
 *   used with the verification mark and/or certificate "để thông báo thời hạn có giá trị của việc
 *   kiểm định"; where no stamp fits, the certificate announces that period. Art. 38(4): mark type 2
 *   seals and announces the expiry of verification by itself. So the date is whatever the stamp or
 *   certificate states; Form 16.TKĐ's wording ("hiệu lực đến …") was not seen.
 * - The ĐLVN procedures read state only the interval ("Chu kỳ kiểm định: 12 tháng").
 */
export const LAST_VALID_DAY_RULE = {
  found: false,
  authoritative: 'the date printed on the verification stamp or certificate',
  sources: [
    { document: 'Circular 24/2013/TT-BKHCN', item: 'Art. 39(1)(c)-(d) (verification stamp announces the validity period)', url: TT24_ART39 },
    { document: 'Circular 24/2013/TT-BKHCN', item: 'Art. 38(3)-(4) (verification mark types 1 and 2)', url: TT24_ART38 },
  ],
  notFound: 'How the printed date is derived from the verification date + interval; month-end handling.',
} as const;

/**
 * Ways to derive a last valid day from a verification date and an interval in months, for
 * records that carry no printed date. Neither is taken from a legal text.
 * - 'anniversary': the same day number `months` later (clamped to the month's last day);
 * - 'day-before-anniversary': one day earlier than that.
 */
export const LAST_VALID_DAY_CONVENTIONS = ['anniversary', 'day-before-anniversary'] as const;
export type LastValidDayConvention = (typeof LAST_VALID_DAY_CONVENTIONS)[number];

/**
 * Engineering fallback, NOT law: the earlier of the two conventions, so a computed date never
 * claims a day the printed certificate might not cover. Replace when the rule is found.
 */
export const FALLBACK_LAST_VALID_DAY_CONVENTION: LastValidDayConvention = 'day-before-anniversary';

/**
 * Last valid day (calendar date, 'YYYY-MM-DD') of a verification done on `verifiedOn` with an
 * interval of `months`, by `convention`. Examples: 2026-01-15 + 12 → anniversary 2027-01-15,
 * day before 2027-01-14; 2026-01-31 + 1 → anniversary 2026-02-28 (clamped), day before 2026-02-27.
 */
export function lastValidDay(verifiedOn: string, months: number, convention: LastValidDayConvention = FALLBACK_LAST_VALID_DAY_CONVENTION): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(verifiedOn);
  if (!m || !Number.isInteger(months) || months < 0) throw new RangeError(`lastValidDay: bad arguments ${verifiedOn}, ${months}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const target = mo + months;
  const lastOfMonth = new Date(Date.UTC(y, target + 1, 0)).getUTCDate();
  const anniversary = Date.UTC(y, target, Math.min(d, lastOfMonth));
  const day = convention === 'anniversary' ? anniversary : anniversary - 86_400_000;
  return new Date(day).toISOString().slice(0, 10);
}

/**
 * Whether a calibration (hiệu chuẩn) renews the legal validity of a Group 2 instrument: no.
 * Law on Metrology 04/2011/QH13 Art. 16(2): Group 2 instruments on the list are controlled by the
 * technical requirements the state authority prescribes; Circular 23/2013 (as amended) lists for
 * each the control measures, which are type approval and verification only. No sentence saying
 * "calibration cannot replace verification" was found: this is the reading of those two texts.
 * A due date for a Group 2 instrument should therefore run from its last verification.
 */
export const CALIBRATION_RENEWS_VERIFICATION = false;
export const CALIBRATION_VS_VERIFICATION_SOURCE: LegalSource = {
  document: 'Law on Metrology 04/2011/QH13 (with Circular 23/2013/TT-BKHCN Art. 4 as amended)',
  item: 'Art. 16(2)',
  url: LAW_ART16,
};
