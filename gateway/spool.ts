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
 *
 * Replay window. A PUBACK means the broker has the batch, not that ingest has stored it: a broker
 * that crashes (kill -9, power) loses what it had not yet delivered and had acknowledged —
 * Mosquitto with `persistence true` saves only every `autosave_interval`, the embedded broker
 * keeps everything in memory. So acknowledged rows move to a `replay` table for `replayMs` (at
 * most `replayReadings` of them, the oldest leaving first) instead of being deleted, and
 * `replay()` puts those back in the queue when the publisher has reconnected
 * (test/faults/kill9.test.ts). They go out again under new seqs; ingest stores a reading once
 * by (instrument, channel, ts), so a replay doubles nothing.
 *
 * Errors. A flush that SQLite refuses (SQLITE_BUSY: another process holds a lock longer than the
 * busy timeout; SQLITE_FULL: the disk is full) keeps the readings staged in memory and is retried
 * a second later; beyond MAX_STAGED_ON_ERROR (or maxReadings) staged, the oldest staged readings
 * are dropped and counted like a full spool, and a full disk sets `full`. A refused acknowledgement
 * or pending record leaves its batch pending. Every kind of write then waits for the same retry
 * time (`writable`), since each try blocks the event loop for the busy timeout: a publisher
 * retrying at every kick would leave the pollers next to nothing of it. The error is counted
 * (`writeErrors`), logged once per episode, and the gateway keeps running and polling
 * (test/faults/sqlite-lock.test.ts, test/faults/disk-full.test.ts).
 */
/** Readings kept in memory at most while SQLite refuses writes (about 150 bytes each). */
const MAX_STAGED_ON_ERROR = 100_000;
/** Wait before a refused write is tried again. */
const RETRY_MS = 1000;
/** Default bound of the replay window. */
export const DEFAULT_REPLAY_READINGS = 100_000;

export interface SpoolOptions {
  file: string;
  maxReadings: number;
  whenFull: 'drop-oldest' | 'drop-newest';
  flushMs: number;
  logger: Logger;
  /** How long acknowledged readings are kept for a replay after a reconnect (0: not kept). */
  replayMs?: number;
  /** Acknowledged readings kept for a replay at most. */
  replayReadings?: number;
  /**
   * Milliseconds SQLite waits for another process's lock before a write fails (default 250). The
   * wait blocks the event loop (better-sqlite3 is synchronous), so it is short and a refused
   * write is retried a second later instead.
   */
  busyTimeoutMs?: number;
  /** The clock of the replay window (tests). */
  now?: () => number;
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
  /** Flushes, acknowledgements or pending records SQLite refused (locked, disk full) since start; retried. */
  writeErrors = 0;
  /** Readings put back in the queue by replay() since start. */
  replayed = 0;
  private failing: string | undefined;
  private retryAt = 0;
  private replayCount = 0;
  private readonly toReplay: Database.Statement;
  private readonly trimReplaySize: Database.Statement;
  private readonly takeReplay: Database.Statement;
  private readonly clearReplay: Database.Statement;
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
      this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 250}`);
      this.db.exec(`CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS replay (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, acked_at INTEGER NOT NULL);`);
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
    this.toReplay = this.db.prepare('INSERT INTO replay (body, acked_at) SELECT body, ? FROM readings WHERE id <= ? ORDER BY id');
    this.trimReplaySize = this.db.prepare('DELETE FROM replay WHERE id <= (SELECT max(id) FROM replay) - ?');
    this.takeReplay = this.db.prepare('INSERT INTO readings (body) SELECT body FROM replay WHERE acked_at >= ? ORDER BY id');
    this.clearReplay = this.db.prepare('DELETE FROM replay');
    this.count = (this.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
    this.replayCount = (this.db.prepare('SELECT COUNT(*) AS n FROM replay').get() as { n: number }).n;
    const pending = this.getMeta.get('pending') as { value: string } | undefined;
    this.pendingBatches = pending ? (JSON.parse(pending.value) as PendingBatch[]) : [];
    if (this.count > 0)
      opts.logger.info(
        { file: opts.file, readings: this.count, pending: this.pendingBatches.map((b) => b.seq) },
        'spool holds readings from before the restart; sending them first',
      );
  }

  /** Readings on disk or staged, not yet acknowledged. */
  get size(): number {
    return this.count + this.staged.length;
  }

  /** Device time (ts) of the oldest reading not yet acknowledged, or undefined when empty: the spool age on /metrics. */
  oldestTs(): number | undefined {
    const row = this.count > 0 && this.db.open ? (this.oldest.get(1) as { body: string } | undefined) : undefined;
    const body = row?.body ?? this.staged[0];
    return body === undefined ? undefined : (JSON.parse(body) as { ts: number }).ts;
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
  flush(force = false): void {
    if (this.staged.length === 0) return;
    // After a refused write, the next attempt waits for its retry time (each may block up to the busy timeout).
    if (!force && !this.writable) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    let batch = this.staged;
    this.staged = [];
    const max = this.opts.maxReadings;
    let lost = 0;
    if (this.opts.whenFull === 'drop-newest' && this.count + batch.length > max) {
      lost = this.count + batch.length - max;
      batch = batch.slice(0, Math.max(0, max - this.count));
    }
    let removed = 0;
    try {
      this.db.transaction(() => {
        for (const r of batch) this.insert.run(r);
        if (this.opts.whenFull === 'drop-oldest' && this.count + batch.length > max) {
          // Never the rows of the batch in flight: its seq must be resent with the same content.
          const keepFrom = this.pendingBatches.at(-1)?.lastId ?? 0;
          const excess = this.count + batch.length - max;
          removed = this.db
            .prepare('DELETE FROM readings WHERE id IN (SELECT id FROM readings WHERE id > ? ORDER BY id LIMIT ?)')
            .run(keepFrom, excess).changes;
        }
      })();
    } catch (err) {
      this.writeFailed(err as Error, 'spool write failed; readings stay in memory and the write is retried', batch.length);
      lost += this.restage(batch);
      this.noteLoss(lost);
      return;
    }
    this.recovered();
    this.count += batch.length - removed;
    lost += removed;
    this.noteLoss(lost);
    if (batch.length > 0) this.onFlush?.();
  }

  /**
   * Puts readings SQLite refused back in front of the staged ones and retries in a second; keeps
   * at most MAX_STAGED_ON_ERROR in memory (or maxReadings if smaller), dropping the oldest.
   * Returns how many were dropped.
   */
  private restage(batch: string[]): number {
    this.staged = batch.concat(this.staged);
    const bound = Math.min(MAX_STAGED_ON_ERROR, this.opts.maxReadings);
    const over = Math.max(0, this.staged.length - bound);
    if (over > 0) this.staged.splice(0, over);
    this.timer ??= setTimeout(() => this.flush(true), RETRY_MS);
    return over;
  }

  private writeFailed(err: Error, msg: string, readings: number): void {
    this.writeErrors++;
    // Every write waits for this, whichever met the refusal: flush, acknowledgement or pending record.
    this.retryAt = Date.now() + RETRY_MS;
    const code = (err as { code?: string }).code ?? err.message;
    if (this.failing === code) return;
    this.failing = code;
    this.opts.logger.error({ err: err.message, code, readings, staged: this.staged.length, file: this.opts.file }, msg);
  }

  private recovered(): void {
    if (this.failing === undefined) return;
    this.opts.logger.info({ code: this.failing, writeErrors: this.writeErrors, file: this.opts.file }, 'spool writes succeed again');
    this.failing = undefined;
  }

  private noteLoss(lost: number): void {
    const wasFull = this.full;
    // A full disk is a full spool to whoever watches the gateway's status (spool.full).
    this.full = lost > 0 || this.count >= this.opts.maxReadings || this.failing === 'SQLITE_FULL';
    if (lost === 0) return;
    this.dropped += lost;
    if (!wasFull)
      this.opts.logger.warn(
        { maxReadings: this.opts.maxReadings, policy: this.opts.whenFull, file: this.opts.file },
        `spool full: ${this.opts.whenFull === 'drop-oldest' ? 'oldest readings are dropped' : 'new readings are refused'} until the broker is back`,
      );
  }

  /**
   * The batch after row `afterId`: a pending batch starting there is handed out again whole
   * (same rows, same seq, after a restart or a lost connection); otherwise the next n readings.
   */
  next(n: number, afterId = 0): (SpooledBatch & { seq?: number }) | undefined {
    const pending = this.pendingBatches.find((b) => b.lastId > afterId);
    const rows = (pending ? this.upTo.all(Math.max(pending.firstId, afterId + 1), pending.lastId) : this.after.all(afterId, n)) as Array<{
      id: number;
      body: string;
    }>;
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

  /**
   * False while SQLite refuses writes and the next try is not due yet (see Errors): a batch
   * published now could not have its acknowledgement recorded, and every try blocks the event
   * loop up to the busy timeout — polling included — so the publisher waits for this instead.
   */
  get writable(): boolean {
    return this.failing === undefined || Date.now() >= this.retryAt;
  }

  /**
   * Records a batch about to be published, so a restart resends it under the same seq. Throws
   * when SQLite refuses the write; the batch is then kept in memory and recorded with the next
   * acknowledgement.
   */
  markPending(seq: number, firstId: number, lastId: number): void {
    this.pendingBatches.push({ seq, firstId, lastId });
    try {
      this.relaxed(() => this.setMeta.run('pending', JSON.stringify(this.pendingBatches)));
    } catch (err) {
      this.writeFailed(err as Error, 'spool could not record a batch about to be published; it is kept in memory and sent when the write is retried', 0);
      throw err;
    }
  }

  /**
   * The broker acknowledged the batch ending at lastId (PUBACKs come in order, [MQTT-4.6.0-2]):
   * its rows leave the queue, into the replay window. Throws when SQLite refuses the write; the
   * batch then stays pending and is sent again under its seq.
   */
  ack(lastId: number): void {
    const pending = this.pendingBatches.filter((b) => b.lastId > lastId);
    const replayMs = this.opts.replayMs ?? 0;
    let moved = 0;
    let deleted = 0;
    try {
      this.relaxed(() =>
        this.db.transaction(() => {
          if (replayMs > 0) {
            const now = this.now();
            moved = this.toReplay.run(now, lastId).changes;
            moved -= this.trimReplaySize.run(this.opts.replayReadings ?? DEFAULT_REPLAY_READINGS).changes;
          }
          deleted = this.deleteUpTo.run(lastId).changes;
          this.setMeta.run('pending', JSON.stringify(pending));
        })(),
      );
    } catch (err) {
      this.writeFailed(err as Error, 'spool could not record an acknowledgement; the batch will be sent again', 0);
      throw err;
    }
    this.recovered();
    this.pendingBatches = pending;
    this.count -= deleted;
    this.replayCount += moved;
    if (this.count < this.opts.maxReadings && this.failing !== 'SQLITE_FULL') this.full = false;
  }

  /** Acknowledged readings kept for a replay. */
  get replayable(): number {
    return this.replayCount;
  }

  /**
   * Puts the readings acknowledged within the last replayMs back in the queue (after the newer
   * ones waiting there) and empties the window; returns how many. They are acknowledged again,
   * which moves them back into the window.
   */
  replay(): number {
    const replayMs = this.opts.replayMs ?? 0;
    if (replayMs === 0 || this.replayCount === 0) return 0;
    let n = 0;
    this.db.transaction(() => {
      n = this.takeReplay.run(this.now() - replayMs).changes;
      this.clearReplay.run();
    })();
    this.count += n;
    this.replayCount = 0;
    this.replayed += n;
    return n;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
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
    this.flush(true);
    clearTimeout(this.timer);
    if (this.staged.length > 0) {
      this.dropped += this.staged.length;
      this.opts.logger.error({ readings: this.staged.length, file: this.opts.file }, 'spool closed while SQLite refused writes; these readings are lost');
      this.staged = [];
    }
    this.db.close();
  }
}
