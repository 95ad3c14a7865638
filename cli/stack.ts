import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION, type GatewayConfig, type Logger, type MetronetConfig, type Profile, type Service } from '../core/index.js';
import { auditFiles, openReadings, openRegistry } from '../store/index.js';
import type { ReadingsStore, Registry } from '../store/types.js';
import * as broker from '../broker/index.js';
import * as ingest from '../ingest/index.js';
import * as analytics from '../analytics/index.js';
import * as dashboard from '../dashboard/index.js';
import * as gateway from '../gateway/index.js';
import { gatewayMetrics } from '../gateway/metrics.js';
import { exposition, lifecycle } from './ops.js';
import { auditCheckpointsOf } from './services.js';

/**
 * Composes the services of one process. `run` and `demo` both come through here, so the demo
 * exercises exactly the code path of a real deployment: gateways → MQTT → ingest → stores → API.
 */
export interface Stack extends Service {
  registry: Registry;
  readings: ReadingsStore;
  brokerUrl: string;
  dashboardUrl: string;
  ingest: ingest.IngestHandle;
  analytics: analytics.AnalyticsHandle;
  gateways: gateway.GatewayHandle[];
}

export interface StackOptions {
  config: MetronetConfig;
  profiles: Map<string, Profile>;
  logger: Logger;
  /** Runs before gateways start: the demo seeds the registry and starts simulators here. */
  beforeGateways?: (stack: Pick<Stack, 'registry' | 'readings' | 'analytics'>) => Promise<{ gateways: GatewayConfig[]; services: Service[] }>;
}

export async function startStack({ config, profiles, logger, beforeGateways }: StackOptions): Promise<Stack> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const started: Service[] = [];
  const closeAll = async () => {
    for (const s of started.reverse()) {
      try {
        await s.close();
      } catch (err) {
        logger.error({ err }, 'error while stopping a service');
      }
    }
  };
  try {
    const registry = openRegistry(join(dataDir, 'registry.db'), { audit: auditFiles(config.audit, dataDir).key });
    started.push({ close: async () => registry.close() });
    const readings = await openReadings(config.readings, dataDir, { log: logger });
    started.push(readings);

    // The embedded broker authenticates every client against the registry (issue 6). The
    // services of this process get their own service logins, with secrets made afresh at each
    // start and kept nowhere but as hashes.
    const mqttBroker = await broker.start({ ...config.broker, logger, auth: broker.registryAuth(registry, logger) });
    started.push(mqttBroker);
    const tlsClient = config.broker.tls ? { ca: config.broker.tls.cert } : {};
    const serviceLogin = async (name: string) => {
      const { secret } = await registry.identity.setMqttCredential({ username: `svc-${name}`, kind: 'service', subject: name });
      return { ...config.mqtt, ...tlsClient, url: mqttBroker.url, username: `svc-${name}`, password: secret };
    };

    const ingestHandle = await ingest.start({ mqtt: await serviceLogin('ingest'), ingest: config.ingest, registry, readings, logger });
    started.push(ingestHandle);

    const gatewayStats = gatewayMetrics();
    const analyticsHandle = await analytics.start({
      mqtt: await serviceLogin('analytics'),
      analytics: config.analytics,
      registry,
      readings,
      logger,
      auditCheckpoints: auditCheckpointsOf(config),
    });
    started.push(analyticsHandle);

    const web = await dashboard.start({
      ...config.dashboard,
      registry,
      readings,
      logger,
      version: VERSION,
      health: () => ({ broker: { ok: true, detail: mqttBroker.url } }),
      // Every service of this process in one exposition (issue 9): ingest (with the process
      // metrics), broker, analytics and gateways; exposition() refuses a metric name twice.
      metrics: exposition([ingestHandle.metricsRegistry, mqttBroker.metrics, analyticsHandle.metrics, gatewayStats.registry]),
      draining: () => lifecycle.draining,
      rejectCounts: () => ingestHandle.stats().rejected,
      analytics: analyticsHandle.engine,
      webhooks: config.analytics.webhooks, // where webhooks may point, checked at creation too (issue 16)
      auditCheckpointFile: auditCheckpointsOf(config).file,
      attachmentsDir: join(dataDir, 'attachments'),
    });
    started.push(web);

    const extra = beforeGateways ? await beforeGateways({ registry, readings, analytics: analyticsHandle }) : { gateways: [], services: [] };
    analyticsHandle.evaluateNow(); // due dates and standards of what was just seeded, without waiting a period
    started.push(...extra.services);

    // The composing code's gateways (the demo's) speak to this broker; their configs say so, so
    // that what else uses them (the demo stations' calibration reports) reaches it too.
    for (const gw of extra.gateways) gw.mqtt = { ...gw.mqtt, url: mqttBroker.url };
    const gateways: gateway.GatewayHandle[] = [];
    for (const gw of [...config.gateways, ...extra.gateways]) {
      const handle = await gateway.start({
        ...gw,
        mqtt: { ...gw.mqtt, ...tlsClient, url: mqttBroker.url },
        profiles,
        stateDir: gw.stateDir ?? join(dataDir, 'gateways'),
        logger,
      });
      gateways.push(handle);
      gatewayStats.add(gw.id, handle);
      started.push(handle);
    }

    return {
      registry,
      readings,
      brokerUrl: mqttBroker.url,
      dashboardUrl: web.url,
      ingest: ingestHandle,
      analytics: analyticsHandle,
      gateways,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
