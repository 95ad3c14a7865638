import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ID_PATTERN, MetronetError } from '../../core/index.js';
import { verifyAuditTrail, type Registry } from '../../store/index.js';
import { IdParams } from '../schemas.js';
import {
  AuditList,
  AuditQuery,
  AuditVerdictView,
  MqttCredentialCreate,
  MqttCredentialCreated,
  MqttCredentialList,
  OrgCreate,
  OrgIn,
  OrgList,
  OrgView,
  TokenCreate,
  TokenCreated,
  TokenList,
  UserCreate,
  UserList,
  UserPatch,
  UserView,
} from '../identity-schemas.js';
import { seesAll } from '../auth/tenant.js';
import { checkRoleOrg } from '../auth/roles.js';
import type { DashboardDeps } from '../app.js';
import { DAY } from '../../core/time.js';
import { checkNewPassword } from '../../core/password-policy.js';
import { limitsOf, refusalsCounted } from '../limits.js';

const E = { $ref: 'Error#' };

/** Organisations, users, API tokens, MQTT credentials of labs/orgs/services, and the audit trail. Access: auth/policy.ts. */
export const identityRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = deps;
  const ids = registry.identity;
  const now = deps.now ?? Date.now;
  const limits = limitsOf(deps);

  // organisations

  app.get('/orgs', { schema: { tags: ['identity'], summary: 'Organisations (yours, or all for the authority)', response: { 200: OrgList } } }, async (req) => {
    const p = req.principal!;
    return {
      items: registry
        .listOrgs()
        .filter((o) => seesAll(p) || o.id === p.org)
        .map(orgView),
    };
  });
  app.get(
    '/orgs/:id',
    { schema: { tags: ['identity'], summary: 'One organisation', params: IdParams, response: { 200: OrgView, 403: E, 404: E } } },
    async (req) => {
      const o = registry.getOrg(req.params.id);
      if (!o) throw new MetronetError('E_NOT_FOUND', `organisation ${req.params.id} does not exist`);
      return orgView(o);
    },
  );
  app.post(
    '/orgs',
    { schema: { tags: ['identity'], summary: 'Create an organisation', body: OrgCreate, response: { 201: OrgView, 400: E, 409: E } } },
    async (req, reply) => {
      if (registry.getOrg(req.body.id)) throw new MetronetError('E_CONFLICT', `organisation ${req.body.id} exists`);
      registry.upsertOrg(req.body);
      return reply.status(201).send(orgView(registry.getOrg(req.body.id)!));
    },
  );
  app.put(
    '/orgs/:id',
    { schema: { tags: ['identity'], summary: 'Create or replace an organisation', params: IdParams, body: OrgIn, response: { 200: OrgView, 400: E } } },
    async (req) => {
      registry.upsertOrg({ ...req.body, id: req.params.id });
      return orgView(registry.getOrg(req.params.id)!);
    },
  );

  app.delete(
    '/orgs/:id',
    {
      schema: {
        tags: ['identity'],
        summary: 'Delete an organisation (admin); refused with E_CONFLICT while it has instruments, users, gateways, served instruments or standards; audited',
        params: IdParams,
        response: { 204: Type.Null(), 404: E, 409: E },
      },
    },
    async (req, reply) => {
      if (!registry.deleteOrg(req.params.id))
        throw new MetronetError('E_NOT_FOUND', `organisation ${req.params.id} does not exist`, { field: 'id', value: req.params.id });
      return reply.status(204).send(null);
    },
  );

  // users

  app.get(
    '/users',
    {
      schema: {
        tags: ['identity'],
        summary: 'Users',
        querystring: Type.Object({ org: Type.Optional(Type.String({ pattern: ID_PATTERN })) }),
        response: { 200: UserList },
      },
    },
    async (req) => ({
      items: ids.listUsers(req.query.org),
    }),
  );
  app.get('/users/:id', { schema: { tags: ['identity'], summary: 'One user', params: IdParams, response: { 200: UserView, 404: E } } }, async (req) =>
    mustUser(registry, req.params.id),
  );
  app.post(
    '/users',
    { schema: { tags: ['identity'], summary: 'Create a user', body: UserCreate, response: { 201: UserView, 400: E, 409: E } } },
    async (req, reply) => {
      if (ids.getUser(req.body.id)) throw new MetronetError('E_CONFLICT', `user ${req.body.id} exists`);
      checkRoleOrg(registry, req.body.role, req.body.org ?? null);
      checkNewPassword(req.body.password, { user: req.body.id, name: req.body.name });
      return reply.status(201).send(await ids.createUser(req.body, now()));
    },
  );
  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['identity'],
        summary: 'Change a user: name, role, organisation, disabled, password (ends their sessions)',
        params: IdParams,
        body: UserPatch,
        response: { 200: UserView, 400: E, 404: E },
      },
    },
    async (req) => {
      const cur = mustUser(registry, req.params.id);
      const { password, ...patch } = req.body;
      checkRoleOrg(registry, patch.role ?? cur.role, patch.org === undefined ? cur.org : patch.org);
      if (password !== undefined) checkNewPassword(password, { user: cur.id, name: patch.name === undefined ? cur.name : patch.name });
      if (password !== undefined) await ids.setPassword(cur.id, password);
      return ids.updateUser(cur.id, patch)!;
    },
  );
  app.delete(
    '/users/:id',
    { schema: { tags: ['identity'], summary: 'Delete a user and their tokens', params: IdParams, response: { 204: Type.Null(), 404: E } } },
    async (req, reply) => {
      if (!ids.deleteUser(req.params.id)) throw new MetronetError('E_NOT_FOUND', `user ${req.params.id} does not exist`);
      return reply.status(204).send(null);
    },
  );

  // API tokens

  app.get(
    '/tokens',
    { schema: { tags: ['identity'], summary: "Your API tokens (admin: everyone's); secrets are never shown again", response: { 200: TokenList } } },
    async (req) => {
      const p = req.principal!;
      return { items: ids.listTokens(p.role === 'admin' ? undefined : p.user) };
    },
  );
  app.post(
    '/tokens',
    {
      schema: {
        tags: ['identity'],
        summary: 'Issue an API token for yourself; the secret is returned once; refused past dashboard.maxTokensPerUser active tokens',
        body: TokenCreate,
        response: { 201: TokenCreated, 400: E, 403: E, 429: E },
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const user = req.body.user ?? p.user;
      if (user !== p.user && p.role !== 'admin') throw new MetronetError('E_FORBIDDEN', 'only an admin issues tokens for someone else');
      mustUser(registry, user);
      const issue = () => ids.issueToken({ kind: 'api', user, name: req.body.name ?? null, ttlMs: req.body.ttlDays * DAY, max: limits.tokensPerUser }, now());
      const { token, secret } = refusalsCounted('tokens_per_user', issue);
      return reply.status(201).send({ ...token, secret });
    },
  );
  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags: ['identity'],
        summary: 'Revoke an API token',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{1,32}$' }) }),
        response: { 204: Type.Null(), 404: E },
      },
    },
    async (req, reply) => {
      if (!ids.getToken(req.params.id)) throw new MetronetError('E_NOT_FOUND', `token ${req.params.id} does not exist`);
      ids.revokeToken(req.params.id, now());
      return reply.status(204).send(null);
    },
  );

  // MQTT credentials of labs, organisations and services (gateways: /gateways)

  app.get('/mqtt-credentials', { schema: { tags: ['identity'], summary: 'MQTT logins (no secrets)', response: { 200: MqttCredentialList } } }, async () => ({
    items: ids.listMqttCredentials().map(({ hash: _h, ...c }) => c),
  }));
  app.post(
    '/mqtt-credentials',
    {
      schema: {
        tags: ['identity'],
        summary: 'Create or rotate the MQTT login of a lab, organisation or service; the password is returned once',
        body: MqttCredentialCreate,
        response: { 201: MqttCredentialCreated, 400: E },
      },
    },
    async (req, reply) => {
      const existing = ids.getMqttCredential(req.body.username);
      if (existing?.kind === 'gateway')
        throw new MetronetError('E_CONFLICT', `${req.body.username} is a gateway's login; rotate it with POST /gateways/${existing.subject}/rotate`);
      const { credential, secret } = await ids.setMqttCredential(req.body, now());
      const { hash: _h, ...view } = credential;
      return reply.status(201).send({ ...view, password: secret });
    },
  );
  app.delete(
    '/mqtt-credentials/:id',
    {
      schema: {
        tags: ['identity'],
        summary: 'Remove an MQTT login (its user name); existing connections keep going until they reconnect',
        params: IdParams,
        response: { 204: Type.Null(), 404: E },
      },
    },
    async (req, reply) => {
      if (!ids.deleteMqttCredential(req.params.id)) throw new MetronetError('E_NOT_FOUND', `MQTT login ${req.params.id} does not exist`);
      return reply.status(204).send(null);
    },
  );

  // audit trail

  app.get(
    '/audit',
    { schema: { tags: ['identity'], summary: 'Audit trail entries, oldest first', querystring: AuditQuery, response: { 200: AuditList, 400: E } } },
    async (req) => ({
      items: registry.audit.entries(req.query),
    }),
  );
  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['identity'],
        summary: 'Check the keyed hash chain and, against the signed head checkpoints, truncation and rewrites; names the first broken entry',
        response: { 200: AuditVerdictView },
      },
    },
    // The same function as `metronet audit verify` (store/audit-checkpoints.ts).
    async () => verifyAuditTrail(registry.audit, deps.auditCheckpointFile),
  );
};

const orgView = (o: {
  id: string;
  name: string;
  kind: 'enterprise' | 'lab' | 'authority';
  province?: string | null;
  commune?: string | null;
  district?: string | null;
}) => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  province: o.province ?? null,
  commune: o.commune ?? null,
  district: o.district ?? null,
});

function mustUser(registry: Registry, id: string) {
  const u = registry.identity.getUser(id);
  if (!u) throw new MetronetError('E_NOT_FOUND', `user ${id} does not exist`, { field: 'id', value: id });
  return u;
}
