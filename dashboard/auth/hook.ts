import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MetronetError, runWithActorSlot } from '../../core/index.js';
import type { Registry } from '../../store/index.js';
import { policyOf } from './policy.js';
import { canSeeInstrument, idInUse, notFound, ownsResource, principalOf, seesAll, type Principal } from './tenant.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; null only on public routes. */
    principal: Principal | null;
  }
}

/** The session cookie over plain HTTP (the demo on localhost), and its name before HTTPS deployments got the prefix. */
export const SESSION_COOKIE = 'metronet_session';
/**
 * The session cookie under HTTPS: the `__Host-` prefix makes the browser accept it only Secure,
 * with Path=/ and no Domain, so neither a sibling host nor a plain-HTTP page can set or shadow it
 * (RFC 6265bis 4.1.3.2).
 */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

export const sessionCookieName = (secure: boolean) => (secure ? HOST_SESSION_COOKIE : SESSION_COOKIE);

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, and under HTTPS Secure with the `__Host-` name. */
export function setSessionCookie(reply: FastifyReply, secure: boolean, value: string, maxAgeS: number): void {
  reply.setCookie(sessionCookieName(secure), value, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: maxAgeS });
}

/** Ends the session cookie in the browser; under HTTPS also one under the old, plain name. */
export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  setSessionCookie(reply, secure, '', 0);
  if (secure) reply.setCookie(SESSION_COOKIE, '', { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: 0 });
}

export interface AuthOptions {
  /** Pages served over HTTPS (TLS here or at a proxy): the session cookie is `__Host-` prefixed. */
  secureCookies: boolean;
}

/**
 * Authentication and tenant isolation for the whole /api/v1 tree, in one place (STYLE.md 10):
 * installed on the /api/v1 plugin before any route, so every route registered there — now or
 * later (stations, reports…) — passes through it.
 *
 * onRequest: resolve the principal from `Authorization: Bearer <token>` or the session cookie,
 *   401 without one (except public routes), and name it as the actor of any audited change.
 * preHandler (body validated): the policy table (policy.ts) — role, then the `:id` resource
 *   within the tenant, then any `org`/`lab` the query or body names must be the caller's.
 * preSerialization: a safety net — list items of another tenant are dropped and logged, so a
 *   route that forgot to scope its query leaks nothing.
 */
export function installAuth(api: FastifyInstance, registry: Registry, opts: AuthOptions = { secureCookies: false }): void {
  api.decorateRequest('principal', null);

  api.addHook('onRequest', (req, _reply, done) => {
    runWithActorSlot((slot) => {
      try {
        const policy = policyOf(req.method, req.routeOptions.url ?? '');
        // A public route stays open even to a caller sending a stale token.
        const p = policy?.public ? tryAuthenticate(req, registry, opts) : authenticate(req, registry, opts);
        if (!p && !policy?.public) throw new MetronetError('E_UNAUTHORIZED', 'sign in, or send Authorization: Bearer <token>');
        req.principal = p;
        if (p) slot.actor = `user:${p.user}`;
        done();
      } catch (err) {
        done(err as Error);
      }
    });
  });

  api.addHook('preHandler', async (req) => {
    const policy = policyOf(req.method, req.routeOptions.url ?? '');
    if (policy?.public) return;
    const p = req.principal!;
    if (p.role === 'admin') return;
    if (!policy || !(policy.roles ?? []).includes(p.role))
      throw forbidden(
        `role ${p.role} may not ${req.method} ${req.routeOptions.url}`,
        `Vai trò ${p.role} không được phép thực hiện thao tác này (${req.method} ${req.routeOptions.url}).`,
      );
    const params = (req.params ?? {}) as Record<string, unknown>;
    // Ids arrive as strings or, where the params schema says integer (alerts, webhooks), numbers.
    if (policy.resource && (typeof params.id === 'string' || typeof params.id === 'number')) {
      // Another tenant's resource answers exactly as a missing one (issue 16, item 8): same status,
      // code and body, from the same builder, so trying ids maps nothing of other tenants.
      const owns = ownsResource(registry, p, policy.resource, String(params.id));
      if (owns === false && policy.createsAbsent && (policy.resource === 'reference' || policy.resource === 'gateway'))
        throw idInUse(policy.resource, String(params.id));
      if (owns === false || (owns === 'absent' && !policy.createsAbsent)) throw notFound(policy.resource, params.id);
    }
    if (seesAll(p) && (req.method === 'GET' || req.method === 'HEAD')) return;
    for (const source of [req.query, req.body] as unknown[]) {
      if (!source || typeof source !== 'object') continue;
      const { org, lab } = source as { org?: unknown; lab?: unknown };
      if (typeof org === 'string' && org !== p.org && p.role !== 'authority')
        throw forbidden(`organisation ${org} is not yours`, `Tổ chức ${org} không phải tổ chức của bạn.`);
      if (p.role === 'lab' && typeof lab === 'string' && lab !== p.org)
        throw forbidden(`lab ${lab} is not yours`, `Tổ chức kiểm định ${lab} không phải tổ chức của bạn; bản ghi mang tên tổ chức của người đăng nhập.`);
    }
  });

  api.addHook('preSerialization', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const p = req.principal;
    if (!p || seesAll(p) || reply.statusCode >= 300 || !payload || typeof payload !== 'object') return payload;
    const items = (payload as { items?: unknown }).items;
    if (!Array.isArray(items)) return payload;
    const kept = items.filter((it) => visibleItem(registry, p, it));
    if (kept.length === items.length) return payload;
    const dropped = items.length - kept.length;
    req.log.warn({ route: req.routeOptions.url, dropped }, 'tenant filter dropped list items the route did not scope');
    // A total counted before the drop would tell how many items other tenants have.
    const { total } = payload as { total?: unknown };
    return { ...(payload as object), items: kept, ...(typeof total === 'number' ? { total: Math.max(0, total - dropped) } : {}) };
  });
}

function tryAuthenticate(req: FastifyRequest, registry: Registry, opts: AuthOptions): Principal | null {
  try {
    return authenticate(req, registry, opts);
  } catch {
    return null;
  }
}

function authenticate(req: FastifyRequest, registry: Registry, opts: AuthOptions): Principal | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const hit = m && registry.identity.resolveToken(m[1]!, 'api');
    if (!hit) throw new MetronetError('E_UNAUTHORIZED', 'the bearer token is unknown, expired or revoked');
    return principalOf(hit.user, 'token', hit.token.id);
  }
  // Parsed by @fastify/cookie. Under HTTPS the plain name is still read, for sessions begun
  // before the upgrade (one transition: they end within their 12 hours).
  const cookie = opts.secureCookies ? (req.cookies[HOST_SESSION_COOKIE] ?? req.cookies[SESSION_COOKIE]) : req.cookies[SESSION_COOKIE];
  if (cookie) {
    const hit = registry.identity.resolveToken(cookie, 'session');
    if (hit) return principalOf(hit.user, 'session', hit.token.id);
  }
  return null;
}

/** An item of another tenant: one naming another organisation (enterprise) or an instrument not served (lab). */
function visibleItem(registry: Registry, p: Principal, it: unknown): boolean {
  if (!it || typeof it !== 'object') return true;
  const { org, instrument, id, lab } = it as { org?: unknown; instrument?: unknown; id?: unknown; lab?: unknown };
  if (p.role === 'enterprise') return typeof org !== 'string' || org === p.org;
  // Addressed to this lab (an alert sent to it, its own standard): its own, even for an
  // instrument another lab serves now (seesAlert: an alert raised before the instrument moved).
  if (p.role === 'lab' && typeof lab === 'string' && lab === p.org) return true;
  if (typeof instrument === 'string') {
    const inst = registry.getInstrument(instrument);
    return !inst || canSeeInstrument(registry, p, inst);
  }
  if (typeof org === 'string' && typeof id === 'string' && org !== p.org) {
    const inst = registry.getInstrument(id);
    return inst?.org === org && canSeeInstrument(registry, p, inst);
  }
  return true;
}

/** A refusal of access, in English and Vietnamese (the API answers in the caller's language). */
function forbidden(message: string, vi?: string): MetronetError {
  return new MetronetError('E_FORBIDDEN', vi ? { en: message, vi } : message);
}
