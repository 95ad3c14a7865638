import { R117_MPE_PCT, type R117Class } from '../tolerances.js';

/**
 * State metrological inspection of fuel retail (kiểm tra nhà nước về đo lường đối với xăng dầu): an
 * inspector runs each nozzle of a fuel dispenser (cột đo xăng dầu) into a class II metal test
 * measure (bình chuẩn kim loại hạng II) and judges the delivered quantity and the amount to pay.
 * The limits and constants as data, each with its source and how directly it was read. Findings and
 * what was searched and not found: docs/inspections.md "Fuel dispensers checked with a test
 * measure", docs/legal-sources.md §10. The judge: analytics/fuel-run.ts.
 *
 * The texts behind it:
 * - Circular 15/2015/TT-BKHCN "Quy định về đo lường, chất lượng trong kinh doanh xăng dầu", issued
 *   25/08/2015, in force 01/04/2016 (replaces Circular 11/2010/TT-BKHCN); amended by Circular
 *   08/2018/TT-BKHCN (15/06/2018, in force 01/07/2018), which rewrites only Art. 6(7) (dispensers
 *   print the measurement result from 01/07/2019). In March 2025 the Prime Minister asked the
 *   Ministry to amend both by 15/04/2025 (thanhnien.vn, 2025-03); whether a new circular was issued
 *   was not found — re-check before relying on article numbers.
 * - ĐLVN 10:2017 "Cột đo xăng dầu – Quy trình kiểm định": its text was NOT read. Its predecessor
 *   ĐLVN 10:2013 is known from the summary of a provincial TĐC technical centre (below).
 * - OIML R117-1:2007 (MPE tables, already in core/tolerances.ts, reused here) and OIML R120 (standard
 *   capacity measures): R120's text was not read.
 */

/** How directly a value was read, strongest first. */
export const FUEL_EVIDENCE_LEVELS = ['regulation-text', 'publisher-copy', 'official-summary', 'secondary', 'recalled', 'chosen'] as const;
/**
 * - 'regulation-text': the signed text; 'publisher-copy': a legal publisher's copy of it;
 * - 'official-summary': a state body's page summarising it; 'secondary': press, vendor or reference tables;
 * - 'recalled': an OIML clause as known to the engineers, the text not opened here;
 * - 'chosen': no source found; metronet's engineering default, configurable.
 */
export type FuelEvidence = (typeof FUEL_EVIDENCE_LEVELS)[number];

export interface FuelSource {
  /** The document the rule is in. */
  readonly document: string;
  /** Article, clause or section; "(not seen)" when the number was not read. */
  readonly clause: string;
  readonly evidence: FuelEvidence;
  readonly url?: string;
  readonly note?: string;
}

/** The rules a run is judged by; each reason the judge gives names one. */
export const FUEL_RULES = [
  'inspection-mpe',
  'verification-mpe',
  'small-volume',
  'measure-thermal',
  'fuel-thermal',
  'amount',
  'measure-valid',
  'measure-class',
  'measure-volume-mmq',
  'measure-volume-flow',
] as const;
export type FuelRule = (typeof FUEL_RULES)[number];

/**
 * The verification MPE of a dispenser: ±0.3 % of the delivered volume for initial, periodic and
 * after-repair verification (ĐLVN 10:2013, as summarised by TĐC Bà Rịa–Vũng Tàu, 27/12/2013).
 * That is line B (meter) of OIML R117-1 Table 2 for class 0.5, so the percentage is taken from
 * R117_MPE_PCT rather than written again; below 2 L the R117 Table 3 factors apply to it
 * (analytics/tolerance.ts r117TableMpe). ĐLVN 10:2017 was not read: if it changed the ±0.3 %, change
 * `part` (or the class) here.
 */
export const FUEL_VERIFICATION_MPE: { readonly accuracyClass: R117Class; readonly part: 'meter' | 'system'; readonly source: FuelSource } = {
  accuracyClass: '0.5',
  part: 'meter',
  source: {
    document: 'ĐLVN 10:2013 Cột đo xăng dầu – Quy trình kiểm định (Decision 2503/QĐ-TĐC, 19/08/2013)',
    clause: 'metrological examination (section number not seen)',
    evidence: 'official-summary',
    url: 'http://kythuattdc.baria-vungtau.gov.vn/ManagementNews/DetailNew/8',
    note: 'ĐLVN 10:2017, its successor, was not read; the value equals R117-1 Table 2 line B for class 0.5',
  },
};
/** The verification MPE in % of the delivered volume (≥ 2 L): 0.3. */
export const FUEL_VERIFICATION_MPE_PCT = R117_MPE_PCT[FUEL_VERIFICATION_MPE.accuracyClass][FUEL_VERIFICATION_MPE.part];

/**
 * At a state inspection the delivered quantity may err by at most 1.5 times the verification MPE
 * of the dispenser: ±0.45 % at ≥ 2 L. Circular 15/2015/TT-BKHCN, as a summary of it words the
 * rule: "Sai số kết quả đo lượng xăng dầu không được vượt quá 1,5 lần giới hạn sai số cho phép của
 * máy đo hoặc của hệ thống đo" (dkn.tv). The article and clause were NOT read (the article-by-article
 * copy read shows Art. 5 only up to clause 3); a provincial inspection report applies "sai số được
 * phép không quá 0,45%" to a retail dispenser (cand.com.vn, Lâm Đồng), which is 1.5 × 0.3 %.
 */
export const FUEL_INSPECTION_FACTOR = 1.5;
export const FUEL_INSPECTION_SOURCE: FuelSource = {
  document: 'Circular 15/2015/TT-BKHCN (as amended by 08/2018/TT-BKHCN)',
  clause: 'Art. 5 or 6 (not seen): "1,5 lần giới hạn sai số cho phép"',
  evidence: 'secondary',
  url: 'https://www.dkn.tv/khac/tu-ngay-172018-cot-do-xang-dau-phai-gan-thiet-bi-in-chung-tu-ban-hang.html',
  note: 'applied as 0.45 % in http://cand.com.vn/doi-song/Tuoc-giay-phep-kinh-doanh-mot-doanh-nghiep-xang-dau-gian-lan-444385/',
};
/** R117-1:2007 Table 3 (MID MI-005 2.2) below 2 L; the table itself is R117_SMALL_VOLUME_TABLE. */
export const FUEL_SMALL_VOLUME_SOURCE: FuelSource = {
  document: 'OIML R117-1:2007 (as MID 2014/32/EU Annex VII MI-005 states it)',
  clause: '2.5, Table 3',
  evidence: 'publisher-copy',
  note: 'applied to the ĐLVN percentage; whether ĐLVN 10:2017 keeps Table 3 for small deliveries was not read',
};

/** The test measure (bình chuẩn). */
export const FUEL_TEST_MEASURE = {
  /**
   * Classes (hạng) of volumetric standard accepted: class II is the working standard of the field
   * (ĐLVN 57:2009 "Bình chuẩn dung tích hạng 2", metal measures of accuracy class 0.1 and 0.05 up to
   * 10 000 L); a class I measure is of higher order and is accepted too. ĐLVN 10:2013 asks for a
   * set of metal volumetric standards of accuracy class (or uncertainty) ≤ 0.1 (TĐC Bà Rịa–Vũng Tàu
   * summary).
   */
  classes: ['I', 'II'] as const,
  classSource: {
    document: 'ĐLVN 57:2009 Bình chuẩn dung tích hạng 2 – Quy trình kiểm định; ĐLVN 10:2013 (summary)',
    clause: 'ĐLVN 57:2009 §1 (scope); ĐLVN 10:2013 verification equipment (section not seen)',
    evidence: 'secondary',
    url: 'https://www.scribd.com/document/722859876/57-binhchuan-dt-hang-2',
  } satisfies FuelSource,
  /**
   * Reference temperature of the measure's volume when its certificate states none: 20 °C, the
   * reference temperature of volumetric standards (ISO 1; OIML R120). The certificate governs.
   */
  defaultReferenceTemperatureC: 20,
  /**
   * The cubical expansion coefficient β (per °C) comes from the measure's certificate: the procedure
   * text giving a value was not read. Typical values, for plausibility only: carbon steel 32.4e-6,
   * stainless steel 30–52e-6, aluminium 69e-6 (Engineering ToolBox, volume expansion of solids;
   * secondary). A coefficient above `maxExpansionPerC` is refused: no metal measure expands that
   * much, so it is a unit slip (52 typed for 52 × 10⁻⁶).
   */
  maxExpansionPerC: 1e-4,
  thermalSource: {
    document: 'OIML R120 (standard capacity measures); ĐLVN 10:2017',
    clause: 'correction of the measure volume to its temperature (not seen)',
    evidence: 'recalled',
    url: 'https://engineeringtoolbox.com/amp/volum-expansion-coefficients-solids-d_1894.html',
    note: 'V(t) = V_ref × (1 + β (t − t_ref)), β cubical; the form is standard, the procedure text was not read',
  } satisfies FuelSource,
  validitySource: {
    document: 'Law on Metrology 04/2011/QH13; ISO/IEC 17025:2017 6.4.7',
    clause: 'a standard used for a legal check must be within its calibration or verification term',
    evidence: 'secondary',
    note: 'same rule as analytics/entry-rules.ts standardFitness (E_STANDARD_EXPIRED)',
  } satisfies FuelSource,
} as const;

/**
 * Correction for the fuel's own expansion between the meter and the measure: the volume that
 * passed the meter at t_meter is V_measure × (1 + γ (t_meter − t_measure)), γ the fuel's cubical
 * expansion coefficient. Applied only when the inspector gives γ: whether ĐLVN 10:2017 requires
 * it, and with which γ per fuel, was not read. OIML R117-2:2014 treats liquid temperature in the
 * meter and in the standard (recalled; text not opened).
 */
export const FUEL_THERMAL_SOURCE: FuelSource = {
  document: 'OIML R117-2:2014; ĐLVN 10:2017',
  clause: 'temperature of the liquid in the meter and in the standard (not seen)',
  evidence: 'recalled',
};

/**
 * Which measure suits which run.
 * - MMQ run (lượng cấp phát tối thiểu): the delivery is the minimum measured quantity, so the
 *   measure's nominal volume must equal the dispenser's MMQ (R117-1:2007: no delivery below the MMQ
 *   is a legal measurement; ĐLVN 10's certificate states "Lượng cấp phát tối thiểu / Minimum
 *   delivery" — a laboratory's certificate template for ĐLVN 10:2017).
 * - Qmax and Qmin runs: at least `flowRunMinVolumeL` and never below the MMQ. No text read states
 *   the least test volume of a flow run; 10 L is metronet's floor (inspectors commonly carry 10 L
 *   and 20 L measures). OIML R117-2 is recalled to ask for at least one minute of delivery at Qmax,
 *   which a 20 L measure does not give on a 40 L/min nozzle: not confirmed, not applied.
 */
export const FUEL_RUN_VOLUME = {
  flowRunMinVolumeL: 10,
  flowRunSource: {
    document: 'none found',
    clause: '—',
    evidence: 'chosen',
    note: 'OIML R117-2 "one minute at Qmax" recalled, not confirmed, not applied',
  } satisfies FuelSource,
  mmqSource: {
    document: 'OIML R117-1:2007; ĐLVN 10:2017 certificate field "Lượng cấp phát tối thiểu"',
    clause: 'definition of the minimum measured quantity; 2.6 (E_min)',
    evidence: 'recalled',
  } satisfies FuelSource,
} as const;

/**
 * The amount to pay is the unit price times the indicated volume, to the least monetary unit (1 đồng;
 * the State Bank issues no coin or note below it: engineering reading). The rounding mode is not
 * stated in any text read, so an amount within one least unit of price × volume is accepted (it is
 * the product rounded down or up); a dispenser that prices its unrounded internal volume may differ
 * further, by up to price × half the volume display step, which the caller states as `volumeStep`.
 * OIML R117-1 / MID MI-005 are recalled to bound the difference by the price of E_min, not less than
 * the least monetary value: not confirmed, not applied.
 */
export const FUEL_AMOUNT_RULE = {
  leastUnitVnd: 1,
  source: {
    document: 'Circular 15/2015/TT-BKHCN (no rounding rule seen); OIML R117-1 price indication (recalled)',
    clause: '(not seen)',
    evidence: 'chosen',
  } satisfies FuelSource,
} as const;
