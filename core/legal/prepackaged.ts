/**
 * The quantity rule for prepackaged goods (hàng đóng gói sẵn) as data with sources: the tolerable
 * deficiency T by nominal quantity, the sampling plans by lot size, the rule for a lot inspected
 * whole, and the conditions for using an average tare. The judge is analytics/prepackaged.ts; the
 * findings and what was not found: docs/inspections.md "Prepackaged goods", docs/legal-sources.md §11.
 *
 * Governing text: Circular 21/2014/TT-BKHCN of 15/07/2014 ("Quy định về đo lường đối với lượng của
 * hàng đóng gói sẵn"), Chương II (Điều 4–5, the technical requirements), Phụ lục III (the standard
 * deviation formula and the correction factor k by lot and sample size), Phụ lục IV (the tolerable
 * deficiency T). It follows OIML R 87 (Table 1: T; Table 2: sampling plans; Annex B: average tare).
 *
 * What was read, honestly: NOT the annexes of the Circular, and NOT R 87 itself. The public copies of
 * the Circular (thuvienphapluat.vn, luatvietnam.vn English, a Scribd English copy) show only its
 * opening articles. The rows below were read in a secondary summary of the Circular's requirements,
 * in a worked application of its annexes, and in legal texts that carry the same table as R 87
 * (Directive 76/211/EEC Annex I 2.4, French décret 78-166 art. 4). `evidence` says which, per row.
 * No amendment of Circular 21/2014 was found (Circular 02/2022/TT-BKHCN was searched and not seen).
 */

/**
 * How directly a value was read, strongest first:
 * - 'regulation-text': in Circular 21/2014 or its annexes (none yet);
 * - 'equivalent-text': in a published legal text carrying the same table as OIML R 87 (the EEC
 *   directive or the French decree it was transposed by), not in R 87 or the Circular;
 * - 'secondary': a summary or a worked application of the Circular (a consultancy page, a published
 *   worked example), or an implementation of R 87 in public code;
 * - 'unconfirmed': no text read; metronet's reading, stated as such.
 */
export const PREPACKAGED_EVIDENCE_LEVELS = ['regulation-text', 'equivalent-text', 'secondary', 'unconfirmed'] as const;
export type PrepackagedEvidence = (typeof PREPACKAGED_EVIDENCE_LEVELS)[number];

export interface PrepackagedSource {
  /** The governing document and the item in it (annex, table, clause). */
  readonly rule: string;
  /** What was actually read, when it is not the governing text. */
  readonly readIn: string;
  readonly url: string;
  readonly evidence: PrepackagedEvidence;
  readonly note?: string;
}

export const TT21_2014 = 'Thông tư 21/2014/TT-BKHCN';
export const OIML_R87 = 'OIML R 87:2016';

// Pages read (docs/legal-sources.md §11 says what each one shows).
const EEC_76_211 = 'http://legislation.gov.uk/eudr/1976/211/annexes/data.html';
const FR_78_166 =
  'https://github.com/etalab/lois-non-codifiees-et-reglements-francais/blob/f4380facc288901ed8181a35a9567c1eda0c6351/decret/1978/decret-n78-166-du-31-janvier-1978/article-4.md';
const VIETPAT = 'https://vietpat.vn/yeu-cau-ve-do-luong-doi-voi-hang-dong-goi-san/';
const WORKED = 'https://www.scribd.com/document/616718699';
const UK_2006_SCH2 = 'http://www.legislation.gov.uk/uksi/2006/659/schedule/2/paragraph/4/made';
const APLMF = 'https://www.aplmf.org/average-quantity-system.html';
const R87_IMPLEMENTATION = 'public code implementing R 87 tare checks (a public repository whose name was not recorded)';

/** Units the rule is stated in: grams for mass, millilitres for volume (R 87 Table 1 "g or mL"). */
export const PREPACKAGED_UNITS = ['g', 'mL'] as const;
export type PrepackagedUnit = (typeof PREPACKAGED_UNITS)[number];

export interface TolerableDeficiencyRow {
  /** Nominal quantity Qn, exclusive lower end (g or mL). */
  readonly above: number;
  /** Inclusive upper end; null: no upper end. */
  readonly upTo: number | null;
  /** 'percent': T = value % of Qn, rounded up to the next 0.1 g or mL; 'absolute': T = value g or mL. */
  readonly kind: 'percent' | 'absolute';
  readonly value: number;
  readonly source: PrepackagedSource;
}

const T_SOURCE: PrepackagedSource = {
  rule: `${TT21_2014} Phụ lục IV; ${OIML_R87} 3.4, Table 1`,
  readIn:
    "Directive 76/211/EEC Annex I 2.4 (legislation.gov.uk) and French décret 78-166 art. 4 (same nine rows); the Circular's Phụ lục IV is quoted for 184 g → 4.5 % and 250 g → 9 g by a worked application",
  url: EEC_76_211,
  evidence: 'equivalent-text',
};
const T_ALSO = { ...T_SOURCE, url: FR_78_166 };
const T_WORKED: PrepackagedSource = { ...T_SOURCE, readIn: `${T_SOURCE.readIn} (${WORKED})` };

/**
 * Tolerable deficiency T by nominal quantity, the same for mass (g) and volume (mL). The table is
 * continuous: at every boundary both neighbouring rows give the same T (9 % of 50 = 4.5 g; 4.5 % of
 * 200 = 9 g; 3 % of 500 = 15 g; 1.5 % of 10 000 = 150 g), so which row owns a boundary does not
 * change T. Ranges are read "above … up to and including …". The EEC table starts at 5 g; R 87 and
 * this table start above 0.
 */
export const TOLERABLE_DEFICIENCY: readonly TolerableDeficiencyRow[] = [
  { above: 0, upTo: 50, kind: 'percent', value: 9, source: T_SOURCE },
  { above: 50, upTo: 100, kind: 'absolute', value: 4.5, source: T_SOURCE },
  { above: 100, upTo: 200, kind: 'percent', value: 4.5, source: T_WORKED },
  { above: 200, upTo: 300, kind: 'absolute', value: 9, source: T_WORKED },
  { above: 300, upTo: 500, kind: 'percent', value: 3, source: T_SOURCE },
  { above: 500, upTo: 1000, kind: 'absolute', value: 15, source: T_SOURCE },
  { above: 1000, upTo: 10_000, kind: 'percent', value: 1.5, source: T_SOURCE },
  { above: 10_000, upTo: 15_000, kind: 'absolute', value: 150, source: T_ALSO },
  { above: 15_000, upTo: null, kind: 'percent', value: 1, source: T_ALSO },
];

/**
 * T from a percentage row is rounded UP to the next 0.1 g or mL (184 g × 4.5 % = 8.28 → 8.3 g).
 * The rounding sentence was not read in any text at hand (the EEC page read breaks off before it,
 * the French decree has none); the worked application of the Circular uses the unrounded 8.28 g.
 * Kept because R 87 is recalled to state it; confirm against Phụ lục IV.
 */
export const T_ROUNDING = {
  stepTenths: 1,
  direction: 'up' as const,
  evidence: 'unconfirmed' as PrepackagedEvidence,
  note: 'R 87 3.4 as recalled, not read; the worked application of Phụ lục IV does not round (8.28 g)',
};

/** A package is a T1 package when its deficiency Qn − x exceeds T, a T2 package when it exceeds 2T. */
export const T2_FACTOR = 2;

export interface SamplingPlanRow {
  /** Lot size N, inclusive. */
  readonly lotMin: number;
  /** Inclusive; null: no upper end. */
  readonly lotMax: number | null;
  /** Sample size n. */
  readonly sampleSize: number;
  /** Correction factor k of the mean requirement x̄ ≥ Qn − k·s (k = t0.995(n − 1)/√n). */
  readonly k: number;
  /** Packages with a deficiency above T allowed in the sample (none above 2T, ever). */
  readonly allowedT1: number;
  readonly source: PrepackagedSource;
}

const PLAN_SOURCE: PrepackagedSource = {
  rule: `${TT21_2014} Phụ lục III, Bảng 1; ${OIML_R87} Table 2`,
  readIn: 'not read in the Circular or R 87: the values R 87 (2004 and 2016) is known for; k agrees with t0.995(n − 1)/√n (UK SI 2006/659 Sch. 2 §4)',
  url: UK_2006_SCH2,
  evidence: 'unconfirmed',
};

/**
 * Sampling plans for lots of 100 packages and more. The first row's k = 0.379 for N 100–500, n = 50
 * is quoted from "Bảng 1, Phụ lục III" of the Circular by a worked application; the other values are
 * not read in the Circular. R 87:2016 also has plans for lots below 100 (not read, not encoded): such
 * lots are judged whole here (WHOLE_LOT_RULE, SMALL_LOT_RULE).
 */
export const SAMPLING_PLANS: readonly SamplingPlanRow[] = [
  {
    lotMin: 100,
    lotMax: 500,
    sampleSize: 50,
    k: 0.379,
    allowedT1: 3,
    source: {
      ...PLAN_SOURCE,
      readIn: `k = 0.379 for N 100–500, n = 50 quoted from Phụ lục III Bảng 1 by a worked application; T1 = 3 not read`,
      url: WORKED,
      evidence: 'secondary',
    },
  },
  { lotMin: 501, lotMax: 3200, sampleSize: 80, k: 0.295, allowedT1: 5, source: PLAN_SOURCE },
  { lotMin: 3201, lotMax: null, sampleSize: 125, k: 0.234, allowedT1: 7, source: PLAN_SOURCE },
];

/**
 * A lot inspected whole (n = N): the mean must reach Qn itself (no k·s allowance), at most 2.5 % of
 * the lot may have a deficiency above T, none above 2T. Read in a summary of the Circular's
 * requirements ("Trường hợp cỡ mẫu (n) bằng với cỡ lô (N) … Xtb ≥ Qn … không được vượt quá 2,5% cỡ
 * lô … không được có bất kỳ đơn vị … lượng thiếu lớn hơn hai (02) lần lượng thiếu cho phép T").
 * "Not more than 2.5 %" of N packages is ⌊N / 40⌋ packages.
 */
export const WHOLE_LOT_RULE = {
  t1ShareOfLot: 0.025,
  source: {
    rule: `${TT21_2014} Chương II (Điều 4–5; which of the two not seen), case n = N`,
    readIn: "vietpat.vn summary of the Circular's requirements (mean and non-conforming units, case n = N)",
    url: VIETPAT,
    evidence: 'secondary',
  } satisfies PrepackagedSource,
} as const;

/**
 * Lots below the smallest plan (N < 100) are judged whole: every package is measured. The Circular's
 * text on small lots was not read; this is metronet's reading of "the plans start at 100, the n = N
 * case is defined" (UK SI 2006/659 Sch. 2 §4.7 likewise averages every package of a batch below 100).
 */
export const SMALL_LOT_RULE = {
  belowLotSize: 100,
  source: {
    rule: `${TT21_2014} Phụ lục III (small lots not read)`,
    readIn: 'metronet reading; UK SI 2006/659 Sch. 2 §4.7 (batches below 100: mean of every package ≥ Qn)',
    url: UK_2006_SCH2,
    evidence: 'unconfirmed',
  } satisfies PrepackagedSource,
} as const;

/**
 * When an average tare may stand for each package's tare (gross − average tare = net), R 87 Annex B
 * as implemented in public code: weigh `initialSample` empty packagings; the average is used when it
 * is at most `smallTareShareOfQn` of Qn; otherwise only when the tares' standard deviation is at most
 * `maxSdShareOfT` · T and `extendedSample` packagings were weighed; otherwise each package's own tare
 * is needed (opened, emptied, weighed). Annex B itself and the Circular's tare text were not read.
 * A Brazilian regulator's variant (Portaria Inmetro 248/2008: 25 packagings, 5 % of Qn, s ≤ 0.25 T)
 * has the same shape.
 */
export const AVERAGE_TARE_RULE = {
  initialSample: 10,
  extendedSample: 25,
  smallTareShareOfQn: 0.1,
  maxSdShareOfT: 0.25,
  source: {
    rule: `${OIML_R87} Annex B (average tare); ${TT21_2014} (tare text not read)`,
    readIn: R87_IMPLEMENTATION,
    url: APLMF,
    evidence: 'secondary',
    note: 'APLMF lists "Determine the average tare mass … Annex B of OIML R 87" as a test step; the numbers are from the implementation',
  } satisfies PrepackagedSource,
} as const;

/** The tolerable deficiency row for a nominal quantity (g or mL); undefined when Qn ≤ 0 or not finite. */
export function deficiencyRowFor(nominal: number): TolerableDeficiencyRow | undefined {
  if (!Number.isFinite(nominal) || nominal <= 0) return undefined;
  return TOLERABLE_DEFICIENCY.find((r) => nominal > r.above && (r.upTo === null || nominal <= r.upTo));
}

/**
 * T for a nominal quantity, in the unit of Qn. `raw` is the table value before rounding (8.28 for
 * 184 g); `T` is rounded up to the next 0.1 (8.3). The guard of 1e-9 tenths keeps an exact product
 * computed with a binary rounding error (4.5 % × 200 = 9.000000000000002) from rounding up to 9.1.
 */
export function tolerableDeficiency(nominal: number): { T: number; raw: number; row: TolerableDeficiencyRow } | undefined {
  const row = deficiencyRowFor(nominal);
  if (!row) return undefined;
  const raw = row.kind === 'absolute' ? row.value : (nominal * row.value) / 100;
  const tenths = Math.ceil(raw * 10 - 1e-9);
  return { T: row.kind === 'absolute' ? row.value : tenths / 10, raw, row };
}

/** The sampling plan for a lot of N packages (N ≥ 100); undefined below the smallest plan. */
export function samplingPlanFor(lotSize: number): SamplingPlanRow | undefined {
  return SAMPLING_PLANS.find((p) => lotSize >= p.lotMin && (p.lotMax === null || lotSize <= p.lotMax));
}

/** Packages above T allowed when the whole lot of N is measured: not more than 2.5 % of N, ⌊N/40⌋. */
export function wholeLotAllowedT1(lotSize: number): number {
  return Math.floor(lotSize / 40);
}
