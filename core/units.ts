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
