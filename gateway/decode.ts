import {
  channelOf,
  decode,
  type NumericType,
  type Profile,
  type ProfilePoint,
  type Reading,
  type ReadingStatus,
  type RecordField,
  type StatusRule,
  type WordOrder,
} from '../core/index.js';
import type { ReadRequest, RecordPlan } from './plan.js';

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
export function decoderFor(
  profile: Profile,
  point: Pick<ProfilePoint, 'type' | 'bit' | 'wordOrder' | 'scale' | 'offset'>,
  defaultOrder?: WordOrder,
): RegisterDecoder {
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

/** One record as the device stored it, decoded. */
export interface DecodedRecord {
  /** Every register of the record is 0: a slot the device has not written yet. */
  empty: boolean;
  sequence: number;
  /** The record's own time, epoch ms (NaN when its time fields hold no number). */
  ts: number;
  /** One reading per value field, all with the record's time and status. */
  readings: Reading[];
}

export interface RecordDecoder {
  /** The latest sequence number and head slot from the header response. */
  header(registers: ArrayLike<number>): { latest: number; head: number | undefined };
  /** The record whose first register is at `at` of a response. */
  record(registers: ArrayLike<number>, at: number): DecodedRecord;
}

/**
 * Builds the decoder of a profile's records block, each field's decoder chosen once (as for
 * points). A record's time is the sum of its time fields in milliseconds (seconds × 1000 plus
 * milliseconds, say); its status is the first status field whose raw value is mapped, else ok.
 */
export function createRecordDecoder(profile: Profile, instrument: string, plan: RecordPlan, defaultOrder?: WordOrder): RecordDecoder {
  const spec = profile.records!;
  const slot = (f: RecordField) => ({ field: f, decode: decoderFor(profile, f, defaultOrder) });
  const raw = (f: RecordField) => ({
    field: f,
    decode: decoderFor(profile, { type: f.type, ...(f.wordOrder ? { wordOrder: f.wordOrder } : {}) }, defaultOrder),
  });
  const sequence = raw(spec.fields.find((f) => f.role === 'sequence')!);
  const times = spec.fields.filter((f) => f.role === 'time').map((f) => ({ ...slot(f), ms: f.unit === 's' ? 1000 : 1 }));
  const statuses = spec.fields.filter((f) => f.role === 'status').map(raw);
  const values = spec.fields.filter((f) => (f.role ?? 'value') === 'value').map((f) => ({ ...slot(f), channel: f.channel ?? f.name }));
  const latest = numeric(plan.header.latestType, profile.modbus?.wordOrder ?? defaultOrder ?? 'ABCD');
  return {
    header(registers) {
      const head = plan.header.headAt === undefined ? undefined : (registers[plan.header.headAt] ?? 0);
      return { latest: latest(registers, plan.header.latestAt), head };
    },
    record(registers, at) {
      let empty = true;
      for (let i = 0; i < plan.size && empty; i++) if (registers[at + i]) empty = false;
      let ts = 0;
      for (const t of times) ts += t.decode(registers, at + t.field.at) * t.ms;
      let status: ReadingStatus = 'ok';
      for (const s of statuses) {
        const mapped = s.field.statuses?.[String(s.decode(registers, at + s.field.at))];
        if (mapped) {
          status = mapped;
          break;
        }
      }
      const time = Number.isFinite(ts) ? Math.round(ts) : Number.NaN;
      const readings: Reading[] = [];
      for (const v of values) {
        const value = v.decode(registers, at + v.field.at);
        if (Number.isFinite(value)) readings.push({ instrument, channel: v.channel, ts: time, value, unit: v.field.unit, status });
      }
      return { empty, sequence: sequence.decode(registers, at + sequence.field.at), ts: time, readings };
    },
  };
}
