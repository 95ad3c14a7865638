import {
  channelOf,
  decode,
  type NumericType,
  type Profile,
  type ProfilePoint,
  type Reading,
  type ReadingStatus,
  type StatusRule,
  type WordOrder,
} from '../core/index.js';
import type { ReadRequest } from './plan.js';

/** Turns the registers of one response, from position `at`, into a number. */
export type RegisterDecoder = (registers: ArrayLike<number>, at: number) => number;

/** The raw number as the device encodes it. */
export const numeric =
  (type: NumericType, order: WordOrder): RegisterDecoder =>
  (regs, at) =>
    decode(regs, type, order, at);

/**
 * A float32 widened to a double shows digits the device never meant: 20.004f reads back as
 * 20.003999710083008. This gives the shortest decimal that is the same float32, 20.004, as
 * printf's %g with enough digits would (at most 9 significant digits round-trip a float32, IEEE 754 §5.12.2).
 */
export const float32 = (order: WordOrder): RegisterDecoder => {
  const raw = numeric('float32', order);
  return (regs, at) => shortestFloat32(raw(regs, at));
};

export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return Number(v.toPrecision(9));
}

/**
 * Engineering value = raw × scale + offset, without the binary noise the multiplication adds:
 * an integer register 1234567 with scale 0.01 is 12345.67 (rounded to the decimals of scale and
 * offset), not 12345.670000000002; a float32 keeps 9 significant digits, which hold all of its
 * about 7 (20.004 × 0.001 = 0.020004, not 0.020004000000000002); a float64 is left as computed.
 */
export const scaled = (inner: RegisterDecoder, scale: number, offset: number, raw: 'integer' | 'float32' | 'float64'): RegisterDecoder => {
  if (scale === 1 && offset === 0) return inner;
  if (raw === 'float64') return (regs, at) => inner(regs, at) * scale + offset;
  if (raw === 'float32') return (regs, at) => Number((inner(regs, at) * scale + offset).toPrecision(9));
  const digits = Math.min(15, Math.max(decimals(scale), decimals(offset)));
  return (regs, at) => Number((inner(regs, at) * scale + offset).toFixed(digits));
};

function decimals(x: number): number {
  const [mantissa = '', exponent] = Math.abs(x).toExponential().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** One bit of a register, 0 = least significant (bit-in-register status words). */
export const bit =
  (n: number): RegisterDecoder =>
  (regs, at) =>
    ((regs[at] ?? 0) >> n) & 1;

/** Coils and discrete inputs arrive as 0/1 already. */
export const bool: RegisterDecoder = (regs, at) => (regs[at] ? 1 : 0);

/** ASCII text, two characters per register, high byte first; trailing NULs and spaces dropped. */
export function text(regs: ArrayLike<number>, at: number, length: number): string {
  const bytes: number[] = [];
  for (let i = 0; i < length; i++) bytes.push(((regs[at + i] ?? 0) >> 8) & 0xff, (regs[at + i] ?? 0) & 0xff);
  return Buffer.from(bytes)
    .toString('latin1')
    .replace(/[\0\s]+$/, '');
}

/**
 * The decoder of one point, chosen once at start from its type, word order, scale and offset.
 * Word order: the point's own, else the device's (gateway config), else the profile's, else ABCD.
 */
export function decoderFor(profile: Profile, point: ProfilePoint, defaultOrder?: WordOrder): RegisterDecoder {
  const order = point.wordOrder ?? defaultOrder ?? profile.modbus?.wordOrder ?? 'ABCD';
  const type = point.type ?? 'uint16';
  if (type === 'bool') return bool;
  if (type === 'bit') return bit(point.bit ?? 0);
  if (type === 'string') return () => Number.NaN; // strings are read as text, never as a number
  const base = type === 'float32' ? float32(order) : numeric(type, order);
  const raw = type === 'float32' || type === 'float64' ? type : 'integer';
  return scaled(base, point.scale ?? 1, point.offset ?? 0, raw);
}

interface PointSlot {
  name: string;
  channel: string;
  unit: string;
  role: 'value' | 'parameter' | 'status' | 'info';
  /** Registers of a string point. */
  length: number;
  /** Offset of the point's first register in its request's response. */
  at: number;
  decode: RegisterDecoder;
  /** Status rules that may set this channel's status, in profile order. */
  rules: StatusRule[];
}

/** One successful response of a poll cycle. */
export interface ReadResult {
  request: ReadRequest;
  registers: ArrayLike<number>;
  /** When the response arrived, epoch ms. */
  ts: number;
}

export interface DecodeOutcome {
  readings: Reading[];
  /** Points whose registers held no finite number (e.g. a float32 NaN a sensor reports on fault). */
  invalid: string[];
  /** Text of info points (firmware, serial number), every cycle they were read. */
  info: Record<string, string>;
  /** Every decoded point by name, for --dry-run. */
  values: Record<string, number | string>;
}

export interface DeviceDecoder {
  /** Decodes one poll cycle; the responses of failed requests are simply absent. */
  decode(results: ReadResult[]): DecodeOutcome;
}

/**
 * Builds a device's decoder: a slot per planned point with its decoder and applicable status
 * rules. A rule applies to the channels it lists, or by default to every value-role point.
 * Per cycle: decode every point, then give each published channel the status of its first rule
 * whose status point was read and maps the read value; otherwise 'ok'. Value points are published
 * every cycle, parameter points at the first cycle and when they change, status points never.
 */
export function createDeviceDecoder(profile: Profile, instrument: string, requests: ReadRequest[], defaultOrder?: WordOrder): DeviceDecoder {
  const rules = profile.statusRules ?? [];
  const slotsByRequest = new Map<ReadRequest, PointSlot[]>(
    requests.map((r) => [
      r,
      r.points.map(({ point, address }): PointSlot => {
        const role = point.role ?? 'value';
        const channel = channelOf(point);
        const applicable = role === 'status' ? [] : rules.filter((rule) => (rule.channels ? rule.channels.includes(channel) : role === 'value'));
        return {
          name: point.name,
          channel,
          unit: point.unit,
          role,
          length: point.length ?? 1,
          at: address - r.start,
          decode: decoderFor(profile, point, defaultOrder),
          rules: applicable,
        };
      }),
    ]),
  );
  const lastParameter = new Map<string, number>();

  const statusOf = (slot: PointSlot, values: Map<string, number>): ReadingStatus => {
    for (const rule of slot.rules) {
      const v = values.get(rule.point);
      const status = v === undefined ? undefined : rule.values[String(Math.round(v))];
      if (status) return status;
    }
    return 'ok';
  };

  return {
    decode(results) {
      const values = new Map<string, number>();
      const decoded: Array<{ slot: PointSlot; value: number; ts: number }> = [];
      const invalid: string[] = [];
      const info: Record<string, string> = {};
      const all: Record<string, number | string> = {};
      for (const { request, registers, ts } of results) {
        for (const slot of slotsByRequest.get(request) ?? []) {
          if (slot.role === 'info') {
            all[slot.name] = info[slot.name] = text(registers, slot.at, slot.length);
            continue;
          }
          const value = slot.decode(registers, slot.at);
          all[slot.name] = value;
          if (!Number.isFinite(value)) {
            invalid.push(slot.name);
            continue;
          }
          values.set(slot.name, value);
          decoded.push({ slot, value, ts });
        }
      }
      const readings: Reading[] = [];
      for (const { slot, value, ts } of decoded) {
        if (slot.role === 'status') continue;
        if (slot.role === 'parameter') {
          if (lastParameter.get(slot.name) === value) continue;
          lastParameter.set(slot.name, value);
        }
        readings.push({ instrument, channel: slot.channel, ts, value, unit: slot.unit, status: statusOf(slot, values) });
      }
      return { readings, invalid, info, values: all };
    },
  };
}
