import { InfluxDB, setLogger } from '@influxdata/influxdb-client';
import { MetronetError, silentLogger, type Logger } from '../core/index.js';
import { checkQuery } from './readings-sqlite.js';
import { DEFAULT_RETRY, LineWriter, toLine, type RetryPolicy } from './influx-write.js';
import { InfluxQL, closedError, existingIdentities, identity, lit, readingsStatement, toSeries } from './influx-query.js';
import type { ReadingsQuery, ReadingsStore, RefusedReading, Series, StoredReading, WriteResult } from './types.js';

export { classifyWriteError, parseRetryAfter, toLine, type WriteFailure } from './influx-write.js';

/**
 * The InfluxDB readings store. Measurement `reading`, tags org, instrument, channel, status,
 * field `value` (float), timestamps in epoch milliseconds (ARCHITECTURE.md, Stores).
 *
 * Writes go through @influxdata/influxdb-client's write API to `/api/v2/write` (served by
 * InfluxDB 1.8+, 2.x, 3.x), but its own buffering and retrying are switched off, on purpose
 * (issue 4, "Known pitfalls"):
 * - precision is set to `ms` explicitly: the client's default is `ns`, which would put our
 *   millisecond timestamps in January 1970;
 * - its retry buffer drops the oldest lines when full, `close()` discards what is still in it,
 *   and a batch it flushes by itself (batch size or interval reached) reports failure only to a
 *   log line. So each call of `write()` gets a write API of its own with `maxRetries: 0`, no
 *   flush interval and a batch larger than the chunk, and awaits `flush()`: the promise settles
 *   with the HTTP answer for exactly these lines. `write()` resolves only after InfluxDB answered
 *   204, i.e. the points are in its WAL; ingest acknowledges MQTT messages only then, so the
 *   durable buffer is the broker's persistent session, never this process's memory.
 * - it retries every status ≥ 429, including permanent ones (a field-type conflict answers 400
 *   in 1.x and 422 or 500 in some 2.x releases), and reads `Retry-After` seconds as
 *   milliseconds (HttpError.setRetryAfter parses the header as ms): we classify failures
 *   ourselves (classifyWriteError) and wait `Retry-After` × 1000 ms.
 *
 * Batching, flush interval and the bounded buffer are ingest's (BatchWriter: batchSize, flushMs,
 * maxPending); here a batch is cut into requests of at most `chunkLines` lines, gzipped above
 * `gzipThreshold` bytes.
 *
 * Identity. InfluxDB keeps one point per (series, time) and the last write wins, whereas the
 * readings contract keeps the first copy of (instrument, channel, ts). So each write first asks
 * which of its identities are already stored (one InfluxQL query per ≤ 200 series, each over
 * the batch's own time range, which for live data is past the last stored point and cheap) and
 * writes only the new ones. A redelivered batch thus stores nothing twice; two workers racing on
 * the same identity write identical lines, which InfluxDB merges into one point. (A copy with a
 * different `status` would be another series: `status` is a tag by ARCHITECTURE's schema.)
 *
 * Reads use InfluxQL on the v1-compatible `/query` endpoint (1.x, 2.x with a DBRP mapping, 3.x).
 *
 * Pieces: LineWriter (influx-write.ts: line protocol, one HTTP write per chunk, retries), InfluxQL
 * and the statements (influx-query.ts), the start-up check (checkBucket) and the store itself
 * (InfluxReadings) here.
 */
export interface InfluxReadingsOptions {
  url: string;
  token?: string | undefined;
  org?: string | undefined;
  bucket: string;
  /** Lines per HTTP write request. Default 5000 (InfluxData's recommended batch size). */
  chunkLines?: number;
  /** Bodies above this many bytes are gzipped. Default 1000. */
  gzipThreshold?: number;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Transient failures: attempts within one write() before it throws E_STORE_UNAVAILABLE (the caller retries). */
  retry?: RetryPolicy;
  log?: Logger;
  /** Called before each retry wait (metrics, tests). */
  onRetry?: (info: { status?: number; delayMs: number; retryAfterMs?: number }) => void;
}

/** The client logs every failed write on the console; ours are classified and logged by us. Idempotent. */
const QUIET = { error: () => undefined, warn: () => undefined };

export async function openInfluxReadings(o: InfluxReadingsOptions): Promise<ReadingsStore> {
  const log = (o.log ?? silentLogger).child({ store: 'influx' });
  setLogger(QUIET);
  const url = o.url.replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? 10_000;
  const abort = new AbortController();
  const ql = new InfluxQL({ url, bucket: o.bucket, token: o.token, timeoutMs, signal: abort.signal });
  const writer = new LineWriter({
    influx: new InfluxDB({ url, token: o.token, timeout: timeoutMs }),
    org: o.org ?? '',
    bucket: o.bucket,
    gzipThreshold: o.gzipThreshold ?? 1000,
    retry: { ...DEFAULT_RETRY, ...o.retry },
    log,
    signal: abort.signal,
    onRetry: o.onRetry,
  });
  await checkBucket(ql, { url, bucket: o.bucket }, log);
  log.info({ url, bucket: o.bucket, org: o.org }, 'InfluxDB readings store open');
  return new InfluxReadings(ql, writer, abort, o.chunkLines ?? 5000, log);
}

/**
 * Fails fast on a wrong URL or database, with the cause; an unreachable server is only a warning
 * (ingest holds messages until it answers).
 */
async function checkBucket(ql: InfluxQL, at: { url: string; bucket: string }, log: Logger): Promise<void> {
  try {
    await ql.run('SHOW RETENTION POLICIES'); // answers "database not found" for a wrong bucket
  } catch (err) {
    if (/database not found/i.test((err as Error).message)) {
      throw new MetronetError(
        'E_CONFIG_INVALID',
        `readings.bucket "${at.bucket}" does not exist on ${at.url} (create it, or map it with a DBRP on InfluxDB 2.x)`,
      );
    }
    log.warn({ url: at.url, err: (err as Error).message }, 'InfluxDB not reachable at start; writes wait for it');
  }
}

class InfluxReadings implements ReadingsStore {
  constructor(
    private readonly ql: InfluxQL,
    private readonly writer: LineWriter,
    /** Aborted by close(): queries refuse, retry waits end. */
    private readonly abort: AbortController,
    private readonly chunkLines: number,
    private readonly log: Logger,
  ) {}

  private get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** The first copy of each identity in the batch, then only those not stored yet, in chunks of chunkLines. */
  async write(readings: StoredReading[]): Promise<WriteResult> {
    if (this.closed) throw closedError();
    const fresh = firstCopies(readings);
    if (fresh.length === 0) return { refused: [] };
    const stored = await existingIdentities(this.ql, fresh);
    const todo = stored.size === 0 ? fresh : fresh.filter((r) => !stored.has(identity(r.instrument, r.channel, r.ts)));
    const refused: RefusedReading[] = [];
    for (let i = 0; i < todo.length; i += this.chunkLines) {
      const chunk = todo.slice(i, i + this.chunkLines);
      for (const bad of await this.writer.send(chunk.map(toLine))) refused.push({ reading: chunk[bad.index] as StoredReading, reason: bad.reason });
    }
    if (refused.length > 0) this.log.warn({ refused: refused.length, first: refused[0]?.reason }, 'InfluxDB refused some readings; they go to rejects');
    return { refused };
  }

  async query(q: ReadingsQuery): Promise<Series[]> {
    checkQuery(q);
    if (q.to <= q.from || q.limit === 0) {
      if (this.closed) throw closedError();
      return [];
    }
    return toSeries(await this.ql.series(readingsStatement(q)), q.every !== undefined);
  }

  async count(instrument?: string): Promise<number> {
    const where = instrument === undefined ? '' : ` WHERE instrument = ${lit(instrument)}`;
    const row = (await this.ql.series(`SELECT count(value) FROM reading${where}`))[0]?.values?.[0];
    return row ? Number(row[1]) : 0;
  }

  async close(): Promise<void> {
    this.abort.abort();
  }
}

function firstCopies(readings: StoredReading[]): StoredReading[] {
  const seen = new Set<string>();
  const out: StoredReading[] = [];
  for (const r of readings) {
    const k = identity(r.instrument, r.channel, r.ts);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}
