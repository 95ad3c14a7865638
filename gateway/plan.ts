import {
  MAX_QUANTITY,
  MetronetError,
  READ_FC,
  counterModulus,
  pointWidth,
  registerCount,
  type ModbusTable,
  type Profile,
  type ProfilePoint,
} from '../core/index.js';

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

/** How a device's ring of event records is read (docs/gateway.md, "Records"); planned once at start. */
export interface RecordPlan {
  table: 'holding' | 'input';
  fc: 3 | 4;
  /** The one request that reads the latest sequence number (and the head slot) together. */
  header: { start: number; length: number; latestAt: number; latestType: 'uint16' | 'uint32'; headAt: number | undefined };
  /** Wire address of ring slot 0. */
  start: number;
  slots: number;
  /** Registers per record. */
  size: number;
  /** The sequence counter wraps at this: 2^16 or 2^32. */
  modulus: number;
  /** Records one request carries at most. */
  perRead: number;
}

/** A read of `count` records stored in consecutive slots from `slot`. */
export interface RecordRead {
  start: number;
  length: number;
  slot: number;
  count: number;
}

/**
 * The records plan of a profile with a `records` block: wire addresses (addressBase applied),
 * the header request, and how many whole records fit in one request (125 registers, or the
 * device's lower maxRegisters; one record per request for a device that refuses block reads).
 */
export function planRecords(profile: Profile, opts: PlanOptions = {}): RecordPlan | undefined {
  const r = profile.records;
  if (!r) return undefined;
  const base = profile.modbus?.addressBase ?? 0;
  const table = r.table ?? 'holding';
  const latest = r.latest.address - base;
  const latestEnd = latest + registerCount(r.latest.type);
  const head = r.head ? r.head.address - base : undefined;
  const from = head === undefined ? latest : Math.min(latest, head);
  const to = head === undefined ? latestEnd : Math.max(latestEnd, head + 1);
  const maxRegisters = Math.min(MAX_READ_REGISTERS, Math.max(1, opts.maxRegisters ?? MAX_READ_REGISTERS));
  const onePerPoint = opts.onePerPoint ?? profile.modbus?.onePerPoint ?? false;
  if (r.size > maxRegisters) {
    throw new MetronetError('E_CONFIG_INVALID', `profile ${profile.id}: a record of ${r.size} registers does not fit in ${maxRegisters} registers per request`);
  }
  return {
    table,
    fc: READ_FC[table] as 3 | 4,
    header: { start: from, length: to - from, latestAt: latest - from, latestType: r.latest.type, headAt: head === undefined ? undefined : head - from },
    start: r.start - base,
    slots: r.slots,
    size: r.size,
    modulus: counterModulus(r.latest.type),
    perRead: onePerPoint ? 1 : Math.floor(maxRegisters / r.size),
  };
}

/**
 * The requests that read `count` records (count ≤ slots) held in consecutive ring slots from
 * `slot`: one run of slots, or two when the run passes the last slot and continues at slot 0;
 * each run split into requests of at most perRead records.
 *
 * Worked example, 50 slots of 12 registers from address 1000, perRead 10: 7 records from slot
 * 47 are slots 47–49 (request 1564, 36 registers) and slots 0–3 (request 1000, 48 registers).
 * 25 records from slot 0 are slots 0–9, 10–19, 20–24: three requests of 120, 120 and 60 registers.
 */
export function recordReads(plan: RecordPlan, slot: number, count: number): RecordRead[] {
  const reads: RecordRead[] = [];
  let s = ((slot % plan.slots) + plan.slots) % plan.slots;
  let left = Math.min(count, plan.slots);
  while (left > 0) {
    const n = Math.min(left, plan.slots - s, plan.perRead);
    reads.push({ start: plan.start + s * plan.size, length: n * plan.size, slot: s, count: n });
    left -= n;
    s = (s + n) % plan.slots;
  }
  return reads;
}

/** The records plan as the start-up log shows it. */
export function describeRecordPlan(plan: RecordPlan) {
  return {
    table: plan.table,
    fc: plan.fc,
    header: { start: plan.header.start, length: plan.header.length },
    ring: { start: plan.start, slots: plan.slots, size: plan.size },
    recordsPerRequest: plan.perRead,
    counterWrapsAt: plan.modulus,
  };
}
