/**
 * VN_AQI — the Vietnamese air quality index, Decision 1459/QĐ-TCMT of 12/11/2019 of the Vietnam
 * Environment Administration (Tổng cục Môi trường), "Hướng dẫn kỹ thuật tính toán và công bố chỉ
 * số chất lượng không khí Việt Nam". Tables as data; analytics/aqi.ts applies them.
 *
 * Evidence: Bảng 1 (categories), Bảng 2 (breakpoints), mục 2.2 (NowCast, hourly and daily rules)
 * and mục 2.3 (worked examples, a test oracle) as read in a public transcription of the signed PDF
 * from vea.mae.gov.vn whose tables and formulas the transcriber checked against the page images
 * (github.com/qnguyenle075/hcmc-air-quality, data/processed/qd_1459_vn_aqi.md) — 'transcription'.
 */
export const VN_AQI_SOURCE = 'Decision 1459/QĐ-TCMT (2019), Hướng dẫn Bảng 2';
export const VN_AQI_EVIDENCE = 'transcription' as const;

/** Index breakpoints Iᵢ, shared by every parameter. */
export const AQI_I = [0, 50, 100, 150, 200, 300, 400, 500] as const;

/** Parameters of the breakpoint table; o3_1h and o3_8h are two columns of the same gas. */
export const AQI_PARAMETERS = ['o3_1h', 'o3_8h', 'co', 'so2', 'no2', 'pm10', 'pm25'] as const;
export type AqiParameter = (typeof AQI_PARAMETERS)[number];

/**
 * BPᵢ in µg/m³, row i matching AQI_I[i]; null where the decision gives none (O₃ 8 h above
 * I = 300: the decision says to use the 1-hour O₃ value there).
 */
export const AQI_BREAKPOINTS: Readonly<Record<AqiParameter, readonly (number | null)[]>> = {
  o3_1h: [0, 160, 200, 300, 400, 800, 1000, 1200],
  o3_8h: [0, 100, 120, 170, 210, 400, null, null],
  co: [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000],
  so2: [0, 125, 350, 550, 800, 1600, 2100, 2630],
  no2: [0, 100, 200, 700, 1200, 2350, 3100, 3850],
  pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  pm25: [0, 25, 50, 80, 150, 250, 350, 500],
};

export interface AqiCategory {
  /** Inclusive integer AQI range. */
  min: number;
  max: number;
  key: 'good' | 'moderate' | 'poor' | 'bad' | 'very_bad' | 'hazardous';
  vi: string;
  en: string;
  /** Colour name in the decision and its RGB. */
  colourVi: string;
  rgb: readonly [number, number, number];
  hex: string;
}

/**
 * Categories with the decision's colours (RGB as given) and Vietnamese names. Evidence
 * 'official-summary': the Centre for Environmental Monitoring's announcement of the decision
 * (cem.gov.vn, 13/11/2019) lists these ranges, names, colours and RGB codes, and that the index
 * needs at least one of PM10 and PM2.5.
 */
export const AQI_CATEGORIES_EVIDENCE = 'official-summary' as const;
export const AQI_CATEGORIES: readonly AqiCategory[] = [
  { min: 0, max: 50, key: 'good', vi: 'Tốt', en: 'Good', colourVi: 'Xanh', rgb: [0, 228, 0], hex: '#00e400' },
  { min: 51, max: 100, key: 'moderate', vi: 'Trung bình', en: 'Moderate', colourVi: 'Vàng', rgb: [255, 255, 0], hex: '#ffff00' },
  { min: 101, max: 150, key: 'poor', vi: 'Kém', en: 'Poor', colourVi: 'Da cam', rgb: [255, 126, 0], hex: '#ff7e00' },
  { min: 151, max: 200, key: 'bad', vi: 'Xấu', en: 'Bad', colourVi: 'Đỏ', rgb: [255, 0, 0], hex: '#ff0000' },
  { min: 201, max: 300, key: 'very_bad', vi: 'Rất xấu', en: 'Very bad', colourVi: 'Tím', rgb: [143, 63, 151], hex: '#8f3f97' },
  { min: 301, max: 500, key: 'hazardous', vi: 'Nguy hại', en: 'Hazardous', colourVi: 'Nâu', rgb: [126, 0, 35], hex: '#7e0023' },
];

/**
 * NowCast for PM10 and PM2.5 hourly indices: the last 12 hourly means c₁ (current hour) … c₁₂;
 * w* = c_min / c_max; w = w* when w* > 1/2, else 1/2; NowCast = Σ wⁱ⁻¹·cᵢ / Σ wⁱ⁻¹ (w > 1/2) or
 * Σ (1/2)ⁱ·cᵢ (w = 1/2), over the hours present. At least 2 of c₁, c₂, c₃ are required.
 */
export const NOWCAST = { hours: 12, wMin: 0.5, recentHours: 3, recentRequired: 2 } as const;
