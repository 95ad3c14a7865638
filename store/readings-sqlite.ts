import { MetronetError, type ReadingStatus } from '../core/index.js';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openSqlite, type SqliteOptions } from './sqlite.js';
import type { ReadingPoint, ReadingsQuery, ReadingsStore, Series, StoredReading } from './types.js';

/**
 * The embedded readings store: one SQLite file of its own (not the registry's), so the time
 * series, which grows without bound and is written all the time, never holds the registry's
 * write lock, and can be moved, pruned or replaced by InfluxDB on its own.
 *
 * The primary key is the reading's identity (instrument, channel, ts), in a WITHOUT ROWID
 * table: rows are stored in key order, so a channel's range query is one contiguous b-tree
 * scan, and INSERT OR IGNORE makes a re-sent reading a no-op (the first copy stays).
 */
export const READINGS_MIGRATIONS = [
  {
    id: 1,
    name: 'readings',
    sql: `
      CREATE TABLE readings (
        instrument TEXT NOT NULL,
        channel TEXT NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        status TEXT NOT NULL,
        org TEXT NOT NULL,
        PRIMARY KEY (instrument, channel, ts)
      ) STRICT, WITHOUT ROWID;
    `,
  },
] as const;

/** Rows per INSERT statement: one statement of 100 rows costs about 2/3 of 100 one-row statements. */
const ROWS_PER_INSERT = 100;
const COLUMNS = '(instrument, channel, ts, value, status, org)';
/** Rows the writer thread commits at most in one transaction when batches queue up (group commit). */
const GROUP_COMMIT_ROWS = 50_000;
const insertSql = (rows: number) => `INSERT OR IGNORE INTO readings ${COLUMNS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`;

export interface SqliteReadingsOptions extends SqliteOptions {
  /**
   * Write in a worker thread (default for a database file; never for `:memory:` or a `file:` URI,
   * which another connection could not share). Inline writes run on the caller's thread.
   */
  thread?: boolean;
}

/**
 * `orderedWrites`: concurrent write() calls are applied one after the other in call order, each
 * in its own transaction (ingest may then hand over the next batch while one is being written).
 */
export interface SqliteReadingsStore extends ReadingsStore {
  readonly orderedWrites: true;
}

export function openSqliteReadings(file: string, opts: SqliteReadingsOptions = {}): SqliteReadingsStore {
  const db = openSqlite(file, READINGS_MIGRATIONS, opts);
  const threaded = (opts.thread ?? true) && file !== ':memory:' && !file.startsWith('file:');
  let writeAll: (readings: StoredReading[]) => Promise<void> | void;
  let closeWriter: () => Promise<void> = async () => undefined;
  if (threaded) {
    const writer = threadWriter(file, opts);
    writeAll = (readings) => writer.write(readings);
    closeWriter = () => writer.close();
  } else {
    const insert = insertRows(db);
    const write = db.transaction((readings: StoredReading[]) => {
      const { strings, idx, num } = encode(readings);
      insert(strings, idx, num);
    });
    writeAll = (readings) => write.immediate(readings);
  }
  // The channels of one instrument by successive index seeks (min(channel) > previous), one
  // step per channel, instead of a DISTINCT that would read every row the instrument ever had.
  const channelsOf = db.prepare(
    `WITH RECURSIVE ch (c) AS (
       SELECT (SELECT min(channel) FROM readings WHERE instrument = @instrument)
       UNION ALL
       SELECT (SELECT min(channel) FROM readings WHERE instrument = @instrument AND channel > ch.c) FROM ch WHERE ch.c IS NOT NULL
     ) SELECT c FROM ch WHERE c IS NOT NULL`,
  );
  const raw = db.prepare(
    `SELECT ts, value, status FROM readings
     WHERE instrument = @instrument AND channel = @channel AND ts >= @from AND ts < @to AND (@org IS NULL OR org = @org) ORDER BY ts LIMIT @limit`,
  );
  // Integer division puts ts in bucket k = (ts - from) / every; the bucket's ts is its start.
  // better-sqlite3 binds every JS number as REAL, hence the casts: without them the division
  // is a floating one and every reading would be its own bucket.
  const buckets = db.prepare(
    `WITH p (f, e) AS (SELECT CAST(@from AS INTEGER), CAST(@every AS INTEGER))
     SELECT p.f + ((ts - p.f) / p.e) * p.e AS ts, avg(value) AS value, min(value) AS min, max(value) AS max, count(*) AS count
     FROM readings, p WHERE instrument = @instrument AND channel = @channel AND ts >= @from AND ts < @to AND (@org IS NULL OR org = @org)
     GROUP BY (ts - p.f) / p.e ORDER BY 1`,
  );
  const countAll = db.prepare('SELECT count(*) AS n FROM readings');
  const countOf = db.prepare('SELECT count(*) AS n FROM readings WHERE instrument = ?');

  return {
    orderedWrites: true,
    async write(readings) {
      if (readings.length > 0) await writeAll(readings);
    },

    async query(q: ReadingsQuery): Promise<Series[]> {
      checkQuery(q);
      if (q.to <= q.from) return [];
      const channels = q.channel !== undefined ? [q.channel] : (channelsOf.all({ instrument: q.instrument }) as { c: string }[]).map((r) => r.c);
      const out: Series[] = [];
      for (const channel of channels) {
        const args = { instrument: q.instrument, channel, from: q.from, to: q.to, org: q.org ?? null };
        const points =
          q.every !== undefined
            ? (buckets.all({ ...args, every: q.every }) as ReadingPoint[])
            : (raw.all({ ...args, limit: q.limit ?? -1 }) as { ts: number; value: number; status: ReadingStatus }[]);
        if (points.length > 0) out.push({ channel, points });
      }
      return out;
    },

    async count(instrument?: string) {
      return ((instrument === undefined ? countAll.get() : countOf.get(instrument)) as { n: number }).n;
    },

    async close() {
      await closeWriter();
      if (db.open) db.close();
    },
  };
}

/** Refuses malformed queries with E_BAD_REQUEST naming the field; shared by every readings store. */
export function checkQuery(q: ReadingsQuery): void {
  const bad = (field: string, value: unknown, rule: string) => {
    throw new MetronetError('E_BAD_REQUEST', `${field} ${rule}; got ${String(value)}`, { field, value });
  };
  if (!Number.isSafeInteger(q.from)) bad('from', q.from, 'must be epoch milliseconds (an integer)');
  if (!Number.isSafeInteger(q.to)) bad('to', q.to, 'must be epoch milliseconds (an integer)');
  if (q.every !== undefined && (!Number.isSafeInteger(q.every) || q.every < 1)) bad('every', q.every, 'must be a whole number of milliseconds ≥ 1');
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0)) bad('limit', q.limit, 'must be a non-negative integer');
}

/**
 * A batch in columns, for the writer thread: per reading four indices into `strings`
 * (instrument, channel, status, org) and two numbers (ts, value). Two typed arrays are
 * transferred, not copied, and the strings repeat little (a batch has few instruments), so
 * posting a batch costs far less than cloning thousands of objects.
 */
interface Columns {
  strings: string[];
  idx: Uint32Array;
  num: Float64Array;
}

function encode(readings: StoredReading[]): Columns {
  const n = readings.length;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const idx = new Uint32Array(4 * n);
  const num = new Float64Array(2 * n);
  const id = (s: string) => {
    let i = ids.get(s);
    if (i === undefined) {
      i = strings.push(s) - 1;
      ids.set(s, i);
    }
    return i;
  };
  let lastInstrument: string | undefined;
  let lastInstrumentId = 0;
  for (let k = 0; k < n; k++) {
    const r = readings[k] as StoredReading;
    if (r.instrument !== lastInstrument) {
      lastInstrument = r.instrument;
      lastInstrumentId = id(r.instrument);
    }
    idx[4 * k] = lastInstrumentId;
    idx[4 * k + 1] = id(r.channel);
    idx[4 * k + 2] = id(r.status);
    idx[4 * k + 3] = id(r.org);
    num[2 * k] = r.ts;
    num[2 * k + 1] = r.value;
  }
  return { strings, idx, num };
}

/** Inserts encoded rows, ROWS_PER_INSERT per statement (inside the caller's transaction). */
function insertRows(db: Database.Database): (strings: string[], idx: Uint32Array, num: Float64Array) => void {
  const many = db.prepare(insertSql(ROWS_PER_INSERT));
  const few = new Map<number, Database.Statement>();
  const args: unknown[] = new Array(6 * ROWS_PER_INSERT);
  return (strings, idx, num) => {
    const n = num.length / 2;
    for (let at = 0; at < n; at += ROWS_PER_INSERT) {
      const rows = Math.min(ROWS_PER_INSERT, n - at);
      args.length = 6 * rows;
      for (let j = 0; j < rows; j++) {
        const k = at + j;
        args[6 * j] = strings[idx[4 * k] as number];
        args[6 * j + 1] = strings[idx[4 * k + 1] as number];
        args[6 * j + 2] = num[2 * k];
        args[6 * j + 3] = num[2 * k + 1];
        args[6 * j + 4] = strings[idx[4 * k + 2] as number];
        args[6 * j + 5] = strings[idx[4 * k + 3] as number];
      }
      let stmt = rows === ROWS_PER_INSERT ? many : few.get(rows);
      if (!stmt) few.set(rows, (stmt = db.prepare(insertSql(rows))));
      stmt.run(args);
    }
  };
}

/**
 * The writer thread's code, plain CommonJS (it runs without the TypeScript loader): its own
 * connection to the same WAL database, one transaction per batch, the same multi-row INSERT OR
 * IGNORE as insertRows. It answers a batch only after COMMIT returned, so a resolved write is
 * durable (as SqliteOptions.synchronous defines it) and visible to the main connection's queries.
 */
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, synchronous, busyTimeoutMs, rowsPerInsert, columns, maxRows } = workerData;
const db = new Database(file);
db.pragma('busy_timeout = ' + busyTimeoutMs);
db.pragma('synchronous = ' + synchronous);
const sql = (rows) => 'INSERT OR IGNORE INTO readings ' + columns + ' VALUES ' + Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ');
const many = db.prepare(sql(rowsPerInsert));
const few = new Map();
const args = new Array(6 * rowsPerInsert);
const insert = (strings, idx, num) => {
  const n = num.length / 2;
  for (let at = 0; at < n; at += rowsPerInsert) {
    const rows = Math.min(rowsPerInsert, n - at);
    args.length = 6 * rows;
    for (let j = 0; j < rows; j++) {
      const k = at + j;
      args[6 * j] = strings[idx[4 * k]];
      args[6 * j + 1] = strings[idx[4 * k + 1]];
      args[6 * j + 2] = num[2 * k];
      args[6 * j + 3] = num[2 * k + 1];
      args[6 * j + 4] = strings[idx[4 * k + 2]];
      args[6 * j + 5] = strings[idx[4 * k + 3]];
    }
    let stmt = rows === rowsPerInsert ? many : few.get(rows);
    if (!stmt) few.set(rows, (stmt = db.prepare(sql(rows))));
    stmt.run(args);
  }
};
const writeAll = db.transaction((batches) => {
  for (const b of batches) insert(b.strings, b.idx, b.num);
});
const answer = (m, err) =>
  parentPort.postMessage(err ? { id: m.id, error: { message: String((err && err.message) || err), code: err && err.code, sqlite: Object.prototype.isPrototypeOf.call(Database.SqliteError.prototype, err) } } : { id: m.id });
parentPort.on('message', (first) => {
  // Group commit: the batches already waiting join this one's transaction (up to maxRows rows),
  // so a store that falls behind catches up with fewer, larger commits.
  const batches = [];
  let rows = 0;
  let closing = false;
  for (let m = first; m; ) {
    if (m.close) {
      closing = true;
      break;
    }
    batches.push(m);
    rows += m.num.length / 2;
    if (rows >= maxRows) break;
    const next = receiveMessageOnPort(parentPort);
    m = next && next.message;
  }
  if (batches.length > 0) {
    try {
      writeAll.immediate(batches);
      for (const m of batches) answer(m);
    } catch (err) {
      // Each batch alone, so that each answer is its own (all writes are INSERT OR IGNORE: idempotent).
      if (batches.length === 1) answer(batches[0], err);
      else for (const m of batches) {
        try {
          writeAll.immediate([m]);
          answer(m);
        } catch (e) {
          answer(m, e);
        }
      }
    }
  }
  if (closing) {
    db.close();
    parentPort.close();
  }
});
`;

const DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Writes on a worker thread, so that SQLite's inserts (the largest cost of ingest per reading)
 * run beside the event loop instead of on it. Started on the first write; batches are answered
 * in order; a write resolves after its COMMIT. If the thread dies, the writes waiting on it fail
 * with E_STORE_UNAVAILABLE (the caller retries, writes are idempotent) and the next write starts
 * a new thread. close() waits for the writes sent, then ends the thread.
 */
function threadWriter(file: string, opts: SqliteOptions): { write(readings: StoredReading[]): Promise<void>; close(): Promise<void> } {
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let nextId = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let closed = false;

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: {
        driver: DRIVER,
        file,
        synchronous: opts.synchronous ?? 'NORMAL',
        busyTimeoutMs: opts.busyTimeoutMs ?? 5000,
        rowsPerInsert: ROWS_PER_INSERT,
        columns: COLUMNS,
        maxRows: GROUP_COMMIT_ROWS,
      },
    });
    w.on('message', (m: { id: number; error?: { message: string; code?: string; sqlite?: boolean } }) => {
      const pending = waiting.get(m.id);
      if (!pending) return;
      waiting.delete(m.id);
      if (waiting.size === 0) w.unref();
      if (!m.error) return pending.resolve();
      const { message, code, sqlite } = m.error;
      // Same classes as an inline write, so isTransientStoreError judges it alike.
      pending.reject(sqlite && code ? new Database.SqliteError(message, code) : Object.assign(new Error(message), code ? { code } : {}));
    });
    w.on('error', (err) => {
      failAll(new MetronetError('E_STORE_UNAVAILABLE', `readings writer thread failed: ${err.message}`));
    });
    exited = new Promise((resolve) =>
      w.once('exit', () => {
        if (worker === w) worker = undefined;
        failAll(new MetronetError('E_STORE_UNAVAILABLE', 'readings writer thread stopped'));
        resolve();
      }),
    );
    w.unref();
    return w;
  };

  return {
    write(readings) {
      if (closed) return Promise.reject(new MetronetError('E_STORE_UNAVAILABLE', 'readings store is closed'));
      worker ??= start();
      const w = worker;
      const { strings, idx, num } = encode(readings);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.ref(); // a write in progress keeps the process alive, like a pending I/O would
        w.postMessage({ id, strings, idx, num }, [idx.buffer as ArrayBuffer, num.buffer as ArrayBuffer]);
      });
    },
    async close() {
      closed = true;
      const w = worker;
      if (!w) return;
      w.ref();
      w.postMessage({ close: true }); // after the writes already sent, which are answered first
      const timer = setTimeout(() => void w.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
