import { setTimeout as sleep } from 'node:timers/promises';
import {
  INGEST_DEFAULTS,
  parseTopic,
  preview,
  silentLogger,
  subscriptions,
  topics,
  type IngestConfig,
  type Logger,
  type MqttConnection,
  type RejectsNotice,
  type Service,
} from '../core/index.js';
import { isTransientStoreError, type ReadingsStore, type Registry, type RejectRecord } from '../store/index.js';
import { judge, type Verdict } from './handlers.js';
import { configuredBounds } from './admission.js';
import { Lookups, type LookupOptions } from './lookups.js';
import type { Registry as MetricsRegistry } from 'prom-client';
import { ingestMetrics } from './metrics.js';
import { Counters, type IngestStats } from './stats.js';
import { subscribe, type Intake, type Subscriber } from './subscriber.js';
import { BatchWriter } from './writer.js';

export type { IngestStats } from './stats.js';

/**
 * Ingest: MQTT readings and gateway statuses in, validated, into the stores; a message is
 * acknowledged only once what it brought (readings and reasons for rejects) is committed.
 *
 * A message that makes a handler throw:
 * - if the registry is unavailable (locked, full, I/O error), that is not the message's fault:
 *   it is judged again after a backoff, unacknowledged meanwhile;
 * - otherwise it is a bug, and judging it again gives the same throw. It is recorded as one
 *   E_INTERNAL reject (visible in the API with the error), none of its readings are stored (a
 *   half-judged message cannot be trusted), and it is acknowledged once that record is
 *   committed. Not acknowledging it would not bring it back (MQTT 3.1.1 redelivers only on
 *   reconnect) but would hold one slot of the broker's in-flight window for good; a handful of
 *   such messages would stall ingest entirely. The reject record is how it is not lost silently.
 */
export interface IngestOptions {
  mqtt: MqttConnection;
  ingest: IngestConfig;
  registry: Registry;
  readings: ReadingsStore;
  logger?: Logger;
  now?: () => number;
  /** Longest close() waits for pending writes before leaving them unacknowledged. Default 10 000 ms. */
  closeTimeoutMs?: number;
  /** Backoff of store retries: doubles from minMs up to maxMs. Default 100 ms → 5 s. */
  retry?: { minMs: number; maxMs: number };
  lookups?: LookupOptions;
}

export interface IngestHandle extends Service {
  stats(): IngestStats;
  /** Rejects since start, newest first (default 100, at most the last 1 000 kept in memory). */
  recentRejects(limit?: number): RejectRecord[];
  /** Prometheus text exposition of this worker's metrics (GET /metrics). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The worker's metrics registry, to serve beside others in one exposition. */
  metricsRegistry: MetricsRegistry;
  /** Connected to the broker and taking messages (readiness). */
  connected(): boolean;
  /** Messages given up at close before their commit (left unacknowledged: the broker delivers them again). */
  abandoned(): number;
}

/** Reasons listed in one rejects notice to a gateway (the API has them all). */
const NOTICE_REASONS = 20;

/** Pending readings beyond which intake pauses, in batches: enough to keep the store busy, bounded memory. */
const MAX_PENDING_BATCHES = 10;

/** Writes handed to a store with ordered writes at once (each a full batch but the first). */
const ORDERED_WRITES_IN_FLIGHT = 4;

export async function start(opts: IngestOptions): Promise<IngestHandle> {
  const log = (opts.logger ?? silentLogger).child({ svc: 'ingest' });
  const clock = opts.now ?? Date.now;
  const { registry } = opts;
  const cfg = opts.ingest;
  const retry = opts.retry ?? { minMs: 100, maxMs: 5000 };
  const counters = new Counters(log);
  const lookups = new Lookups(registry, opts.lookups);
  const unregistered = configuredBounds(cfg);
  const writer = new BatchWriter({
    readings: opts.readings,
    registry,
    batchSize: cfg.batchSize,
    flushMs: cfg.flushMs,
    maxPending: MAX_PENDING_BATCHES * cfg.batchSize,
    // Several writes at once where the store applies them in order (SQLite's writer thread): the
    // next batches already wait in the store when one commits, and it commits them together.
    writesInFlight: (opts.readings as { orderedWrites?: unknown }).orderedWrites === true ? ORDERED_WRITES_IN_FLIGHT : 1,
    retry,
    log,
    onCommitted: (n) => (counters.stored += n),
    onStoreError: () => counters.storeErrors++,
    onRefused: (rejects) => counters.noteRejects(rejects),
    onWriteLatency: (s) => metrics.observeWrite(s),
  });
  const metrics = ingestMetrics(() => counters.snapshot(writer.pending), { worker: cfg.clientId });
  let subscriber: Subscriber | undefined;

  /** Tells a gateway why readings of its batch were refused, once the rest is stored (topic `…/{gateway}/rejects`). */
  const notify = (org: string, gateway: string, seq: number | undefined, rejects: RejectRecord[]) => {
    const notice: RejectsNotice = {
      v: 1,
      gateway,
      ...(seq !== undefined ? { seq } : {}),
      ts: clock(),
      rejected: rejects.length,
      reasons: rejects.slice(0, NOTICE_REASONS).map((r) => ({
        code: r.code,
        message: r.message,
        ...(r.field !== undefined ? { field: r.field } : {}),
        ...(r.value !== undefined ? { value: preview(r.value, 80) } : {}),
        ...(r.instrument ? { instrument: r.instrument } : {}),
      })),
    };
    subscriber?.publish(topics.rejects(org, gateway), JSON.stringify(notice));
  };
  const stopIntake = new AbortController();

  const judgeWithRetry = async (topic: string, payload: Buffer, retained = false): Promise<Verdict> => {
    for (let attempt = 0; ; attempt++) {
      const now = clock();
      try {
        // An instrument removed or reassigned since the last message is judged afresh (no cache window).
        lookups.sync();
        return judge(
          {
            registry,
            lookups,
            now,
            maxFutureMs: cfg.maxFutureMs,
            maxClockSkewMs: cfg.maxClockSkewMs ?? INGEST_DEFAULTS.maxClockSkewMs,
            retained,
            unregistered,
          },
          topic,
          payload,
        );
      } catch (err) {
        if (!isTransientStoreError(err)) return internalError(err as Error, topic, now);
        counters.storeErrors++;
        const delay = Math.min(retry.maxMs, retry.minMs * 2 ** attempt);
        log.error(
          { err: (err as Error).message, topic, attempt: attempt + 1, retryInMs: delay },
          'registry unavailable while judging a message; not acknowledged, retrying',
        );
        await sleep(delay, undefined, { signal: stopIntake.signal }); // rejects at close: the message stays unacknowledged
      }
    }
  };

  const internalError = (err: Error, topic: string, now: number): Verdict => {
    const t = parseTopic(topic);
    log.error({ err, topic }, 'ingest failed on a message; recorded as E_INTERNAL and acknowledged');
    const reject: RejectRecord = {
      ts: now,
      org: t && 'org' in t ? t.org : null,
      gateway: t && 'gateway' in t ? t.gateway : null,
      instrument: null,
      code: 'E_INTERNAL',
      field: '(payload)',
      rule: 'handler',
      value: preview(err.message, 120),
      message: `ingest failed on this message and stored none of it (${err.message}); it was acknowledged so that it cannot block the broker, see the ingest log`,
    };
    return { readings: [], rejects: [reject], readingsIn: 0 };
  };

  let pausedLogged = false;
  let abandoned = 0;
  const intake: Intake = {
    async accept(topic, payload, retained) {
      counters.received++;
      const receivedAt = Date.now();
      const verdict = await judgeWithRetry(topic, payload, retained);
      counters.readingsIn += verdict.readingsIn;
      counters.noteRejects(verdict.rejects, verdict.seq);
      const t = parseTopic(topic);
      const source = t && t.kind === 'readings' ? { org: t.org, gateway: t.gateway, seq: verdict.seq } : undefined;
      const committed = writer.submit(verdict.readings, verdict.rejects, source);
      committed.then(
        () => metrics.observeCommit(receivedAt, newestTs(verdict.readings)),
        () => abandoned++,
      );
      if (source) {
        committed.then(
          (rejects) => rejects.length > 0 && notify(source.org, source.gateway, source.seq, rejects),
          () => undefined,
        );
      }
      return { committed };
    },
    room() {
      const room = writer.room();
      if (!room) {
        pausedLogged = false;
        return undefined;
      }
      counters.paused++;
      if (!pausedLogged)
        log.warn({ pending: writer.pending, bound: MAX_PENDING_BATCHES * cfg.batchSize }, 'store is behind; intake paused, the broker holds further messages');
      pausedLogged = true;
      return room;
    },
  };

  // With a share group, the broker hands each readings message to one worker of the group
  // [MQTT-4.8.2]; statuses are shared too (each is about one gateway, any worker may record it).
  const group = cfg.shareGroup;
  const subscribed = group
    ? [subscriptions.sharedReadings(group), `$share/${group}/${subscriptions.allStatus}`]
    : [subscriptions.allReadings, subscriptions.allStatus];
  subscriber = await subscribe({
    mqtt: opts.mqtt,
    clientId: cfg.clientId,
    topics: subscribed,
    intake,
    log,
    onAck: () => counters.acked++,
  });

  let closing: Promise<void> | undefined;
  return {
    stats: () => counters.snapshot(writer.pending),
    recentRejects: (limit) => counters.recentRejects(limit),
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    metricsRegistry: metrics.registry,
    connected: () => !closing && subscriber?.connected === true,
    abandoned: () => abandoned,
    close() {
      closing ??= (async () => {
        subscriber?.stop();
        stopIntake.abort();
        const abandoned = await writer.close(opts.closeTimeoutMs ?? 10_000);
        if (abandoned > 0)
          log.warn(
            { messages: abandoned },
            'closed before these messages were stored; left unacknowledged, the broker delivers them again to the next session',
          );
        await new Promise((resolve) => setImmediate(resolve)); // the last PUBACKs leave before DISCONNECT
        await subscriber?.end();
        log.info(counters.snapshot(writer.pending), 'ingest closed');
      })();
      return closing;
    },
  };
}

function newestTs(readings: { ts: number }[]): number | undefined {
  let max: number | undefined;
  for (const r of readings) if (max === undefined || r.ts > max) max = r.ts;
  return max;
}
