import { MetronetError, type ReadingStatus } from '../core/index.js';
import { shorten } from './influx-write.js';
import type { ReadingPoint, ReadingsQuery, Series, StoredReading } from './types.js';

/**
 * Reads of the InfluxDB readings store: InfluxQL on the v1-compatible `/query` endpoint (1.x,
 * 2.x with a DBRP mapping, 3.x), the statements it sends, and what it makes of the answers.
 */

interface QueryResult {
  results?: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  error?: string;
}
type InfluxSeries = NonNullable<NonNullable<QueryResult['results']>[number]['series']>[number];

export interface InfluxQLOptions {
  url: string;
  bucket: string;
  token?: string | undefined;
  timeoutMs: number;
  /** Aborted when the store closes: no statement is sent after that. */
  signal: AbortSignal;
}

/** The `/query` endpoint; every failure is E_STORE_UNAVAILABLE naming the server and its answer. */
export class InfluxQL {
  private readonly headers: Record<string, string>;

  constructor(private readonly o: InfluxQLOptions) {
    this.headers = { ...(o.token ? { authorization: `Token ${o.token}` } : {}), accept: 'application/json' };
  }

  /** The first statement's series. */
  async series(q: string): Promise<InfluxSeries[]> {
    return (await this.run(q)).results?.[0]?.series ?? [];
  }

  async run(q: string): Promise<QueryResult> {
    const { url } = this.o;
    if (this.o.signal.aborted) throw closedError();
    let res: Response;
    try {
      res = await fetch(`${url}/query`, {
        method: 'POST',
        headers: this.headers,
        body: new URLSearchParams({ db: this.o.bucket, q, epoch: 'ms' }),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url} not reachable for a query: ${(err as Error).message}`);
    }
    const text = await res.text();
    let body: QueryResult;
    try {
      body = JSON.parse(text) as QueryResult;
    } catch {
      throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url}/query answered ${res.status}: ${shorten(text)}`);
    }
    const error = body.error ?? body.results?.find((r) => r.error)?.error;
    if (error || !res.ok) throw new MetronetError('E_STORE_UNAVAILABLE', `InfluxDB ${url}/query answered ${res.status}: ${error ?? shorten(text)}`);
    return body;
  }
}

export const closedError = () => new MetronetError('E_STORE_UNAVAILABLE', 'the InfluxDB readings store is closed');

/** InfluxQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A reading's identity (instrument, channel, ts) as one string. */
export const identity = (instrument: string, channel: string, ts: number) => `${instrument}\u0000${channel}\u0000${ts}`;

/** Series asked about per statement when looking for stored identities. */
const SERIES_PER_STATEMENT = 200;

/**
 * Statements that find which identities of `readings` are stored: per series (instrument,
 * channel) the batch's own time range, at most 200 series per statement.
 */
export function existingStatements(readings: StoredReading[]): string[] {
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
  const all = [...ranges.values()];
  const out: string[] = [];
  for (let i = 0; i < all.length; i += SERIES_PER_STATEMENT) {
    const where = all
      .slice(i, i + SERIES_PER_STATEMENT)
      .map((s) => `(instrument = ${lit(s.instrument)} AND channel = ${lit(s.channel)} AND time >= ${s.min}ms AND time <= ${s.max}ms)`)
      .join(' OR ');
    out.push(`SELECT value FROM reading WHERE ${where} GROUP BY instrument, channel`);
  }
  return out;
}

/** Identities of `readings` already stored. */
export async function existingIdentities(ql: InfluxQL, readings: StoredReading[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const statement of existingStatements(readings)) {
    for (const s of await ql.series(statement)) {
      const inst = s.tags?.instrument ?? '';
      const ch = s.tags?.channel ?? '';
      for (const row of s.values) found.add(identity(inst, ch, row[0] as number));
    }
  }
  return found;
}

/** The statement of one readings query: raw points, or aggregates per `every` bucket. */
export function readingsStatement(q: ReadingsQuery): string {
  const where = [`instrument = ${lit(q.instrument)}`, `time >= ${q.from}ms`, `time < ${q.to}ms`];
  if (q.channel !== undefined) where.push(`channel = ${lit(q.channel)}`);
  if (q.org !== undefined) where.push(`org = ${lit(q.org)}`);
  if (q.every !== undefined) {
    // Buckets start at from + k·every: InfluxDB aligns GROUP BY time() on the epoch, shifted by the offset.
    const offset = ((q.from % q.every) + q.every) % q.every;
    return `SELECT mean(value), min(value), max(value), count(value) FROM reading WHERE ${where.join(' AND ')} GROUP BY time(${q.every}ms, ${offset}ms), channel fill(none)`;
  }
  return `SELECT value, status FROM reading WHERE ${where.join(' AND ')} GROUP BY channel ORDER BY time ASC${q.limit !== undefined ? ` LIMIT ${q.limit}` : ''}`;
}

/** The answer to readingsStatement as series per channel, in channel order. */
export function toSeries(series: InfluxSeries[], aggregated: boolean): Series[] {
  const out: Series[] = [];
  for (const s of series) {
    const col = (name: string) => s.columns.indexOf(name);
    const [t, v] = [col('time'), aggregated ? col('mean') : col('value')];
    const points: ReadingPoint[] = aggregated
      ? s.values.map((row) => ({
          ts: row[t] as number,
          value: row[v] as number,
          min: row[col('min')] as number,
          max: row[col('max')] as number,
          count: row[col('count')] as number,
        }))
      : s.values.map((row) => ({ ts: row[t] as number, value: row[v] as number, status: row[col('status')] as ReadingStatus }));
    if (points.length > 0) out.push({ channel: s.tags?.channel ?? '', points });
  }
  return out.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}
