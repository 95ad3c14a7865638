import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError, type InfluxDB } from '@influxdata/influxdb-client';
import { MetronetError, isInstance, type Logger } from '../core/index.js';
import type { StoredReading } from './types.js';

/**
 * Writes of the InfluxDB readings store (store/readings-influx.ts explains why the client's own
 * buffering and retrying are off): line protocol, failure classification, one HTTP write per
 * chunk, retries of transient failures.
 */

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
    if (DATA_ERROR.test(body) || status === 400 || status === 413 || status === 422) return { kind: 'permanent', status, message: shorten(body) };
    const header = headerValue(err.headers, 'retry-after');
    return { kind: 'transient', status, retryAfterMs: parseRetryAfter(header), message: shorten(body) };
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

/** At most 300 characters of an answer body, for messages and logs. */
export function shorten(s: string): string {
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

export interface RetryPolicy {
  attempts: number;
  minMs: number;
  maxMs: number;
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, minMs: 100, maxMs: 5000, maxRetryAfterMs: 300_000 };

export interface LineWriterOptions {
  influx: InfluxDB;
  org: string;
  bucket: string;
  gzipThreshold: number;
  retry: RetryPolicy;
  log: Logger;
  /** Aborted when the store closes: retry waits end, and no new attempt starts. */
  signal: AbortSignal;
  onRetry?: ((info: { status?: number; delayMs: number; retryAfterMs?: number }) => void) | undefined;
}

/** One line refused for good: its index in the lines written, and InfluxDB's reason. */
export interface RefusedLine {
  index: number;
  reason: string;
}

/** Sends line protocol to `/api/v2/write`, one awaited HTTP request per call of post(). */
export class LineWriter {
  constructor(private readonly o: LineWriterOptions) {}

  /**
   * Writes lines, retrying transient failures; returns the lines refused for good (indexes into
   * `lines`, plus `base`). Throws E_STORE_UNAVAILABLE when the attempts run out or the store closes.
   */
  async send(lines: string[], base = 0): Promise<RefusedLine[]> {
    const { retry } = this.o;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.post(lines);
        return [];
      } catch (err) {
        const f = classifyWriteError(err);
        if (f.kind === 'permanent') return this.findRefused(lines, base, f);
        if (this.o.signal.aborted || attempt + 1 >= retry.attempts) {
          throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB write failed${f.status ? ` (${f.status})` : ''}: ${f.message}`, { status: f.status });
        }
        await this.wait(f, attempt, lines.length);
      }
    }
  }

  /** A permanent failure: the refused lines are found by halving; a partial write has stored the rest, and writing it again changes nothing. */
  private async findRefused(lines: string[], base: number, f: Extract<WriteFailure, { kind: 'permanent' }>): Promise<RefusedLine[]> {
    if (lines.length === 1) return [{ index: base, reason: `InfluxDB refused the point (${f.status}): ${f.message}` }];
    const half = Math.ceil(lines.length / 2);
    return [...(await this.send(lines.slice(0, half), base)), ...(await this.send(lines.slice(half), base + half))];
  }

  /** Full jitter on the exponential step [AWS Architecture Blog, "Exponential Backoff And Jitter"], never below Retry-After. */
  private async wait(f: Extract<WriteFailure, { kind: 'transient' }>, attempt: number, lines: number): Promise<void> {
    const { retry } = this.o;
    const backoff = Math.round(Math.random() * Math.min(retry.maxMs, retry.minMs * 2 ** attempt));
    const delayMs = f.retryAfterMs !== undefined ? Math.min(retry.maxRetryAfterMs, f.retryAfterMs) + backoff / 10 : backoff;
    this.o.onRetry?.({ status: f.status, delayMs, retryAfterMs: f.retryAfterMs });
    this.o.log.warn({ status: f.status, err: f.message, attempt: attempt + 1, retryInMs: Math.round(delayMs), lines }, 'InfluxDB write failed; retrying');
    try {
      await sleep(delayMs, undefined, { signal: this.o.signal });
    } catch {
      throw new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store closed during a write retry');
    }
  }

  /**
   * One HTTP write of exactly these lines; resolves on 204, rejects with the client's error. A
   * write API of its own per call, with no retries, no flush interval and a batch larger than the
   * lines, so that the promise settles with the answer for exactly these lines.
   */
  private async post(lines: string[]): Promise<void> {
    const api = this.o.influx.getWriteApi(this.o.org, this.o.bucket, 'ms', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      gzipThreshold: this.o.gzipThreshold,
    });
    try {
      api.writeRecords(lines);
      await api.flush();
    } finally {
      api.dispose();
    }
  }
}
