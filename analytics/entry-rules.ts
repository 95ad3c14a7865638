import { dimensionOf, type Issue, type ToleranceSpec, vnIsoDay } from '../core/index.js';
import { CERTIFICATE_STAGE, loadIssue, mpeFor, type Stage } from './tolerance.js';

/**
 * What may be entered in a record (issue 15, section 2; docs/legal-records.md "What may be
 * entered"). Each rule is one function here, used by every path that writes a record: checks from
 * the API and MQTT (engine.ts) and calibrations and verifications (the calibrations route and
 * engine). Each refusal is an Issue with its code, field, rule and a Vietnamese message.
 */

/** The clock tolerance a record's date is held to (core/config.ts `analytics.maxFutureMinutes`). */
export interface FutureRule {
  maxFutureMinutes: number;
}

const MINUTE = 60_000;
/** Vietnam's civil time, UTC+7 all year: dates in Vietnamese messages read as people wrote them. */
const VN_OFFSET_MS = 7 * 3_600_000;
/** dd/mm/yyyy HH:mm in Vietnam time, as Vietnamese documents write a date and time. */
const vnTime = (ts: number) => {
  const iso = new Date(ts + VN_OFFSET_MS).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 16)} (giờ Việt Nam)`;
};
const utcTime = (ts: number) => `${new Date(ts).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const day = vnIsoDay;

/**
 * A record (check, calibration, verification) dated after the server clock plus the tolerance.
 * A certificate or check records what was measured: it cannot describe a measurement that has
 * not happened (ISO/IEC 17025:2017 7.5.1, 7.8.2.1 f: the date of the calibration is a fact of
 * the record). The tolerance absorbs clock differences between a gateway or a browser and the
 * server. Worked example: now 10:00, tolerance 5 min → 10:04 accepted, 10:06 refused.
 */
export function futureDateIssue(ts: number, now: number, rule: FutureRule, field = 'ts'): Issue | null {
  const limit = now + rule.maxFutureMinutes * MINUTE;
  if (ts <= limit) return null;
  return {
    code: 'E_RECORD_IN_FUTURE',
    field,
    rule: 'not-in-future',
    value: ts,
    message: `${field} ${utcTime(ts)} is in the future: a record may be dated at most ${rule.maxFutureMinutes} min after the server clock (${utcTime(now)})`,
    messageVi: `Ngày giờ ${vnTime(ts)} ở tương lai: hồ sơ chỉ được ghi ngày giờ muộn hơn đồng hồ máy chủ (${vnTime(now)}) tối đa ${rule.maxFutureMinutes} phút.`,
  };
}

/** What the rules need of a reference standard (store ReferenceStandard has it). */
export interface StandardFacts {
  id: string;
  unit: string;
  /** Expanded uncertainty and its coverage factor, as on its certificate. */
  U: number;
  k: number;
  due?: number | null;
}

/**
 * The largest expanded uncertainty (k = 2) of a standard, as a fraction of the instrument's MPE
 * at the test load. OIML R76-1:2006 3.7.1: standard weights used for verification "shall not have
 * an error greater than 1/3 of the maximum permissible error of the instrument for the applied
 * load" — with the conventional value corrected for, what remains of the weight's error is its
 * uncertainty. For other instruments metronet applies the same 1/3 ratio (the test uncertainty
 * ratio of 3 : 1 that OIML and ĐLVN verification procedures use); where a procedure is stricter,
 * it governs (docs/legal-records.md).
 */
export const STANDARD_U_MAX_MPE_FRACTION = 1 / 3;

/** The source cited in the uncertainty refusal. */
const U_SOURCE = { r76: 'OIML R76-1:2006 3.7.1', general: 'the 1/3 rule (test uncertainty ratio ≥ 3, as OIML R76-1:2006 3.7.1)' };

/** Whether a standard in `refUnit` can measure a channel in `channelUnit`: same dimension in the unit table (core/units.ts). */
export function standardQuantityIssue(ref: Pick<StandardFacts, 'id' | 'unit'>, channelUnit: string, field = 'reference'): Issue | null {
  const a = dimensionOf(ref.unit);
  const b = dimensionOf(channelUnit);
  if (a !== null && a === b) return null;
  return {
    code: 'E_STANDARD_QUANTITY',
    field,
    rule: 'same-dimension',
    value: ref.id,
    message: `reference standard ${ref.id} is in ${ref.unit} (${a ?? 'unknown unit'}) but the channel measures in ${channelUnit} (${b ?? 'unknown unit'}): a standard must measure the channel's quantity`,
    messageVi: `Chuẩn ${ref.id} đo bằng ${ref.unit} (${a ?? 'đơn vị không rõ'}) nhưng kênh đo bằng ${channelUnit} (${b ?? 'đơn vị không rõ'}): chuẩn phải đo cùng đại lượng với kênh.`,
  };
}

/**
 * Whether a standard is fit to test a channel at `load` on date `at`, as refusals (empty: fit):
 * its unit measures the channel's quantity, it was within its calibration due date on `at`, and
 * its expanded uncertainty (normalised to k = 2) is at most 1/3 of the MPE at that load
 * (verification MPE by default: R76-1 3.7.1 speaks of verification; a check judged against the
 * in-service MPE passes `stage = 'in-service'`).
 *
 * Used to refuse a verification (calibrations) and to flag a check (engine.ts), never apart.
 *
 * Worked example: class III scale, e = 10 g, load 20 kg = 2 000 e → verification MPE 10 g, so a
 * 20 kg weight may carry U ≤ 3.3 g; an M1 weight (U = 1.0 g) is fit, an M3 weight (U = 10 g) is
 * not. A 20 L test measure (volume) on the mass channel is refused before any of this.
 */
export function standardFitness(
  ref: StandardFacts,
  channel: { unit: string },
  tolerance: ToleranceSpec | null,
  load: number,
  at: number,
  o: { stage?: Stage; field?: string } = {},
): Issue[] {
  const field = o.field ?? 'reference';
  const quantity = standardQuantityIssue(ref, channel.unit, field);
  if (quantity) return [quantity];
  const out: Issue[] = [];
  if (ref.due != null && at > ref.due) {
    out.push({
      code: 'E_STANDARD_EXPIRED',
      field,
      rule: 'standard-within-due-date',
      value: ref.id,
      message: `reference standard ${ref.id} expired on ${day(ref.due)}, before the record date ${day(at)} (ISO/IEC 17025:2017 6.4.7, 6.5: equipment used must be calibrated and within its interval)`,
      messageVi: `Chuẩn ${ref.id} đã hết hạn hiệu chuẩn ngày ${day(ref.due)}, trước ngày ghi nhận ${day(at)} (ISO/IEC 17025:2017 mục 6.4.7, 6.5: chuẩn phải còn hạn hiệu chuẩn).`,
    });
  }
  if (tolerance) {
    const stage = o.stage ?? CERTIFICATE_STAGE;
    const mpe = mpeFor(tolerance, load, stage);
    const U2 = ref.k > 0 ? (ref.U * 2) / ref.k : ref.U;
    const limit = mpe * STANDARD_U_MAX_MPE_FRACTION;
    if (U2 > limit) {
      const source = tolerance.model === 'oiml-r76' ? U_SOURCE.r76 : U_SOURCE.general;
      out.push({
        code: 'E_STANDARD_UNCERTAINTY',
        field,
        rule: 'standard-u-le-third-mpe',
        value: ref.id,
        message: `reference standard ${ref.id} has U = ${fmt(U2)} (k = 2), more than 1/3 of the ${stage} MPE ${fmt(mpe)} at the load ${fmt(load)} (limit ${fmt(limit)}; ${source})`,
        messageVi: `Chuẩn ${ref.id} có độ không đảm bảo U = ${fmt(U2)} (k = 2), lớn hơn 1/3 sai số lớn nhất cho phép ${fmt(mpe)} tại tải ${fmt(load)} (giới hạn ${fmt(limit)}; ${source}).`,
      });
    }
  }
  return out;
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/**
 * A test load outside the range the channel may be used in (tolerance.ts `loadIssue`: below Min
 * or above Max of a scale, OIML R76-1:2006 T.3.1.1, T.3.1.2; below the MMQ of a dispenser, OIML
 * R117-1:2007), as an Issue: refused on a verification (every point of a verification is a
 * legal measurement inside the instrument's range) and flagged on a check (stored, its reason in
 * `fitness`, as an unfit standard is). Null when the load is inside, or the channel states no
 * such limit. Worked example: Max 30 kg, Min 0.2 kg: a 31 kg point → `r76-above-max`, limit 30.
 */
export function loadRangeIssue(tolerance: ToleranceSpec | null, load: number, field = 'referenceValue'): Issue | null {
  const found = tolerance ? loadIssue(tolerance, load) : null;
  if (!found) return null;
  return { code: 'E_LOAD_OUT_OF_RANGE', field, rule: found.rule, value: load, message: found.message, messageVi: found.messageVi };
}

/** Who names a standard on a record: a signed-in person, or a gateway speaking for its organisation. */
export interface StandardUser {
  role: 'admin' | 'authority' | 'lab' | 'enterprise' | 'inspector' | 'gateway';
  org: string | null;
}

/**
 * Whether `who` may name standard `ref` on a check of an instrument served by `servingLab`
 * (issue 15, section 1). A standard is held by one organisation (its `lab` field):
 * - a lab uses its own standards; an enterprise the working standards registered to its own
 *   organisation (e.g. a station's span-gas cylinders); the authority (and admin) any;
 * - a gateway (MQTT) its organisation's standards and those of the lab serving the instrument: a
 *   lab's check cycle on site runs through the owner's gateway, and MQTT answers nothing back.
 * Otherwise refused with the standard's id only — never its value, uncertainty or due date.
 */
export function standardUseIssue(ref: { id: string; lab: string }, who: StandardUser, servingLab: string | null = null, field = 'reference'): Issue | null {
  if (who.role === 'authority' || who.role === 'admin') return null;
  if (who.org !== null && ref.lab === who.org) return null;
  if (who.role === 'gateway' && servingLab !== null && ref.lab === servingLab) return null;
  return {
    code: 'E_STANDARD_NOT_ALLOWED',
    field,
    rule: 'own-standard',
    value: ref.id,
    message: `reference standard ${ref.id} is not one ${who.org ?? 'you'} may use: a check names a standard held by the caller's own organisation`,
    messageVi: `Không được dùng chuẩn ${ref.id}: phép kiểm tra chỉ được dùng chuẩn do chính tổ chức của người ghi nhận quản lý.`,
  };
}

/** Why a check's value is not traceable when it names no registered standard (ARCHITECTURE.md: "then *not traceable*"). */
export const NO_STANDARD_REASON = 'no registered standard: the reference value was entered by hand (not traceable)';

/**
 * Whether a stored check enters the conformity, trend and shift decisions: not under review, and
 * either traceable or naming no registered standard at all. A check against an expired or
 * broken-chain standard is left out (DOMAIN.md "Traceability": shown, excluded, alert to the lab).
 * A check with only its own reference value (an owner's intermediate check, an analyser's
 * zero/span cycle) is labelled not traceable and still watched for drift: its value is not
 * known to be wrong, only not shown to be right; it never supports a certificate.
 */
export function isDecisionCheck(c: { traceable: boolean; reference: string | null; review: string | null }): boolean {
  return c.review === null && (c.traceable || c.reference === null);
}
