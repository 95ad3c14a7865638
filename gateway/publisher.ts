import { connect, type MqttClient } from 'mqtt';
import {
  GatewayStatus,
  LIMITS,
  ReadingsBatch,
  compile,
  topics,
  validateReading,
  type Logger,
  type MqttConnection,
  type Reading,
} from '../core/index.js';
import { BoundedQueue } from './buffer.js';
import type { SeqStore } from './seq.js';

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
  /** Readings held in memory while the broker is unreachable (default 100 000). */
  maxBuffer?: number;
  /** Longest wait for the last batches and the offline status at close (default 5 s). */
  closeTimeoutMs?: number;
}

export interface PublisherStats {
  /** Readings acknowledged by the broker. */
  published: number;
  batches: number;
  /** Readings dropped because the buffer was full. */
  dropped: number;
  /** Readings dropped because they broke the payload schema (a bug, logged as an error). */
  invalid: number;
  /** Last batch number handed out. */
  seq: number;
  buffered: number;
  connected: boolean;
}

const validateBatch = compile(ReadingsBatch);
const validateStatus = compile(GatewayStatus);

/** Room left in a message for the envelope around the readings array. */
const ENVELOPE_BYTES = 128;

interface Batch {
  seq: number;
  count: number;
  payload: string;
}

/**
 * Publishes readings batches and the gateway status. Readings wait in a bounded queue and go out
 * every publishMs, or as soon as maxBatch are waiting, one QoS 1 batch in flight at a time; a
 * batch keeps its seq until the broker acknowledges it, so resending never skips a number.
 */
export class Publisher {
  private readonly client: MqttClient;
  private readonly queue: BoundedQueue<Reading>;
  private readonly log: Logger;
  private readonly readingsTopic: string;
  private readonly statusTopic: string;
  private readonly timer: NodeJS.Timeout;
  private inflight: Batch | undefined;
  private draining: Promise<void> | undefined;
  private again: { all: boolean } | undefined;
  private published = 0;
  private batches = 0;
  private invalid = 0;
  private wasConnected = false;
  private closing = false;
  private lastError: string | undefined;
  private unreachableLogged = false;

  constructor(private readonly opts: PublisherOptions) {
    this.log = opts.logger;
    this.queue = new BoundedQueue(opts.maxBuffer ?? 100_000);
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
      if (this.closing) return;
      if (this.wasConnected) {
        this.log.warn({ buffered: this.queue.size }, 'MQTT connection lost; readings are buffered until it returns');
      } else if (!this.unreachableLogged) {
        // mqtt.js emits no 'error' for some failures (e.g. a refused CONNECT packet): say so here, once per outage.
        this.unreachableLogged = true;
        this.log.warn({ url: safeUrl(opts.mqtt.url), err: this.lastError }, 'MQTT broker not reachable; retrying every second, readings are buffered');
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
    this.timer = setInterval(() => this.kick(true), opts.publishMs);
  }

  push(readings: Reading[]): void {
    for (const r of readings) this.queue.push(r);
    if (this.queue.size >= this.opts.maxBatch) this.kick(false);
  }

  stats(): PublisherStats {
    return {
      published: this.published,
      batches: this.batches,
      dropped: this.queue.dropped,
      invalid: this.invalid,
      seq: this.opts.seq.last,
      buffered: this.queue.size,
      connected: this.client.connected,
    };
  }

  /** Sends what is waiting, publishes the offline status and disconnects gracefully. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    const limit = this.opts.closeTimeoutMs ?? 5000;
    if (this.client.connected) {
      await withTimeout(this.drainAll(), limit).catch((err: Error) => this.log.warn({ err: err.message }, 'last readings not published'));
      await withTimeout(this.publishStatus('offline'), limit).catch((err: Error) => this.log.warn({ err: err.message }, 'offline status not published'));
    }
    const unsent = this.queue.size + (this.inflight?.count ?? 0);
    if (unsent > 0) this.log.warn({ unsent }, 'readings not published before close');
    // A graceful end waits for in-flight acknowledgements, which never come on a dead connection.
    const graceful = this.client.connected && Object.keys(this.client.outgoing).length === 0;
    const ended = await withTimeout(this.client.endAsync(!graceful), limit).then(() => true, () => false);
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
  }

  private statusPayload(state: 'online' | 'offline'): string {
    const status = {
      v: 1 as const,
      gateway: this.opts.gatewayId,
      state,
      ts: Date.now(),
      ...(state === 'online' ? { version: this.opts.version, instruments: this.opts.instruments } : {}),
    };
    if (!validateStatus(status)) throw new Error(`gateway status breaks its schema: ${validateStatus.issues(status).map((i) => i.message).join('; ')}`);
    return JSON.stringify(status);
  }

  private async publishStatus(state: 'online' | 'offline'): Promise<void> {
    await this.client.publishAsync(this.statusTopic, this.statusPayload(state), { qos: 1, retain: true });
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
    while (this.client.connected && (this.inflight || this.queue.size >= maxBatch || (all && this.queue.size > 0))) {
      this.inflight ??= await this.nextBatch();
      if (!this.inflight) continue;
      await this.client.publishAsync(this.readingsTopic, this.inflight.payload, { qos: 1 });
      this.published += this.inflight.count;
      this.batches++;
      this.log.debug({ seq: this.inflight.seq, readings: this.inflight.count }, 'readings batch published');
      this.inflight = undefined;
    }
  }

  /** Takes the next batch off the queue: schema-checked, within the message size limit, numbered. */
  private async nextBatch(): Promise<Batch | undefined> {
    let readings = this.queue.take(this.opts.maxBatch);
    const valid = readings.filter((r) => validateReading(r));
    if (valid.length < readings.length) {
      const bad = readings.find((r) => !validateReading(r));
      this.invalid += readings.length - valid.length;
      this.log.error({ dropped: readings.length - valid.length, issues: validateReading.issues(bad).slice(0, 5) }, 'BUG: readings break the payload schema; dropped');
      readings = valid;
    }
    // Halve until the message fits the contract's size limit (ARCHITECTURE.md: ≤ 256 KiB).
    while (readings.length > 1 && Buffer.byteLength(JSON.stringify(readings)) > LIMITS.maxMessageBytes - ENVELOPE_BYTES) {
      const keep = Math.ceil(readings.length / 2);
      this.queue.putBack(readings.slice(keep));
      readings = readings.slice(0, keep);
    }
    if (readings.length === 0) return undefined;
    let seq: number;
    try {
      seq = await this.opts.seq.next();
    } catch (err) {
      this.queue.putBack(readings);
      throw err;
    }
    const batch = { v: 1 as const, gateway: this.opts.gatewayId, seq, readings };
    if (!validateBatch(batch)) {
      this.invalid += readings.length;
      this.log.error({ seq, issues: validateBatch.issues(batch).slice(0, 5) }, 'BUG: readings batch breaks its schema; dropped');
      return undefined;
    }
    return { seq, count: readings.length, payload: JSON.stringify(batch) };
  }
}

/** The broker URL without a password, for logs. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '[redacted]';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
