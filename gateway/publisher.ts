import { connect, type MqttClient } from 'mqtt';
import { SPOOL_DEFAULTS, topics, validateReading, withTimeout, type Logger, type MqttConnection, type Reading } from '../core/index.js';
import { fittingCount, readingJson, readingsPayloadFromJson, statusPayload } from './format.js';
import { safeUrl, tlsOptions } from './mqtt-options.js';
import type { SeqStore } from './seq.js';
import type { Spool } from './spool.js';

export interface PublisherOptions {
  gatewayId: string;
  org: string;
  mqtt: MqttConnection;
  publishMs: number;
  maxBatch: number;
  instruments: Array<{ instrument: string; profile: string }>;
  version: string;
  seq: SeqStore;
  logger: Logger;
  /** Where readings wait until the broker acknowledges them. */
  spool: Spool;
  /** Readings per second sent at most while a backlog drains (default spool.drainPerSecond's). */
  drainPerSecond?: number;
  /** Longest wait for the last batches and the offline status at close (default 5 s). */
  closeTimeoutMs?: number;
  /** Wait after each connect before the spool's replay window is sent again (default spool.replayDelayMs's; see Spool). */
  replayDelayMs?: number;
}

export interface PublisherStats {
  /** Readings acknowledged by the broker. */
  published: number;
  batches: number;
  /** Readings dropped because the spool was full. */
  dropped: number;
  /** The spool is at its limit and its full policy is dropping readings. */
  spoolFull: boolean;
  /** Readings dropped because they broke the payload schema (a bug, logged as an error). */
  invalid: number;
  /** Acknowledged readings sent again after a reconnect (replay window), since start. */
  replayed: number;
  /** Spool writes SQLite refused (locked by another process, disk full), since start; retried. */
  spoolWriteErrors: number;
  /** Last batch number handed out. */
  seq: number;
  buffered: number;
  connected: boolean;
}

interface Batch {
  seq: number;
  count: number;
  lastId: number;
  payload: string;
  /** Settles when the broker acknowledges it. */
  acked: Promise<void>;
}

/**
 * Batches published ahead of their acknowledgement. One at a time caps throughput at one batch
 * per round trip; the broker acknowledges QoS 1 messages in the order received [MQTT-4.6.0-2],
 * so a window keeps order and lets the spool drop each batch as its PUBACK arrives.
 */
const WINDOW = 4;

/**
 * Publishes readings batches and the gateway status. Readings wait in the on-disk spool and go
 * out every publishMs, or as soon as maxBatch are waiting, up to WINDOW QoS 1 batches in flight,
 * oldest first, at most drainPerSecond readings a second; a batch keeps its seq until the broker
 * acknowledges it (PUBACK), and only then do its readings leave the spool.
 */
export class Publisher {
  private readonly client: MqttClient;
  private readonly spool: Spool;
  private readonly log: Logger;
  private readonly readingsTopic: string;
  private readonly statusTopic: string;
  private readonly timer: NodeJS.Timeout;
  private inflight: Batch[] = [];
  private draining: Promise<void> | undefined;
  private again: { all: boolean } | undefined;
  private published = 0;
  private batches = 0;
  private invalid = 0;
  private wasConnected = false;
  private closing = false;
  private lastError: string | undefined;
  private unreachableLogged = false;
  private lastSpoolState = '';
  private replayTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PublisherOptions) {
    this.log = opts.logger;
    this.spool = opts.spool;
    this.readingsTopic = topics.readings(opts.org, opts.gatewayId);
    this.statusTopic = topics.status(opts.org, opts.gatewayId);
    const clientId = opts.mqtt.clientId ?? opts.gatewayId;
    this.client = connect(opts.mqtt.url, {
      clientId,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(opts.mqtt.username !== undefined ? { username: opts.mqtt.username } : {}),
      ...(opts.mqtt.password !== undefined ? { password: opts.mqtt.password } : {}),
      ...tlsOptions(opts.mqtt),
      // The broker publishes this if the gateway vanishes without a DISCONNECT [MQTT-3.1.2-8].
      will: { topic: this.statusTopic, payload: Buffer.from(this.statusPayload('offline')), qos: 1, retain: true },
    });
    this.log.info({ url: safeUrl(opts.mqtt.url), clientId, username: opts.mqtt.username, topic: this.readingsTopic }, 'connecting to MQTT broker');
    this.client.on('connect', () => this.onConnect());
    this.client.on('reconnect', () => {
      // The will is fixed at connect time; refresh its ts so "offline" is not dated at first start.
      if (this.client.options.will) this.client.options.will.payload = Buffer.from(this.statusPayload('offline'));
    });
    this.client.on('close', () => {
      clearTimeout(this.replayTimer);
      if (this.closing) return;
      if (this.wasConnected) {
        this.log.warn({ spooled: this.spool.size }, 'MQTT connection lost; readings are spooled on disk until it returns');
      } else if (!this.unreachableLogged) {
        // mqtt.js emits no 'error' for some failures (e.g. a refused CONNECT packet): say so here, once per outage.
        this.unreachableLogged = true;
        this.log.warn({ url: safeUrl(opts.mqtt.url), err: this.lastError }, 'MQTT broker not reachable; retrying every second, readings are spooled on disk');
      }
      this.wasConnected = false;
    });
    // mqtt.js emits 'error' for refused connections (bad credentials, ACL); unhandled it would throw.
    // It retries every second, so a repeated error is logged once, not once a second.
    this.client.on('error', (err) => {
      const level = err.message === this.lastError ? 'debug' : 'warn';
      this.lastError = err.message;
      this.log[level]({ err: err.message }, 'MQTT client error');
    });
    this.timer = setInterval(() => {
      this.kick(true);
      this.refreshStatus();
    }, opts.publishMs);
  }

  /** Spools readings; one that breaks the payload schema (a bug) is logged and never spooled. */
  push(readings: Reading[]): void {
    const valid = readings.filter((r) => validateReading(r));
    if (valid.length < readings.length) {
      const bad = readings.find((r) => !validateReading(r));
      this.invalid += readings.length - valid.length;
      this.log.error(
        { dropped: readings.length - valid.length, issues: validateReading.issues(bad).slice(0, 5) },
        'BUG: readings break the payload schema; dropped',
      );
    }
    this.spool.append(valid.map(readingJson));
    if (this.spool.size >= this.opts.maxBatch) this.kick(false);
  }

  stats(): PublisherStats {
    return {
      published: this.published,
      batches: this.batches,
      dropped: this.spool.dropped,
      spoolFull: this.spool.full,
      invalid: this.invalid,
      replayed: this.spool.replayed,
      spoolWriteErrors: this.spool.writeErrors,
      seq: this.opts.seq.last,
      buffered: this.spool.size,
      connected: this.client.connected,
    };
  }

  /** Sends what is waiting, publishes the offline status and disconnects gracefully. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    clearTimeout(this.replayTimer);
    const limit = this.opts.closeTimeoutMs ?? 5000;
    if (this.client.connected) {
      await withTimeout(this.drainAll(), limit).catch((err: Error) => this.log.warn({ err: err.message }, 'last readings not published'));
      await withTimeout(this.publishStatus('offline'), limit).catch((err: Error) => this.log.warn({ err: err.message }, 'offline status not published'));
    }
    this.spool.flush();
    if (this.spool.size > 0) this.log.info({ spooled: this.spool.size }, 'readings stay in the spool until the next start');
    // A graceful end waits for in-flight acknowledgements, which never come on a dead connection.
    const graceful = this.client.connected && Object.keys(this.client.outgoing).length === 0;
    const ended = await withTimeout(this.client.endAsync(!graceful), limit).then(
      () => true,
      () => false,
    );
    if (!ended) this.client.stream?.destroy();
    this.log.info(this.stats(), 'publisher closed');
  }

  private onConnect(): void {
    this.wasConnected = true;
    this.lastError = undefined;
    this.unreachableLogged = false;
    this.log.info({ topic: this.statusTopic }, 'connected to MQTT broker');
    this.publishStatus('online').catch((err: Error) => this.log.warn({ err: err.message }, 'online status not published'));
    this.kick(true);
    // The broker may have restarted and lost what it had acknowledged but not yet delivered; the
    // subscribers (ingest) need a moment to reconnect and subscribe again before a replay reaches them.
    // The replay includes what this connection had acknowledged meanwhile: a restarted broker
    // acknowledges and drops messages no subscription matches yet (test/faults/kill9.test.ts,
    // Mosquitto while ingest is behind, lost readings when the replay left those out).
    clearTimeout(this.replayTimer);
    this.replayTimer = setTimeout(() => this.replayWindow(), this.opts.replayDelayMs ?? SPOOL_DEFAULTS.replayDelayMs);
  }

  /** Sends the spool's replay window again (Spool, "Replay window"); ingest keeps each reading once. */
  private replayWindow(): void {
    if (this.closing || !this.client.connected) return;
    try {
      const n = this.spool.replay();
      if (n === 0) return;
      this.log.info({ readings: n }, 'sending recently acknowledged readings again after a reconnect, in case the broker lost them before they were stored');
      this.kick(true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'replay window not sent; spool unavailable');
    }
  }

  private statusPayload(state: 'online' | 'offline'): string {
    const spool = { depth: this.spool.size, full: this.spool.full, dropped: this.spool.dropped };
    return statusPayload(this.opts.gatewayId, state, { version: this.opts.version, instruments: this.opts.instruments, spool });
  }

  private async publishStatus(state: 'online' | 'offline'): Promise<void> {
    this.lastSpoolState = this.spoolState();
    await this.client.publishAsync(this.statusTopic, this.statusPayload(state), { qos: 1, retain: true });
  }

  /**
   * The retained status carries the spool's full flag and loss count, so the province sees a
   * gateway that lost readings to a long outage as soon as it is back: republished when either
   * changes (depth alone changes every poll and is refreshed with them, not on its own).
   */
  private spoolState(): string {
    return `${this.spool.full}/${this.spool.dropped}`;
  }

  private refreshStatus(): void {
    if (!this.client.connected || this.closing || this.spoolState() === this.lastSpoolState) return;
    this.publishStatus('online').catch((err: Error) => this.log.warn({ err: err.message }, 'status not published'));
  }

  /** Starts a drain, or asks the running one to go round again. `all`: also send a partial batch. */
  private kick(all: boolean): void {
    if (this.closing && !all) return;
    if (this.draining) {
      this.again = { all: all || (this.again?.all ?? false) };
      return;
    }
    this.draining = this.drain(all)
      .catch((err: Error) => this.log.warn({ err: err.message }, 'readings batch not published; will retry'))
      .finally(() => {
        this.draining = undefined;
        const again = this.again;
        this.again = undefined;
        if (again && !this.closing) this.kick(again.all);
      });
  }

  private async drainAll(): Promise<void> {
    while (this.draining) await this.draining;
    await this.drain(true);
  }

  private async drain(all: boolean): Promise<void> {
    const { maxBatch } = this.opts;
    const perSecond = this.opts.drainPerSecond ?? SPOOL_DEFAULTS.drainPerSecond;
    try {
      while (this.client.connected) {
        // Everything staged goes to disk first: no reading is published before it is spooled.
        this.spool.flush();
        // SQLite refuses writes (Spool, "Errors"): publish when its retry is due, not at every kick.
        if (!this.spool.writable) return;
        while (this.inflight.length < WINDOW) {
          const unsent = this.spool.size - this.inflight.reduce((n, b) => n + b.count, 0);
          const resend = this.spool.pending.length > this.inflight.length; // after a restart or a lost connection
          if (!resend && unsent < maxBatch && !(all && unsent > 0)) break;
          const batch = await this.nextBatch(this.inflight.at(-1)?.lastId ?? 0);
          if (!batch) break;
          this.inflight.push(batch);
        }
        const head = this.inflight[0];
        if (!head) return;
        const t0 = Date.now();
        await head.acked;
        // PUBACK received: the broker owns these readings now.
        this.inflight.shift();
        this.spool.ack(head.lastId);
        this.published += head.count;
        this.batches++;
        this.log.debug({ seq: head.seq, readings: head.count }, 'readings batch published');
        // A bounded drain rate: a day of backlog must not flood the broker or ingest at reconnect.
        const wait = (head.count * 1000) / perSecond - (Date.now() - t0);
        if (wait > 1 && !this.closing && this.spool.size > 0) await new Promise((r) => setTimeout(r, wait));
      }
    } catch (err) {
      // The connection failed under the window: the spool still lists every batch as pending, so
      // the next drain republishes them, same rows and same seq.
      this.inflight = [];
      throw err;
    }
  }

  /** The next batch after row `afterId`: a pending one again, or new readings within the size limit. */
  private async nextBatch(afterId: number): Promise<Batch | undefined> {
    const got = this.spool.next(this.opts.maxBatch, afterId);
    if (!got) return undefined;
    let { bodies, lastId } = got;
    let seq = got.seq;
    if (seq === undefined) {
      const n = fittingCount(bodies);
      if (n < bodies.length) {
        bodies = bodies.slice(0, n);
        lastId = got.ids[n - 1]!;
      }
      seq = await this.opts.seq.next();
      this.spool.markPending(seq, got.ids[0]!, lastId);
    }
    const payload = readingsPayloadFromJson(this.opts.gatewayId, seq, bodies);
    const acked = this.client.publishAsync(this.readingsTopic, payload, { qos: 1 }).then(() => undefined);
    acked.catch(() => undefined); // awaited in order by drain(); a failure there ends the drain
    return { seq, count: bodies.length, lastId, payload, acked };
  }
}
