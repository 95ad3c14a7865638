import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION, type GatewayConfig, type Logger, type MetronetConfig, type OpsListener, type Profile, type Service } from '../core/index.js';
import { auditFiles, openReadings, openRegistry } from '../store/index.js';
import type { ReadingsStore, Registry } from '../store/types.js';
import * as broker from '../broker/index.js';
import * as ingest from '../ingest/index.js';
import * as analytics from '../analytics/index.js';
import * as dashboard from '../dashboard/index.js';
import * as gateway from '../gateway/index.js';
import { gatewayMetrics } from '../gateway/metrics.js';
import { exposition, lifecycle, probe, startOps, type Checks, type OpsServer } from './ops.js';

/**
 * One service per process (`metronet broker | ingest | analytics | dashboard | gateway`), for
 * deployments across processes or machines: ingest workers on an external broker (Mosquitto,
 * EMQX) sharing `$share/{ingest.shareGroup}/…`, one analytics process, a dashboard reading the
 * same stores. Each serves its ops endpoints when `{service}.ops` is configured (cli/ops.ts) and
 * returns a handle whose close() drains and stops everything it started, the ops listener last
 * (so that /ready answers 503 while the service drains).
 */
export interface ServiceProcess extends Service {
  ops?: OpsServer;
  /** Unfinished work after close(), for the exit code (cli/ops.ts runUntilSignal). */
  leftover?(): Record<string, unknown> | undefined;
}

/** Closes in reverse order of start, then the `last` ones (the ops listener), logging (not throwing) each failure. */
class Closers {
  private readonly list: (() => Promise<void>)[] = [];
  private readonly lastList: (() => Promise<void>)[] = [];
  constructor(private readonly logger: Logger) {}
  add(c: () => Promise<void> | void): void {
    this.list.push(async () => c());
  }
  last(c: () => Promise<void> | void): void {
    this.lastList.push(async () => c());
  }
  async closeAll(): Promise<void> {
    for (const c of [...this.list.splice(0).reverse(), ...this.lastList.splice(0)])
      await c().catch((err: unknown) => this.logger.error({ err }, 'error while stopping'));
  }
}

async function withOps(
  closers: Closers,
  logger: Logger,
  service: string,
  listener: OpsListener | undefined,
  registries: import('prom-client').Registry[],
  ready: () => Checks | Promise<Checks>,
): Promise<OpsServer | undefined> {
  if (!listener) return undefined;
  const ops = await startOps({ service, listener, registries, ready, logger });
  closers.last(() => ops.close());
  return ops;
}

function openRegistryIn(config: MetronetConfig): Registry {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return openRegistry(join(dataDir, 'registry.db'), { audit: auditFiles(config.audit, dataDir).key });
}

/** Where the analytics service writes audit checkpoints, and how often (docs/security.md). */
export function auditCheckpointsOf(config: MetronetConfig): { file: string; everyMs: number } {
  return { file: auditFiles(config.audit, resolve(config.dataDir)).checkpointFile, everyMs: config.audit.checkpointEveryMs };
}

const storeChecks = async (registry: Registry, readings?: ReadingsStore): Promise<Checks> => ({
  registry: probe(() => registry.listOrgs()),
  ...(readings
    ? {
        readings: await readings.count('__health__').then(
          () => ({ ok: true }),
          (err: Error) => ({ ok: false, detail: err.message }),
        ),
      }
    : {}),
});

/** Starts `body` with a closer list; on a failure, closes what was started and rethrows. */
async function starting<T>(logger: Logger, body: (closers: Closers) => Promise<T>): Promise<T> {
  const closers = new Closers(logger);
  try {
    return await body(closers);
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}

export async function startBrokerOnly(config: MetronetConfig, logger: Logger): Promise<broker.BrokerHandle & ServiceProcess> {
  return starting(logger, async (closers) => {
    // Logins and topic rules come from the registry in dataDir (issue 6).
    const registry = openRegistryIn(config);
    closers.add(() => registry.close());
    const handle = await broker.start({ ...config.broker, logger, auth: broker.registryAuth(registry, logger) });
    closers.add(() => handle.close());
    const ops = await withOps(closers, logger, 'broker', config.broker.ops, [handle.metrics], () => storeChecks(registry));
    return { ...handle, ops, close: () => closers.closeAll() };
  });
}

export interface IngestProcess extends ServiceProcess {
  handle: ingest.IngestHandle;
  /** Port of the ops listener (/metrics, /health, /ready) when one was asked for. */
  metricsPort?: number;
}

/** An ingest worker on `config.mqtt` (the broker is elsewhere). `metricsPort` is the older flag for `ingest.ops.port`. */
export async function startIngestOnly(config: MetronetConfig, logger: Logger, opts: { metricsPort?: number } = {}): Promise<IngestProcess> {
  return starting(logger, async (closers) => {
    const registry = openRegistryIn(config);
    closers.add(() => registry.close());
    const readings = await openReadings(config.readings, resolve(config.dataDir), { log: logger });
    closers.add(() => readings.close());
    // The worker gives up on uncommitted batches (left unacknowledged: the broker delivers them
    // again) a little before the process's own deadline, so that it can say what it left.
    const handle = await ingest.start({
      mqtt: config.mqtt,
      ingest: config.ingest,
      registry,
      readings,
      logger,
      closeTimeoutMs: Math.max(100, config.shutdownTimeoutMs - Math.max(1000, config.shutdownTimeoutMs * 0.2)),
    });
    closers.add(() => handle.close());
    const listener = config.ingest.ops ?? (opts.metricsPort !== undefined ? { host: '127.0.0.1', port: opts.metricsPort } : undefined);
    const ops = await withOps(closers, logger, 'ingest', listener, [handle.metricsRegistry], async () => ({
      broker: handle.connected() ? { ok: true } : { ok: false, detail: `not connected to ${config.mqtt.url}` },
      ...(await storeChecks(registry, readings)),
    }));
    return {
      handle,
      ops,
      metricsPort: ops?.port,
      leftover: () => {
        const messages = handle.abandoned();
        return messages > 0 ? { messagesNotStored: messages, note: 'left unacknowledged; the broker delivers them again to the next session' } : undefined;
      },
      close: () => closers.closeAll(),
    };
  });
}

export interface AnalyticsProcess extends ServiceProcess {
  handle: analytics.AnalyticsHandle;
}

/**
 * Analytics alone on `config.mqtt` with its service login: checks from the checks topic, the
 * periodic evaluation (due dates, offline instruments), station watching, and the delivery of
 * alerts (MQTT, and the webhook queue kept in the registry). It shares the registry with a
 * dashboard that records checks posted through the API (see startDashboardOnly), hence
 * `sharedRegistry`: channel states are rebuilt from the store rather than kept in memory.
 */
export async function startAnalyticsOnly(config: MetronetConfig, logger: Logger): Promise<AnalyticsProcess> {
  return starting(logger, async (closers) => {
    const registry = openRegistryIn(config);
    closers.add(() => registry.close());
    const readings = await openReadings(config.readings, resolve(config.dataDir), { log: logger });
    closers.add(() => readings.close());
    const handle = await analytics.start({
      mqtt: config.mqtt,
      analytics: config.analytics,
      registry,
      readings,
      logger,
      sharedRegistry: true,
      auditCheckpoints: auditCheckpointsOf(config),
    });
    closers.add(() => handle.close());
    const ops = await withOps(closers, logger, 'analytics', config.analytics.ops, [handle.metrics], async () => ({
      broker: handle.connected() ? { ok: true } : { ok: false, detail: `not connected to ${config.mqtt.url}` },
      ...(await storeChecks(registry, readings)),
    }));
    return { handle, ops, close: () => closers.closeAll() };
  });
}

/**
 * The dashboard alone, on the stores ingest fills (registry in `dataDir`, readings as configured).
 *
 * Checks and calibrations posted through the API are decided here, synchronously, because the
 * API answers with what was stored and which alerts were raised (REST contract). The engine is
 * one over the shared registry, with `sharedRegistry` (no channel state kept in memory, so checks
 * that the analytics process stored are never missed, and the analytics process in turn rebuilds
 * from the store and sees these). It runs no periodic evaluation (the analytics process does:
 * no double evaluation), and the alerts it raises are queued for webhooks in the registry, which
 * the analytics process sends (no double delivery); the store keeps one live alert per subject
 * and kind, so both processes deciding on the same channel cannot open it twice. Alerts raised by
 * API checks are not published on the MQTT alert topics in this mode (the dashboard holds no
 * MQTT login); they reach the inbox and the webhooks.
 */
export async function startDashboardOnly(config: MetronetConfig, logger: Logger): Promise<ServiceProcess & { url: string }> {
  return starting(logger, async (closers) => {
    const registry = openRegistryIn(config);
    closers.add(() => registry.close());
    const readings = await openReadings(config.readings, resolve(config.dataDir), { log: logger });
    closers.add(() => readings.close());
    const engine = new analytics.Engine({
      registry,
      config: config.analytics,
      sharedRegistry: true,
      logger,
      onAlert: (change) => {
        try {
          analytics.queueWebhooks(registry, change, JSON.stringify(analytics.toAlertMessage(change)));
        } catch (err) {
          logger.error({ err, alert: change.alert.id }, 'could not queue webhook deliveries');
        }
      },
    });
    const web = await dashboard.start({
      ...config.dashboard,
      registry,
      readings,
      logger,
      version: VERSION,
      analytics: engine,
      webhooks: config.analytics.webhooks, // where webhooks may point, checked at creation too (issue 16)
      metrics: exposition([]),
      draining: () => lifecycle.draining,
      auditCheckpointFile: auditCheckpointsOf(config).file,
      attachmentsDir: join(resolve(config.dataDir), 'attachments'),
    });
    closers.add(() => web.close());
    return { url: web.url, close: () => closers.closeAll() };
  });
}

export interface GatewayProcess extends ServiceProcess {
  handle: gateway.GatewayHandle;
}

/** One edge gateway with its ops listener (`ops` in the gateway's config). */
export async function startGatewayOnly(
  config: GatewayConfig,
  o: { profiles: Map<string, Profile>; stateDir: string; logger: Logger },
): Promise<GatewayProcess> {
  return starting(o.logger, async (closers) => {
    const handle = await gateway.start({ ...config, profiles: o.profiles, stateDir: config.stateDir ?? o.stateDir, logger: o.logger });
    closers.add(() => handle.close());
    const metrics = gatewayMetrics();
    metrics.add(config.id, handle);
    const ops = await withOps(closers, o.logger, 'gateway', config.ops, [metrics.registry], () => {
      const s = handle.stats();
      return {
        broker: s.connected ? { ok: true } : { ok: false, detail: `not connected to ${config.mqtt.url}; ${s.buffered} readings spooled` },
        spool: s.spoolFull ? { ok: false, detail: `spool full (${s.buffered} readings); dropping by its policy` } : { ok: true },
      };
    });
    return {
      handle,
      ops,
      leftover: () => {
        // What the spool still holds is on disk and sent at the next start: reported, not a failure.
        const s = handle.stats();
        if (s.buffered > 0) o.logger.info({ spooled: s.buffered }, 'readings left in the spool for the next start');
        return undefined;
      },
      close: () => closers.closeAll(),
    };
  });
}
