import type { Aedes } from 'aedes';
import { Counter, Gauge, Registry } from 'prom-client';
import { scrapedCounter } from '../core/metrics.js';

/** What the embedded broker counts (BrokerHandle.stats). */
export interface BrokerStats {
  connects: number;
  refusedConnects: number;
  refusedPublishes: number;
  refusedSubscribes: number;
  /** Issue 16: sign-ins refused without a password check while a delay runs (broker/index.ts). */
  throttledConnects: number;
  refusedConnectionsPerLogin: number;
  /** Packets over maxPacketBytes or with a malformed remaining length; the connection was closed. */
  refusedPackets: number;
  /** Connections closed before signing in: too slow, too many bytes, or not CONNECT first. */
  refusedUnauthenticated: number;
  refusedPublishRate: number;
}

/** The `kind` label of metronet_mqtt_refusals_total, and the count behind each. */
const REFUSAL_KINDS: Record<string, keyof BrokerStats> = {
  connect: 'refusedConnects',
  publish: 'refusedPublishes',
  subscribe: 'refusedSubscribes',
  throttled: 'throttledConnects',
  connections_per_login: 'refusedConnectionsPerLogin',
  packet_size: 'refusedPackets',
  unauthenticated: 'refusedUnauthenticated',
  publish_rate: 'refusedPublishRate',
};

/**
 * Prometheus metrics of the embedded broker (issue 6: MQTT refusals are "logged and counted").
 * Read from the broker's own counters at scrape time, as ingest's are (ingest/metrics.ts). No
 * default collectors: a process collects those once (cli/ops.ts), and the in-process stack serves
 * every service's registry in one exposition on the dashboard's GET /metrics.
 *
 * An alert on `increase(metronet_mqtt_refusals_total{kind="connect"}[5m]) > 10` catches a
 * gateway with a stale password after a rotation, or someone guessing.
 */
export function brokerMetrics(stats: () => BrokerStats, aedes?: Aedes): Registry {
  const registry = new Registry();
  if (aedes) trafficMetrics(registry, aedes);
  new Counter({
    name: 'metronet_mqtt_refusals_total',
    help: 'MQTT requests the embedded broker refused: connect (bad credentials), publish and subscribe (topic ACL); issue 16: throttled (sign-in delay running), connections_per_login, packet_size (over maxPacketBytes or malformed), unauthenticated (not signed in in time or within maxConnectBytes), publish_rate',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const s = stats();
      this.reset();
      for (const [kind, key] of Object.entries(REFUSAL_KINDS)) this.inc({ kind }, s[key]);
    },
  });
  scrapedCounter(registry, 'metronet_mqtt_connects_total', 'MQTT clients the embedded broker accepted', () => stats().connects);
  return registry;
}

/**
 * Connections and traffic of the embedded broker (issue 9): clients connected now, PUBLISH
 * packets received from clients, and QoS 1/2 deliveries the subscribers acknowledged. aedes has
 * no event per outgoing QoS 0 delivery, so "out" counts acknowledged deliveries, which is what
 * matters for readings (QoS 1). The broker's own `$SYS` publications have no client and are not
 * counted.
 */
function trafficMetrics(registry: Registry, aedes: Aedes): void {
  let publishesIn = 0;
  let acksIn = 0;
  aedes.on('publish', (_packet, client) => {
    if (client) publishesIn++;
  });
  aedes.on('ack', () => acksIn++);
  new Gauge({
    name: 'metronet_mqtt_clients_connected',
    help: 'MQTT clients connected to the embedded broker now',
    registers: [registry],
    collect() {
      this.set(aedes.connectedClients);
    },
  });
  scrapedCounter(registry, 'metronet_mqtt_messages_in_total', 'PUBLISH packets the embedded broker accepted from clients', () => publishesIn);
  scrapedCounter(
    registry,
    'metronet_mqtt_deliveries_acked_total',
    'QoS 1/2 messages the embedded broker delivered and the subscriber acknowledged',
    () => acksIn,
  );
}
