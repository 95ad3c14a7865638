import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { MetronetError, type Logger, type ModbusTable, type Reading } from '../core/index.js';
import type { RecordDecoder } from './decode.js';
import { recordReads, type RecordPlan } from './plan.js';

/**
 * Where a device's record cursor (the sequence number of the last record handed to the spool)
 * survives restarts: `{stateDir}/{gateway}.{device}.records`, written as the batch counter is
 * (write, fsync, rename), synchronously so that a save made while the gateway closes is done
 * when close() returns.
 */
export interface CursorStore {
  /** The saved sequence number; undefined before the first record, or when the file is unreadable. */
  readonly saved: number | undefined;
  save(sequence: number): void;
}

export function openCursor(file: string, logger: Logger): CursorStore {
  let saved: number | undefined;
  try {
    const value = (JSON.parse(readFileSync(file, 'utf8')) as { sequence?: unknown }).sequence;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) saved = value;
    else logger.warn({ file }, 'record cursor file is unreadable; reading the records the device still holds');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn({ file, err: (err as Error).message }, 'record cursor file is unreadable; reading the records the device still holds');
  }
  const tmp = `${file}.tmp`;
  return {
    get saved() {
      return saved;
    },
    save(sequence) {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, `${JSON.stringify({ sequence })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      saved = sequence;
    },
  };
}

export interface RecordStats {
  /** Records read and handed to the spool since start. */
  records: number;
  /** Records the gateway could not publish (overwritten before it read them, or without a valid time), since start; each logged with its reason. */
  recordGaps: number;
  /** Times the device's counter went back (a reset or a replaced device), since start. */
  recordCounterResets: number;
  /** Sequence number of the last record handed to the spool. */
  lastRecord?: number;
}

export interface RecordReaderOptions {
  plan: RecordPlan;
  decoder: RecordDecoder;
  cursor: CursorStore;
  /** Reads registers from the device (with the poller's busy retries). */
  read(table: ModbusTable, start: number, length: number): Promise<number[]>;
  logger: Logger;
}

/** Forward distance from b to a on a counter that wraps at m: (a − b) mod m. */
export const seqDistance = (a: number, b: number, m: number): number => (((a - b) % m) + m) % m;

/**
 * Reads a device's event records: each poll reads the header (latest sequence L, head slot H),
 * then only the records after the cursor C, in as few requests as the ring layout allows.
 *
 * With N slots and a counter wrapping at M, d = (L − C) mod M records are new:
 *   d = 0        nothing to read;
 *   1 ≤ d ≤ N    read C+1 … L;
 *   N < d < M/2  the device overwrote d − N of them before they were read: a gap, counted and
 *                logged with its reason, then the N it still holds are read;
 *   d ≥ M/2      the counter went back (device reset or replaced): logged, and the records the
 *                ring still holds up to L are read, as at a first start.
 * Record s is in slot (H − (L − s)) mod N, or s mod N without a head register. Worked example,
 * M = 2^32, N = 50, C = 4294967293, L = 2, H = 7: d = 5, records 4294967294, 4294967295, 0, 1, 2
 * in slots 3 … 7, one request.
 *
 * Each record carries its own sequence number, which is checked: a newer one means the slot was
 * overwritten while being read (a gap); an older one, or an empty slot, means the device moved
 * L before writing the record — reading stops there and resumes at the next poll.
 *
 * The cursor is saved only once the spool has committed the readings (committed()), so a restart
 * resumes after the last record on disk: nothing skipped, and after a crash at most the records
 * of the last spool flush read again — with their own times, which ingest stores once.
 */
export class RecordReader {
  private cursor: number | undefined;
  private handedCursor: number | undefined;
  private readonly log: Logger;
  readonly stats: RecordStats = { records: 0, recordGaps: 0, recordCounterResets: 0 };

  constructor(private readonly opts: RecordReaderOptions) {
    this.log = opts.logger;
    this.cursor = this.handedCursor = opts.cursor.saved;
    if (this.cursor !== undefined) this.stats.lastRecord = this.cursor;
    this.log.info(
      { cursor: this.cursor ?? null },
      this.cursor === undefined ? 'no record cursor: reading the records the device holds' : 'record cursor loaded',
    );
  }

  /** Reads the new records; returns their readings and the cursor to hand over with them. */
  async poll(): Promise<{ readings: Reading[]; cursor: number | undefined }> {
    const { plan, decoder } = this.opts;
    const header = decoder.header(await this.opts.read(plan.table, plan.header.start, plan.header.length));
    const latest = header.latest;
    const head = header.head ?? latest % plan.slots;
    if (head >= plan.slots) {
      throw new MetronetError('E_DEVICE_DATA', `record head slot ${head} is outside the ring of ${plan.slots} slots`, { head, slots: plan.slots });
    }
    const m = plan.modulus;
    // Gaps and a reset are reported once the reads succeed: a failed poll is read again, whole.
    const gaps: Array<[lost: number, after: number, reason: string]> = [];
    let reset = false;
    let backfill = this.cursor === undefined;
    let count: number;
    if (this.cursor === undefined) {
      count = plan.slots;
    } else {
      const d = seqDistance(latest, this.cursor, m);
      if (d === 0) return { readings: [], cursor: this.cursor };
      if (d >= m / 2) {
        reset = true;
        backfill = true;
        count = plan.slots;
      } else if (d > plan.slots) {
        gaps.push([d - plan.slots, this.cursor, `overwritten: the device holds ${plan.slots} records and made ${d} since the last read`]);
        count = plan.slots;
      } else {
        count = d;
      }
    }
    const first = seqDistance(latest, count - 1, m);
    const readings: Reading[] = [];
    let cursor = backfill ? undefined : this.cursor;
    let expected = first;
    let stop = false;
    let records = 0;
    for (const read of recordReads(plan, head - (count - 1), count)) {
      if (stop) break;
      const registers = await this.opts.read(plan.table, read.start, read.length);
      for (let i = 0; i < read.count && !stop; i++, expected = (expected + 1) % m) {
        const record = decoder.record(registers, i * plan.size);
        const ahead = record.empty ? -1 : seqDistance(record.sequence, expected, m);
        if (ahead === 0) {
          if (Number.isFinite(record.ts) && record.ts > 0 && record.readings.length > 0) {
            readings.push(...record.readings);
            records++;
          } else gaps.push([1, seqDistance(expected, 1, m), `record ${expected} has no valid time or value (time ${record.ts})`]);
          cursor = expected;
        } else if (backfill) {
          // A slot never written since the device started, or written after the header was read.
        } else if (ahead > 0 && ahead < m / 2) {
          gaps.push([1, seqDistance(expected, 1, m), `overwritten while being read: slot ${read.slot + i} already holds record ${record.sequence}`]);
          cursor = expected;
        } else {
          // The device counted the record before storing it: read it at the next poll.
          stop = true;
        }
      }
    }
    if (reset) {
      this.stats.recordCounterResets++;
      this.log.warn(
        { from: this.cursor, to: latest, reason: 'the record counter went back: the device was reset or replaced' },
        'record counter went back; reading the records the device still holds',
      );
    }
    for (const [lost, after, reason] of gaps) this.gap(lost, after, reason);
    this.stats.records += records;
    if (backfill) {
      cursor ??= latest;
      this.log.info({ latest, records, cursor }, 'records read from the device ring');
    }
    this.cursor = cursor;
    return { readings, cursor };
  }

  /** The readings up to `cursor` were handed to the spool. */
  handed(cursor: number | undefined): void {
    this.handedCursor = cursor;
    if (cursor !== undefined) this.stats.lastRecord = cursor;
  }

  /** The spool has committed everything handed so far: save the cursor. */
  committed(): void {
    const cursor = this.handedCursor;
    if (cursor === undefined || cursor === this.opts.cursor.saved) return;
    try {
      this.opts.cursor.save(cursor);
    } catch (err) {
      // The next commit tries again; meanwhile a restart would read some records twice, never skip one.
      this.log.warn({ err: (err as Error).message, cursor }, 'record cursor not saved');
    }
  }

  /** `lost` records after `after` will never be published: count them and say why. */
  private gap(lost: number, after: number, reason: string): void {
    this.stats.recordGaps += lost;
    const m = this.opts.plan.modulus;
    this.log.warn({ lost, from: (after + 1) % m, to: (after + lost) % m, reason, gaps: this.stats.recordGaps }, 'device records lost');
  }
}
