import { MetronetError, type ReadingStatus } from '../core/index.js';
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

export function openSqliteReadings(file: string, opts: SqliteOptions = {}): ReadingsStore {
  const db = openSqlite(file, READINGS_MIGRATIONS, opts);
  const insert = db.prepare('INSERT OR IGNORE INTO readings (instrument, channel, ts, value, status, org) VALUES (?, ?, ?, ?, ?, ?)');
  const writeAll = db.transaction((readings: StoredReading[]) => {
    for (const r of readings) insert.run(r.instrument, r.channel, r.ts, r.value, r.status, r.org);
  });
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
     WHERE instrument = @instrument AND channel = @channel AND ts >= @from AND ts < @to ORDER BY ts LIMIT @limit`,
  );
  // Integer division puts ts in bucket k = (ts - from) / every; the bucket's ts is its start.
  // better-sqlite3 binds every JS number as REAL, hence the casts: without them the division
  // is a floating one and every reading would be its own bucket.
  const buckets = db.prepare(
    `WITH p (f, e) AS (SELECT CAST(@from AS INTEGER), CAST(@every AS INTEGER))
     SELECT p.f + ((ts - p.f) / p.e) * p.e AS ts, avg(value) AS value, min(value) AS min, max(value) AS max, count(*) AS count
     FROM readings, p WHERE instrument = @instrument AND channel = @channel AND ts >= @from AND ts < @to
     GROUP BY (ts - p.f) / p.e ORDER BY 1`,
  );
  const countAll = db.prepare('SELECT count(*) AS n FROM readings');
  const countOf = db.prepare('SELECT count(*) AS n FROM readings WHERE instrument = ?');

  return {
    async write(readings) {
      if (readings.length > 0) writeAll(readings);
    },

    async query(q: ReadingsQuery): Promise<Series[]> {
      checkQuery(q);
      if (q.to <= q.from) return [];
      const channels = q.channel !== undefined ? [q.channel] : (channelsOf.all({ instrument: q.instrument }) as { c: string }[]).map((r) => r.c);
      const out: Series[] = [];
      for (const channel of channels) {
        const args = { instrument: q.instrument, channel, from: q.from, to: q.to };
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
      if (db.open) db.close();
    },
  };
}

function checkQuery(q: ReadingsQuery): void {
  const bad = (field: string, value: unknown, rule: string) => {
    throw new MetronetError('E_BAD_REQUEST', `${field} ${rule}; got ${String(value)}`, { field, value });
  };
  if (!Number.isSafeInteger(q.from)) bad('from', q.from, 'must be epoch milliseconds (an integer)');
  if (!Number.isSafeInteger(q.to)) bad('to', q.to, 'must be epoch milliseconds (an integer)');
  if (q.every !== undefined && (!Number.isSafeInteger(q.every) || q.every < 1)) bad('every', q.every, 'must be a whole number of milliseconds ≥ 1');
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 0)) bad('limit', q.limit, 'must be a non-negative integer');
}
