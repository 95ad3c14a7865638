import type { AveragingPeriod } from '../stations.js';

/**
 * QCVN 05:2023/BTNMT — National technical regulation on air quality (Quy chuẩn kỹ thuật quốc gia
 * về chất lượng không khí), issued by Circular 01/2023/TT-BTNMT of 13/03/2023, in force from
 * 12/09/2023; it replaces QCVN 05:2013/BTNMT and QCVN 06:2009/BTNMT.
 *
 * What was read: a public transcription of the signed PDF (published by Sở TN&MT Lạng Sơn) whose
 * tables its author checked cell by cell against the page images (repository
 * qnguyenle075/hcmc-air-quality, data/processed/qcvn_05_2023.md) — Bảng 1 (clause 2.1, the basic
 * parameters), Bảng 2 (clause 2.2, toxic substances: Pb), clauses 1.3.6–1.3.10 (the averages and
 * the normal cubic metre). Not read in the PDF itself; `evidence` says so per row. Limits are
 * µg/Nm³: µg per cubic metre at 25 °C and 760 mmHg (clause 1.3.10).
 */

/**
 * - 'regulation-text': read in the published regulation, clause and table as given;
 * - 'transcription': read in a transcription of the published regulation checked against its
 *   page images by the transcriber (see above), clause and table as given there;
 * - 'secondary': as secondary sources report it;
 * - 'unconfirmed': no source at hand.
 */
export const AIR_EVIDENCE_LEVELS = ['regulation-text', 'transcription', 'secondary', 'unconfirmed'] as const;
export type AirEvidence = (typeof AIR_EVIDENCE_LEVELS)[number];

export interface AirLimitRow {
  /** metronet channel name. */
  parameter: string;
  /** As the regulation names it. */
  name: string;
  period: AveragingPeriod;
  /** µg/Nm³. */
  max: number;
  /** Clause and table of QCVN 05:2023. */
  clause: string;
  evidence: AirEvidence;
  /** First day (Vietnam local date, YYYY-MM-DD) the value applies; absent: since the regulation took force. */
  validFrom?: string;
  /** Last day the value applies; absent: no end. */
  validUntil?: string;
  note?: string;
}

export const QCVN05_2023 = 'QCVN 05:2023/BTNMT';

const T1 = 'mục 2.1, Bảng 1';
const T2 = 'mục 2.2, Bảng 2';
const E = 'transcription' as const;
const row = (parameter: string, name: string, period: AveragingPeriod, max: number, extra: Partial<AirLimitRow> = {}): AirLimitRow => ({
  parameter,
  name,
  period,
  max,
  clause: T1,
  evidence: E,
  ...extra,
});

export const QCVN05_2023_LIMITS: readonly AirLimitRow[] = [
  row('so2', 'SO₂', '1h', 350),
  row('so2', 'SO₂', '24h', 125),
  row('so2', 'SO₂', '1y', 50),
  row('co', 'CO', '1h', 30_000),
  row('co', 'CO', '8h', 10_000),
  row('no2', 'NO₂', '1h', 200),
  row('no2', 'NO₂', '24h', 100),
  row('no2', 'NO₂', '1y', 40),
  row('o3', 'O₃', '1h', 200),
  row('o3', 'O₃', '8h', 120),
  row('tsp', 'Tổng bụi lơ lửng (TSP)', '1h', 300),
  row('tsp', 'Tổng bụi lơ lửng (TSP)', '24h', 200),
  row('tsp', 'Tổng bụi lơ lửng (TSP)', '1y', 100),
  row('pm10', 'Bụi PM10', '24h', 100),
  row('pm10', 'Bụi PM10', '1y', 50),
  row('pm25', 'Bụi PM2,5', '24h', 50, { validUntil: '2025-12-31', note: 'Bảng 1 gives "50; 45(*)": 50 until 31/12/2025' }),
  row('pm25', 'Bụi PM2,5', '24h', 45, { validFrom: '2026-01-01', note: 'Bảng 1 note (*): 45 applies from 01/01/2026' }),
  row('pm25', 'Bụi PM2,5', '1y', 25),
  row('pb', 'Chì (Pb) và các hợp chất (tính theo chì)', '24h', 1.5, {
    clause: T2,
    note: 'a toxic substance (Bảng 2); the 2023 edition sets no annual Pb limit',
  }),
];

/**
 * Averaging and minimum-data rules. The regulation defines its means (clauses 1.3.6–1.3.9: the
 * mean of the values measured over one hour, 8 hours, 24 hours (one day and night), and of the
 * days' values over a year) but states no minimum share of data; the rules marked 'chosen'
 * are metronet's (docs/stations.md, "Calendar periods").
 */
export const QCVN05_AVERAGING = {
  /** Clock hour [hh:00, hh+1:00) local time; needs `minCoverage` of the hour's expected records. */
  hour: { minCoverage: 0.75, evidence: 'chosen' as const, note: 'as Directive 2008/50/EC Annex VII (75 % of the values); the regulation is silent' },
  /**
   * 8-hour running mean of 8 consecutive hourly means, assigned to the hour it ends; a day's
   * 8-hour means are the 24 ending at 01:00 … 24:00 of that day (the first reaches into the
   * previous day). Needs 6 of 8 hourly means.
   */
  eightHour: { minHours: 6, evidence: 'chosen' as const, note: 'running within the day as Decision 1459/QĐ-TCMT uses for O₃; 6 of 8 as Directive 2008/50/EC' },
  /** Calendar day 00:00–24:00 ICT: mean of the day's valid hourly means; needs 18 of 24. */
  day: { minHours: 18, evidence: 'chosen' as const, note: '75 % of the hours, as Directive 2008/50/EC Annex VII' },
  /** Calendar year: mean of the year's valid daily means; needs 75 % of the year's days. */
  year: {
    minDayShare: 0.75,
    evidence: 'chosen' as const,
    note: 'the regulation (2013 mục 1.3) averages daily values over the year; 75 % chosen for consistency (EU asks 90 %)',
  },
} as const;

/**
 * Reference conditions for converting a volume mixing ratio (ppb, ppm) to a mass concentration
 * (µg/Nm³): c = x · M / Vm with Vm = R·T/p. The regulation's unit is µg/Nm³, the normal cubic metre
 * at 25 °C and 760 mmHg = 101.325 kPa (clause 1.3.10). `convert: false` refuses mixing ratios
 * instead of converting them.
 */
export const AIR_REFERENCE_CONDITIONS = {
  temperatureK: 298.15,
  pressurePa: 101_325,
  convert: true,
  evidence: 'transcription' as AirEvidence,
  note: 'QCVN 05:2023 clause 1.3.10: Nm³ at 25 °C and 760 mmHg',
} as const;

/** Molar masses (g/mol) of the gases the regulation limits (IUPAC standard atomic weights). */
export const MOLAR_MASS_G_PER_MOL: Readonly<Record<string, number>> = { so2: 64.064, no2: 46.005, co: 28.01, o3: 47.997 };
