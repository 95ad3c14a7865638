import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, InfluxDB, setLogger } from '@influxdata/influxdb-client';
import { MetronetError, isInstance, silentLogger, type Logger, type ReadingStatus } from '../core/index.js';
import { checkQuery } from './readings-sqlite.js';
import type { ReadingPoint, ReadingsQuery, ReadingsStore, RefusedReading, Series, StoredReading, WriteResult } from './types.js';

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
  retry?: { attempts: number; minMs: number; maxMs: number; maxRetryAfterMs: number };
  log?: Logger;
  /** Called before each retry wait (metrics, tests). */
  onRetry?: (info: { status?: number; delayMs: number; retryAfterMs?: number }) => void;
}

export type WriteFailure =
  | { kind: 'transient'; status?: number; retryAfterMs?: number; message: string }
  | { kind: 'permanent'; status: number; message: string };

/** Bodies of answers that say "these points are wrong", whatever the status code. */
const DATA_ERROR = /field type conflict|partial write|unable to parse|invalid field|invalid tag|points beyond retention|bad timestamp|invalid number/i;

/**
 * Sorts a failed write into what waiting fixes (transient) and what it never will (permanent:
 * the points themselves are refused). Worked examples:
 * - 429 `Retry-After: 2` → transient, wait 2000 ms (seconds, RFC 9110 §10.2.3);
 * - 503, 502, 504, connection refused, timeout → transient, backoff with jitter;
 * - 400 `partial write: field type conflict …` → permanent;
 * - 500 `… field type conflict …` (some 2.x releases) → permanent, though ≥ 500;
 * - 401, 403, 404 (token or bucket wrong) → transient: the readings are not at fault, an
 *   operator must fix the configuration, and meanwhile nothing may be dropped.
 */
export function classifyWriteError(err: unknown): WriteFailure {
  if (isInstance(err, HttpError)) {
    const body = `${err.body ?? ''} ${err.message}`;
    const status = err.statusCode;
    if (DATA_ERROR.test(body) || status === 400 || status === 413 || status === 422) return { kind: 'permanent', status, message: preview(body) };
    const header = headerValue(err.headers, 'retry-after');
    return { kind: 'transient', status, retryAfterMs: parseRetryAfter(header), message: preview(body) };
  }
  return { kind: 'transient', message: (err as Error)?.message ?? String(err) };
}

/** `Retry-After` is delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerValue(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  const v = headers?.[name] ?? headers?.[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function preview(s: string): string {
  const t = s.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** Line protocol escapes: tag values escape comma, equals and space [line protocol reference]. */
function tag(v: string): string {
  return v.replace(/[,= \\]/g, (c) => `\\${c}`);
}

/** One line; tag keys in sorted order, as InfluxDB prefers. `value=20` is a float (integers need `i`). */
export function toLine(r: StoredReading): string {
  return `reading,channel=${tag(r.channel)},instrument=${tag(r.instrument)},org=${tag(r.org)},status=${tag(r.status)} value=${r.value} ${r.ts}`;
}

/** InfluxQL string literal. */
function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const key = (instrument: string, channel: string, ts: number) => `${instrument}\u0000${channel}\u0000${ts}`;

interface QueryResult {
  results?: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}

const DEFAULT_RETRY = { attempts: 6, minMs: 100, maxMs: 5000, maxRetryAfterMs: 300_000 };
let loggerInstalled = false;

export async function openInfluxReadings(o: InfluxReadingsOptions): Promise<ReadingsStore> {
  const log = (o.log ?? silentLogger).child({ store: 'influx' });
  if (!loggerInstalled) {
    // The client logs every failed write on the console; ours are classified and logged by us.
    setLogger({ error: () => undefined, warn: () => undefined });
    loggerInstalled = true;
  }
  const url = o.url.replace(/\/+$/, '');
  const chunkLines = o.chunkLines ?? 5000;
  const retry = { ...DEFAULT_RETRY, ...o.retry };
  const timeout = o.timeoutMs ?? 10_000;
  const influx = new InfluxDB({ url, token: o.token, timeout });
  const authHeader: Record<string, string> = o.token ? { authorization: `Token ${o.token}` } : {};
  let closed = false;
  const abort = new AbortController();

  const influxql = async (q: string): Promise<QueryResult> => {
    if (closed) throw new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store is closed');
    let res: Response;
    try {
      res = await fetch(`${url}/query`, {
        method: 'POST',
        headers: { ...authHeader, accept: 'application/json' },
        body: new URLSearchParams({ db: o.bucket, q, epoch: 'ms' }),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (err) {
      throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url} not reachable for a query: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: QueryResult;
    try {
      body = JSON.parse(text) as QueryResult;
    } catch {
      throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url}/query answered ${res.status}: ${preview(text)}`);
    }
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (error || !res.ok) throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url}/query answered ${res.status}: ${error ?? preview(text)}`);
    return body;
  };

  /** Identities of `readings` already stored. */
  const existing = async (readings: StoredReading[]): Promise<Set<string>> => {
    const ranges = new Map<string, { instrument: string; channel: string; min: number; max: number }>();
    for (const r of readings) {
      const k = `${r.instrument}\u0000${r.channel}`;
      const cur = ranges.get(k);
      if (!cur) ranges.set(k, { instrument: r.instrument, channel: r.channel, min: r.ts, max: r.ts });
      else {
        if (r.ts < cur.min) cur.min = r.ts;
        if (r.ts > cur.max) cur.max = r.ts;
      }
    }
    const found = new Set<string>();
    const all = [...ranges.values()];
    for (let i = 0; i < all.length; i += 200) {
      const where = all
        .slice(i, i + 200)
        .map((s) => `(instrument = ${lit(s.instrument)} AND channel = ${lit(s.channel)} AND time >= ${s.min}ms AND time <= ${s.max}ms)`)
        .join(' OR ');
      const body = await influxql(`SELECT value FROM reading WHERE ${where} GROUP BY instrument, channel`);
      for (const s of body.results?.[0]?.series ?? []) {
        const inst = s.tags?.instrument ?? '';
        const ch = s.tags?.channel ?? '';
        for (const row of s.values) found.add(key(inst, ch, row[0] as number));
      }
    }
    return found;
  };

  /** One HTTP write of exactly these lines; resolves on 204, rejects with the client's error. */
  const post = async (lines: string[]): Promise<void> => {
    const api = influx.getWriteApi(o.org ?? '', o.bucket, 'ms', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      gzipThreshold: o.gzipThreshold ?? 1000,
    });
    try {
      api.writeRecords(lines);
      await api.flush();
    } finally {
      api.dispose();
    }
  };

  /** Writes lines, retrying transient failures; returns the indexes (into `lines`) refused for good. */
  const send = async (lines: string[], base: number): Promise<{ index: number; reason: string }[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await post(lines);
        return [];
      } catch (err) {
        const f = classifyWriteError(err);
        if (f.kind === 'permanent') {
          if (lines.length === 1) return [{ index: base, reason: `InfluxDB refused the point (${f.status}): ${f.message}` }];
          // Find the refused lines by halving; a partial write has stored the rest, and writing it again changes nothing.
          const half = Math.ceil(lines.length / 2);
          return [...(await send(lines.slice(0, half), base)), ...(await send(lines.slice(half), base + half))];
        }
        if (closed || attempt + 1 >= retry.attempts) {
          throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB write failed${f.status ? ` (${f.status})` : ''}: ${f.message}`, { status: f.status });
        }
        // Full jitter on the exponential step [AWS Architecture Blog, "Exponential Backoff And Jitter"], never below Retry-After.
        const backoff = Math.round(Math.random() * Math.min(retry.maxMs, retry.minMs * 2 ** attempt));
        const delayMs = f.retryAfterMs !== undefined ? Math.min(retry.maxRetryAfterMs, f.retryAfterMs) + backoff / 10 : backoff;
        o.onRetry?.({ status: f.status, delayMs, retryAfterMs: f.retryAfterMs });
        log.warn({ status: f.status, err: f.message, attempt: attempt + 1, retryInMs: Math.round(delayMs), lines: lines.length }, 'InfluxDB write failed; retrying');
        try {
          await sleep(delayMs, undefined, { signal: abort.signal });
        } catch {
          throw new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store closed during a write retry');
        }
      }
    }
  };

  const query = async (q: ReadingsQuery): Promise<Series[]> => {
    checkQuery(q);
    if (q.to <= q.from || q.limit === 0) {
      if (closed) throw new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store is closed');
      return [];
    }
    const where = [`instrument = ${lit(q.instrument)}`, `time >= ${q.from}ms`, `time < ${q.to}ms`];
    if (q.channel !== undefined) where.push(`channel = ${lit(q.channel)}`);
    let text: string;
    if (q.every !== undefined) {
      // Buckets start at from + k·every: InfluxDB aligns GROUP BY time() on the epoch, shifted by the offset.
      const offset = ((q.from % q.every) + q.every) % q.every;
      text = `SELECT mean(value), min(value), max(value), count(value) FROM reading WHERE ${where.join(' AND ')} GROUP BY time(${q.every}ms, ${offset}ms), channel fill(none)`;
    } else {
      text = `SELECT value, status FROM reading WHERE ${where.join(' AND ')} GROUP BY channel ORDER BY time ASC${q.limit !== undefined ? ` LIMIT ${q.limit}` : ''}`;
    }
    const body = await influxql(text);
    const out: Series[] = [];
    for (const s of body.results?.[0]?.series ?? []) {
      const col = (name: string) => s.columns.indexOf(name);
      const [t, v] = [col('time'), q.every !== undefined ? col('mean') : col('value')];
      const points: ReadingPoint[] =
        q.every !== undefined
          ? s.values.map((row) => ({ ts: row[t] as number, value: row[v] as number, min: row[col('min')] as number, max: row[col('max')] as number, count: row[col('count')] as number }))
          : s.values.map((row) => ({ ts: row[t] as number, value: row[v] as number, status: row[col('status')] as ReadingStatus }));
      if (points.length > 0) out.push({ channel: s.tags?.channel ?? '', points });
    }
    return out.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  };

  // Fail fast on a wrong URL or database, with the cause; an unreachable server is only a warning
  // (ingest holds messages until it answers).
  try {
    await influxql('SHOW RETENTION POLICIES'); // answers "database not found" for a wrong bucket
  } catch (err) {
    if (/database not found/i.test((err as Error).message)) {
      throw new MetronetError('E_CONFIG_INVALID', `readings.bucket "${o.bucket}" does not exist on ${url} (create it, or map it with a DBRP on InfluxDB 2.x)`);
    }
    log.warn({ url, err: (err as Error).message }, 'InfluxDB not reachable at start; writes wait for it');
  }
  log.info({ url, bucket: o.bucket, org: o.org }, 'InfluxDB readings store open');

  return {
    async write(readings): Promise<WriteResult> {
      if (closed) throw new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store is closed');
      // First copy of each identity in the batch, then only those not stored yet.
      const seen = new Set<string>();
      const fresh: StoredReading[] = [];
      for (const r of readings) {
        const k = key(r.instrument, r.channel, r.ts);
        if (!seen.has(k)) {
          seen.add(k);
          fresh.push(r);
        }
      }
      if (fresh.length === 0) return { refused: [] };
      const stored = await existing(fresh);
      const todo = stored.size === 0 ? fresh : fresh.filter((r) => !stored.has(key(r.instrument, r.channel, r.ts)));
      const refused: RefusedReading[] = [];
      for (let i = 0; i < todo.length; i += chunkLines) {
        const chunk = todo.slice(i, i + chunkLines);
        for (const bad of await send(chunk.map(toLine), 0)) refused.push({ reading: chunk[bad.index] as StoredReading, reason: bad.reason });
      }
      if (refused.length > 0) log.warn({ refused: refused.length, first: refused[0]?.reason }, 'InfluxDB refused some readings; they go to rejects');
      return { refused };
    },

    query,

    async count(instrument?: string) {
      const where = instrument === undefined ? '' : ` WHERE instrument = ${lit(instrument)}`;
      const body = await influxql(`SELECT count(value) FROM reading${where}`);
      const row = body.results?.[0]?.series?.[0]?.values?.[0];
      return row ? Number(row[1]) : 0;
    },

    async close() {
      closed = true;
      abort.abort();
    },
  };
}
