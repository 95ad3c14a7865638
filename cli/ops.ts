import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION, type Logger, type OpsListener, type Service } from '../core/index.js';

/**
 * Operations of a service process (issue 9): the ops HTTP listener (`/metrics`, `/health`,
 * `/ready`), one Prometheus exposition out of several registries, and the shutdown that drains
 * in-flight work on SIGTERM within a bounded time.
 */

/** One readiness check: `ok`, or why not (a person can act on it). */
export type Checks = Record<string, { ok: boolean; detail?: string }>;

/** Set on SIGTERM: readiness answers 503 from then on, while in-flight work drains. */
export interface Lifecycle {
  draining: boolean;
}

export const lifecycle: Lifecycle = { draining: false };

let processRegistry: Registry | undefined;

/**
 * Registries plus the process metrics (CPU, RSS, heap, event-loop lag, GC), collected once per
 * process: prom-client's default collectors are per registry, so a process that asked for them
 * twice would expose them twice. The ingest worker's registry carries them already (each worker
 * has its own, tests run several in one process); otherwise a process-wide one is added.
 */
export function withProcessMetrics(registries: Registry[]): Registry[] {
  if (registries.some((r) => r.getSingleMetric('process_cpu_user_seconds_total'))) return registries;
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return [processRegistry, ...registries];
}

/**
 * One text exposition out of several registries. The names are checked once, at start, with
 * prom-client's own merge (it throws on a name registered twice, which would make the exposition
 * invalid); the texts are then joined as each registry renders it, keeping its default labels
 * (an ingest worker's `worker`).
 */
export function exposition(registries: Registry[]): () => Promise<{ contentType: string; body: string }> {
  const regs = withProcessMetrics(registries);
  Registry.merge(regs);
  return async () => {
    const parts = await Promise.all(regs.map((r) => r.metrics()));
    return {
      contentType: regs[0]!.contentType,
      body: `${parts
        .map((p) => p.trimEnd())
        .filter(Boolean)
        .join('\n')}\n`,
    };
  };
}

export interface OpsOptions {
  /** Service name, shown by /health. */
  service: string;
  listener: OpsListener;
  registries: Registry[];
  /** Readiness checks of the service (broker connected, stores open); draining is added here. */
  ready: () => Checks | Promise<Checks>;
  logger: Logger;
}

export interface OpsServer extends Service {
  port: number;
  url: string;
}

const started = Date.now();

/** `GET /metrics`, `GET /health` (the process is up), `GET /ready` (it can take work: 200, else 503 with the failing checks). */
export async function startOps(o: OpsOptions): Promise<OpsServer> {
  const metrics = exposition(o.registries);
  const log = o.logger.child({ svc: 'ops' });
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: { code: 'E_BAD_REQUEST', message: 'only GET' } });
    if (path === '/health')
      return json(res, 200, { status: 'ok', service: o.service, version: VERSION, pid: process.pid, uptimeS: Math.round((Date.now() - started) / 1000) });
    if (path === '/metrics') {
      return void metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          json(res, 500, { error: { code: 'E_INTERNAL', message: 'metrics collection failed; see the log' } });
        },
      );
    }
    if (path === '/ready') {
      return void readiness(o.ready).then(({ ok, checks }) => json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', service: o.service, checks }));
    }
    json(res, 404, { error: { code: 'E_NOT_FOUND', message: `no route ${req.method} ${path}; try /metrics, /health, /ready` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listener.port, o.listener.host, () => (server.off('error', reject), resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.listener.host.includes(':') ? `[${o.listener.host}]` : o.listener.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`;
  log.info({ url, service: o.service }, 'ops endpoints listening (/metrics, /health, /ready)');
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs the checks (a throwing check is a failing one) and adds `draining`. */
export async function readiness(ready: () => Checks | Promise<Checks>): Promise<{ ok: boolean; checks: Checks }> {
  let checks: Checks;
  try {
    checks = { ...(await ready()) };
  } catch (err) {
    checks = { service: { ok: false, detail: (err as Error).message } };
  }
  checks.draining = lifecycle.draining ? { ok: false, detail: 'shutting down: finishing in-flight work, taking no new work' } : { ok: true };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}

/** A check that passes unless `probe` throws; the error message is the reason. */
export function probe(fn: () => unknown): { ok: boolean; detail?: string } {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

export interface RunOptions {
  /** Longest wait for close() after a signal; then exit 1, logging what was left. */
  shutdownTimeoutMs: number;
  /** Unfinished work after close() (readings not committed…): exit 1 and log it. Undefined or empty: clean. */
  leftover?: () => Record<string, unknown> | undefined;
  /** Called after a clean close, before exit (temporary folders…). */
  onClosed?: () => void;
}

/**
 * Keeps the process alive until SIGTERM or SIGINT, then drains: readiness turns 503 at once,
 * the service's close() stops taking work and finishes what it holds (ingest commits and
 * acknowledges its batches, a gateway stops polling and flushes its spool publisher, stores
 * close), and the process exits 0. If that takes longer than shutdownTimeoutMs, or close()
 * fails, or work was left, it logs what and exits 1. A second signal exits 1 at once.
 */
export function runUntilSignal(service: Service, logger: Logger, o: RunOptions): void {
  const stop = (signal: string) => {
    if (lifecycle.draining) {
      logger.error({ signal }, 'second signal while draining; exiting now');
      process.exit(1);
    }
    lifecycle.draining = true;
    const t0 = Date.now();
    logger.info({ signal, timeoutMs: o.shutdownTimeoutMs }, 'stopping: draining in-flight work');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: o.shutdownTimeoutMs, left: safeLeftover(o.leftover) }, 'shutdown timed out; exiting with work left');
      process.exit(1);
    }, o.shutdownTimeoutMs);
    timer.unref();
    service.close().then(
      () => {
        const left = safeLeftover(o.leftover);
        clearTimeout(timer);
        if (left && Object.keys(left).length > 0) {
          logger.error({ left }, 'stopped with work left');
          process.exit(1);
        }
        o.onClosed?.();
        logger.info({ ms: Date.now() - t0 }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err, left: safeLeftover(o.leftover) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function safeLeftover(fn: RunOptions['leftover']): Record<string, unknown> | undefined {
  try {
    return fn?.();
  } catch (err) {
    return { unknown: (err as Error).message };
  }
}
