import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyError, type FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { isMetronetError, MetronetError, silentLogger, type Logger, type TlsFiles } from '../core/index.js';
import type { ReadingsStore, Registry } from '../store/types.js';
import { ErrorBody } from './schemas.js';
import { languageOf } from './language.js';
import { frameworkMessage, validationMessage } from './validation-text.js';
import { webTextRoutes } from './web-texts.js';
import { healthRoutes } from './routes/health.js';
import { instrumentRoutes } from './routes/instruments.js';
import { checkRoutes } from './routes/checks.js';
import { driftRoutes } from './routes/drift.js';
import { calibrationRoutes } from './routes/calibrations.js';
import { recordRoutes } from './routes/records.js';
import { referenceRoutes } from './routes/references.js';
import { alertRoutes } from './routes/alerts.js';
import type { Engine } from '../analytics/engine.js';
import { rejectRoutes } from './routes/rejects.js';
import { metricsRoutes } from './routes/metrics.js';
import { installAuth } from './auth/hook.js';
import { authRoutes } from './routes/auth.js';
import type { LoginLimits } from './auth/rate-limit.js';
import { identityRoutes } from './routes/identity.js';
import { gatewayRoutes } from './routes/gateways.js';
import { stationRoutes } from './routes/stations.js';
import { overviewRoutes } from './routes/overview.js';
import { reportRoutes } from './routes/reports.js';
import { eventRoutes } from './routes/events.js';
import { adminUnitRoutes } from './routes/admin-units.js';
import { inspectionRoutes } from './routes/inspections.js';
import applicationLayer from './plugins/app.js';
import browserHardening from './plugins/browser.js';
import type { WebhookGuardConfig } from './webhook-guard.js';

export interface DashboardDeps {
  registry: Registry;
  readings: ReadingsStore;
  logger?: Logger;
  /** Sign-in throttling (dashboard.login; defaults LOGIN_DEFAULTS). */
  login?: Partial<LoginLimits>;
  version?: string;
  /** Extra health checks from the composing process (broker, ingest…). */
  health?: () => Record<string, { ok: boolean; detail?: string }>;
  now?: () => number;
  /** Prometheus exposition of the ingest worker in this process, for GET /metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Reject counts by code since the in-process ingest worker started, for GET /api/v1/rejects. */
  rejectCounts?: () => Record<string, number>;
  /**
   * The analytics engine of the composing process, built with the analytics configuration: API
   * checks, calibrations, standards, channel settings and registrations go through it, so they
   * raise the same alerts, delivered the same way (plugins/app.ts decorates it as `engine`).
   */
  analytics: Engine;
  /** HTTPS by certificate paths (issue 6); session cookies are then `Secure`. */
  tls?: TlsFiles;
  /** Mark session cookies `Secure` (default: when tls is set; set it behind a TLS-terminating proxy). */
  secureCookies?: boolean;
  /** True while the process drains after SIGTERM: GET /api/v1/ready answers 503 (cli/ops.ts). */
  draining?: () => boolean;
  /** When an instrument is shown offline (dashboard.offlineAfterMs / offlineAfterMsByKind; states.ts). */
  offlineAfterMs?: number;
  offlineAfterMsByKind?: Partial<Record<string, number>>;
  /** dashboard.maxStreamsPerUser and maxTokensPerUser (issue 16; limits.ts): their defaults when absent. */
  maxStreamsPerUser?: number;
  maxTokensPerUser?: number;
  /** analytics.webhooks: where webhooks may point and how many an organisation may hold (issue 16; webhook-guard.ts). */
  webhooks?: WebhookGuardConfig;
  /** dashboard.metricsToken: with it, GET /metrics on this port answers a request bearing it; without it, not at all (issue 16). */
  metricsToken?: string;
  /** dashboard.reports: who issues the reports in official form (reports/form.ts Issuer). */
  reports?: { agency?: string; agencyEn?: string; parentAgency?: string; place?: string };
  /** The signed audit checkpoints (audit.checkpointFile): GET /api/v1/audit/verify checks the chain against them, as the CLI does. */
  auditCheckpointFile?: string;
  /** Where the files attached to inspection visits are kept (`attachments/` in the data folder); without it, attaching is refused. */
  attachmentsDir?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the server, request and reply types differ between HTTP and HTTPS; routes need neither
export type App = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>;

const WEB_ROOT = fileURLToPath(new URL('./web/', import.meta.url));
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot'));

/** An incoming X-Request-Id is kept if it is 1–128 characters of letters, digits and `._:-` (no log injection); otherwise a random UUID. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

// In its own module so routes can use it without importing the app (an import cycle).
export { languageOf };

/** Builds the fastify app: error shape, OpenAPI, API routes under /api/v1, the web UI at /. */
export async function buildApp(deps: DashboardDeps): Promise<App> {
  const app = Fastify({
    ...(deps.tls ? { https: { cert: readFileSync(deps.tls.cert), key: readFileSync(deps.tls.key) } } : {}),
    loggerInstance: (deps.logger ?? silentLogger).child({ svc: 'dashboard' }),
    // Request ids (issue 9): a caller's or proxy's X-Request-Id is kept when it is safe to log,
    // else one is made; it is on every log line of the request and in the response header.
    genReqId: requestId,
    ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, strictNumbers: true } },
    // Errors the router raises before any route (a path parameter over 100 characters, a URL
    // that does not decode) answer in the API's error shape too, not fastify's own.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      void reply.status(err.statusCode ?? 400).send({ error: { code: 'E_BAD_REQUEST', message: err.message } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // ajv coerces the query text "Infinity" or "1e400" to a number and checks no further (its
  // strictNumbers applies to numbers that arrive as numbers, i.e. JSON bodies): a number in the
  // query or path that is not finite is refused here, after validation, before any route.
  app.addHook('preHandler', async (req) => {
    for (const [part, values] of [
      ['querystring', req.query],
      ['params', req.params],
    ] as const) {
      for (const [field, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
        if (typeof value === 'number' && !Number.isFinite(value)) throw nonFiniteNumber(`${part}.${field}`, value);
      }
    }
  });
  app.addSchema(ErrorBody);
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const e = unsupportedMediaType(req.headers['content-type']);
      return reply.status(e.status).send({ error: { code: e.code, message: e.messageIn(languageOf(req)), details: e.details } });
    }
    if (isMetronetError(err)) {
      // People's refusals in their language (Accept-Language: the web UI sends its own); English for API clients that ask for nothing.
      return reply.status(err.status).send({ error: { code: err.code, message: err.messageIn(languageOf(req)), details: err.details } });
    }
    if (err.validation) {
      const details = err.validation.map((v) => ({
        field: `${err.validationContext ?? ''}${v.instancePath.replace(/\//g, '.')}`,
        rule: v.keyword,
        message: v.message,
      }));
      // The message in the caller's language, naming the field as people read it (validation-text.ts); details as ajv gives them.
      const message = validationMessage(err.validation, err.validationContext, languageOf(req));
      return reply.status(400).send({ error: { code: 'E_BAD_REQUEST', message, details } });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'E_BAD_REQUEST', message: frameworkMessage(err.code, languageOf(req)) ?? err.message } });
    }
    req.log.error({ err }, 'request failed');
    const internal = languageOf(req) === 'vi' ? 'lỗi trong máy chủ; xem nhật ký của máy chủ' : 'internal error; see the server log';
    return reply.status(500).send({ error: { code: 'E_INTERNAL', message: internal } });
  });
  app.setNotFoundHandler((req, reply) => {
    const route = `${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`;
    const message = languageOf(req) === 'vi' ? `Không có đường dẫn ${route}.` : `no route ${route}`;
    return reply.status(404).send({ error: { code: 'E_NOT_FOUND', message } });
  });

  // Pages served over HTTPS: by TLS here, or at a proxy in front (dashboard.secureCookies).
  const secureCookies = deps.secureCookies ?? !!deps.tls;
  // Security headers, cookies, the cross-site refusal and JSON-only bodies (issue 16, item 6), before any route.
  await app.register(browserHardening, { https: secureCookies });

  await app.register(swagger, {
    openapi: {
      info: { title: 'metronet API', version: deps.version ?? '0.0.0', description: 'Readings, instruments and drift of the measurement network' },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Swagger UI adds one <style> element at run time: inline styles are allowed on its pages
    // alone, never inline script (the web UI's own pages allow neither).
    transformStaticCSP: (header: string) => header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  });

  // The services the routes share (engine, states, change feed, stations, live events), closed with the app.
  await app.register(applicationLayer, deps);

  await app.register(
    async (api) => {
      // Authentication and tenant isolation for every route below, present and future (issue 6).
      installAuth(api, deps.registry, { secureCookies });
      const authDeps = { ...deps, secureCookies };
      await api.register(authRoutes, authDeps);
      await api.register(identityRoutes, deps);
      await api.register(gatewayRoutes, deps);
      await api.register(healthRoutes, deps);
      await api.register(instrumentRoutes, deps);
      await api.register(checkRoutes, deps);
      await api.register(driftRoutes, deps);
      await api.register(calibrationRoutes, deps);
      await api.register(recordRoutes, deps);
      await api.register(referenceRoutes, deps);
      await api.register(alertRoutes, deps);
      await api.register(rejectRoutes, deps);
      await api.register(stationRoutes, deps);
      // The web UI's overview, reports and live events (issue 7).
      await api.register(overviewRoutes, deps);
      await api.register(reportRoutes, deps);
      await api.register(eventRoutes, deps);
      // The administrative units in force since 1 July 2025 (issue 17), for location pickers.
      await api.register(adminUnitRoutes, deps);
      // State metrological inspections (issue 18).
      await api.register(inspectionRoutes, deps);
    },
    { prefix: '/api/v1' },
  );

  await app.register(metricsRoutes, deps);
  // Alert wording for the web UI, from the alert catalogue (before the static files).
  await app.register(webTextRoutes);
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', index: ['index.html'] });
  // The chart library, served from node_modules (no CDN; the build stays npm-reproducible).
  await app.register(fastifyStatic, { root: UPLOT_DIST, prefix: '/vendor/uplot/', decorateReply: false });
  return app;
}

/** A body that is not JSON (text/plain, a form): the API takes JSON only. */
function unsupportedMediaType(type: string | undefined): MetronetError {
  const given = (type ?? '').split(';')[0]!.trim().slice(0, 80) || 'none';
  return new MetronetError(
    'E_UNSUPPORTED_MEDIA_TYPE',
    {
      en: `the request body is ${given}; the API takes application/json`,
      vi: `Nội dung yêu cầu có kiểu ${given}; API chỉ nhận application/json.`,
    },
    { field: 'content-type', value: given },
  );
}

function nonFiniteNumber(field: string, value: number): MetronetError {
  return new MetronetError(
    'E_BAD_REQUEST',
    { en: `${field} must be a finite number, not ${value}`, vi: `${field} phải là một số hữu hạn, không phải ${value}.` },
    { field, value: String(value), rule: 'finite' },
  );
}
