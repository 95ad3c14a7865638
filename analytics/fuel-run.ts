import { MetronetError, type ErrorCode, R117_SMALL_VOLUME_LIMIT_L, vnDate } from '../core/index.js';
import {
  FUEL_AMOUNT_RULE,
  FUEL_INSPECTION_FACTOR,
  FUEL_INSPECTION_SOURCE,
  FUEL_RUN_VOLUME,
  FUEL_SMALL_VOLUME_SOURCE,
  FUEL_TEST_MEASURE,
  FUEL_THERMAL_SOURCE,
  FUEL_VERIFICATION_MPE,
  type FuelRule,
  type FuelSource,
} from '../core/legal/fuel-inspection.js';
import { r117TableMpe } from './tolerance.js';

/**
 * One run of a fuel-dispenser nozzle into a test measure at a state inspection, judged: the
 * measure's reading corrected to the conditions of the meter, the dispenser's error against it, the
 * inspection MPE (1.5 × the verification MPE), and the amount to pay. Pure: no clock, no store.
 * Rules and their sources: core/legal/fuel-inspection.ts; docs/inspections.md.
 */

export type FuelFlow = 'Qmax' | 'Qmin' | 'MMQ';

export interface TestMeasure {
  /** Nominal volume V_n of the measure (L). */
  nominalVolume: number;
  /** Temperature (°C) at which the certificate states the measure's volume; 20 °C when absent. */
  referenceTemperature?: number;
  /** Cubical expansion coefficient β of the measure's material (per °C), from its certificate. */
  expansionCoefficient: number;
  /** Last valid day of the measure's verification or calibration, Vietnam local date `YYYY-MM-DD`. */
  validUntil: string;
  /** Class (hạng) of the volumetric standard: 'I' or 'II'. */
  class: string;
}

export interface FuelRunInput {
  nozzle: string;
  flow: FuelFlow;
  measure: TestMeasure;
  /** Volume the dispenser indicates for the run (L). */
  dispenserReading: number;
  /** Volume read on the measure's neck scale (L), stated at the measure's reference temperature. */
  measureReading: number;
  /** Temperature of the fuel at the meter (°C). */
  fuelTemperature: number;
  /** Temperature of the fuel in the measure, taken as the measure's own temperature (°C). */
  measureTemperature: number;
  /** Unit price (VND/L) and the amount (VND) the dispenser shows. */
  price: number;
  amount: number;
  /** Time of the run (epoch ms): the measure must be valid on its Vietnam-local day. */
  at: number;
  /** The dispenser's minimum measured quantity (L); required for the MMQ run. */
  mmq?: number;
  /** Cubical expansion coefficient γ of the fuel (per °C): when given, corrects for t_meter ≠ t_measure. */
  fuelExpansionCoefficient?: number;
  /** Display step of the volume (L), when the dispenser prices its unrounded internal volume. */
  volumeStep?: number;
}

export interface FuelReason {
  rule: FuelRule;
  clause: string;
  en: string;
  vi: string;
}

export interface FuelRunResult {
  nozzle: string;
  flow: FuelFlow;
  /** The reference volume: the measure reading at the measure's temperature, and at the meter's when γ is given (L). */
  correctedVolume: number;
  /** Indicated − reference, in L and in % of the reference. */
  error: { litres: number; pct: number };
  /** Inspection MPE (L, %) and the verification MPE it multiplies (L). */
  mpe: { litres: number; pct: number; verificationLitres: number; factor: number };
  verdict: 'pass' | 'fail';
  amountOk: boolean;
  /** price × indicated volume, to the least monetary unit, halves up (VND). */
  expectedAmount: number;
  reasons: FuelReason[];
}

const cite = (s: FuelSource): string => `${s.document}, ${s.clause}`;
const fmt = (v: number, digits = 4): string => String(Number(v.toFixed(digits)));

/** Readings carry at most millilitres: a nanolitre guard only absorbs binary rounding at the limit. */
const LIMIT_GUARD_L = 1e-9;

function refuse(code: ErrorCode, field: string, value: unknown, rule: string, en: string, vi: string): MetronetError {
  return new MetronetError(code, { en, vi }, { field, value, rule });
}

function requireFinite(field: string, value: unknown, o: { positive?: boolean; min?: number } = {}): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (!o.positive || value > 0) && (o.min === undefined || value >= o.min);
  if (ok) return;
  const what = o.positive ? 'a positive number' : o.min !== undefined ? `a number ≥ ${o.min}` : 'a finite number';
  const whatVi = o.positive ? 'một số dương' : o.min !== undefined ? `một số ≥ ${o.min}` : 'một số hữu hạn';
  throw refuse('E_BAD_REQUEST', field, value, o.positive ? 'positive' : 'finite', `${field} must be ${what}`, `${field} phải là ${whatVi}`);
}

/** The refusals that stop a run from being judged at all: bad numbers, then the measure's fitness for it. */
function checkRun(r: FuelRunInput): void {
  for (const f of ['dispenserReading', 'measureReading'] as const) requireFinite(f, r[f], { positive: true });
  for (const f of ['fuelTemperature', 'measureTemperature', 'at'] as const) requireFinite(f, r[f]);
  for (const f of ['price', 'amount'] as const) requireFinite(f, r[f], { min: 0 });
  requireFinite('measure.nominalVolume', r.measure.nominalVolume, { positive: true });
  if (r.measure.referenceTemperature !== undefined) requireFinite('measure.referenceTemperature', r.measure.referenceTemperature);
  if (r.mmq !== undefined) requireFinite('mmq', r.mmq, { positive: true });
  if (r.fuelExpansionCoefficient !== undefined) requireFinite('fuelExpansionCoefficient', r.fuelExpansionCoefficient, { min: 0 });
  if (r.volumeStep !== undefined) requireFinite('volumeStep', r.volumeStep, { min: 0 });
  const m = r.measure;
  const classes: readonly string[] = FUEL_TEST_MEASURE.classes;
  if (!classes.includes(m.class)) {
    throw refuse(
      'E_TEST_MEASURE_CLASS',
      'measure.class',
      m.class,
      'measure-class',
      `nozzle ${r.nozzle}: a test measure of class "${m.class}" is not accepted; use a class ${classes.join(' or ')} metal measure (${cite(FUEL_TEST_MEASURE.classSource)})`,
      `Vòi ${r.nozzle}: không chấp nhận bình chuẩn hạng "${m.class}"; dùng bình chuẩn kim loại hạng ${classes.join(' hoặc ')} (${cite(FUEL_TEST_MEASURE.classSource)}).`,
    );
  }
  const beta = m.expansionCoefficient;
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta < 0 || beta > FUEL_TEST_MEASURE.maxExpansionPerC) {
    throw refuse(
      'E_TEST_MEASURE_CLASS',
      'measure.expansionCoefficient',
      beta,
      'measure-thermal',
      `nozzle ${r.nozzle}: the measure's cubical expansion coefficient ${String(beta)} /°C is not between 0 and ${FUEL_TEST_MEASURE.maxExpansionPerC} /°C (steel is about 33–52 × 10⁻⁶ /°C); take it from the measure's certificate`,
      `Vòi ${r.nozzle}: hệ số giãn nở khối ${String(beta)} /°C của bình chuẩn không nằm trong khoảng 0 đến ${FUEL_TEST_MEASURE.maxExpansionPerC} /°C (thép khoảng 33–52 × 10⁻⁶ /°C); lấy theo giấy chứng nhận của bình chuẩn.`,
    );
  }
  if (typeof m.validUntil !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(m.validUntil)) {
    throw refuse(
      'E_BAD_REQUEST',
      'measure.validUntil',
      m.validUntil,
      'date',
      'measure.validUntil must be a date YYYY-MM-DD',
      'measure.validUntil phải là ngày dạng YYYY-MM-DD',
    );
  }
  const day = vnDate(r.at);
  if (day > m.validUntil) {
    throw refuse(
      'E_STANDARD_EXPIRED',
      'measure.validUntil',
      m.validUntil,
      'measure-valid',
      `nozzle ${r.nozzle}: the test measure was valid until ${m.validUntil}, before the run on ${day}; a run into an expired measure cannot be judged (${cite(FUEL_TEST_MEASURE.validitySource)})`,
      `Vòi ${r.nozzle}: bình chuẩn chỉ còn hiệu lực đến ${m.validUntil}, trước ngày kiểm tra ${day}; không đánh giá được lần đo bằng bình chuẩn hết hạn (${cite(FUEL_TEST_MEASURE.validitySource)}).`,
    );
  }
  checkVolume(r);
}

/** The measure's nominal volume against the run: equal to the MMQ for the MMQ run, large enough for a flow run. */
function checkVolume(r: FuelRunInput): void {
  const vn = r.measure.nominalVolume;
  if (r.flow === 'MMQ') {
    if (r.mmq === undefined) {
      throw refuse(
        'E_BAD_REQUEST',
        'mmq',
        undefined,
        'required-for-mmq-run',
        `nozzle ${r.nozzle}: the MMQ run needs the dispenser's minimum measured quantity (mmq, L)`,
        `Vòi ${r.nozzle}: lần đo tại lượng cấp phát tối thiểu cần lượng cấp phát tối thiểu của cột đo (mmq, L).`,
      );
    }
    if (vn !== r.mmq) {
      throw refuse(
        'E_TEST_MEASURE_VOLUME',
        'measure.nominalVolume',
        vn,
        'measure-volume-mmq',
        `nozzle ${r.nozzle}: the MMQ run delivers the minimum measured quantity ${r.mmq} L, so it needs a ${r.mmq} L measure, not ${vn} L (${cite(FUEL_RUN_VOLUME.mmqSource)})`,
        `Vòi ${r.nozzle}: lần đo tại lượng cấp phát tối thiểu ${r.mmq} L cần bình chuẩn ${r.mmq} L, không phải ${vn} L (${cite(FUEL_RUN_VOLUME.mmqSource)}).`,
      );
    }
    return;
  }
  const least = Math.max(FUEL_RUN_VOLUME.flowRunMinVolumeL, r.mmq ?? 0);
  if (vn < least) {
    throw refuse(
      'E_TEST_MEASURE_VOLUME',
      'measure.nominalVolume',
      vn,
      'measure-volume-flow',
      `nozzle ${r.nozzle}: a ${r.flow} run needs a measure of at least ${least} L (${FUEL_RUN_VOLUME.flowRunMinVolumeL} L, and never below the MMQ); ${vn} L is too small (metronet default, no text found)`,
      `Vòi ${r.nozzle}: lần đo tại ${r.flow} cần bình chuẩn ít nhất ${least} L (${FUEL_RUN_VOLUME.flowRunMinVolumeL} L và không nhỏ hơn lượng cấp phát tối thiểu); ${vn} L là quá nhỏ (giá trị mặc định của metronet, chưa tìm thấy văn bản quy định).`,
    );
  }
}

/**
 * Judge one run. Refuses (MetronetError) a run that cannot be judged: non-numeric readings, a
 * measure of the wrong class or an implausible β, a measure expired on the run's day, a measure
 * whose volume does not suit the run.
 *
 * Worked example (test/analytics/fuel-run.test.ts, every step there): a 20 L class II steel measure,
 * β = 50 × 10⁻⁶ /°C at 20 °C, read 20.010 L at 30 °C → 20.010 × (1 + 50e-6 × 10) = 20.020005 L; the
 * dispenser shows 20.080 L → error +0.059995 L = +0.29967 %; inspection MPE 1.5 × 0.3 % × 20.020005
 * = 0.09009 L → pass.
 */
export function judgeRun(r: FuelRunInput): FuelRunResult {
  checkRun(r);
  const m = r.measure;
  const tRef = m.referenceTemperature ?? FUEL_TEST_MEASURE.defaultReferenceTemperatureC;
  const kMeasure = 1 + m.expansionCoefficient * (r.measureTemperature - tRef);
  const atMeasure = r.measureReading * kMeasure;
  const gamma = r.fuelExpansionCoefficient;
  const kFuel = gamma === undefined ? 1 : 1 + gamma * (r.fuelTemperature - r.measureTemperature);
  const corrected = atMeasure * kFuel;

  const errorL = r.dispenserReading - corrected;
  const verificationL = r117TableMpe(FUEL_VERIFICATION_MPE.accuracyClass, FUEL_VERIFICATION_MPE.part, corrected);
  const mpeL = FUEL_INSPECTION_FACTOR * verificationL;
  const verdict = Math.abs(errorL) <= mpeL + LIMIT_GUARD_L ? 'pass' : 'fail';

  const unit = FUEL_AMOUNT_RULE.leastUnitVnd;
  // Rounded to a micro-đồng so that binary noise never moves a product across a whole đồng.
  const exact = Math.round(r.price * r.dispenserReading * 1e6) / 1e6;
  const expectedAmount = Math.floor(exact / unit + 0.5) * unit;
  const amountTolerance = unit + (r.price * (r.volumeStep ?? 0)) / 2;
  const amountOk = Math.abs(r.amount - exact) < amountTolerance;

  const reasons: FuelReason[] = [
    {
      rule: 'measure-thermal',
      clause: cite(FUEL_TEST_MEASURE.thermalSource),
      en: `measure read ${fmt(r.measureReading)} L at ${tRef} °C reference; at ${r.measureTemperature} °C with β = ${m.expansionCoefficient} /°C it holds ${fmt(atMeasure, 6)} L`,
      vi: `Bình chuẩn đọc ${fmt(r.measureReading)} L (nhiệt độ chuẩn ${tRef} °C); ở ${r.measureTemperature} °C với β = ${m.expansionCoefficient} /°C thể tích thực là ${fmt(atMeasure, 6)} L.`,
    },
    gamma === undefined
      ? {
          rule: 'fuel-thermal',
          clause: cite(FUEL_THERMAL_SOURCE),
          en: `no fuel expansion coefficient given: the fuel at the meter (${r.fuelTemperature} °C) and in the measure (${r.measureTemperature} °C) is not corrected`,
          vi: `Không có hệ số giãn nở của nhiên liệu: không hiệu chính chênh lệch nhiệt độ nhiên liệu tại cột đo (${r.fuelTemperature} °C) và trong bình chuẩn (${r.measureTemperature} °C).`,
        }
      : {
          rule: 'fuel-thermal',
          clause: cite(FUEL_THERMAL_SOURCE),
          en: `fuel at the meter ${r.fuelTemperature} °C, in the measure ${r.measureTemperature} °C, γ = ${gamma} /°C: reference volume at the meter ${fmt(corrected, 6)} L`,
          vi: `Nhiên liệu tại cột đo ${r.fuelTemperature} °C, trong bình chuẩn ${r.measureTemperature} °C, γ = ${gamma} /°C: thể tích chuẩn quy về cột đo ${fmt(corrected, 6)} L.`,
        },
  ];
  if (corrected < R117_SMALL_VOLUME_LIMIT_L) {
    reasons.push({
      rule: 'small-volume',
      clause: cite(FUEL_SMALL_VOLUME_SOURCE),
      en: `below 2 L the verification MPE follows R117 Table 3: ${fmt(verificationL, 6)} L at ${fmt(corrected)} L`,
      vi: `Dưới 2 L, sai số lớn nhất cho phép khi kiểm định theo Bảng 3 OIML R117: ${fmt(verificationL, 6)} L tại ${fmt(corrected)} L.`,
    });
  }
  const pct = (errorL / corrected) * 100;
  const mpePct = (mpeL / corrected) * 100;
  const passed = verdict === 'pass';
  reasons.push({
    rule: 'inspection-mpe',
    clause: cite(FUEL_INSPECTION_SOURCE),
    en: `error ${fmt(errorL, 5)} L (${fmt(pct, 3)} %) is ${passed ? 'within' : 'beyond'} the inspection MPE ±${fmt(mpeL, 5)} L (±${fmt(mpePct, 3)} % = ${FUEL_INSPECTION_FACTOR} × the verification MPE ±${fmt(verificationL, 5)} L)`,
    vi: `Sai số ${fmt(errorL, 5)} L (${fmt(pct, 3)} %) ${passed ? 'nằm trong' : 'vượt quá'} giới hạn khi kiểm tra ±${fmt(mpeL, 5)} L (±${fmt(mpePct, 3)} % = ${FUEL_INSPECTION_FACTOR} lần sai số lớn nhất cho phép khi kiểm định ±${fmt(verificationL, 5)} L).`,
  });
  reasons.push({
    rule: 'amount',
    clause: cite(FUEL_AMOUNT_RULE.source),
    en: `amount ${r.amount} VND ${amountOk ? 'agrees' : 'does not agree'} with ${r.price} × ${r.dispenserReading} L = ${exact} VND (accepted within ${fmt(amountTolerance, 3)} VND)`,
    vi: `Thành tiền ${r.amount} đồng ${amountOk ? 'khớp' : 'không khớp'} với ${r.price} × ${r.dispenserReading} L = ${exact} đồng (chấp nhận chênh lệch dưới ${fmt(amountTolerance, 3)} đồng).`,
  });

  return {
    nozzle: r.nozzle,
    flow: r.flow,
    correctedVolume: corrected,
    error: { litres: errorL, pct },
    mpe: { litres: mpeL, pct: mpePct, verificationLitres: verificationL, factor: FUEL_INSPECTION_FACTOR },
    verdict,
    amountOk,
    expectedAmount,
    reasons,
  };
}
