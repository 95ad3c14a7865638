/**
 * Units carried on the wire, as UCUM-style case-sensitive codes. `1` is the UCUM unit for
 * dimensionless values (states, counts, flags). Adding a unit here is the whole change.
 */
export const UNITS = {
  kg: 'mass',
  g: 'mass',
  mg: 'mass',
  t: 'mass',
  L: 'volume',
  mL: 'volume',
  m3: 'volume',
  'L/min': 'flow',
  'L/h': 'flow',
  'm3/h': 'flow',
  Cel: 'temperature',
  K: 'temperature',
  '%': 'ratio',
  '1': 'dimensionless',
  ppm: 'fraction',
  ppb: 'fraction',
  hPa: 'pressure',
  kPa: 'pressure',
  Pa: 'pressure',
  bar: 'pressure',
  'ug/m3': 'concentration',
  'mg/m3': 'concentration',
  'mg/Nm3': 'concentration',
  'mg/L': 'concentration',
  pH: 'acidity',
  NTU: 'turbidity',
  'uS/cm': 'conductivity',
  'm/s': 'speed',
  deg: 'angle',
  'W/m2': 'irradiance',
  mm: 'length',
  m: 'length',
  VND: 'currency',
  'VND/L': 'unit-price',
  'VND/kg': 'unit-price',
} as const;

export type Unit = keyof typeof UNITS;

export function isUnit(code: unknown): code is Unit {
  return typeof code === 'string' && Object.hasOwn(UNITS, code);
}

/**
 * The dimension of each unit code (issue 15: a standard must measure the channel's quantity).
 * Two units measure the same quantity when their dimensions are equal: a 20 L test measure
 * (volume) cannot check a scale (mass); `%` and `ppm` are both fractions; `mg/m3` and `mg/L` are
 * both mass concentrations, while `ppm` (an amount fraction) is not one (converting between them
 * needs the molar mass and the reference conditions, so a check names a standard in the channel's
 * kind of unit). Every unit of UNITS has exactly one entry here.
 */
export const UNIT_DIMENSIONS: Record<Unit, string> = {
  kg: 'mass',
  g: 'mass',
  mg: 'mass',
  t: 'mass',
  L: 'volume',
  mL: 'volume',
  m3: 'volume',
  'L/min': 'volume-flow',
  'L/h': 'volume-flow',
  'm3/h': 'volume-flow',
  Cel: 'temperature',
  K: 'temperature',
  '%': 'fraction',
  '1': 'dimensionless',
  ppm: 'fraction',
  ppb: 'fraction',
  hPa: 'pressure',
  kPa: 'pressure',
  Pa: 'pressure',
  bar: 'pressure',
  'ug/m3': 'mass-concentration',
  'mg/m3': 'mass-concentration',
  'mg/Nm3': 'mass-concentration',
  'mg/L': 'mass-concentration',
  pH: 'acidity',
  NTU: 'turbidity',
  'uS/cm': 'conductivity',
  'm/s': 'speed',
  deg: 'angle',
  'W/m2': 'irradiance',
  mm: 'length',
  m: 'length',
  VND: 'currency',
  'VND/L': 'unit-price',
  'VND/kg': 'unit-price',
};

/** The dimension of a unit code, or null for a code not in the unit table. */
export function dimensionOf(unit: string): string | null {
  return isUnit(unit) ? UNIT_DIMENSIONS[unit] : null;
}
