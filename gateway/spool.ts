import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MetronetError, type Logger, type Reading } from '../core/index.js';

/**
 * The store-and-forward spool: every reading is written here before it is published and leaves
 * only when the broker has acknowledged (PUBACK) the batch that carried it.
 *
 * Durability. One SQLite file per gateway, WAL journal, `synchronous = FULL`: each commit fsyncs
 * the WAL, so a committed reading survives `kill -9` and power loss (SQLite docs, "PRAGMA
 * synchronous": FULL "ensures that an operating system crash or power failure will not corrupt
 * the database" and keeps committed transactions in WAL mode). Readings are committed in one
 * transaction per flush, at most every `flushMs` (default 100 ms): at most that much of the
 * newest polling is exposed to a crash, and one fsync per flush keeps 100 000 readings/s cheap.
 *
 * Order. Rows get increasing ids in arrival order; batches take the oldest rows, so every
 * instrument drains in the order it was read.
 *
 * Batches. Before a batch is published its seq and last row id are recorded (`pending`, several
 * when the publisher pipelines); after a restart the same rows go out again under the same seqs.
 * The broker may then see a batch twice (QoS 1 is at least once); ingest stores a reading once by
 * (instrument, channel, ts). Pending records and acknowledgements are committed without an fsync
 * of their own (synchronous = NORMAL, durable at the next fsynced commit): after a power cut a
 * batch may be sent once more or under a new seq, never lost.
 *
 * Bound. At most `maxReadings` rows. When full, `drop-oldest` (default) deletes the oldest rows
 * not in flight — the live view and the recent past survive a very long outage — and
 * `drop-newest` refuses new readings — the start of an outage survives. Either way the loss is
 * counted (`dropped`), logged once per episode, and `full` is set until there is room again.
 */
export interface SpoolOptions {
  file: string;
  maxReadings: number;
  whenFull: 'drop-oldest' | 'drop-newest';
  flushMs: number;
  logger: Logger;
}

export interface SpooledBatch {
  lastId: number;
  /** Row id of each reading, same order. */
  ids: number[];
  /** Each reading as the JSON text it was spooled as: a batch is built without parsing them again. */
  bodies: string[];
  /** The readings, parsed (for tests and tools). */
  readonly readings: Reading[];
}

export interface PendingBatch {
  seq: number;
  /** Row id of its first and last reading. */
  firstId: number;
  lastId: number;
}

export class Spool {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly upTo: Database.Statement;
  private readonly after: Database.Statement;
  private readonly deleteUpTo: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly getMeta: Database.Statement;
  private staged: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private count: number;
  /** Batches handed out and not yet acknowledged, oldest first. */
  private pendingBatches: PendingBatch[] = [];
  /** Readings lost to the full policy since start. */
  dropped = 0;
  /** True while the spool is at its limit. */
  full = false;
  /** Called after each flush that added readings. */
  onFlush: (() => void) | undefined;

  constructor(private readonly opts: SpoolOptions) {
    try {
      mkdirSync(join(opts.file, '..'), { recursive: true });
      this.db = new Database(opts.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(`CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    } catch (err) {
      throw new MetronetError('E_CONFIG_INVALID', `spool ${opts.file} cannot be opened: ${(err as Error).message}`);
    }
    this.insert = this.db.prepare('INSERT INTO readings (body) VALUES (?)');
    this.oldest = this.db.prepare('SELECT id, body FROM readings ORDER BY id LIMIT ?');
    this.upTo = this.db.prepare('SELECT id, body FROM readings WHERE id >= ? AND id <= ? ORDER BY id');
    this.after = this.db.prepare('SELECT id, body FROM readings WHERE id > ? ORDER BY id LIMIT ?');
    this.deleteUpTo = this.db.prepare('DELETE FROM readings WHERE id <= ?');
    this.setMeta = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.getMeta = this.db.prepare('SELECT value FROM meta WHERE key = ?');
    this.count = (this.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
    const pending = this.getMeta.get('pending') as { value: string } | undefined;
    this.pendingBatches = pending ? (JSON.parse(pending.value) as PendingBatch[]) : [];
    if (this.count > 0) opts.logger.info({ file: opts.file, readings: this.count, pending: this.pendingBatches.map((b) => b.seq) }, 'spool holds readings from before the restart; sending them first');
  }

  /** Readings on disk or staged, not yet acknowledged. */
  get size(): number {
    return this.count + this.staged.length;
  }

  /** Batches handed out and not acknowledged, oldest first. */
  get pending(): readonly PendingBatch[] {
    return this.pendingBatches;
  }

  /** Stages readings (their JSON texts); they are on disk after the next flush (at most flushMs from now). */
  append(readings: string[]): void {
    for (const r of readings) this.staged.push(r);
    if (this.opts.flushMs === 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs);
  }

  /** Writes the staged readings in one fsynced transaction, applying the full policy. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.staged.length === 0) return;
    let batch = this.staged;
    this.staged = [];
    const max = this.opts.maxReadings;
    let lost = 0;
    if (this.opts.whenFull === 'drop-newest' && this.count + batch.length > max) {
      lost = this.count + batch.length - max;
      batch = batch.slice(0, Math.max(0, max - this.count));
    }
    this.db.transaction(() => {
      for (const r of batch) this.insert.run(r);
      this.count += batch.length;
      if (this.opts.whenFull === 'drop-oldest' && this.count > max) {
        // Never the rows of the batch in flight: its seq must be resent with the same content.
        const keepFrom = this.pendingBatches.at(-1)?.lastId ?? 0;
        const excess = this.count - max;
        const res = this.db.prepare('DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE id > ? ORDER BY id LIMIT ?)').run(keepFrom, excess);
        this.count -= res.changes;
        lost += res.changes;
      }
    })();
    this.noteLoss(lost);
    if (batch.length > 0) this.onFlush?.();
  }

  private noteLoss(lost: number): void {
    const wasFull = this.full;
    this.full = lost > 0 || this.count >= this.opts.maxReadings;
    if (lost === 0) return;
    this.dropped += lost;
    if (!wasFull) this.opts.logger.warn({ maxReadings: this.opts.maxReadings, policy: this.opts.whenFull, file: this.opts.file }, `spool full: ${this.opts.whenFull === 'drop-oldest' ? 'oldest readings are dropped' : 'new readings are refused'} until the broker is back`);
  }

  /**
   * The batch after row `afterId`: a pending batch starting there is handed out again whole
   * (same rows, same seq, after a restart or a lost connection); otherwise the next n readings.
   */
  next(n: number, afterId = 0): (SpooledBatch & { seq?: number }) | undefined {
    const pending = this.pendingBatches.find((b) => b.lastId > afterId);
    const rows = (pending ? this.upTo.all(Math.max(pending.firstId, afterId + 1), pending.lastId) : this.after.all(afterId, n)) as Array<{ id: number; body: string }>;
    if (rows.length === 0) return undefined;
    const bodies = rows.map((r) => r.body);
    return {
      lastId: rows[rows.length - 1]!.id,
      ids: rows.map((r) => r.id),
      bodies,
      ...(pending ? { seq: pending.seq } : {}),
      get readings() {
        return bodies.map((b) => JSON.parse(b) as Reading);
      },
    };
  }

  /** Records a batch about to be published, so a restart resends it under the same seq. */
  markPending(seq: number, firstId: number, lastId: number): void {
    this.pendingBatches.push({ seq, firstId, lastId });
    this.relaxed(() => this.setMeta.run('pending', JSON.stringify(this.pendingBatches)));
  }

  /** The broker acknowledged the batch ending at lastId (PUBACKs come in order, [MQTT-4.6.0-2]): its rows leave the spool. */
  ack(lastId: number): void {
    this.pendingBatches = this.pendingBatches.filter((b) => b.lastId > lastId);
    this.relaxed(() =>
      this.db.transaction(() => {
        this.count -= this.deleteUpTo.run(lastId).changes;
        this.setMeta.run('pending', JSON.stringify(this.pendingBatches));
      })(),
    );
    if (this.count < this.opts.maxReadings) this.full = false;
  }

  /** Runs a write that need not be fsynced at once (see the class comment). */
  private relaxed(write: () => void): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
