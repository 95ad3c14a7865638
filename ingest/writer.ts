import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/index.js';
import type { ReadingsStore, Registry, RejectRecord, StoredReading, WriteResult } from '../store/index.js';

/**
 * The batching writer. Each message becomes one ticket (its accepted readings and its rejects);
 * tickets are committed in arrival order and each ticket's promise settles once everything in
 * it is durable, which is when the message may be acknowledged. Tickets resolve strictly in
 * order, so PUBACKs leave in the order the PUBLISHes came [MQTT-4.6.0-2].
 *
 * When to write. A batch is written when `batchSize` readings wait, when the oldest has waited
 * `flushMs`, or as soon as one turn of the event loop brings no new message, whichever comes
 * first. The last rule matters: unacknowledged messages fill the broker's in-flight window
 * (Mosquitto `max_inflight_messages` 20, EMQX `max_inflight` 32 by default), and a full window
 * sends nothing more until we acknowledge, so lingering for companions that cannot come would
 * cap throughput at window/flushMs. Batches still grow where batching pays: while one write is
 * in progress (a slow disk, a remote store), everything arriving meanwhile forms the next batch.
 * With `writesInFlight` > 1 (stores with ordered writes: SQLite's writer thread), full batches
 * waiting behind a write in progress are handed to the store at once, so the store starts on
 * them the moment the previous one commits (and may commit them together); tickets still
 * resolve strictly in order.
 *
 * Readings the store refuses for good (WriteResult.refused: an InfluxDB field-type conflict…)
 * are not retried: they become E_STORE_REFUSED rejects of their message, recorded like any
 * other, and the message is acknowledged with the rest stored.
 *
 * A failed commit is retried with exponential backoff, for ever, never acknowledged meanwhile:
 * dropping readings is not an option and the broker keeps the messages we have not acked. The
 * steps of a commit are idempotent or remembered (readings: INSERT OR IGNORE; latest values only
 * move forward; rejects are recorded once per batch), so a retry repeats no effect.
 */
export interface WriterOptions {
  readings: ReadingsStore;
  registry: Registry;
  batchSize: number;
  flushMs: number;
  /** Readings waiting (queued plus being written) beyond which intake pauses. */
  maxPending: number;
  /**
   * Store writes at once (default 1). More than one only for a store that applies concurrent
   * writes in call order, each atomically (`orderedWrites`): further full batches are then handed
   * to the store while the first is being written, so the store never waits for the event loop.
   */
  writesInFlight?: number;
  retry: { minMs: number; maxMs: number };
  log: Logger;
  onCommitted?: (readings: number) => void;
  onStoreError?: () => void;
  /** Rejects made from readings the store refused for good (already recorded in the registry). */
  onRefused?: (rejects: RejectRecord[]) => void;
  /** Duration of each successful readings-store write, in seconds. */
  onWriteLatency?: (seconds: number) => void;
}

/** Where a message came from, to name it in the rejects of readings the store refused. */
export interface TicketSource {
  org: string;
  gateway: string;
  seq?: number | undefined;
}

interface Ticket {
  readings: StoredReading[];
  rejects: RejectRecord[];
  source?: TicketSource | undefined;
  resolve: (rejects: RejectRecord[]) => void;
  reject: (err: Error) => void;
}

export class BatchWriter {
  private readonly queue: Ticket[] = [];
  /** Tickets of the writes in progress, one array per write. */
  private inFlight: Ticket[][] = [];
  /** Settles when the latest write started has settled its tickets (the next one resolves after it). */
  private tail: Promise<void> = Promise.resolve();
  private abandoned = 0;
  private queued = 0;
  private writing = 0;
  private flights = 0;
  private oldestAt = 0;
  private submits = 0;
  private submitsAtTick = 0;
  private tick: NodeJS.Immediate | null = null;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private readonly giveUp = new AbortController();

  private readonly maxFlights: number;

  constructor(private readonly o: WriterOptions) {
    this.maxFlights = Math.max(1, Math.floor(o.writesInFlight ?? 1));
  }

  /** Readings not yet committed: queued plus being written. */
  get pending(): number {
    return this.queued + this.writing;
  }

  /**
   * Queues one message's outcome; settles when it is committed, with all of the message's rejects
   * (those given plus readings the store refused); rejects only if abandoned at close.
   */
  submit(readings: StoredReading[], rejects: RejectRecord[], source?: TicketSource): Promise<RejectRecord[]> {
    if (this.giveUp.signal.aborted) return Promise.reject(new Error('ingest closed before these readings could be stored'));
    return new Promise<RejectRecord[]>((resolve, reject) => {
      if (this.queue.length === 0) this.oldestAt = Date.now();
      this.queue.push({ readings, rejects, source, resolve, reject });
      this.queued += readings.length;
      this.submits++;
      this.schedule();
    });
  }

  /** Undefined while there is room; otherwise resolves when pending falls to maxPending. */
  room(): Promise<void> | undefined {
    if (this.pending <= this.o.maxPending || this.closing) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Writes what is queued and waits for it, at most `timeoutMs`; then abandons what could not be
   * committed (those tickets reject, their messages stay unacknowledged and the broker delivers
   * them again to the next session), without waiting for a store call that may never return.
   * Returns the number of abandoned tickets (messages).
   */
  async close(timeoutMs: number): Promise<number> {
    this.closing = true;
    this.releaseRoom();
    this.schedule();
    if (this.flights > 0 || this.queue.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
      const done = await Promise.race([idle, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
      clearTimeout(timer);
      if (!done) this.abandon();
    }
    if (this.tick) clearImmediate(this.tick);
    this.tick = null;
    return this.abandoned;
  }

  private abandon(): void {
    this.giveUp.abort();
    const left = [...this.inFlight.flat(), ...this.queue.splice(0)];
    this.inFlight = [];
    this.queued = 0;
    this.writing = 0;
    this.abandoned += left.length;
    const err = new Error('ingest closed before these readings could be stored');
    for (const t of left) t.reject(err);
  }

  private schedule(): void {
    if (this.tick || this.queue.length === 0 || this.flights >= this.maxFlights) return;
    // Behind a write in progress only a full batch goes (or everything, when closing); the rest
    // waits for that write to end and so grows into the next batch.
    if (this.flights > 0 && this.queued < this.o.batchSize && !this.closing) return;
    this.submitsAtTick = this.submits;
    this.tick = setImmediate(() => {
      this.tick = null;
      const idle = this.submits === this.submitsAtTick;
      const full = this.queued >= this.o.batchSize;
      if (this.flights > 0 ? full || this.closing : this.closing || idle || full || Date.now() - this.oldestAt >= this.o.flushMs) this.flush();
      else this.schedule();
    });
  }

  private flush(): void {
    if (this.flights >= this.maxFlights || this.queue.length === 0) return;
    // Whole tickets up to batchSize readings (at least one ticket): a message is acked as a unit.
    const tickets: Ticket[] = [];
    let n = 0;
    while (this.queue.length > 0 && (tickets.length === 0 || n + (this.queue[0]?.readings.length ?? 0) <= this.o.batchSize)) {
      const t = this.queue.shift() as Ticket;
      tickets.push(t);
      n += t.readings.length;
    }
    this.queued -= n;
    this.writing += n;
    this.flights++;
    this.inFlight.push(tickets);
    this.oldestAt = Date.now();
    const previous = this.tail;
    const committed = this.commit(tickets).catch((err: Error) => {
      // commit() handles store errors itself; this is a bug: fail the messages, unacknowledged.
      this.o.log.error({ err: err.message }, 'batch writer failed');
      for (const t of tickets) t.reject(err);
      return false;
    });
    this.tail = committed.then(async (ok) => {
      await previous; // tickets resolve strictly in order, whichever write ends first
      this.flights--;
      this.writing = Math.max(0, this.writing - n);
      const at = this.inFlight.indexOf(tickets);
      if (at >= 0) this.inFlight.splice(at, 1);
      if (ok) {
        this.o.onCommitted?.(n);
        for (const t of tickets) t.resolve(t.rejects);
      } // else close() has already rejected them
      if (this.pending <= this.o.maxPending) this.releaseRoom();
      if (this.queue.length > 0) this.schedule();
      else if (this.flights === 0) this.idleWaiters.splice(0).forEach((w) => w());
    });
    this.schedule(); // a full batch may already wait behind this one
  }

  /** Commits one batch, retrying until it succeeds (true) or close gives up (false). */
  private async commit(tickets: Ticket[]): Promise<boolean> {
    const readings = tickets.length === 1 ? (tickets[0] as Ticket).readings : concat(tickets, (t) => t.readings);
    const rejects = concat(tickets, (t) => t.rejects);
    const done = { rejects: rejects.length === 0, readings: readings.length === 0, refused: true, latest: readings.length === 0 };
    let stored = readings;
    let refused: RejectRecord[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        // Rejects first: they are small, local, and tell people why even while the readings store is down.
        if (!done.rejects) this.o.registry.recordRejects(rejects);
        done.rejects = true;
        if (!done.readings) {
          const t0 = performance.now();
          const result = await this.o.readings.write(readings);
          this.o.onWriteLatency?.((performance.now() - t0) / 1000);
          if (result && result.refused.length > 0) {
            ({ stored, refused } = refusedRejects(tickets, result));
            done.refused = false;
          }
        }
        done.readings = true;
        if (!done.refused) {
          this.o.registry.recordRejects(refused);
          this.o.onRefused?.(refused);
        }
        done.refused = true;
        if (!done.latest) this.o.registry.updateLatest(stored);
        done.latest = true;
        if (attempt > 0) this.o.log.info({ readings: readings.length, attempts: attempt + 1 }, 'store write succeeded after retries');
        return true;
      } catch (err) {
        this.o.onStoreError?.();
        const delay = Math.min(this.o.retry.maxMs, this.o.retry.minMs * 2 ** attempt);
        this.o.log.error(
          { err: (err as Error).message, readings: readings.length, messages: tickets.length, attempt: attempt + 1, retryInMs: delay },
          'store write failed; the messages stay unacknowledged and the write is retried',
        );
        try {
          await sleep(delay, undefined, { signal: this.giveUp.signal });
        } catch {
          return false; // close gave up
        }
      }
    }
  }

  private releaseRoom(): void {
    this.roomWaiters.splice(0).forEach((w) => w());
  }
}

/** E_STORE_REFUSED rejects for the readings the store refused, added to their tickets; and what was stored. */
function refusedRejects(tickets: Ticket[], result: WriteResult): { stored: StoredReading[]; refused: RejectRecord[] } {
  const reasons = new Map(result.refused.map((r) => [r.reading, r.reason]));
  const stored: StoredReading[] = [];
  const refused: RejectRecord[] = [];
  const now = Date.now();
  for (const t of tickets) {
    for (const r of t.readings) {
      const reason = reasons.get(r);
      if (reason === undefined) {
        stored.push(r);
        continue;
      }
      const reject: RejectRecord = {
        ts: now,
        org: r.org,
        gateway: t.source?.gateway ?? null,
        instrument: r.instrument,
        code: 'E_STORE_REFUSED',
        field: `${r.instrument}/${r.channel}@${r.ts}`,
        rule: 'store',
        value: r.value,
        message: reason,
      };
      t.rejects.push(reject);
      refused.push(reject);
    }
  }
  return { stored, refused };
}

/** The arrays of all tickets, one after the other (a plain loop: flatMap is several times slower on thousands of readings). */
function concat<T>(tickets: Ticket[], of: (t: Ticket) => T[]): T[] {
  let n = 0;
  for (const t of tickets) n += of(t).length;
  const out = new Array<T>(n);
  let i = 0;
  for (const t of tickets) for (const x of of(t)) out[i++] = x;
  return out;
}
