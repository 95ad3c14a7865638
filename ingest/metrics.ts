import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ERRORS, type ErrorCode } from '../core/index.js';
import { scrapedCounter } from '../core/metrics.js';
import type { IngestStats } from './stats.js';

/**
 * Prometheus metrics of one ingest worker, through prom-client: it writes the text exposition
 * format (escaping, HELP/TYPE lines, cumulative histogram buckets) that Prometheus, VictoriaMetrics
 * and Grafana Agent scrape, and its default collectors give process RSS, heap, event-loop lag and
 * GC for free. Each worker has a registry of its own (tests run several in one process).
 *
 * The counters read the same numbers as `stats()` at scrape time (one source of truth): readings
 * in/s is `rate(metronet_ingest_readings_in_total[1m])`, stored/s likewise.
 */
export interface IngestMetrics {
  registry: Registry;
  observeWrite(seconds: number): void;
  /**
   * One message committed: `receivedAt` is when it reached ingest, `newestTs` the ts of its newest
   * stored reading (none for a status or an all-rejected batch).
   */
  observeCommit(receivedAt: number, newestTs: number | undefined, now?: number): void;
}

/** Broker → commit latency buckets, 5 ms … 60 s: a batch on a quiet store commits in milliseconds, a backlog after an outage takes longer. */
const COMMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Store write latency buckets, 1 ms … 30 s: a local SQLite commit is ~1 ms, a remote InfluxDB batch tens of ms, a retried one seconds. */
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function ingestMetrics(stats: () => IngestStats, labels: { worker: string }): IngestMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, pick: (s: IngestStats) => number) => scrapedCounter(registry, name, help, () => pick(stats()));
  counter('metronet_ingest_messages_received_total', 'MQTT messages received by ingest (every topic)', (s) => s.received);
  counter('metronet_ingest_readings_in_total', 'readings carried by received messages, valid or not', (s) => s.readingsIn);
  counter('metronet_ingest_readings_stored_total', 'readings committed to the readings store', (s) => s.stored);
  counter('metronet_ingest_messages_acked_total', 'messages acknowledged to the broker after their commit', (s) => s.acked);
  counter('metronet_ingest_store_errors_total', 'failed store commits (each is retried)', (s) => s.storeErrors);
  counter('metronet_ingest_paused_total', 'times intake paused because the store was behind', (s) => s.paused);
  new Counter({
    name: 'metronet_ingest_rejects_total',
    help: 'reasons for refused readings and messages, by error code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      const rejected = stats().rejected;
      for (const code of Object.keys(ERRORS) as ErrorCode[]) this.inc({ code }, rejected[code] ?? 0);
    },
  });
  new Gauge({
    name: 'metronet_ingest_queue_readings',
    help: 'readings received and not yet committed (queued plus being written); bounded, intake pauses beyond it',
    registers: [registry],
    collect() {
      this.set(stats().pending);
    },
  });
  const writes = new Histogram({
    name: 'metronet_store_write_seconds',
    help: 'duration of successful readings-store writes',
    buckets: WRITE_BUCKETS,
    registers: [registry],
  });
  // Lag: how far behind the devices the store is. Gateways stamp each reading when the device was
  // read, so `now - ts` of the newest reading of the last committed batch is the whole path
  // (poll → spool → MQTT → ingest → store); an alert on lag > 5 min catches a backlog at once.
  const lag = new Gauge({
    name: 'metronet_ingest_lag_seconds',
    help: 'now minus the ts of the newest reading of the last committed batch (device read to store)',
    registers: [registry],
  });
  const commits = new Histogram({
    name: 'metronet_ingest_commit_latency_seconds',
    help: 'from a message reaching ingest (delivered by the broker) to its commit in the store, i.e. until it may be acknowledged',
    buckets: COMMIT_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    observeWrite: (s) => writes.observe(s),
    observeCommit(receivedAt, newestTs, now = Date.now()) {
      commits.observe(Math.max(0, now - receivedAt) / 1000);
      if (newestTs !== undefined) lag.set((now - newestTs) / 1000);
    },
  };
}
