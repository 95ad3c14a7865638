import type { InstrumentKind } from '../profile.js';

/**
 * Who may write which metrology record, and the legal marks a record carries: the rules as data,
 * each with its source. Findings, and what was searched and not found: docs/legal-records.md
 * (citations for intervals and marks: docs/legal-sources.md).
 */

/** A legal source as cited in code and docs. */
export interface LegalSource {
  text: string;
  clause: string;
  /** How it was read: the official text, a legal publisher's copy, or not found (an engineering default). */
  seen: 'publisher-copy' | 'secondary' | 'not-found';
  url?: string;
}

/**
 * Verification (kiểm định) of a Group 2 instrument is done by a verification body designated for
 * that instrument kind (tổ chức kiểm định được chỉ định): Law on Metrology 04/2011/QH13 Art. 16(2)
 * with Circular 23/2013/TT-BKHCN Art. 3 as amended 2019 ("kiểm định … do tổ chức kiểm định phương
 * tiện đo được chỉ định thực hiện"); designation of bodies: Circular 24/2013/TT-BKHCN.
 */
export const VERIFICATION_BY_DESIGNATED_BODY: LegalSource = {
  text: 'Circular 23/2013/TT-BKHCN as amended by 07/2019/TT-BKHCN; Circular 24/2013/TT-BKHCN',
  clause: 'Circular 23/2013 Art. 3 (as amended); designation procedure in Circular 24/2013',
  seen: 'secondary',
  url: 'https://thuvienphapluat.vn/hoi-dap-phap-luat/498CF-hd-tem-kiem-dinh-tem-hieu-chuan-do-luong.html',
};

/**
 * Adjustable parts of fuel-measuring instruments that can change their metrological
 * characteristics are sealed (niêm phong, kẹp chì) by the verification body: Circular
 * 15/2015/TT-BKHCN Art. 5(1)(b) (read on hethongphapluat.vn).
 */
export const SEALS_BY_VERIFICATION_BODY: LegalSource = {
  text: 'Circular 15/2015/TT-BKHCN (measurement and quality in petroleum trading)',
  clause: 'Art. 5(1)(b)',
  seen: 'publisher-copy',
  url: 'http://hethongphapluat.vn/thong-tu-15-2015-tt-bkhcn-quy-dinh-ve-do-luong-chat-luong-trong-kinh-doanh-xang-dau-do-bo-truong-bo-khoa-hoc-va-cong-nghe-ban-hanh/dieu-5',
};

/** Instrument kinds whose seal register is kept (fuel dispensers and scales, the scope). */
export const SEALED_KINDS: readonly InstrumentKind[] = ['fuel_dispenser', 'scale'];

/**
 * Days a broken seal may stay without a new verification before it is an alert. NOT a legal value:
 * no text read sets the time within which a broken seal must be re-verified or reported (searched:
 * Circular 15/2015/TT-BKHCN and its guidance 562/TĐC-HCHQ; docs/legal-records.md). A broken seal
 * voids the verification's assurance at once (a verification after repair is required, Circular
 * 23/2013, docs/legal-sources.md §5), so the default is short; configurable: the default of
 * `analytics.sealBreakDays` (core/config.ts).
 */
export const SEAL_BREAK_VERIFY_WITHIN_DAYS = 7;
export const SEAL_BREAK_SOURCE: LegalSource = {
  text: 'none found: engineering default',
  clause: '—',
  seen: 'not-found',
};

/** ISO/IEC 17025:2017 7.8.8: amendments to an issued report — a new report, identified as such, naming the one it replaces, with the reason. */
export const CORRECTIONS_SOURCE: LegalSource = { text: 'ISO/IEC 17025:2017', clause: '7.8.8.1–7.8.8.3', seen: 'secondary' };
