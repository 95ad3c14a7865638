import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { MetronetError } from '../../core/index.js';
import { LoginIn, SessionView } from '../identity-schemas.js';
import { FailureLimiter } from '../auth/rate-limit.js';
import { SESSION_COOKIE } from '../auth/hook.js';
import type { DashboardDeps } from '../app.js';

const SESSION_MS = 12 * 3_600_000;
/** OWASP Authentication Cheat Sheet: throttle failed logins per account and per source. */
const PER_USER = { max: 5, windowMs: 15 * 60_000 };
const PER_ADDRESS = { max: 20, windowMs: 15 * 60_000 };

/** Web sessions: login (rate-limited) sets an HttpOnly, SameSite=Strict cookie (Secure under HTTPS); logout ends it. */
export const authRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ids = deps.registry.identity;
  const now = deps.now ?? Date.now;
  const byUser = new FailureLimiter(PER_USER.max, PER_USER.windowMs, now);
  const byAddress = new FailureLimiter(PER_ADDRESS.max, PER_ADDRESS.windowMs, now);
  const cookie = (value: string, maxAgeS: number) =>
    `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${deps.secureCookies ? '; Secure' : ''}`;

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with user name and password; sets the session cookie',
        body: LoginIn,
        response: { 200: SessionView, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 429: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      const wait = Math.max(byUser.retryAfter(username), byAddress.retryAfter(req.ip));
      if (wait > 0) {
        reply.header('retry-after', Math.ceil(wait / 1000));
        throw new MetronetError('E_RATE_LIMITED', `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`);
      }
      const user = await ids.checkPassword(username, password);
      if (!user) {
        byUser.fail(username);
        byAddress.fail(req.ip);
        req.log.warn({ username, ip: req.ip }, 'sign-in refused');
        throw new MetronetError('E_UNAUTHORIZED', 'wrong user name or password');
      }
      byUser.reset(username);
      const { token, secret } = ids.issueToken({ kind: 'session', user: user.id, ttlMs: SESSION_MS }, now());
      reply.header('set-cookie', cookie(secret, SESSION_MS / 1000));
      return { user, expiresAt: token.expiresAt };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'End this session (or revoke the bearer token used)', response: { 204: { type: 'null' } } } },
    async (req, reply) => {
      ids.revokeToken(req.principal!.tokenId);
      reply.header('set-cookie', cookie('', 0));
      return reply.status(204).send(null);
    },
  );

  app.get('/auth/me', { schema: { tags: ['auth'], summary: 'Who is signed in', response: { 200: SessionView } } }, async (req) => {
    const p = req.principal!;
    return { user: ids.getUser(p.user)!, expiresAt: ids.getToken(p.tokenId)!.expiresAt };
  });
};
