import type { InstrumentKind, Issue, ToleranceSpec } from '../core/index.js';
import { SEALED_KINDS } from '../core/legal/records.js';
import type { CalibrationRecord, Designation, Quantity, Role } from '../store/index.js';

/**
 * Who may write which metrology record ("Records a province can rely on", sections 1, 3 and 6):
 * each rule once, used by the API and by any other path that records (docs/legal-records.md).
 * Each refusal is an Issue with its code, field, rule and a Vietnamese message.
 *
 * - Verification (kiểm định): a lab holding a designation valid at the record's date for the
 *   instrument's kind and, when the designation states them as data, its ranges (class, Max,
 *   Qmax) (Circular 23/2013/TT-BKHCN Art. 3 as amended; core/legal/records.ts).
 * - Calibration (hiệu chuẩn): the lab serving the instrument.
 * - Enterprises never; the authority never records (it designates and may void); admin may, for
 *   data repair, audited like everyone.
 * - Corrections (ISO/IEC 17025:2017 7.8.8): supersede by the issuing lab; void by the issuing lab
 *   or the authority.
 */
export interface Writer {
  role: Role;
  org: string | null;
  user: string;
}

const refuse = (code: Issue['code'], field: string, rule: string, value: unknown, en: string, vi: string): Issue => ({
  code,
  field,
  rule,
  value,
  message: en,
  messageVi: vi,
});

/** Whether a designation covers `kind` at `at` (valid from, until inclusive, not withdrawn by then). */
export function designationCovers(d: Designation, kind: InstrumentKind, at: number): boolean {
  return d.kinds.includes(kind) && d.validFrom <= at && (d.validUntil === null || at <= d.validUntil) && (d.withdrawnAt === null || at < d.withdrawnAt);
}

/** What the range rule needs of a channel the verification tests: its name, unit and effective tolerance. */
export interface ChannelRange {
  channel: string;
  unit: string;
  tolerance: ToleranceSpec | null;
}

/**
 * Factors to a common unit per dimension, for comparing a channel's Max or Qmax with a
 * designation's limit stated in another unit (60 t against a channel in kg). Only the units a
 * designation limit may be written in (the route refuses others).
 */
export const RANGE_UNITS: Record<'mass' | 'flow', Record<string, number>> = {
  mass: { mg: 1e-6, g: 1e-3, kg: 1, t: 1000 },
  flow: { 'L/min': 1, 'L/h': 1 / 60, 'm3/h': 1000 / 60 },
};
const convert = (value: number, from: string, to: string, dim: 'mass' | 'flow'): number | null => {
  const f = RANGE_UNITS[dim][from];
  const t = RANGE_UNITS[dim][to];
  return f === undefined || t === undefined ? null : (value * f) / t;
};
const qty = (q: Quantity) => `${Number(q.value.toPrecision(6))} ${q.unit}`;

/**
 * Whether the channels a verification tests lie within the ranges of designation `d` for `kind`
 * (issue 15, section 1: a body is designated for instrument kinds *and ranges*). Checked, per
 * channel with an OIML R76 or R117 tolerance, against the designation's limits for the kind:
 * - accuracy class in `classes` (R76 I–IIII, R117 0.3–2.5);
 * - a scale's Max (the tolerance's `max`, else its last range's) at most `maxCapacity`;
 * - a dispenser's Qmax (the tolerance's `qmax`, L/min) at most `maxFlow`.
 * A limit the channel does not state (no Max, no Qmax) cannot be shown to be inside: refused,
 * asking for it. No limits for the kind (free-text ranges only): null, as before ranges were data.
 * Worked example: designation "scales class III/IIII up to Max 60 t"; a class III truck scale with
 * Max 80 000 kg → 80 t > 60 t → refused (`designation-max`); Max 30 kg → inside.
 */
export function designationRangeIssue(d: Designation, kind: InstrumentKind, channels: readonly ChannelRange[]): Issue | null {
  const limits = d.rangeLimits?.find((r) => r.kind === kind);
  if (!limits) return null;
  const out = (field: string, rule: string, value: unknown, en: string, vi: string) =>
    refuse('E_DESIGNATION_RANGE', field, rule, value, `${en} (designation ${d.decision}: ${d.lab})`, `${vi} (quyết định chỉ định ${d.decision} của ${d.lab}).`);
  for (const c of channels) {
    const tol = c.tolerance;
    if (!tol || (tol.model !== 'oiml-r76' && tol.model !== 'oiml-r117')) continue;
    if (limits.classes && !limits.classes.includes(tol.accuracyClass)) {
      return out(
        `${c.channel}.accuracyClass`,
        'designation-class',
        tol.accuracyClass,
        `channel ${c.channel} is of accuracy class ${tol.accuracyClass}; the designation covers classes ${limits.classes.join(', ')} only`,
        `Kênh ${c.channel} có cấp chính xác ${tol.accuracyClass}; quyết định chỉ định chỉ cho phép kiểm định cấp chính xác ${limits.classes.join(', ')}`,
      );
    }
    if (tol.model === 'oiml-r76' && limits.maxCapacity) {
      const max = tol.max ?? (tol.multiInterval ?? tol.multipleRange)?.at(-1)?.max;
      if (max === undefined) {
        return out(
          `${c.channel}.max`,
          'designation-range-stated',
          null,
          `channel ${c.channel} states no Max: the designation covers scales up to Max ${qty(limits.maxCapacity)}; set the channel's Max (PUT …/channels/${c.channel}/metrology) before verifying`,
          `Kênh ${c.channel} chưa khai báo mức cân lớn nhất (Max): quyết định chỉ định chỉ cho phép kiểm định cân đến Max ${qty(limits.maxCapacity)}; hãy khai báo Max của kênh trước khi kiểm định`,
        );
      }
      const inLimitUnit = convert(max, c.unit, limits.maxCapacity.unit, 'mass');
      if (inLimitUnit === null || inLimitUnit > limits.maxCapacity.value) {
        return out(
          `${c.channel}.max`,
          'designation-max',
          max,
          `channel ${c.channel} has Max ${max} ${c.unit}, above the ${qty(limits.maxCapacity)} the designation covers`,
          `Kênh ${c.channel} có mức cân lớn nhất Max ${max} ${c.unit}, vượt phạm vi được chỉ định (đến ${qty(limits.maxCapacity)})`,
        );
      }
    }
    if (tol.model === 'oiml-r117' && limits.maxFlow) {
      if (tol.qmax === undefined) {
        return out(
          `${c.channel}.qmax`,
          'designation-range-stated',
          null,
          `channel ${c.channel} states no Qmax: the designation covers fuel dispensers up to ${qty(limits.maxFlow)}; set the channel's Qmax (PUT …/channels/${c.channel}/metrology) before verifying`,
          `Kênh ${c.channel} chưa khai báo lưu lượng lớn nhất (Qmax): quyết định chỉ định chỉ cho phép kiểm định cột đo đến ${qty(limits.maxFlow)}; hãy khai báo Qmax của kênh trước khi kiểm định`,
        );
      }
      const inLimitUnit = convert(tol.qmax, 'L/min', limits.maxFlow.unit, 'flow');
      if (inLimitUnit === null || inLimitUnit > limits.maxFlow.value) {
        return out(
          `${c.channel}.qmax`,
          'designation-flow',
          tol.qmax,
          `channel ${c.channel} has Qmax ${tol.qmax} L/min, above the ${qty(limits.maxFlow)} the designation covers`,
          `Kênh ${c.channel} có lưu lượng lớn nhất Qmax ${tol.qmax} L/min, vượt phạm vi được chỉ định (đến ${qty(limits.maxFlow)})`,
        );
      }
    }
  }
  return null;
}

/**
 * The designation under which `lab` may verify an instrument of `kind` at `at`, or null: the one
 * rule. With `channels`, only a designation whose ranges hold them (designationRangeIssue).
 */
export function mayVerify(
  designations: readonly Designation[],
  lab: string,
  kind: InstrumentKind | null | undefined,
  at: number,
  channels?: readonly ChannelRange[],
): Designation | null {
  if (!kind) return null;
  return designations.find((d) => d.lab === lab && designationCovers(d, kind, at) && (!channels || designationRangeIssue(d, kind, channels) === null)) ?? null;
}

export interface RecordWrite {
  type: CalibrationRecord['type'];
  date: number;
  kind?: InstrumentKind | null;
  servingLab: string | null;
  /** The issuing lab named in the body, if any (refused when it is not the caller's). */
  bodyLab?: string;
  /** The designation the body names, if any. */
  designation?: number;
  /** The channels the verification tests, for the designation's ranges. */
  channels?: readonly ChannelRange[];
}

/**
 * Whether `w` may record `r`, and the lab and designation the record is issued under: the record's
 * lab is the caller's organisation, never a body field (admin, with no organisation, names it).
 */
export function recordWriteDecision(
  w: Writer,
  r: RecordWrite,
  designations: readonly Designation[],
): { ok: true; lab: string; designation: Designation | null } | { ok: false; issue: Issue } {
  const no = (issue: Issue) => ({ ok: false as const, issue });
  if (w.role === 'enterprise') {
    return no(
      refuse(
        'E_FORBIDDEN',
        'type',
        'issuer',
        r.type,
        `an instrument's owner may not record a ${r.type}: only ${r.type === 'verification' ? 'a designated verification body' : 'the lab serving it'} may`,
        r.type === 'verification'
          ? 'Chủ phương tiện đo không được ghi kết quả kiểm định: chỉ tổ chức kiểm định được chỉ định mới được ghi.'
          : 'Chủ phương tiện đo không được ghi kết quả hiệu chuẩn: chỉ phòng thí nghiệm phục vụ phương tiện đo mới được ghi.',
      ),
    );
  }
  if (w.role === 'authority') {
    return no(
      refuse(
        'E_FORBIDDEN',
        'type',
        'issuer',
        r.type,
        'the authority does not issue verification or calibration records; it designates the bodies that do, and may void a record',
        'Cơ quan quản lý không ghi kết quả kiểm định, hiệu chuẩn; cơ quan chỉ định tổ chức kiểm định và có thể hủy bỏ một bản ghi.',
      ),
    );
  }
  const lab = w.role === 'admin' ? (r.bodyLab ?? r.servingLab) : w.org;
  if (!lab) return no(refuse('E_BAD_REQUEST', 'lab', 'required', null, 'name the issuing lab (admin data repair)', 'Cần ghi rõ tổ chức ban hành bản ghi.'));
  if (w.role === 'lab' && r.bodyLab !== undefined && r.bodyLab !== lab) {
    return no(
      refuse(
        'E_FORBIDDEN',
        'lab',
        'caller',
        r.bodyLab,
        `the issuing lab is your organisation (${lab}); a record may not name another lab`,
        `Tổ chức ban hành là tổ chức của bạn (${lab}); không được ghi tên tổ chức khác.`,
      ),
    );
  }
  if (r.type === 'calibration') {
    if (w.role !== 'admin' && r.servingLab !== lab) {
      return no(
        refuse(
          'E_FORBIDDEN',
          'type',
          'serving-lab',
          r.type,
          `only the lab serving this instrument may record its calibration; ${lab} does not serve it`,
          `Chỉ phòng thí nghiệm đang phục vụ phương tiện đo này mới được ghi kết quả hiệu chuẩn; ${lab} không phục vụ phương tiện đo này.`,
        ),
      );
    }
    return { ok: true, lab, designation: null };
  }
  const channels = r.channels ?? [];
  const designation = mayVerify(designations, lab, r.kind, r.date, channels);
  if (r.designation !== undefined && designation?.id !== r.designation) {
    const named = designations.find((d) => d.id === r.designation && d.lab === lab);
    if (!named || !r.kind || !designationCovers(named, r.kind, r.date)) {
      return no(
        refuse(
          'E_FORBIDDEN',
          'designation',
          'designated',
          r.designation,
          `designation ${r.designation} is not one of ${lab}'s valid for a ${r.kind ?? 'instrument of unknown kind'} on that date`,
          `Quyết định chỉ định số ${r.designation} không phải của ${lab} hoặc không còn hiệu lực cho loại phương tiện đo này vào ngày đó.`,
        ),
      );
    }
    const outside = designationRangeIssue(named, r.kind, channels);
    if (outside) return no(outside);
    return { ok: true, lab, designation: named };
  }
  if (!designation && w.role !== 'admin') {
    // Designated for the kind at the date, but no designation's ranges hold this instrument: say which limit.
    const forKind = r.kind ? designations.find((d) => d.lab === lab && designationCovers(d, r.kind!, r.date)) : undefined;
    if (forKind) return no(designationRangeIssue(forKind, r.kind!, channels)!);
    return no(
      refuse(
        'E_FORBIDDEN',
        'type',
        'designated',
        r.type,
        `${lab} holds no designation valid on that date for verifying a ${r.kind ?? 'instrument of unknown kind'}; only a designated verification body may record a verification (Circular 23/2013/TT-BKHCN Art. 3)`,
        `${lab} không có quyết định chỉ định còn hiệu lực vào ngày đó để kiểm định loại phương tiện đo này; chỉ tổ chức kiểm định được chỉ định mới được ghi kết quả kiểm định (Thông tư 23/2013/TT-BKHCN, Điều 3).`,
      ),
    );
  }
  return { ok: true, lab, designation };
}

/**
 * Who may correct a record (ISO/IEC 17025:2017 7.8.8): supersede — the issuing lab (admin for
 * repair); void — the issuing lab or the authority (admin too). Only a valid record is corrected.
 */
export function correctionRefusal(w: Writer, rec: Pick<CalibrationRecord, 'lab' | 'certificate' | 'status'>, action: 'void' | 'supersede'): Issue | null {
  if ((rec.status ?? 'valid') !== 'valid') {
    return {
      code: 'E_CONFLICT',
      field: 'certificate',
      rule: 'valid',
      value: rec.certificate,
      message: `certificate ${rec.certificate} is already ${rec.status}; only a valid record is corrected`,
      messageVi: `Giấy chứng nhận ${rec.certificate} đã ${rec.status === 'voided' ? 'bị hủy bỏ' : 'được thay thế'}; chỉ bản ghi còn hiệu lực mới được sửa.`,
    };
  }
  if (w.role === 'admin') return null;
  if (w.role === 'lab' && w.org === rec.lab) return null;
  if (w.role === 'authority' && action === 'void') return null;
  return refuse(
    'E_FORBIDDEN',
    'certificate',
    'issuer',
    rec.certificate,
    action === 'void'
      ? `only the issuing body (${rec.lab}) or the authority may void certificate ${rec.certificate}`
      : `only the issuing body (${rec.lab}) may supersede certificate ${rec.certificate}`,
    action === 'void'
      ? `Chỉ tổ chức đã ban hành (${rec.lab}) hoặc cơ quan quản lý mới được hủy bỏ giấy chứng nhận ${rec.certificate}.`
      : `Chỉ tổ chức đã ban hành (${rec.lab}) mới được thay thế giấy chứng nhận ${rec.certificate}.`,
  );
}

/**
 * The owner never sets metrology facts: a stated last verification or an interval override at
 * registration are refused to an enterprise (they are the verification body's record and the
 * authority's rule); admin (`metronet admin instrument`, data repair) may, audited.
 */
export function metrologyFactsRefusal(w: Writer, body: { lastVerification?: unknown; intervalDays?: unknown }): Issue | null {
  if (w.role === 'admin') return null;
  const field = body.lastVerification !== undefined ? 'lastVerification' : body.intervalDays !== undefined ? 'intervalDays' : null;
  if (!field) return null;
  return refuse(
    'E_FORBIDDEN',
    field,
    'metrology-facts',
    null,
    `${field} is a metrology fact, not a registration field: a verification is recorded by its designated body (POST /instruments/{id}/calibrations), an interval is the regulation's`,
    field === 'lastVerification'
      ? 'Kết quả kiểm định không phải thông tin đăng ký: chỉ tổ chức kiểm định được chỉ định mới được ghi (qua mục giấy chứng nhận).'
      : 'Chu kỳ kiểm định do quy định pháp luật xác định, chủ phương tiện đo không được thay đổi.',
  );
}

/**
 * The seal register: a break is recorded by the owner (with its reason) or a lab serving the
 * instrument; a new seal only by the serving lab (at verification). Kinds: SEALED_KINDS.
 */
export function sealRefusal(
  w: Writer,
  e: { event: 'break' | 'seal'; reason?: string | null },
  inst: { org: string; kind?: InstrumentKind | null },
  servingLab: string | null,
): Issue | null {
  if (!inst.kind || !SEALED_KINDS.includes(inst.kind)) {
    return refuse(
      'E_BAD_REQUEST',
      'event',
      'sealed-kind',
      inst.kind,
      `the seal register is kept for ${SEALED_KINDS.join(', ')}; this instrument is a ${inst.kind ?? 'instrument of unknown kind'}`,
      'Sổ theo dõi niêm phong, kẹp chì chỉ áp dụng cho cột đo xăng dầu và cân.',
    );
  }
  if (e.event === 'break' && !e.reason?.trim()) {
    return refuse('E_BAD_REQUEST', 'reason', 'required', null, 'a seal break needs its reason', 'Cần ghi rõ lý do phá niêm phong, kẹp chì.');
  }
  if (w.role === 'admin') return null;
  const isOwner = w.role === 'enterprise' && w.org === inst.org;
  const isLab = w.role === 'lab' && w.org !== null && w.org === servingLab;
  if (e.event === 'seal' ? isLab : isOwner || isLab) return null;
  return refuse(
    'E_FORBIDDEN',
    'event',
    'sealer',
    e.event,
    e.event === 'seal'
      ? 'only the verification body serving the instrument places new seals'
      : "only the instrument's owner or its serving lab records a seal break",
    e.event === 'seal'
      ? 'Chỉ tổ chức kiểm định phục vụ phương tiện đo mới được niêm phong, kẹp chì mới.'
      : 'Chỉ chủ phương tiện đo hoặc tổ chức kiểm định phục vụ phương tiện đo mới được ghi việc phá niêm phong.',
  );
}
