import type { AddressInfo } from 'node:net';
import type { DashboardConfig, Service } from '../core/index.js';
import { buildApp, type DashboardDeps } from './app.js';

export interface DashboardHandle extends Service {
  url: string;
  port: number;
}

/** Starts the dashboard HTTP server (REST API, OpenAPI at /docs, web UI at /). */
export async function start(config: DashboardConfig & DashboardDeps): Promise<DashboardHandle> {
  const app = await buildApp(config);
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  app.log.info({ url }, 'dashboard listening');
  return {
    url,
    port,
    close: async () => {
      await app.close();
    },
  };
}

export { buildApp };
