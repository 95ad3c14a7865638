import { Counter, Registry } from 'prom-client';

/** What the embedded broker counts (BrokerHandle.stats). */
export interface BrokerStats {
  connects: number;
  refusedConnects: number;
  refusedPublishes: number;
  refusedSubscribes: number;
}

/**
 * Prometheus metrics of the embedded broker (issue 6: MQTT refusals are "logged and counted").
 * Read from the broker's own counters at scrape time, as ingest's are (ingest/metrics.ts). No
 * default collectors: the process metrics come from the ingest worker's registry, and the two
 * expositions are served one after the other on the dashboard's GET /metrics.
 *
 * An alert on `increase(metronet_mqtt_refusals_total{kind="connect"}[5m]) > 10` catches a
 * gateway with a stale password after a rotation, or someone guessing.
 */
export function brokerMetrics(stats: () => BrokerStats): Registry {
  const registry = new Registry();
  new Counter({
    name: 'metronet_mqtt_refusals_total',
    help: 'MQTT requests the embedded broker refused: connect (bad credentials), publish and subscribe (topic ACL)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const s = stats();
      this.reset();
      this.inc({ kind: 'connect' }, s.refusedConnects);
      this.inc({ kind: 'publish' }, s.refusedPublishes);
      this.inc({ kind: 'subscribe' }, s.refusedSubscribes);
    },
  });
  new Counter({
    name: 'metronet_mqtt_connects_total',
    help: 'MQTT clients the embedded broker accepted',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats().connects);
    },
  });
  return registry;
}
