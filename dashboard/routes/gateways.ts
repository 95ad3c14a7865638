import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MetronetError, topics } from '../../core/index.js';
import type { GatewayRecord, Registry } from '../../store/index.js';
import { IdParams } from '../schemas.js';
import { Type } from '@sinclair/typebox';
import { GatewayCreate, GatewayCreated, GatewayView as GatewayBase } from '../identity-schemas.js';
import { idInUse, notFound, seesAll } from '../auth/tenant.js';
import type { DashboardDeps } from '../app.js';

const E = { $ref: 'Error#' };

/** The gateway with its store-and-forward spool as last reported in its status (issue 7). */
const GatewayView = Type.Composite([
  GatewayBase,
  Type.Object({
    spool: Type.Union([Type.Object({ depth: Type.Integer(), full: Type.Boolean(), dropped: Type.Integer() }), Type.Null()], {
      description: 'readings waiting in the spool, whether it is full, readings lost; null until reported',
    }),
    rejects: Type.Integer({ description: 'recent rejects recorded for this gateway (of the newest kept)' }),
  }),
]);
const GatewayList = Type.Object({ items: Type.Array(GatewayView) });

/**
 * Gateways and their MQTT credentials (onboarding, issue 6): creating one returns its MQTT
 * password once; rotating gives a new one and the old stops working at the next connect.
 * Instruments a gateway announces appear as `unregistered` (ingest creates them) until the
 * organisation completes them with PUT /instruments/{id}.
 */
export const gatewayRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = deps;
  const now = deps.now ?? Date.now;

  app.get(
    '/gateways',
    { schema: { tags: ['gateways'], summary: 'Gateways of your organisation (all for the authority)', response: { 200: GatewayList } } },
    async (req) => {
      const p = req.principal!;
      return { items: registry.listGateways(seesAll(p) ? undefined : (p.org ?? '\u0000')).map((g) => view(registry, g)) };
    },
  );
  app.get(
    '/gateways/:id',
    { schema: { tags: ['gateways'], summary: 'One gateway', params: IdParams, response: { 200: GatewayView, 403: E, 404: E } } },
    async (req) => view(registry, must(registry, req.params.id)),
  );

  app.post(
    '/gateways',
    {
      schema: {
        tags: ['gateways'],
        summary: 'Register a gateway; answers with its MQTT user name and password, shown once',
        body: GatewayCreate,
        response: { 201: GatewayCreated, 400: E, 403: E, 409: E },
      },
    },
    async (req, reply) => {
      const { id, org, name } = req.body;
      const held = registry.getGateway(id);
      // The rotate hint is for the gateway's own organisation; to anyone else the id is only taken.
      if ((held && held.org !== org) || (!held && registry.identity.getMqttCredential(id))) throw idInUse('gateway', id);
      if (held) throw new MetronetError('E_CONFLICT', `gateway ${id} exists; POST /gateways/${id}/rotate gives it a new secret`, { field: 'id', value: id });
      if (!registry.getOrg(org)) throw new MetronetError('E_BAD_REQUEST', `organisation ${org} does not exist`, { field: 'org', value: org });
      registry.upsertGateway({ id, org, name: name ?? null });
      const { secret } = await registry.identity.setMqttCredential({ username: id, kind: 'gateway', subject: id, org }, now());
      return reply.status(201).send(created(registry, id, secret));
    },
  );

  app.post(
    '/gateways/:id/rotate',
    {
      schema: {
        tags: ['gateways'],
        summary: 'Give a gateway a new MQTT password (returned once); the old one stops working',
        params: IdParams,
        response: { 200: GatewayCreated, 403: E, 404: E },
      },
    },
    async (req) => {
      const gw = must(registry, req.params.id);
      const { secret } = await registry.identity.setMqttCredential({ username: gw.id, kind: 'gateway', subject: gw.id, org: gw.org }, now());
      return created(registry, gw.id, secret);
    },
  );

  app.delete(
    '/gateways/:id',
    {
      schema: {
        tags: ['gateways'],
        summary: 'Delete a gateway and its MQTT login (admin; audited); its instruments and their readings stay',
        params: IdParams,
        response: { 204: Type.Null(), 404: E },
      },
    },
    async (req, reply) => {
      if (!registry.deleteGateway(req.params.id))
        throw new MetronetError('E_NOT_FOUND', `gateway ${req.params.id} does not exist`, { field: 'id', value: req.params.id });
      return reply.status(204).send(null);
    },
  );
};

function must(registry: Registry, id: string): GatewayRecord {
  const g = registry.getGateway(id);
  if (!g) throw notFound('gateway', id);
  return g;
}

function view(registry: Registry, g: GatewayRecord) {
  const c = registry.identity.getMqttCredential(g.id);
  const cred = c?.kind === 'gateway' ? c : undefined;
  return {
    id: g.id,
    org: g.org,
    name: g.name ?? null,
    state: g.state,
    lastSeen: g.lastSeen ?? null,
    version: g.version ?? null,
    credential: !!cred,
    rotatedAt: cred?.rotatedAt ?? null,
    spool: g.spool ?? null,
    rejects: registry.listRejects({ gateway: g.id, limit: 1000 }).length,
  };
}

function created(registry: Registry, id: string, secret: string) {
  const g = registry.getGateway(id)!;
  return { ...view(registry, g), mqtt: { username: id, password: secret, publishUnder: `${topics.gatewayPrefix(g.org, g.id)}+` } };
}
