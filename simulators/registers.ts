import { encode, fromEngineering, pointWidth, type ModbusTable, type NumericType, type Profile, type ProfilePoint, type WordOrder } from '../core/index.js';

export type Table = ModbusTable;

/**
 * Registers past the highest defined one that still read as 0. Real devices differ: some answer
 * any address, most answer exception 2 (ILLEGAL DATA ADDRESS) past the end of their map. A small
 * margin lets a client over-read a little, as gateways that coalesce requests sometimes do.
 */
export const MAP_MARGIN = 16;

/** One point placed on the wire: where its registers are and how a value becomes them. */
export interface MappedPoint {
  point: ProfilePoint;
  table: Table;
  /** Wire (0-based PDU) address of the first register. */
  address: number;
  count: number;
  /** Registers for an engineering value: raw = (value − offset) / scale, then encoded. */
  toRegisters(value: number): number[];
  /** Registers for a raw register value (status codes are forced raw, without scale). */
  rawToRegisters(raw: number): number[];
}

export interface RegisterMap {
  points: MappedPoint[];
  byName: Map<string, MappedPoint>;
  /** Per table, one past the last wire address that answers; absent when the table has no point. */
  end: Partial<Record<Table, number>>;
}

/**
 * Places every point of a profile on the wire. A profile with addressBase 1 numbers registers
 * from 1 as its manual does, while the Modbus PDU counts from 0 (Modbus Application Protocol
 * V1.1b3 §4.4): register 40001 / address 1 in the manual is wire address 0.
 */
export function mapRegisters(profile: Profile): RegisterMap {
  const base = profile.modbus?.addressBase ?? 0;
  const defaultOrder = profile.modbus?.wordOrder ?? 'ABCD';
  const points = profile.points.map((point): MappedPoint => {
    const order: WordOrder = point.wordOrder ?? defaultOrder;
    const scale = point.scale ?? 1;
    const offset = point.offset ?? 0;
    const rawToRegisters = (raw: number) => encodePoint(point, Number.isFinite(raw) ? raw : 0, order);
    return {
      point,
      table: point.table ?? 'holding',
      address: (point.address ?? 0) - base,
      count: pointWidth(point),
      toRegisters: (value) => rawToRegisters(fromEngineering(value, scale, offset)),
      rawToRegisters,
    };
  });
  const end: Partial<Record<Table, number>> = {};
  for (const p of points) end[p.table] = Math.max(end[p.table] ?? 0, p.address + p.count + MAP_MARGIN);
  return { points, byName: new Map(points.map((p) => [p.point.name, p])), end };
}

/** Registers (or 0/1 bits) holding a raw value, by point type. A bit point yields its register
 * with only its bit set; readRegisters ORs bit points that share a register. */
function encodePoint(point: ProfilePoint, raw: number, order: WordOrder): number[] {
  switch (point.type) {
    case 'bool':
      return [raw ? 1 : 0];
    case 'bit':
      return [raw ? 1 << (point.bit ?? 0) : 0];
    case 'string': {
      const text = String(point.sim?.text ?? '').padEnd(2 * (point.length ?? 1), '\0');
      return Array.from({ length: point.length ?? 1 }, (_, i) => (text.charCodeAt(2 * i) << 8) | text.charCodeAt(2 * i + 1));
    }
    default:
      return encode(raw, (point.type ?? 'uint16') as NumericType, order);
  }
}

/** Is every register of [start, start + length) inside the table's answering range? */
export function inRange(map: RegisterMap, table: Table, start: number, length: number): boolean {
  const end = map.end[table];
  return end !== undefined && start >= 0 && length >= 1 && start + length <= end;
}

/**
 * Fills the registers [start, start + length) of a table. Only points overlapping the range are
 * evaluated, so a request costs (and draws noise for) what it reads; uncovered registers are 0.
 */
export function readRegisters(map: RegisterMap, table: Table, start: number, length: number, registersOf: (p: MappedPoint) => number[]): number[] {
  const out = new Array<number>(length).fill(0);
  for (const p of map.points) {
    if (p.table !== table || p.address + p.count <= start || p.address >= start + length) continue;
    const regs = registersOf(p);
    for (let i = 0; i < p.count; i++) {
      const at = p.address + i - start;
      if (at >= 0 && at < length) out[at] = p.point.type === 'bit' ? out[at]! | regs[i]! : regs[i]!;
    }
  }
  return out;
}
