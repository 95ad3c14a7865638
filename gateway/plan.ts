import { MAX_QUANTITY, MetronetError, READ_FC, pointWidth, type ModbusTable, type Profile, type ProfilePoint } from '../core/index.js';

export type Table = ModbusTable;

/** Read Holding Registers (FC3) and Read Input Registers (FC4) both carry at most 125 registers
 * per request (Modbus Application Protocol V1.1b3 §6.3 and §6.4: quantity 1 to 125, 0x7D). */
export const MAX_READ_REGISTERS = 125;

/** Unused registers a request may read to save a round trip; Telegraf's Modbus plugin uses similar gap filling. */
export const DEFAULT_MAX_HOLE = 8;

export interface PlannedPoint {
  point: ProfilePoint;
  /** Wire (0-based PDU) address of the point's first register. */
  address: number;
  count: number;
}

export interface ReadRequest {
  table: Table;
  fc: 1 | 2 | 3 | 4;
  /** Wire address of the first register read. */
  start: number;
  length: number;
  points: PlannedPoint[];
}

export interface PlanOptions {
  /** Largest run of unused registers read to join two points in one request (default 8). */
  maxHole?: number;
  /** Registers per request, at most 125 (default 125); bits per request stay within 2000. */
  maxRegisters?: number;
  /** One request per point, for devices that refuse block reads. */
  onePerPoint?: boolean;
}

/**
 * Groups a profile's points into as few read requests as the rules allow. Per table, points are
 * sorted by address and a request grows while the next point starts at most `maxHole` unused
 * registers after the request's end and the request stays within `maxRegisters`.
 *
 * Worked example, maxHole 8: holding points at 0 (float32, 2 regs), 2 (uint16), 10 (uint32) and
 * 40 (uint16), input point at 0 (float32):
 *   holding 0–1, 2       contiguous          → one request so far, end 3
 *   holding 10–11        hole 3..9 = 7 ≤ 8   → joined: start 0, length 12
 *   holding 40           hole 12..39 = 28    → new request: start 40, length 1
 *   input 0–1            other table (FC4)   → its own request
 * Three requests instead of five.
 */
export function planRequests(profile: Profile, opts: PlanOptions = {}): ReadRequest[] {
  const onePerPoint = opts.onePerPoint ?? profile.modbus?.onePerPoint ?? false;
  const maxHole = onePerPoint ? -1 : Math.max(0, opts.maxHole ?? DEFAULT_MAX_HOLE);
  const base = profile.modbus?.addressBase ?? 0;
  const requests: ReadRequest[] = [];
  for (const table of ['holding', 'input', 'coil', 'discrete'] as const) {
    // Bit tables count bits, not registers: the same lowerable limit applies, scaled to 2000 bits.
    const limit = MAX_QUANTITY[table];
    const maxQuantity = Math.min(limit, Math.max(1, table === 'holding' || table === 'input' ? (opts.maxRegisters ?? limit) : limit));
    const points = profile.points
      .filter((p) => (p.table ?? 'holding') === table)
      .map((p): PlannedPoint => ({ point: p, address: wireAddress(profile, p, base), count: pointWidth(p) }))
      .sort((a, b) => a.address - b.address);
    let current: ReadRequest | undefined;
    for (const p of points) {
      const end = current ? current.start + current.length : 0;
      // Bit points of one register share it: a hole of −1 (overlap) still joins them.
      const sameRegister = current !== undefined && p.address < end;
      const fits = current && (sameRegister || p.address - end <= maxHole) && p.address + p.count - current.start <= maxQuantity;
      if (current && fits) {
        current.length = Math.max(current.length, p.address + p.count - current.start);
        current.points.push(p);
      } else {
        current = { table, fc: READ_FC[table], start: p.address, length: p.count, points: [p] };
        requests.push(current);
      }
    }
  }
  return requests;
}

function wireAddress(profile: Profile, p: ProfilePoint, base: number): number {
  const address = (p.address ?? 0) - base;
  if (address < 0) {
    throw new MetronetError('E_PROFILE_INVALID', `profile ${profile.id}: point "${p.name}" has address ${p.address}, below the profile's addressBase ${base}`);
  }
  return address;
}

/** The plan as the start-up log shows it: one line of facts per request. */
export function describePlan(requests: ReadRequest[]): Array<{ table: Table; fc: number; start: number; length: number; points: string[] }> {
  return requests.map((r) => ({ table: r.table, fc: r.fc, start: r.start, length: r.length, points: r.points.map((p) => p.point.name) }));
}
