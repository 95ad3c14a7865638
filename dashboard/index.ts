import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { VERSION, silentLogger, type DashboardConfig, type OpsListener, type Service } from '../core/index.js';
import { buildApp, type DashboardDeps } from './app.js';
import { metricsRoutes } from './routes/metrics.js';

export interface DashboardHandle extends Service {
  url: string;
  port: number;
  /** The ops listener (`dashboard.ops`): /metrics, /health, /ready; absent when not configured. */
  opsUrl?: string;
}

const urlOf = (host: string, port: number, https = false) => {
  const h = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${https ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${port}/`;
};

/** Starts the dashboard HTTP server (REST API, OpenAPI at /docs, web UI at /) and, when configured, its ops listener. */
export async function start(config: DashboardConfig & DashboardDeps): Promise<DashboardHandle> {
  const app = await buildApp(config);
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  const url = urlOf(config.host, port, !!config.tls);
  app.log.info({ url, metricsOnThisPort: !!config.metricsToken }, 'dashboard listening');
  let ops: Awaited<ReturnType<typeof startOps>> | undefined;
  try {
    ops = config.ops ? await startOps(config.ops, config) : undefined;
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    url,
    port,
    ...(ops ? { opsUrl: ops.url } : {}),
    close: async () => {
      await app.close();
      await ops?.close();
    },
  };
}

/**
 * The dashboard's ops listener (issue 16, item 7), as the other services have theirs (issue 9,
 * cli/ops.ts): `GET /metrics` without a token, `GET /health`, `GET /ready` (503 while draining).
 * Loopback by default; Prometheus reaches it inside the deployment's network, never the public port.
 */
async function startOps(listener: OpsListener, deps: DashboardDeps): Promise<{ url: string; close(): Promise<void> }> {
  const started = Date.now();
  const ops = Fastify({ loggerInstance: (deps.logger ?? silentLogger).child({ svc: 'dashboard-ops' }) });
  await ops.register(metricsRoutes, { ...deps, open: true });
  ops.get('/health', async () => ({
    status: 'ok',
    service: 'dashboard',
    version: deps.version ?? VERSION,
    pid: process.pid,
    uptimeS: Math.round((Date.now() - started) / 1000),
  }));
  ops.get('/ready', async (_req, reply) => {
    const draining = deps.draining?.() ?? false;
    return reply.status(draining ? 503 : 200).send({
      status: draining ? 'not ready' : 'ready',
      service: 'dashboard',
      checks: { draining: draining ? { ok: false, detail: 'shutting down' } : { ok: true } },
    });
  });
  await ops.listen({ host: listener.host, port: listener.port });
  const url = urlOf(listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host, (ops.server.address() as AddressInfo).port);
  ops.log.info({ url }, 'dashboard ops endpoints listening (/metrics, /health, /ready)');
  return { url, close: () => ops.close() };
}

export { buildApp };
