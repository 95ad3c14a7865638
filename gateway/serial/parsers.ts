import type { SerialParserName, SerialSpec } from '../../core/index.js';

/** What a scale said in one frame. */
export interface ScaleFrame {
  weight?: number;
  tare?: number;
  /** Unit as the scale printed it; absent when the format carries none. */
  unit?: string;
  stable: boolean;
  overload: boolean;
  /** A device error (e.g. MT-SICS ES/ET/EL, busy); no weight. */
  error?: string;
}

/** Parses one frame; undefined when it is not a valid frame of the format (counted as garbage). */
export type FrameParser = (frame: Buffer) => ScaleFrame | undefined;

const num = (s: string) => {
  const v = Number(s.replace(/\s+/g, ''));
  return Number.isFinite(v) ? v : undefined;
};

/**
 * A&D indicators (e.g. AD-4329, FG/FX series "standard format"): `ST,GS,+00123.0kg` or
 * `ST,+00123.0  g`. Header ST stable, US unstable, OL overload; GS gross, NT net (TR/TG tare).
 */
export const ad: FrameParser = (frame) => {
  const m = /^(ST|US|OL|QT),(?:(GS|NT|TR|TG|G|N),)?([+-][\d. ]+|[+-]?9+\.?9*E?\d*)\s*([A-Za-z%]*)\s*$/.exec(frame.toString('latin1').trim());
  if (!m) return undefined;
  const weight = num(m[3]!);
  if (m[1] === 'OL') return { ...(weight !== undefined ? { weight } : {}), ...(m[4] ? { unit: m[4] } : {}), stable: false, overload: true };
  if (weight === undefined) return undefined;
  return { weight, ...(m[4] ? { unit: m[4] } : {}), stable: m[1] === 'ST', overload: false };
};

/**
 * METTLER TOLEDO Standard Interface Command Set (MT-SICS Reference Manual, commands S/SI/SIR):
 * `S S     20.004 kg` stable, `S D …` dynamic, `S +` overload, `S -` underload, `S I` busy;
 * `ES` syntax error, `ET` transmission error, `EL` logical error.
 */
export const mtSics: FrameParser = (frame) => {
  const line = frame.toString('latin1').trim();
  if (line === 'ES' || line === 'ET' || line === 'EL') return { stable: false, overload: false, error: line };
  const m = /^S\s+([SD+\-I])(?:\s+([-+]?\s*\d+(?:\.\d+)?)\s+(\S+))?$/.exec(line);
  if (!m) return undefined;
  if (m[1] === '+' || m[1] === '-') return { stable: false, overload: true };
  if (m[1] === 'I') return { stable: false, overload: false, error: 'busy (S I)' };
  const weight = m[2] === undefined ? undefined : num(m[2]);
  if (weight === undefined) return undefined;
  return { weight, unit: m[3]!, stable: m[1] === 'S', overload: false };
};

/** Toledo SWA bits 0–2: weight multiplier (Mettler Toledo "Continuous Output", status word A). */
const TOLEDO_FACTOR = [100, 10, 1, 0.1, 0.01, 0.001, 0.0001, 0.00001];

/**
 * Mettler Toledo continuous output: STX, SWA, SWB, SWC, 6 weight digits, 6 tare digits, CR and,
 * when enabled, a checksum byte: the two's complement of the 7-bit sum of STX…CR, so that all
 * bytes add to 0 modulo 128. SWA bits 0–2 decimal position; SWB bit 0 net, 1 negative, 2 out of
 * range, 3 motion, 4 kg (else lb).
 */
export const toledo =
  (checksum: boolean): FrameParser =>
  (frame) => {
    if (frame.length !== (checksum ? 18 : 17) || frame[0] !== 2 || frame[16] !== 13) return undefined;
    if (checksum) {
      let sum = 0;
      for (const b of frame) sum += b;
      if ((sum & 0x7f) !== 0) return undefined;
    }
    const [swa, swb] = [frame[1]!, frame[2]!];
    const digits = frame.subarray(4, 10).toString('latin1');
    const tareDigits = frame.subarray(10, 16).toString('latin1');
    if (!/^[\d ]{6}$/.test(digits) || !/^[\d ]{6}$/.test(tareDigits)) return undefined;
    const factor = TOLEDO_FACTOR[swa & 7]!;
    const round = (v: number) => Number(v.toFixed(5));
    const weight = round(Number(digits.replace(/ /g, '0')) * factor * (swb & 2 ? -1 : 1));
    const tare = round(Number(tareDigits.replace(/ /g, '0')) * factor);
    return { weight, tare, unit: swb & 0x10 ? 'kg' : 'lb', stable: (swb & 8) === 0, overload: (swb & 4) !== 0 };
  };

/**
 * Yaohua XK3190-A12 continuous frame (12 bytes): STX, sign, 6 weight digits, decimal count,
 * XOR check as two hex-like characters (high, low nibble: 0–9 → '0'–'9', 10–15 → ':'…'?' in the
 * A12 manual's encoding 0x30 + n), ETX. The XOR covers sign … decimal count.
 */
export const yaohuaA12: FrameParser = (frame) => {
  if (frame.length !== 12 || frame[0] !== 2 || frame[11] !== 3) return undefined;
  let x = 0;
  for (let i = 1; i <= 8; i++) x ^= frame[i]!;
  if (frame[9] !== 0x30 + (x >> 4) || frame[10] !== 0x30 + (x & 15)) return undefined;
  const body = frame.subarray(1, 9).toString('latin1');
  const m = /^([+-])(\d{6})([0-4])$/.exec(body);
  if (!m) return undefined;
  const weight = Number((((m[1] === '-' ? -1 : 1) * Number(m[2])) / 10 ** Number(m[3])).toFixed(Number(m[3])));
  return { weight, stable: true, overload: false };
};

/**
 * Yaohua XK3190 continuous "mode 2": `=` then the displayed digits in reverse order, e.g.
 * `=000.3000` is 0003.000 = 3.000 kg, and `=5.21000-` is −0012.5. Framed by `=` as terminator.
 */
export const yaohuaReversed: FrameParser = (frame) => {
  const text = frame.toString('latin1').replace(/^=/, '');
  if (!/^[\d.-]{7,9}$/.test(text)) return undefined;
  const v = Number([...text].reverse().join(''));
  return Number.isFinite(v) ? { weight: v, stable: true, overload: false } : undefined;
};

/** A regular expression from the profile with named groups value, unit, sign, state. */
export const pattern = (spec: SerialSpec): FrameParser => {
  const re = new RegExp(spec.pattern!);
  const stable = new Set(spec.stableStates ?? []);
  const overload = new Set(spec.overloadStates ?? []);
  return (frame) => {
    const g = re.exec(frame.toString('latin1'))?.groups;
    const value = g?.value === undefined ? undefined : num(g.value);
    if (!g || value === undefined) return undefined;
    const state = g.state;
    return {
      weight: g.sign === '-' ? -value : value,
      ...(g.unit ? { unit: g.unit.trim() } : {}),
      stable: state === undefined || stable.size === 0 ? true : stable.has(state),
      overload: state !== undefined && overload.has(state),
    };
  };
};

export function parserFor(spec: SerialSpec): FrameParser {
  const byName: Record<SerialParserName, () => FrameParser> = {
    ad: () => ad,
    'mt-sics': () => mtSics,
    toledo: () => toledo(spec.checksum ?? false),
    'yaohua-a12': () => yaohuaA12,
    'yaohua-reversed': () => yaohuaReversed,
    pattern: () => pattern(spec),
  };
  return byName[spec.parser]();
}

/** Mass units a scale may print, in kilograms (SI Brochure; 1 lb = 0.453 592 37 kg exactly). */
const MASS_IN_KG: Record<string, number> = { kg: 1, g: 0.001, mg: 1e-6, t: 1000, lb: 0.45359237, oz: 0.028349523125 };

/** Converts a weight from the unit the scale printed to the channel's unit; undefined if impossible. */
export function convertMass(value: number, from: string | undefined, to: string): number | undefined {
  if (from === undefined || from === to) return value;
  const a = MASS_IN_KG[from.toLowerCase()];
  const b = MASS_IN_KG[to];
  if (a === undefined || b === undefined) return undefined;
  return Number(((value * a) / b).toPrecision(12));
}
