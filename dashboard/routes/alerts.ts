import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { ALERT_KINDS, ID_PATTERN, MetronetError, type AlertKind } from '../../core/index.js';
import { AckBody, AlertList, AlertsQuery, AlertView, DeliveryList, NumericIdParams, WebhookIn, WebhookList, WebhookView } from '../schemas.js';
import type { DashboardDeps } from '../app.js';
import { alertFilter, type Principal } from '../auth/tenant.js';
import { alertView } from '../alert-view.js';
import { reasonOf, webhookGuard } from '../webhook-guard.js';

const ownerScope = (p: Principal) => (p.role === 'admin' || p.role === 'authority' ? undefined : (p.org ?? '\u0000'));

/** The alert inbox with filters and acknowledgement; webhook subscriptions and their delivery record. */
export const alertRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const store = deps.registry.analytics;
  // Where webhooks may point and how many an organisation may hold (issue 16; analytics.webhooks).
  const guard = webhookGuard(store, deps.webhooks);

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first, filtered by state, kind, severity, org, lab, instrument',
        querystring: AlertsQuery,
        response: { 200: AlertList, 400: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const { limit, offset, kind, ...rest } = req.query;
      if (kind !== undefined && !(ALERT_KINDS as readonly string[]).includes(kind)) {
        throw new MetronetError('E_BAD_REQUEST', `kind "${kind}" is not an alert kind; kinds: ${ALERT_KINDS.join(', ')}`, { field: 'kind', value: kind });
      }
      const r = store.listAlerts({ ...rest, ...alertFilter(req.principal!), kind: kind as AlertKind | undefined, limit, offset });
      const units = new Map<string, string | null>();
      return { items: r.items.map((a) => alertView(deps.registry, a, units)), total: r.total, limit, offset };
    },
  );

  app.get(
    '/alerts/:id',
    { schema: { tags: ['alerts'], summary: 'One alert', params: NumericIdParams, response: { 200: AlertView, 404: { $ref: 'Error#' } } } },
    async (req) => {
      const a = store.getAlert(req.params.id);
      if (!a) throw new MetronetError('E_NOT_FOUND', `alert ${req.params.id} does not exist`, { field: 'id', value: req.params.id });
      return alertView(deps.registry, a);
    },
  );

  app.post(
    '/alerts/:id/ack',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an open alert (it stays live until its condition clears)',
        params: NumericIdParams,
        body: AckBody,
        response: { 200: AlertView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' }, 409: { $ref: 'Error#' } },
      },
      // An empty POST acknowledges too.
      preValidation: async (req) => {
        req.body ??= {};
      },
    },
    async (req) => {
      // The acknowledging user is the authenticated one (issue 6); `by` in the body is ignored.
      const r = engine.ackAlert(req.params.id, req.principal!.user);
      if (r === 'not-found') throw new MetronetError('E_NOT_FOUND', `alert ${req.params.id} does not exist`, { field: 'id', value: req.params.id });
      if (r === 'not-open')
        throw new MetronetError('E_ALERT_STATE', `alert ${req.params.id} is ${store.getAlert(req.params.id)!.state}; only an open alert can be acknowledged`, {
          field: 'id',
          value: req.params.id,
        });
      return alertView(deps.registry, r.alert);
    },
  );

  app.post(
    '/webhooks',
    {
      schema: {
        tags: ['alerts'],
        summary:
          'Subscribe a URL to the alerts of an organisation; the HMAC secret is returned once. The URL must resolve to public addresses (or ones the operator allowlists); an organisation holds at most analytics.webhooks.maxPerOrg',
        body: WebhookIn,
        response: { 201: WebhookView, 400: { $ref: 'Error#' }, 429: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      await guard.admit(req.body.org, req.body.url);
      guard.checkCap(req.body.org); // again, synchronously with the insert: requests resolved in parallel
      const secret = req.body.secret ?? randomBytes(24).toString('base64url');
      const w = store.addWebhook(req.body.org, req.body.url, secret);
      return reply.status(201).send({ id: w.id, org: w.org, url: w.url, createdAt: w.createdAt, secret });
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Webhook subscriptions (secrets are not shown)',
        querystring: Type.Object({ org: Type.Optional(Type.String({ pattern: ID_PATTERN })) }),
        response: { 200: WebhookList },
      },
    },
    async (req) => ({ items: store.listWebhooks(ownerScope(req.principal!) ?? req.query.org).map(({ secret: _s, ...w }) => w) }),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['alerts'],
        summary: "Delivery attempts of a webhook, newest first: pending, delivered, or failed with a reason class (never the receiver's answer)",
        params: NumericIdParams,
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])) }),
        response: { 200: DeliveryList },
      },
    },
    async (req) => ({
      items: store.listDeliveries({ webhook: req.params.id, state: req.query.state }).map((d) => ({
        id: d.id,
        alert: d.alert,
        event: d.event,
        state: d.state,
        attempts: d.attempts,
        nextAt: d.nextAt,
        reason: reasonOf(d),
        deliveredAt: d.deliveredAt,
        createdAt: d.createdAt,
      })),
    }),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: { tags: ['alerts'], summary: 'Remove a webhook subscription', params: NumericIdParams, response: { 204: Type.Null(), 404: { $ref: 'Error#' } } },
    },
    async (req, reply) => {
      if (!store.deleteWebhook(req.params.id)) throw new MetronetError('E_NOT_FOUND', `webhook ${req.params.id} does not exist`);
      return reply.status(204).send(null);
    },
  );
};
