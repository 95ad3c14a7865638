import { Counter, Gauge, Registry } from 'prom-client';
import type { GatewayStats } from './index.js';

/** What the metrics read of one running gateway (GatewayHandle has both). */
export interface GatewaySource {
  stats(): GatewayStats;
  spoolOldestTs(): number | undefined;
}

export interface GatewayMetrics {
  registry: Registry;
  /** Adds a running gateway under its id; its series disappear after remove(). */
  add(id: string, gateway: GatewaySource): void;
  remove(id: string): void;
}

/**
 * Prometheus metrics of the gateways of one process (issue 9), labelled by gateway id: one
 * registry for all of them, since a process may run many (the demo runs one per site) and one
 * exposition cannot hold a metric name twice. Read from each gateway's stats at scrape time, as
 * ingest's are (ingest/metrics.ts); no default collectors (the process's ops listener has them).
 *
 * The spool's age is the number to alert on: `metronet_gateway_spool_oldest_age_seconds > 600`
 * means a site has not reached the broker for ten minutes, whatever its reading rate.
 */
export function gatewayMetrics(now: () => number = Date.now): GatewayMetrics {
  const registry = new Registry();
  const sources = new Map<string, GatewaySource>();
  const each = (fn: (id: string, s: GatewayStats, g: GatewaySource) => void) => {
    for (const [id, g] of sources) fn(id, g.stats(), g);
  };
  const perGateway = (kind: 'counter' | 'gauge', name: string, help: string, pick: (s: GatewayStats, g: GatewaySource) => number) => {
    const Metric = kind === 'counter' ? Counter : Gauge;
    return new Metric({
      name,
      help,
      labelNames: ['gateway'],
      registers: [registry],
      collect(this: Counter<'gateway'> | Gauge<'gateway'>) {
        this.reset();
        each((id, s, g) => this.inc({ gateway: id }, pick(s, g)));
      },
    });
  };
  perGateway('gauge', 'metronet_gateway_spool_readings', 'readings held in the spool until the broker acknowledges them', (s) => s.buffered);
  perGateway('gauge', 'metronet_gateway_spool_oldest_age_seconds', 'age (now minus device time) of the oldest reading in the spool; 0 when empty', (_s, g) => {
    const ts = g.spoolOldestTs();
    return ts === undefined ? 0 : Math.max(0, (now() - ts) / 1000);
  });
  perGateway('gauge', 'metronet_gateway_connected', '1 while the gateway is connected to the broker', (s) => (s.connected ? 1 : 0));
  perGateway('counter', 'metronet_gateway_readings_published_total', 'readings the broker acknowledged', (s) => s.published);
  perGateway('counter', 'metronet_gateway_readings_dropped_total', 'readings dropped because the spool was full', (s) => s.dropped);
  const perDevice = (name: string, help: string, pick: (d: GatewayStats['devices'][number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['gateway', 'device'],
      registers: [registry],
      collect() {
        this.reset();
        each((id, s) => {
          for (const d of s.devices) this.inc({ gateway: id, device: d.name }, pick(d));
        });
      },
    });
  perDevice('metronet_gateway_polls_total', 'device polls (Modbus read cycles, serial frames awaited)', (d) => d.polls);
  perDevice('metronet_gateway_poll_errors_total', 'device polls in which at least one request failed (timeout, exception, no answer)', (d) => d.failures);
  perDevice(
    'metronet_gateway_record_gaps_total',
    'event records (checkweigher packages) lost before they were read: overwritten in the device ring, or without a valid time; 0 for devices without records',
    (d) => d.records?.recordGaps ?? 0,
  );
  return { registry, add: (id, g) => void sources.set(id, g), remove: (id) => void sources.delete(id) };
}
