/**
 * The catalogue of measurement violations an inspector records during a state metrological
 * inspection (kiểm tra nhà nước về đo lường) of fuel retail stations, producers of prepackaged
 * goods and market scales, as data with its legal sources. Findings, the searches behind them and
 * what was not found: docs/inspections.md ("Violations and their legal sources") and
 * docs/legal-sources.md ("Inspection violations and their sanctions").
 *
 * Each entry names two things:
 * - `rule`: the substantive obligation breached (Law on Metrology 04/2011/QH13, Circular
 *   23/2013/TT-BKHCN, Circular 15/2015/TT-BKHCN, Circular 21/2014/TT-BKHCN, Circular
 *   09/2017/TT-BKHCN). These were read in a public mirror of the National Legal Code (Bộ pháp điển,
 *   đề mục "Đo lường"), which reproduces each article with its source note and amendments
 *   (RULES_URL). Where a clause was cut off in that copy, the entry says so;
 * - `sanction`: where the fine is. Decree 119/2017/NĐ-CP as amended by Decree 126/2021/NĐ-CP
 *   (consolidated text 02/VBHN-BKHCN of 06/01/2022) was NOT read as a text: only legal Q&A pages
 *   quoting its Articles 10 and 14 (the 2017 wording, pages dated 2018) were seen. Decree
 *   99/2020/NĐ-CP Article 21 was read on a full-text page. Every other sanction reference is
 *   'not found': `article` is null and the note says where it is expected.
 *
 * `fineVnd` is given only where a fine was read, with `party: 'unread'`: whether the decree's
 * amounts are for an individual or an organisation (one being twice the other) was not read.
 *
 * Status of the sanction decrees (checked against stored sources, see SANCTION_DECREES): no decree
 * replacing 119/2017 was found; a draft decree replacing 99/2020 was under appraisal in March 2026,
 * its adoption not seen. Re-check both before relying on the sanction references after 2026.
 */

export const VIOLATION_SUBJECTS = ['fuel_retail', 'prepackaged', 'market_scales'] as const;
/** cửa hàng bán lẻ xăng dầu · cơ sở sản xuất, nhập khẩu, kinh doanh hàng đóng gói sẵn · cân tại chợ. */
export type ViolationSubject = (typeof VIOLATION_SUBJECTS)[number];

/**
 * How directly a reference was read:
 * - 'read': the article text itself (the Bộ pháp điển mirror for the rules; a full-text page of
 *   the decree for a sanction), article, clause and point as given there;
 * - 'transcription': a third party's quotation or table of the article (a legal Q&A page); the
 *   article is as quoted, a clause or point may be missing;
 * - 'not found': no text read for this reference; the entry says where it is expected.
 */
export const VIOLATION_EVIDENCE_LEVELS = ['read', 'transcription', 'not found'] as const;
export type ViolationEvidence = (typeof VIOLATION_EVIDENCE_LEVELS)[number];

export interface RuleRef {
  /** The instrument: law, circular or decree, with its number. */
  readonly document: string;
  /** Article number as the document numbers it; null when not found. */
  readonly article: string | null;
  readonly clause: string | null;
  readonly point: string | null;
  readonly evidence: ViolationEvidence;
  readonly url?: string;
}

export interface FineVnd {
  readonly min: number;
  readonly max: number;
  /** Who the amount applies to as the decree states; 'unread': that provision was not read. */
  readonly party: 'individual' | 'organisation' | 'unread';
}

export interface SanctionRef {
  readonly decree: string;
  /** Null when the sanctioning article was not found. */
  readonly article: string | null;
  readonly clause: string | null;
  readonly point: string | null;
  readonly fineVnd?: FineVnd;
  readonly evidence: ViolationEvidence;
  readonly url?: string;
}

export interface Violation {
  /** Stable id `<family>.<what>`; never reuse a retired code. */
  readonly code: string;
  readonly subjects: readonly ViolationSubject[];
  readonly titleVi: string;
  readonly titleEn: string;
  /** The substantive rule breached. */
  readonly rule: RuleRef;
  /** The same obligation restated for one subject (e.g. the dispenser or market-scale circular). */
  readonly alsoRules?: readonly RuleRef[];
  readonly sanction: SanctionRef;
  /** The weaker of `rule.evidence` and `sanction.evidence`. */
  readonly evidence: ViolationEvidence;
  /** The page read for the sanction, or for the rule when the sanction was not found. */
  readonly url?: string;
  readonly note?: string;
}

// Pages read.
/** Bộ pháp điển, đề mục "Đo lường" (19.4), public mirror; lastedit 2026-05-13. */
export const RULES_URL = 'https://github.com/diepxuan/diepxuan.github.io/blob/0232145947e90dcab0cb7f2918a852ab0de47d2e/van-ban/khoa-hoc-cong-nghe/do-luong.md';
const ND119_ART10_QA =
  'https://nganhangphapluat.thukyluat.vn/tu-van-phap-luat/vi-pham-hanh-chinh/tong-hop-hanh-vi-vi-pham-trong-su-dung-phuong-tien-do-nhom-2-va-256997';
const ND119_ART14_QA =
  'https://lawnet.vn/ngan-hang-phap-luat/tu-van-phap-luat/vi-pham-hanh-chinh/tong-hop-hanh-vi-vi-pham-ve-do-luong-doi-voi-phep-do-nhom-2-va-muc-xu-phat-257058';

// Documents.
export const LAW_METROLOGY = 'Law on Metrology 04/2011/QH13';
export const TT23_2013 = 'Circular 23/2013/TT-BKHCN (as amended by Circular 07/2019/TT-BKHCN)';
export const TT15_2015 = 'Circular 15/2015/TT-BKHCN (as amended by Circular 08/2018/TT-BKHCN)';
export const TT21_2014 = 'Circular 21/2014/TT-BKHCN';
export const TT09_2017 = 'Circular 09/2017/TT-BKHCN';
export const ND119 = 'Decree 119/2017/NĐ-CP (as amended by Decree 126/2021/NĐ-CP)';
export const ND99 = 'Decree 99/2020/NĐ-CP';
/** Decree 119/2017 Art. 14: measuring short in a sale for illicit profit (the lowest tier, profit up to 10 million đ), as the Q&A table gives it. */
const ND119_ART14_SHORT_MEASURE: SanctionRef = {
  decree: ND119,
  article: '14',
  clause: null,
  point: null,
  fineVnd: { min: 5_000_000, max: 10_000_000, party: 'unread' },
  evidence: 'transcription',
  url: ND119_ART14_QA,
};
/** Detailing the Law on Product and Goods Quality as amended by Law 78/2025/QH15; carries the labelling rules (Decree 43/2017 ceased). */
export const ND37_2026 = 'Decree 37/2026/NĐ-CP';
const ND37_2026_URL =
  'https://github.com/diepxuan/diepxuan.github.io/blob/f342bb7fadccdd422834f0d353ace91b7b610bc2/van-ban/khoa-hoc-cong-nghe/nghi-dinh-37-2026-nd-cp-chat-luong-san-pham-hang-hoa.md';

/** What is known of the sanction decrees' status, and when it was checked. */
export const SANCTION_DECREES = {
  checkedOn: '2026-07',
  nd119: {
    decree: ND119,
    inForce: 'assumed' as const,
    note:
      'In force from 15/12/2017; amended by Decree 126/2021/NĐ-CP from 01/01/2022 (consolidated 02/VBHN-BKHCN, 06/01/2022). ' +
      'No replacing decree was found in the sources searched (public legal pages; a mirror of legal texts current to July 2026), ' +
      'nor does Decree 37/2026/NĐ-CP name it among the decrees it ends; with the Law on Product and Goods Quality amended by Law 78/2025/QH15 a new one may follow: re-check.',
  },
  nd99: {
    decree: ND99,
    inForce: 'assumed' as const,
    note:
      'Amended by Decree 17/2022/NĐ-CP Art. 4 (seen only as a cross-reference; whether Art. 21 changed was not checked). ' +
      'A draft decree on sanctions in oil and gas, petroleum and gas trading was under appraisal by the Ministry of Justice ' +
      'in March 2026 (dantri.com.vn, 07/03/2026); its adoption was not seen.',
    url: 'https://dantri.com.vn/thoi-su/de-xuat-phat-nang-vi-pham-kinh-doanh-xang-dau-20260307215438512.htm',
  },
} as const;

const rule = (
  document: string,
  article: string | null,
  clause: string | null = null,
  point: string | null = null,
  evidence: ViolationEvidence = 'read',
): RuleRef => ({
  document,
  article,
  clause,
  point,
  evidence,
  ...(evidence === 'read' ? { url: RULES_URL } : {}),
});

/** Decree 119/2017 Art. 10 (use of measuring instruments), as quoted in a Q&A page. */
const ART10: SanctionRef = {
  decree: ND119,
  article: '10',
  clause: null,
  point: null,
  evidence: 'transcription',
  url: ND119_ART10_QA,
};

/** A sanction reference not found: `expected` says where it is expected, for the note. */
const NOT_FOUND_119: SanctionRef = { decree: ND119, article: null, clause: null, point: null, evidence: 'not found' };

const ART10_NOTE =
  'Decree 119/2017 Art. 10 grades the fine by the total value of the instruments used (up to 1,000,000 đ; over 1 to 10 million; ' +
  'over 10 to 30 million; over 30 to 50 million; further tiers not seen), as tabled in a Q&A page (2017 wording); the clause numbers, the acts ' +
  'listed and the amounts were not seen, so clause, point and fine are unknown.';

type ViolationIn = Omit<Violation, 'evidence' | 'url'> & { url?: string };

const RANK: Record<ViolationEvidence, number> = { read: 0, transcription: 1, 'not found': 2 };
const weaker = (a: ViolationEvidence, b: ViolationEvidence): ViolationEvidence => (RANK[a] >= RANK[b] ? a : b);
const finish = (v: ViolationIn): Violation => {
  const url = v.url ?? v.sanction.url ?? v.rule.url;
  return { ...v, evidence: weaker(v.rule.evidence, v.sanction.evidence), ...(url ? { url } : {}) };
};

const ALL: readonly ViolationSubject[] = ['fuel_retail', 'prepackaged', 'market_scales'];
const FUEL: readonly ViolationSubject[] = ['fuel_retail'];
const PACK: readonly ViolationSubject[] = ['prepackaged'];
const MARKET: readonly ViolationSubject[] = ['market_scales'];
const IN_SERVICE: readonly ViolationSubject[] = ['fuel_retail', 'market_scales'];

const ROWS: readonly ViolationIn[] = [
  // Measuring instruments in service (phương tiện đo nhóm 2 đang sử dụng)
  {
    code: 'instrument.unverified',
    subjects: ALL,
    titleVi: 'Sử dụng phương tiện đo nhóm 2 chưa được kiểm định',
    titleEn: 'Group 2 measuring instrument in use without verification',
    rule: rule(LAW_METROLOGY, '21', '2'),
    alsoRules: [rule(TT23_2013, '25', '2'), rule(TT15_2015, '6', '1', 'đ'), rule(TT09_2017, '4', '2'), rule(TT21_2014, '10', '2', 'a')],
    sanction: ART10,
    note:
      'Law Art. 21(2): Group 2 instruments must be verified before use, periodically in use and after repair. ' +
      "Fuel dispensers: Circular 15/2015 Art. 6(1)(đ); market scales: Circular 09/2017 Art. 4(2); a packer's quantity-setting and " +
      `checking instruments: Circular 21/2014 Art. 10(2)(a) ("được định kỳ kiểm định, hiệu chuẩn"). ${ART10_NOTE}`,
  },
  {
    code: 'instrument.verification_expired',
    subjects: ALL,
    titleVi: 'Sử dụng phương tiện đo có chứng chỉ kiểm định hết thời hạn giá trị',
    titleEn: 'Instrument in use after its verification expired',
    rule: rule(LAW_METROLOGY, '19', '2', 'c'),
    alsoRules: [rule(TT23_2013, '19', '2'), rule(TT23_2013, '25', '2'), rule(TT15_2015, '6', '1', 'đ')],
    sanction: ART10,
    note:
      'Law Art. 19(2)(c): periodic verification in use; Circular 23/2013 Art. 19(2): periodic verification at the interval of its Art. 4 list; ' +
      `Circular 15/2015 Art. 6(1)(đ): the dispenser's certificate (mark, stamp, certificate) "phải còn thời hạn giá trị". ${ART10_NOTE}`,
  },
  {
    code: 'instrument.mark_damaged',
    subjects: ALL,
    titleVi: 'Dấu, tem, giấy chứng nhận kiểm định bị mất, hỏng mà không kiểm định sau sửa chữa',
    titleEn: 'Verification mark, stamp or certificate lost or damaged, no re-verification',
    rule: rule(TT23_2013, '19', '3', 'b'),
    sanction: ART10,
    note:
      'Circular 23/2013 Art. 19(3)(b): losing or damaging the verification certificate (mark, stamp, certificate) calls for verification after repair ' +
      `even when the instrument is unchanged. ${ART10_NOTE}`,
  },
  {
    code: 'instrument.seal_broken',
    subjects: IN_SERVICE,
    titleVi: 'Niêm phong, kẹp chì của tổ chức kiểm định bị mất hoặc không còn nguyên vẹn',
    titleEn: 'Verification seal or lead seal missing or broken',
    rule: rule(TT15_2015, '6', '1', 'b'),
    alsoRules: [rule(TT15_2015, '6', '6', 'a'), rule(TT09_2017, '4', '4')],
    sanction: NOT_FOUND_119,
    note:
      "Circular 15/2015 Art. 6(1)(b): the parts able to change the dispenser's main metrological characteristics are sealed by the verification body; " +
      'Art. 6(6)(a): never remove the seals oneself. Circular 09/2017 Art. 4(4): same for market scales. ' +
      'Sanction: expected in Decree 119/2017 Art. 10 (use of instruments); the point was not read.',
  },
  {
    code: 'instrument.altered',
    subjects: IN_SERVICE,
    titleVi: 'Cố ý làm sai lệch phương tiện đo, kết quả đo',
    titleEn: 'Instrument or measurement result deliberately falsified (instrument altered)',
    rule: rule(LAW_METROLOGY, '7', '2'),
    alsoRules: [rule(TT15_2015, '6', '1', 'd')],
    sanction: NOT_FOUND_119,
    note:
      "Law Art. 7(2) is a prohibited act. Circular 15/2015 Art. 6(1)(d): no device (remote control, phone, computer…) able to change the dispenser's " +
      'main metrological characteristics. Sanction not found; may also be a criminal matter (not researched).',
  },
  {
    code: 'instrument.mark_forged',
    subjects: ALL,
    titleVi: 'Giả mạo, tẩy xóa, sửa chữa nội dung dấu kiểm định, tem kiểm định, giấy chứng nhận kiểm định, dấu định lượng',
    titleEn: 'Verification mark, stamp, certificate or quantity mark forged or altered',
    rule: rule(LAW_METROLOGY, '7', '4'),
    sanction: NOT_FOUND_119,
  },
  {
    code: 'instrument.error_beyond_mpe',
    subjects: ALL,
    titleVi: 'Phương tiện đo có sai số vượt quá giới hạn cho phép vẫn được sử dụng',
    titleEn: 'Instrument in use with an error beyond the maximum permissible error',
    rule: rule(LAW_METROLOGY, '38', '2', 'b'),
    alsoRules: [rule(TT23_2013, '25', '1')],
    sanction: ART10,
    note:
      'Law Art. 38(2)(b): a user who finds the instrument wrong or broken must stop using it and remedy it; Circular 23/2013 Art. 25(1): ' +
      `keep the instrument's metrological characteristics throughout use and between two verifications. ${ART10_NOTE}`,
  },
  {
    code: 'instrument.pattern_nonconforming',
    subjects: IN_SERVICE,
    titleVi: 'Phương tiện đo chưa được phê duyệt mẫu hoặc không phù hợp với mẫu đã được phê duyệt',
    titleEn: 'Instrument not type-approved, or not conforming to its approved pattern',
    rule: rule(LAW_METROLOGY, '19', '2', 'a'),
    alsoRules: [rule(TT15_2015, '6', '1', 'a'), rule(TT09_2017, '4', '3')],
    sanction: ART10,
    note:
      'Law Art. 19(2)(a): pattern approval on manufacture or import; Circular 15/2015 Art. 6(1)(a): dispenser parts and functions as the approved pattern ' +
      `(100 % new parts at first verification); Circular 09/2017 Art. 4(3): scale parts as the approved pattern. ${ART10_NOTE}`,
  },

  // Measurement (phép đo)
  {
    code: 'measurement.obstructing_supervision',
    subjects: IN_SERVICE,
    titleVi: 'Không bảo đảm điều kiện để người có quyền và nghĩa vụ liên quan giám sát, kiểm tra phép đo, phương tiện đo, lượng hàng hóa',
    titleEn: 'Customers or other parties cannot watch and check the measurement, instrument or quantity',
    rule: rule(LAW_METROLOGY, '38', '2', 'd'),
    alsoRules: [rule(TT23_2013, '25', '4')],
    sanction: {
      decree: ND119,
      article: '14',
      clause: null,
      point: null,
      fineVnd: { min: 4_000_000, max: 10_000_000, party: 'unread' },
      evidence: 'transcription',
      url: ND119_ART14_QA,
    },
    note: 'Fine as tabled for Art. 14 in a Q&A page (the 2017 wording); the clause number is not shown there.',
  },

  // Fuel retail (bán lẻ xăng dầu), Circular 15/2015 Art. 6 as amended by Circular 08/2018
  {
    code: 'fuel.delivery_error_beyond_limit',
    subjects: FUEL,
    titleVi: 'Sai số kết quả đo lượng xăng dầu bán lẻ vượt quá giới hạn quy định',
    titleEn: 'Fuel quantity delivered short beyond the permitted limit',
    rule: rule(TT15_2015, '6', '3'),
    alsoRules: [rule(LAW_METROLOGY, '30', '3')],
    sanction: ND119_ART14_SHORT_MEASURE,
    note:
      'Art. 6(3): the error of the measured quantity "không được vượt quá 1,5 lần giới hạn dương của sai số cho phép" of the dispenser, at actual ' +
      'measuring conditions. Sanction: Decree 119/2017 Art. 14, measurement in sale with a deviation beyond the permitted error for illicit profit, ' +
      'graded by the profit; the fine given is the first tier (profit up to 10,000,000 đ); 10–20 million for 10–50 million and 20–40 million for ' +
      '50–100 million were also tabled; further tiers not seen.',
  },
  {
    code: 'fuel.no_test_measures',
    subjects: FUEL,
    titleVi: 'Không có sẵn ca đong, bình đong, ống đong để tự kiểm tra hoặc ca đong, bình đong chưa được kiểm định ban đầu',
    titleEn: 'No test measures (1, 2, 5, 10 L and graduated cylinders) at the station, or measures not initially verified',
    rule: rule(TT15_2015, '6', '4'),
    sanction: NOT_FOUND_119,
  },
  {
    code: 'fuel.no_monthly_self_check',
    subjects: FUEL,
    titleVi: 'Không xây dựng kế hoạch, không tự kiểm tra định kỳ hằng tháng hoặc không lưu hồ sơ tự kiểm tra',
    titleEn: 'No monthly self-check of dispensers, or its records not kept until the next verification',
    rule: rule(TT15_2015, '6', '5'),
    sanction: NOT_FOUND_119,
  },
  {
    code: 'fuel.unreported_repair',
    subjects: FUEL,
    titleVi: 'Sửa chữa cột đo không đúng quy định: tự tháo niêm phong, không lập biên bản, không kiểm định sau sửa chữa',
    titleEn: 'Dispenser repaired outside the procedure (seal removed, no repair record, no verification after repair)',
    rule: rule(TT15_2015, '6', '6'),
    sanction: NOT_FOUND_119,
    note: 'Art. 6(6): stop use, written request to the maker or its authorised dealer copied to the provincial TĐC branch, repair record, verification after repair, records kept 12 months.',
  },
  {
    code: 'fuel.external_control',
    subjects: FUEL,
    titleVi: 'Lắp công tắc điều khiển ra ngoài cột đo, đóng ngắt nguồn điện từ xa hoặc cầu dao không đúng vị trí',
    titleEn: 'Control switches outside the dispenser, remote power switching, or power breakers not at one accessible place',
    rule: rule(TT15_2015, '6', '1', 'c'),
    alsoRules: [rule(TT15_2015, '6', '1', 'd')],
    sanction: NOT_FOUND_119,
  },
  {
    code: 'fuel.no_receipt_printer',
    subjects: FUEL,
    titleVi: 'Cột đo xăng dầu không có thiết bị ghi, in kết quả đo',
    titleEn: 'Dispenser without a device recording and printing the measurement result',
    rule: rule(TT15_2015, '6', '7'),
    sanction: NOT_FOUND_119,
    note: 'Required from 01/07/2019; the device must not be able to change the result (Art. 6(7)(a)).',
  },
  {
    code: 'fuel.posted_price_mismatch',
    subjects: FUEL,
    titleVi: 'Niêm yết giá bán lẻ xăng dầu không đúng với giá do thương nhân đầu mối, thương nhân phân phối quy định',
    titleEn: 'Posted retail fuel price differs from the price set by the key trader or distributor',
    rule: { document: 'Decree on petroleum trading (the pricing rule)', article: null, clause: null, point: null, evidence: 'not found' },
    sanction: {
      decree: ND99,
      article: '21',
      clause: '1',
      point: null,
      fineVnd: { min: 5_000_000, max: 10_000_000, party: 'unread' },
      evidence: 'read',
    },
    note:
      'Sanction read on a hethongphapluat.com full-text page of Decree 99/2020 (Chương 3, Mục 2, opening with Art. 21), in its 2020 wording; its address was not ' +
      "recorded, and whether Decree 17/2022 changed Art. 21 was not checked. A price rule, not a measurement one, recorded because inspectors meet it. The dispenser's own price × volume = amount check " +
      '(a metrological requirement of the dispenser) was not found in any text read, nor its sanction.',
  },

  // Prepackaged goods (hàng đóng gói sẵn), Circular 21/2014
  {
    code: 'prepackaged.average_below_nominal',
    subjects: PACK,
    titleVi: 'Giá trị trung bình lượng thực của lô hàng đóng gói sẵn nhỏ hơn lượng danh định',
    titleEn: 'Average actual quantity of the lot below the nominal quantity',
    rule: rule(TT21_2014, '5', '1', 'a'),
    alsoRules: [rule(LAW_METROLOGY, '32', '1')],
    sanction: NOT_FOUND_119,
    note:
      'Art. 5(1)(a): with the whole lot measured (n = N), Xtb ≥ Qn. Art. 5(1)(b) (sampled lots, n < N, with the formula of Appendix III) is cut off in ' +
      'the copy read. Sanction: the Decree 119/2017 article on prepackaged quantity was not read.',
  },
  {
    code: 'prepackaged.individual_shortfall',
    subjects: PACK,
    titleVi: 'Lượng thiếu của đơn vị hàng đóng gói sẵn vượt quá lượng thiếu cho phép',
    titleEn: 'Packages short by more than the permitted shortfall (T1/T2)',
    rule: rule(TT21_2014, '5', null, null, 'not found'),
    sanction: NOT_FOUND_119,
    url: RULES_URL,
    note:
      'Art. 5 attaches Appendix IV "Lượng thiếu cho phép" (file name seen); the clause setting the limit on individual packages and the appendix table ' +
      'were not read, so neither the clause nor the T values are given.',
  },
  {
    code: 'prepackaged.quantity_label',
    subjects: PACK,
    titleVi: 'Ghi lượng danh định trên nhãn không đúng quy định',
    titleEn: 'Nominal quantity missing or wrongly stated on the label',
    rule: rule(TT21_2014, '4', '1'),
    alsoRules: [
      rule(LAW_METROLOGY, '32', '2'),
      { document: ND37_2026, article: '45', clause: '1', point: null, evidence: 'transcription', url: ND37_2026_URL },
    ],
    sanction: NOT_FOUND_119,
    note:
      'Art. 4(1): nominal quantity in legal units or by count, one space between value and unit; mass for solids, volume for liquids; no "khoảng"/' +
      '"nhỏ nhất" after "khối lượng tịnh:"/"thể tích thực:"; minimum character heights (Appendix II, not read); drained weight for goods in liquid. ' +
      'Labelling law (Law Art. 32(2)): Decree 37/2026 Art. 45(1), in force 23/01/2026 and replacing Decree 43/2017, asks quantity "theo quy định ' +
      'của pháp luật về đo lường" (read in a public transcription of the gazetted text).',
  },
  {
    code: 'prepackaged.misleading_package',
    subjects: PACK,
    titleVi: 'Bao bì có hình dáng, kích thước, cấu trúc gây nhầm lẫn về lượng hoặc không điền đầy bao bì',
    titleEn: 'Package shape, false bottom or slack fill misleading about the quantity',
    rule: rule(TT21_2014, '4', '2', 'a'),
    alsoRules: [rule(TT21_2014, '4', '2', 'b')],
    sanction: NOT_FOUND_119,
  },
  {
    code: 'prepackaged.quantity_mark_missing',
    subjects: PACK,
    titleVi: 'Hàng đóng gói sẵn nhóm 2 không có dấu định lượng trên nhãn',
    titleEn: 'Group 2 prepackaged goods without the quantity mark on the label',
    rule: rule(LAW_METROLOGY, '34', '2'),
    alsoRules: [rule(TT21_2014, '8', '2')],
    sanction: NOT_FOUND_119,
    note:
      'Vietnam\'s quantity mark (dấu định lượng) is the capital letter "V" (Circular 21/2014 Art. 7(2)), not the European ℮; Group 2 goods must bear it ' +
      'after certification of the packer or importer (Art. 8(2)); Group 1 goods may bear it after self-declaration (Art. 8(1)).',
  },
  {
    code: 'prepackaged.quantity_mark_misused',
    subjects: PACK,
    titleVi: 'Thể hiện dấu định lượng không đúng quy định',
    titleEn: 'Quantity mark shown wrongly (font, height under 3 mm, colour or position)',
    rule: rule(TT21_2014, '9', '2'),
    alsoRules: [rule(TT21_2014, '7', '2')],
    sanction: NOT_FOUND_119,
    note: 'Art. 7(2): "V", capital, upright, bold, Times New Roman, height ≥ 3 mm; Art. 9(2): same colour as and before the nominal quantity, one space between ("V 800 g").',
  },
  {
    code: 'prepackaged.trading_nonconforming',
    subjects: PACK,
    titleVi: 'Lưu thông, buôn bán hàng đóng gói sẵn không bảo đảm yêu cầu kỹ thuật đo lường',
    titleEn: 'Trading prepackaged goods that do not meet the metrological requirements',
    rule: rule(TT21_2014, '25', '2', 'd'),
    sanction: NOT_FOUND_119,
    note: 'Art. 25(2)(d): only goods meeting the requirements may be traded; Group 2 goods must bear the quantity mark.',
  },
  {
    code: 'prepackaged.no_annual_report',
    subjects: PACK,
    titleVi: 'Không báo cáo tình hình sử dụng dấu định lượng hằng năm',
    titleEn: 'No annual report on the use of the quantity mark',
    rule: rule(TT21_2014, '25', '1', 'h'),
    sanction: NOT_FOUND_119,
    note: 'Art. 25(1)(h): each year before 31 January (Form 3.BCTH) to the provincial TĐC branch or the certifying body.',
  },

  // Market scales (phép đo khối lượng trong thương mại bán lẻ), Circular 09/2017
  {
    code: 'market.no_reference_weights',
    subjects: MARKET,
    titleVi: 'Ban quản lý chợ, trung tâm thương mại không đặt, duy trì quả cân đối chứng',
    titleEn: 'Market management has no reference weights in place',
    rule: rule(TT09_2017, '11', '1'),
    alsoRules: [rule(TT09_2017, '6', '1')],
    sanction: NOT_FOUND_119,
    note:
      'The circular requires reference weights (quả cân đối chứng: 0.5, 1, 2, 5, 10, 20 kg) and the reference measurement (phép đo đối chứng, Art. 6(3)), ' +
      'not a reference scale (cân đối chứng); no text read requires a reference scale.',
  },
  {
    code: 'market.reference_weights_unverified',
    subjects: MARKET,
    titleVi: 'Quả cân đối chứng chưa được kiểm định hoặc không đạt sai số quy định',
    titleEn: 'Reference weights not verified, or outside 1/1000 of nominal (class M1)',
    rule: rule(TT09_2017, '6', '2'),
    sanction: NOT_FOUND_119,
  },
  {
    code: 'market.scale_unsuitable',
    subjects: MARKET,
    titleVi: 'Cân có phạm vi cân, giá trị độ chia không phù hợp với khối lượng hàng hóa cần cân',
    titleEn: 'Scale capacity or division not suited to the quantity weighed',
    rule: rule(TT09_2017, '4', '1'),
    alsoRules: [rule(TT09_2017, '12', '1')],
    sanction: { decree: ND119, article: '14', clause: null, point: null, evidence: 'transcription', url: ND119_ART14_QA },
    note:
      'Art. 4(1) Table 1 (e.g. over 400 g to 1 kg: d ≤ 20 g). Sanction: Art. 14, not complying with the metrological requirements when measuring; ' +
      'the table read shares its amount with the row above in a merged cell, so no fine is recorded.',
  },
  {
    code: 'market.short_weight',
    subjects: MARKET,
    titleVi: 'Lượng hàng hóa mua bán thiếu vượt quá lượng thiếu cho phép',
    titleEn: 'Goods weighed short beyond the permitted shortfall',
    rule: rule(TT09_2017, '5'),
    alsoRules: [rule(TT09_2017, '12', '2')],
    sanction: ND119_ART14_SHORT_MEASURE,
    note:
      'Art. 5(1) Table 2: 1 d, 2 d or 3 d by spring scale and load; Art. 5(2): other scales, twice the initial-verification MPE. The fine given is ' +
      "Art. 14's first tier (illicit profit up to 10,000,000 đ), as for fuel.delivery_error_beyond_limit.",
  },
];

export const VIOLATIONS: readonly Violation[] = ROWS.map(finish);

const BY_CODE: ReadonlyMap<string, Violation> = new Map(VIOLATIONS.map((v) => [v.code, v]));

/** The entry for a code, or undefined. */
export function violation(code: string): Violation | undefined {
  return BY_CODE.get(code);
}

/** The entries that apply to one kind of inspected business, in catalogue order. */
export function violationsFor(subject: ViolationSubject): readonly Violation[] {
  return VIOLATIONS.filter((v) => v.subjects.includes(subject));
}

/** Entries by subject. */
export const VIOLATIONS_BY_SUBJECT: Readonly<Record<ViolationSubject, readonly Violation[]>> = {
  fuel_retail: violationsFor('fuel_retail'),
  prepackaged: violationsFor('prepackaged'),
  market_scales: violationsFor('market_scales'),
};
