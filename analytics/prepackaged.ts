import { MetronetError } from '../core/index.js';
import {
  AVERAGE_TARE_RULE,
  PREPACKAGED_UNITS,
  type PrepackagedUnit,
  type SamplingPlanRow,
  SMALL_LOT_RULE,
  T2_FACTOR,
  TOLERABLE_DEFICIENCY,
  TT21_2014,
  WHOLE_LOT_RULE,
  samplingPlanFor,
  tolerableDeficiency,
  wholeLotAllowedT1,
} from '../core/legal/prepackaged.js';

/**
 * The quantity judge for lots of prepackaged goods (Circular 21/2014/TT-BKHCN, OIML R 87), on the
 * rule data of core/legal/prepackaged.ts: `judgeLot` for an inspection sample or a lot measured
 * whole, `RunningLot` for a lot fed one package at a time (a checkweigher line). Pure; no I/O.
 *
 * Worked example (the numbers of test/analytics/prepackaged.test.ts): Qn = 500 g, N = 1 000 → plan
 * n = 80, k = 0.295, at most 5 packages above T. T = 15 g (500 < Qn ≤ 1 000). A sample of 76 × 501 g
 * and 4 × 484 g: x̄ = 40 012 / 80 = 500.15 g; deviations +0.85 and −16.15, Σd² = 76 × 0.7225 +
 * 4 × 260.8225 = 1 098.2, s = √(1 098.2 / 79) = 3.7285 g; limit Qn − k·s = 500 − 0.295 × 3.7285 =
 * 498.900 g ≤ 500.15: the mean passes. 484 g lacks 16 g > T = 15 g: 4 T1 packages ≤ 5; none lacks
 * more than 2T = 30 g: pass.
 */

export type TareInput = number | readonly number[] | { readonly sample: readonly number[] };

export interface LotInput {
  /** Nominal quantity Qn as labelled, in `unit`. */
  nominal: number;
  unit: PrepackagedUnit;
  /** Lot size N: packages in the lot the sample was taken from. */
  lotSize: number;
  /** Net quantities of the packages measured; or `gross` with `tare`. */
  net?: readonly number[];
  gross?: readonly number[];
  /**
   * The tare: one number for every package (a tare determined beforehand); one number per package
   * (each package emptied and its packaging weighed); or `{ sample }`, empty packagings weighed to
   * determine an average tare (AVERAGE_TARE_RULE).
   */
  tare?: TareInput;
}

export type LotRule = 'mean' | 't1' | 't2';

export interface LotReason {
  rule: LotRule;
  /** Whether the lot meets this requirement. */
  ok: boolean;
  /** Where the requirement is stated (core/legal/prepackaged.ts sources). */
  clause: string;
  en: string;
  vi: string;
}

export interface TareSummary {
  mode: 'constant' | 'individual' | 'average';
  /** The tare used: the constant, the average of the individual tares, or the average of the tare sample. */
  average: number;
  /** Standard deviation of the tares weighed (null for a constant tare). */
  s: number | null;
  count: number;
}

export interface LotJudgement {
  nominal: number;
  unit: PrepackagedUnit;
  lotSize: number;
  /** 'sampling': a plan sample of a lot of 100 or more; 'whole-lot': every package measured (n = N). */
  plan: 'sampling' | 'whole-lot';
  sampleSizeRequired: number;
  sampleSize: number;
  /** Tolerable deficiency, rounded up to the next 0.1 g or mL. */
  T: number;
  T2: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single package. */
  s: number;
  /** Correction factor; 0 for a lot measured whole (the mean must reach Qn). */
  k: number;
  /** Qn − k·s. */
  meanLimit: number;
  /** Packages whose deficiency exceeds T (those above 2T included). */
  t1Count: number;
  /** Packages whose deficiency exceeds 2T. */
  t2Count: number;
  allowedT1: number;
  tare: TareSummary | null;
  verdict: 'pass' | 'fail';
  /** One entry per requirement (mean, T1, T2), met or not. */
  reasons: LotReason[];
}

/** What the lot rules ask of a sample of n packages from a lot of N (after validation). */
interface LotRules {
  plan: 'sampling' | 'whole-lot';
  sampleSizeRequired: number;
  k: number;
  allowedT1: number;
  planRow: SamplingPlanRow | null;
}

/** Sufficient statistics of the packages measured. */
interface LotStats {
  n: number;
  mean: number;
  s: number;
  t1: number;
  t2: number;
}

const r3 = (x: number) => String(Math.round(x * 1000) / 1000);

function bad(field: string, value: unknown, rule: string, en: string, vi: string): MetronetError {
  return new MetronetError('E_BAD_REQUEST', { en, vi }, { field, value, rule });
}

function checkQuantity(nominal: unknown, unit: unknown): { nominal: number; unit: PrepackagedUnit; T: number } {
  if (typeof unit !== 'string' || !(PREPACKAGED_UNITS as readonly string[]).includes(unit)) {
    throw bad(
      'unit',
      unit,
      'enum',
      `unit must be one of ${PREPACKAGED_UNITS.join(', ')} (convert kg and L first)`,
      `Đơn vị phải là g hoặc mL (đổi kg, L trước khi nhập).`,
    );
  }
  const t = typeof nominal === 'number' ? tolerableDeficiency(nominal) : undefined;
  if (!t) {
    throw bad(
      'nominal',
      nominal,
      'positive',
      `nominal quantity must be a finite number above ${TOLERABLE_DEFICIENCY[0]!.above} ${unit}`,
      `Lượng danh định phải là số dương hữu hạn (${unit}).`,
    );
  }
  return { nominal: nominal as number, unit: unit as PrepackagedUnit, T: t.T };
}

function checkLotSize(lotSize: unknown): number {
  if (typeof lotSize !== 'number' || !Number.isInteger(lotSize) || lotSize < 1) {
    throw bad(
      'lotSize',
      lotSize,
      'integer',
      'lot size must be a whole number of packages, at least 1',
      'Cỡ lô phải là số nguyên dương (số đơn vị hàng đóng gói sẵn).',
    );
  }
  return lotSize;
}

/**
 * The rules for n packages measured out of a lot of N: the whole lot when n = N; otherwise the plan
 * of the lot's size, whose sample size must be met exactly (a smaller sample is not the plan's; a
 * larger one has no k or allowance in the table). Lots below 100 have no plan: they are measured whole.
 */
function rulesFor(lotSize: number, n: number, field: string): LotRules {
  if (n > lotSize) {
    throw bad(field, n, 'maximum', `${n} packages measured but the lot has only ${lotSize}`, `Đã đo ${n} đơn vị nhưng cỡ lô chỉ có ${lotSize} đơn vị.`);
  }
  if (n === lotSize) return { plan: 'whole-lot', sampleSizeRequired: lotSize, k: 0, allowedT1: wholeLotAllowedT1(lotSize), planRow: null };
  const row = samplingPlanFor(lotSize);
  if (!row) {
    throw new MetronetError(
      'E_SAMPLE_SIZE',
      {
        en: `a lot of ${lotSize} packages (below ${SMALL_LOT_RULE.belowLotSize}) has no sampling plan and is judged whole: measure all ${lotSize} packages, not ${n}`,
        vi: `Lô có ${lotSize} đơn vị (dưới ${SMALL_LOT_RULE.belowLotSize}) không có phương án lấy mẫu nên phải kiểm tra toàn bộ lô: cần đo đủ ${lotSize} đơn vị, không phải ${n}.`,
      },
      { field, value: n, rule: 'whole-lot' },
    );
  }
  if (n !== row.sampleSize) {
    const smaller = n < row.sampleSize;
    throw new MetronetError(
      'E_SAMPLE_SIZE',
      {
        en: `a lot of ${lotSize} packages needs a sample of exactly ${row.sampleSize} (${row.source.rule}); ${n} is ${smaller ? 'too few' : 'more than the plan, which has no k or allowance for it'}${smaller ? '' : `; measure ${row.sampleSize}, or the whole lot`}`,
        vi: `Lô có ${lotSize} đơn vị phải lấy mẫu đúng ${row.sampleSize} đơn vị (${row.source.rule}); ${n} đơn vị là ${smaller ? 'chưa đủ' : 'nhiều hơn phương án lấy mẫu, không có hệ số k và số đơn vị không phù hợp cho phép tương ứng'}.`,
      },
      { field, value: n, rule: smaller ? 'minimum' : 'plan-size' },
    );
  }
  return { plan: 'sampling', sampleSizeRequired: row.sampleSize, k: row.k, allowedT1: row.allowedT1, planRow: row };
}

/**
 * Net quantities below these are T1 / T2 packages. The guard of 1e-9·Qn (far below any weighing
 * resolution) keeps a deficiency equal to T, computed with binary rounding error, from counting as
 * above T. The batch and the running judge both use these limits, so they count alike.
 */
function deficiencyLimits(nominal: number, T: number): { t1Below: number; t2Below: number; eps: number } {
  const eps = 1e-9 * nominal;
  return { t1Below: nominal - T - eps, t2Below: nominal - T2_FACTOR * T - eps, eps };
}

function checkValues(values: unknown, field: string): number[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw bad(field, values, 'non-empty', `${field} must be a non-empty list of quantities`, `${field} phải là danh sách lượng đo, không được rỗng.`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw bad(
        `${field}[${i}]`,
        v,
        'non-negative',
        `${field}[${i}] must be a finite quantity of at least 0`,
        `Giá trị thứ ${i + 1} của ${field} phải là số hữu hạn, không âm.`,
      );
    }
  }
  return values as number[];
}

function meanAndSd(xs: readonly number[]): { mean: number; s: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { mean, s: xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0 };
}

/** The tare to subtract, and its summary; refuses an average tare the rule does not allow. */
function tareFor(tare: unknown, count: number, nominal: number, T: number): { perPackage: (i: number) => number; summary: TareSummary } {
  if (typeof tare === 'number') {
    if (!Number.isFinite(tare) || tare < 0)
      throw bad('tare', tare, 'non-negative', 'tare must be a finite mass of at least 0', 'Khối lượng bao bì phải là số hữu hạn, không âm.');
    return { perPackage: () => tare, summary: { mode: 'constant', average: tare, s: null, count: 1 } };
  }
  if (Array.isArray(tare)) {
    const tares = checkValues(tare, 'tare');
    if (tares.length !== count) {
      throw bad(
        'tare',
        tares.length,
        'same-length',
        `individual tares: ${tares.length} given for ${count} gross quantities`,
        `Số khối lượng bao bì (${tares.length}) khác số khối lượng cả bì (${count}).`,
      );
    }
    const { mean, s } = meanAndSd(tares);
    return { perPackage: (i) => tares[i]!, summary: { mode: 'individual', average: mean, s, count } };
  }
  if (typeof tare === 'object' && tare !== null && 'sample' in tare) {
    const tares = checkValues((tare as { sample: unknown }).sample, 'tare.sample');
    const R = AVERAGE_TARE_RULE;
    if (tares.length < R.initialSample) {
      throw new MetronetError(
        'E_SAMPLE_SIZE',
        {
          en: `an average tare needs at least ${R.initialSample} empty packagings weighed; ${tares.length} given (${R.source.rule})`,
          vi: `Xác định khối lượng bao bì trung bình cần cân ít nhất ${R.initialSample} bao bì rỗng; mới có ${tares.length}.`,
        },
        { field: 'tare.sample', value: tares.length, rule: 'minimum' },
      );
    }
    const { mean, s } = meanAndSd(tares);
    if (mean > R.smallTareShareOfQn * nominal) {
      if (s > R.maxSdShareOfT * T) {
        throw bad(
          'tare.sample',
          r3(s),
          'tare-variation',
          `the tare varies too much for an average tare: average ${r3(mean)} is above ${R.smallTareShareOfQn * 100} % of Qn and s = ${r3(s)} exceeds ${R.maxSdShareOfT} × T = ${r3(R.maxSdShareOfT * T)}; weigh each package's own tare`,
          `Khối lượng bao bì biến động quá lớn để dùng giá trị trung bình: trung bình ${r3(mean)} lớn hơn ${R.smallTareShareOfQn * 100} % Qn và độ lệch chuẩn ${r3(s)} lớn hơn ${R.maxSdShareOfT}·T = ${r3(R.maxSdShareOfT * T)}; phải xác định bao bì của từng đơn vị.`,
        );
      }
      if (tares.length < R.extendedSample) {
        throw new MetronetError(
          'E_SAMPLE_SIZE',
          {
            en: `the average tare ${r3(mean)} is above ${R.smallTareShareOfQn * 100} % of Qn: weigh at least ${R.extendedSample} empty packagings, not ${tares.length}`,
            vi: `Khối lượng bao bì trung bình ${r3(mean)} lớn hơn ${R.smallTareShareOfQn * 100} % Qn: cần cân ít nhất ${R.extendedSample} bao bì rỗng, mới có ${tares.length}.`,
          },
          { field: 'tare.sample', value: tares.length, rule: 'extended-sample' },
        );
      }
    }
    return { perPackage: () => mean, summary: { mode: 'average', average: mean, s, count: tares.length } };
  }
  throw bad(
    'tare',
    tare,
    'required',
    'gross quantities need a tare: a number, one per package, or { sample }',
    'Khối lượng cả bì cần có khối lượng bao bì: một giá trị, từng đơn vị, hoặc { sample }.',
  );
}

/** The packages' net quantities, from `net` or from `gross` and `tare`. */
function netQuantities(input: LotInput, nominal: number, T: number): { net: number[]; field: string; tare: TareSummary | null } {
  if ((input.net === undefined) === (input.gross === undefined)) {
    throw bad(
      'net',
      null,
      'one-of',
      'give either net quantities or gross quantities with a tare',
      'Nhập lượng tịnh (net) hoặc khối lượng cả bì (gross) kèm bao bì, không cả hai.',
    );
  }
  if (input.net !== undefined) {
    if (input.tare !== undefined) throw bad('tare', input.tare, 'not-with-net', 'net quantities take no tare', 'Lượng tịnh không kèm khối lượng bao bì.');
    return { net: checkValues(input.net, 'net'), field: 'net', tare: null };
  }
  const gross = checkValues(input.gross, 'gross');
  const t = tareFor(input.tare, gross.length, nominal, T);
  const net = gross.map((g, i) => g - t.perPackage(i));
  const negative = net.findIndex((x) => x < 0);
  if (negative >= 0) {
    throw bad(
      `gross[${negative}]`,
      gross[negative],
      'above-tare',
      `gross[${negative}] is below its tare`,
      `Khối lượng cả bì thứ ${negative + 1} nhỏ hơn khối lượng bao bì.`,
    );
  }
  return { net, field: 'gross', tare: t.summary };
}

function judgement(
  q: { nominal: number; unit: PrepackagedUnit; T: number },
  lotSize: number,
  rules: LotRules,
  st: LotStats,
  tare: TareSummary | null,
): LotJudgement {
  const { nominal, unit, T } = q;
  const T2 = T2_FACTOR * T;
  const meanLimit = nominal - rules.k * st.s;
  const eps = deficiencyLimits(nominal, T).eps;
  const meanOk = st.mean >= meanLimit - eps;
  const t1Ok = st.t1 <= rules.allowedT1;
  const t2Ok = st.t2 === 0;
  const whole = rules.plan === 'whole-lot';
  const meanClause = whole ? WHOLE_LOT_RULE.source.rule : rules.planRow!.source.rule;
  const limitEn = whole
    ? `Qn = ${r3(nominal)} ${unit} (lot measured whole)`
    : `Qn − k·s = ${r3(nominal)} − ${rules.k} × ${r3(st.s)} = ${r3(meanLimit)} ${unit}`;
  const limitVi = whole
    ? `lượng danh định Qn = ${r3(nominal)} ${unit} (kiểm tra toàn bộ lô)`
    : `Qn − k·s = ${r3(nominal)} − ${rules.k} × ${r3(st.s)} = ${r3(meanLimit)} ${unit}`;
  const reasons: LotReason[] = [
    {
      rule: 'mean',
      ok: meanOk,
      clause: meanClause,
      en: `mean net quantity ${r3(st.mean)} ${unit} is ${meanOk ? 'at least' : 'below'} ${limitEn}`,
      vi: `Giá trị trung bình lượng thực ${r3(st.mean)} ${unit} ${meanOk ? 'không nhỏ hơn' : 'nhỏ hơn'} ${limitVi}: ${meanOk ? 'đạt' : 'không đạt'} yêu cầu về giá trị trung bình.`,
    },
    {
      rule: 't1',
      ok: t1Ok,
      clause: whole ? WHOLE_LOT_RULE.source.rule : rules.planRow!.source.rule,
      en: `${st.t1} of ${st.n} packages lack more than T = ${r3(T)} ${unit}; ${rules.allowedT1} allowed${whole ? ' (2.5 % of the lot)' : ` for a sample of ${rules.sampleSizeRequired}`}`,
      vi: `${st.t1}/${st.n} đơn vị có lượng thiếu lớn hơn lượng thiếu cho phép T = ${r3(T)} ${unit}; cho phép tối đa ${rules.allowedT1}${whole ? ' (2,5 % cỡ lô)' : ` với cỡ mẫu ${rules.sampleSizeRequired}`}: ${t1Ok ? 'đạt' : 'không đạt'}.`,
    },
    {
      rule: 't2',
      ok: t2Ok,
      clause: `${TT21_2014} Chương II (Điều 4–5), Phụ lục IV: no package may lack more than 2T`,
      en: `${st.t2} packages lack more than 2T = ${r3(T2)} ${unit}; none allowed`,
      vi: `${st.t2} đơn vị có lượng thiếu lớn hơn hai lần lượng thiếu cho phép (2T = ${r3(T2)} ${unit}); không cho phép đơn vị nào: ${t2Ok ? 'đạt' : 'không đạt'}.`,
    },
  ];
  return {
    nominal,
    unit,
    lotSize,
    plan: rules.plan,
    sampleSizeRequired: rules.sampleSizeRequired,
    sampleSize: st.n,
    T,
    T2,
    mean: st.mean,
    s: st.s,
    k: rules.k,
    meanLimit,
    t1Count: st.t1,
    t2Count: st.t2,
    allowedT1: rules.allowedT1,
    tare,
    verdict: meanOk && t1Ok && t2Ok ? 'pass' : 'fail',
    reasons,
  };
}

/**
 * Judges a lot from the packages measured: the sample its plan asks for (N ≥ 100), or every package
 * (n = N, required below 100). Refuses, with a MetronetError naming the field and the rule, a sample
 * of the wrong size (E_SAMPLE_SIZE), an average tare the tare rule does not allow, and malformed input.
 */
export function judgeLot(input: LotInput): LotJudgement {
  const q = checkQuantity(input.nominal, input.unit);
  const lotSize = checkLotSize(input.lotSize);
  const { net, field, tare } = netQuantities(input, q.nominal, q.T);
  const rules = rulesFor(lotSize, net.length, field);
  const { t1Below, t2Below } = deficiencyLimits(q.nominal, q.T);
  let t1 = 0;
  let t2 = 0;
  for (const x of net) {
    if (x < t1Below) t1++;
    if (x < t2Below) t2++;
  }
  const { mean, s } = meanAndSd(net);
  return judgement(q, lotSize, rules, { n: net.length, mean, s, t1, t2 }, tare);
}

export interface RunningLotOptions {
  nominal: number;
  unit: PrepackagedUnit;
  /** Packages the lot will hold (the production lot on the line). */
  lotSize: number;
  /** A constant tare for `addGross`. */
  tare?: number;
  /** Packages before the projections of `atRisk` speak (default 25); T2 and a used-up allowance speak at once. */
  warmup?: number;
}

export interface RunningLotState {
  count: number;
  /** Readings refused by `add` (not finite, negative, or past the lot size); not in the statistics. */
  rejected: number;
  mean: number;
  s: number;
  t1Count: number;
  t2Count: number;
  t1Rate: number;
  t2Rate: number;
  /** Allowance for the whole lot: ⌊N/40⌋ (2.5 % of N). */
  allowedT1: number;
  /** The T1 count the current rate projects at N packages. */
  projectedT1: number;
  /** The mean the packages still to come must reach for the lot's mean to reach Qn; null when the lot is full. */
  meanNeededForRest: number | null;
  /** Already failed, whatever comes: a T2 package, or more T1 packages than the allowance. */
  failed: boolean;
  atRisk: { any: boolean; mean: boolean; t1: boolean; t2: boolean };
}

/**
 * A lot judged while it is produced, one package at a time (a checkweigher weighs every package, so
 * the lot closes as a lot measured whole: x̄ ≥ Qn, T1 ≤ ⌊N/40⌋, no T2). O(1) and allocation-free per
 * package: Welford's running mean and sum of squares, two counters.
 *
 * Welford, worked: 501, 484, 501 → n=1: m = 501, M2 = 0; n=2: d = −17, m = 492.5, M2 = 0 + (−17)(484 − 492.5)
 * = 144.5; n=3: d = 8.5, m = 495.333…, M2 = 144.5 + 8.5 × (501 − 495.333…) = 192.667, s = √(192.667/2) = 9.815.
 *
 * `atRisk` (metronet's rule, not the Circular's; docs/inspections.md): before the lot closes,
 * - t2: a package lacks more than 2T — the lot has failed;
 * - t1: more T1 packages than the allowance (failed), or the allowance is used up (the next T1
 *   fails the lot), or after `warmup` packages the T1 rate projected over N exceeds the allowance
 *   (t1Count · N > allowedT1 · n);
 * - mean: after `warmup` packages the running mean is below Qn — continuing at this level, the lot
 *   fails the mean requirement (`meanNeededForRest` says what the rest must average).
 */
export class RunningLot {
  readonly nominal: number;
  readonly unit: PrepackagedUnit;
  readonly lotSize: number;
  readonly T: number;
  readonly allowedT1: number;
  readonly warmup: number;
  private readonly tare: number | undefined;
  private readonly t1Below: number;
  private readonly t2Below: number;
  private readonly eps: number;
  private n = 0;
  private m = 0;
  private m2 = 0;
  private t1 = 0;
  private t2 = 0;
  private bad = 0;

  constructor(o: RunningLotOptions) {
    const q = checkQuantity(o.nominal, o.unit);
    this.nominal = q.nominal;
    this.unit = q.unit;
    this.T = q.T;
    this.lotSize = checkLotSize(o.lotSize);
    this.allowedT1 = wholeLotAllowedT1(this.lotSize);
    if (o.tare !== undefined && (typeof o.tare !== 'number' || !Number.isFinite(o.tare) || o.tare < 0)) {
      throw bad('tare', o.tare, 'non-negative', 'tare must be a finite mass of at least 0', 'Khối lượng bao bì phải là số hữu hạn, không âm.');
    }
    this.tare = o.tare;
    const warmup = o.warmup ?? 25;
    if (!Number.isInteger(warmup) || warmup < 1)
      throw bad('warmup', warmup, 'integer', 'warmup must be a whole number of packages, at least 1', 'Số đơn vị khởi động phải là số nguyên dương.');
    this.warmup = warmup;
    const lim = deficiencyLimits(this.nominal, this.T);
    this.t1Below = lim.t1Below;
    this.t2Below = lim.t2Below;
    this.eps = lim.eps;
  }

  /** Adds one package's net quantity; false (and counted in `rejected`) when it is not a quantity or the lot is full. */
  add(net: number): boolean {
    if (!(net >= 0) || net === Number.POSITIVE_INFINITY || this.n >= this.lotSize) {
      this.bad++;
      return false;
    }
    const n = ++this.n;
    const d = net - this.m;
    this.m += d / n;
    this.m2 += d * (net - this.m);
    if (net < this.t1Below) this.t1++;
    if (net < this.t2Below) this.t2++;
    return true;
  }

  /** Adds one package from its gross quantity and the lot's constant tare. */
  addGross(gross: number): boolean {
    if (this.tare === undefined)
      throw bad('tare', undefined, 'required', 'addGross needs the lot to have a tare', 'Cần khai báo khối lượng bao bì của lô để nhập khối lượng cả bì.');
    return this.add(gross - this.tare);
  }

  get count(): number {
    return this.n;
  }

  /** The lot so far, and whether it is heading to fail (allocates; call it when asked, not per package). */
  state(): RunningLotState {
    const n = this.n;
    const N = this.lotSize;
    const s = n > 1 ? Math.sqrt(this.m2 / (n - 1)) : 0;
    const warm = n >= this.warmup;
    const failed = this.t2 > 0 || this.t1 > this.allowedT1;
    const projectedT1 = n > 0 ? (this.t1 * N) / n : 0;
    const t1 = this.t1 > this.allowedT1 || (this.t1 > 0 && this.t1 === this.allowedT1) || (warm && this.t1 * N > this.allowedT1 * n);
    const mean = warm && this.m < this.nominal - this.eps;
    const t2 = this.t2 > 0;
    return {
      count: n,
      rejected: this.bad,
      mean: this.m,
      s,
      t1Count: this.t1,
      t2Count: this.t2,
      t1Rate: n > 0 ? this.t1 / n : 0,
      t2Rate: n > 0 ? this.t2 / n : 0,
      allowedT1: this.allowedT1,
      projectedT1,
      meanNeededForRest: n < N ? (N * this.nominal - n * this.m) / (N - n) : null,
      failed,
      atRisk: { any: t1 || mean || t2, mean, t1, t2 },
    };
  }

  /**
   * Judges the packages added. By default as a lot measured whole of the packages seen (a lot that
   * ended early is the lot that was produced); with `lotSize`, as a sample of a lot of that size,
   * under the same sample-size rules as `judgeLot`.
   */
  close(o: { lotSize?: number } = {}): LotJudgement {
    if (this.n === 0) throw bad('count', 0, 'non-empty', 'no package was added to the lot', 'Lô chưa có đơn vị nào.');
    const lotSize = o.lotSize === undefined ? this.n : checkLotSize(o.lotSize);
    const rules = rulesFor(lotSize, this.n, 'count');
    const s = this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
    const tare: TareSummary | null = this.tare === undefined ? null : { mode: 'constant', average: this.tare, s: null, count: 1 };
    return judgement({ nominal: this.nominal, unit: this.unit, T: this.T }, lotSize, rules, { n: this.n, mean: this.m, s, t1: this.t1, t2: this.t2 }, tare);
  }
}
