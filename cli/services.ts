import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { VERSION, type Logger, type MetronetConfig, type Service } from '../core/index.js';
import { openReadings, openRegistry } from '../store/index.js';
import * as broker from '../broker/index.js';
import * as ingest from '../ingest/index.js';
import * as dashboard from '../dashboard/index.js';

/**
 * One service per process (`metronet broker | ingest | dashboard`), for deployments across
 * processes or machines: ingest workers on an external broker (Mosquitto, EMQX) sharing
 * `$share/{ingest.shareGroup}/…`, a dashboard reading the same stores. Each returns a Service
 * whose close() stops everything it started.
 */
export async function startBrokerOnly(config: MetronetConfig, logger: Logger): Promise<broker.BrokerHandle> {
  // Logins and topic rules come from the registry in dataDir (issue 6).
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const registry = openRegistry(join(dataDir, 'registry.db'));
  try {
    const handle = await broker.start({ ...config.broker, logger, auth: broker.registryAuth(registry) });
    return { ...handle, close: async () => (await handle.close(), registry.close()) };
  } catch (err) {
    registry.close();
    throw err;
  }
}

export interface IngestProcess extends Service {
  handle: ingest.IngestHandle;
  /** Port of the /metrics listener when one was asked for. */
  metricsPort?: number;
}

/** An ingest worker on `config.mqtt` (the broker is elsewhere), with an optional bare `/metrics` listener. */
export async function startIngestOnly(config: MetronetConfig, logger: Logger, opts: { metricsPort?: number } = {}): Promise<IngestProcess> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const registry = openRegistry(join(dataDir, 'registry.db'));
  const closers: (() => Promise<void>)[] = [async () => registry.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
  };
  try {
    const readings = await openReadings(config.readings, dataDir, { log: logger });
    closers.push(() => readings.close());
    const handle = await ingest.start({ mqtt: config.mqtt, ingest: config.ingest, registry, readings, logger });
    closers.push(() => handle.close());
    let metricsPort: number | undefined;
    if (opts.metricsPort !== undefined) {
      const server = createServer((req, res) => {
        if (req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
        handle.metrics().then(
          (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
          () => res.writeHead(500).end(),
        );
      });
      await new Promise<void>((r) => server.listen(opts.metricsPort, '127.0.0.1', () => r()));
      metricsPort = (server.address() as { port: number }).port;
      closers.push(() => new Promise<void>((r) => server.close(() => r())));
    }
    return { handle, metricsPort, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The dashboard alone, on the stores ingest fills (registry in `dataDir`, readings as configured). */
export async function startDashboardOnly(config: MetronetConfig, logger: Logger): Promise<Service & { url: string }> {
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const registry = openRegistry(join(dataDir, 'registry.db'));
  const readings = await openReadings(config.readings, dataDir, { log: logger }).catch((err: unknown) => {
    registry.close();
    throw err;
  });
  const web = await dashboard.start({ ...config.dashboard, registry, readings, logger, version: VERSION });
  return {
    url: web.url,
    close: async () => {
      await web.close();
      await readings.close();
      registry.close();
    },
  };
}
