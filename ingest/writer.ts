import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/index.js';
import type { ReadingsStore, Registry, RejectRecord, StoredReading } from '../store/index.js';

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
  retry: { minMs: number; maxMs: number };
  log: Logger;
  onCommitted?: (readings: number) => void;
  onStoreError?: () => void;
}

interface Ticket {
  readings: StoredReading[];
  rejects: RejectRecord[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export class BatchWriter {
  private readonly queue: Ticket[] = [];
  /** Tickets of the write in progress. */
  private inFlight: Ticket[] = [];
  private abandoned = 0;
  private queued = 0;
  private writing = 0;
  private busy = false;
  private oldestAt = 0;
  private submits = 0;
  private submitsAtTick = 0;
  private tick: NodeJS.Immediate | null = null;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private readonly giveUp = new AbortController();

  constructor(private readonly o: WriterOptions) {}

  /** Readings not yet committed: queued plus being written. */
  get pending(): number {
    return this.queued + this.writing;
  }

  /** Queues one message's outcome; settles when it is committed (rejects only if abandoned at close). */
  submit(readings: StoredReading[], rejects: RejectRecord[]): Promise<void> {
    if (this.giveUp.signal.aborted) return Promise.reject(new Error('ingest closed before these readings could be stored'));
    return new Promise<void>((resolve, reject) => {
      if (this.queue.length === 0) this.oldestAt = Date.now();
      this.queue.push({ readings, rejects, resolve, reject });
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
    if (this.busy || this.queue.length > 0) {
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
    const left = [...this.inFlight, ...this.queue.splice(0)];
    this.inFlight = [];
    this.queued = 0;
    this.abandoned += left.length;
    const err = new Error('ingest closed before these readings could be stored');
    for (const t of left) t.reject(err);
  }

  private schedule(): void {
    if (this.busy || this.tick || this.queue.length === 0) return;
    this.submitsAtTick = this.submits;
    this.tick = setImmediate(() => {
      this.tick = null;
      const idle = this.submits === this.submitsAtTick;
      if (this.closing || idle || this.queued >= this.o.batchSize || Date.now() - this.oldestAt >= this.o.flushMs) void this.flush();
      else this.schedule();
    });
  }

  private async flush(): Promise<void> {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    // Whole tickets up to batchSize readings (at least one ticket): a message is acked as a unit.
    const tickets: Ticket[] = [];
    let n = 0;
    while (this.queue.length > 0 && (tickets.length === 0 || n + (this.queue[0]?.readings.length ?? 0) <= this.o.batchSize)) {
      const t = this.queue.shift() as Ticket;
      tickets.push(t);
      n += t.readings.length;
    }
    this.queued -= n;
    this.writing = n;
    this.inFlight = tickets;
    this.oldestAt = Date.now();
    const ok = await this.commit(tickets);
    this.writing = 0;
    this.busy = false;
    this.inFlight = [];
    if (ok) {
      this.o.onCommitted?.(n);
      for (const t of tickets) t.resolve();
    } // else close() has already rejected them
    if (this.pending <= this.o.maxPending) this.releaseRoom();
    if (this.queue.length > 0) this.schedule();
    else this.idleWaiters.splice(0).forEach((w) => w());
  }

  /** Commits one batch, retrying until it succeeds (true) or close gives up (false). */
  private async commit(tickets: Ticket[]): Promise<boolean> {
    const readings = tickets.length === 1 ? (tickets[0] as Ticket).readings : tickets.flatMap((t) => t.readings);
    const rejects = tickets.flatMap((t) => t.rejects);
    const done = { rejects: rejects.length === 0, readings: readings.length === 0, latest: readings.length === 0 };
    for (let attempt = 0; ; attempt++) {
      try {
        // Rejects first: they are small, local, and tell people why even while the readings store is down.
        if (!done.rejects) this.o.registry.recordRejects(rejects);
        done.rejects = true;
        if (!done.readings) await this.o.readings.write(readings);
        done.readings = true;
        if (!done.latest) this.o.registry.updateLatest(readings);
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
