import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import rateLimit from '@fastify/rate-limit';
import { MetronetError, isMetronetError } from '../../core/index.js';
import { LoginIn, SessionView } from '../identity-schemas.js';
import { LoginThrottle, tooManyAttempts } from '../auth/rate-limit.js';
import { clearSessionCookie, setSessionCookie } from '../auth/hook.js';
import type { DashboardDeps } from '../app.js';

const SESSION_MS = 12 * 3_600_000;

/** Web sessions: login (throttled, auth/rate-limit.ts) sets an HttpOnly, SameSite=Strict cookie (Secure under HTTPS); logout ends it. */
export const authRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ids = deps.registry.identity;
  const now = deps.now ?? Date.now;
  const throttle = new LoginThrottle(deps.login, now);
  /** One log line per refusal: who, from where, why; never the password. */
  const refusal = (req: FastifyRequest, reply: FastifyReply, err: MetronetError, username?: string) => {
    const d = err.details as { retryAfterSeconds: number; reason: string };
    reply.header('retry-after', d.retryAfterSeconds);
    req.log.warn({ username, ip: req.ip, reason: d.reason, retryAfterS: d.retryAfterSeconds }, 'sign-in throttled');
    return err;
  };
  // Layer 1: requests per address, on this route only, counted before the body is read.
  await fastify.register(rateLimit, {
    global: false,
    errorResponseBuilder: (req, ctx) => {
      throttle.refused('rate');
      req.log.warn({ ip: req.ip, reason: 'rate', retryAfterS: Math.ceil(ctx.ttl / 1000) }, 'sign-in throttled');
      return tooManyAttempts(Math.ceil(ctx.ttl / 1000), 'rate');
    },
  });
  const secure = !!deps.secureCookies;

  app.post(
    '/auth/login',
    {
      config: { rateLimit: { max: throttle.limits.requestsPerMinute, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => req.ip } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with user name and password; sets the session cookie',
        description:
          'Throttled per address and per (user name, address), with a delay that doubles beyond a free budget; 429 E_RATE_LIMITED and 503 E_LOGIN_BUSY carry Retry-After.',
        body: LoginIn,
        response: { 200: SessionView, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 429: { $ref: 'Error#' }, 503: { $ref: 'Error#' } },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body;
      let user: Awaited<ReturnType<typeof ids.checkPassword>>;
      try {
        // Layer 2: counted as it starts, before the hash, so parallel attempts cannot all pass.
        throttle.begin(username, req.ip);
        // Layer 3: the hash itself, in a bounded queue.
        user = await throttle.check(() => ids.checkPassword(username, password));
      } catch (err) {
        throw isMetronetError(err) && (err.code === 'E_RATE_LIMITED' || err.code === 'E_LOGIN_BUSY') ? refusal(req, reply, err, username) : err;
      }
      if (!user) {
        throttle.failed();
        req.log.warn({ username, ip: req.ip }, 'sign-in refused');
        throw new MetronetError('E_UNAUTHORIZED', { en: 'wrong user name or password', vi: 'Sai tên đăng nhập hoặc mật khẩu' });
      }
      throttle.succeeded(username, req.ip);
      const { token, secret } = ids.issueToken({ kind: 'session', user: user.id, ttlMs: SESSION_MS }, now());
      setSessionCookie(reply, secure, secret, SESSION_MS / 1000);
      return { user, expiresAt: token.expiresAt };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'End this session (or revoke the bearer token used)', response: { 204: { type: 'null' } } } },
    async (req, reply) => {
      ids.revokeToken(req.principal!.tokenId);
      clearSessionCookie(reply, secure);
      return reply.status(204).send(null);
    },
  );

  app.get('/auth/me', { schema: { tags: ['auth'], summary: 'Who is signed in', response: { 200: SessionView } } }, async (req) => {
    const p = req.principal!;
    return { user: ids.getUser(p.user)!, expiresAt: ids.getToken(p.tokenId)!.expiresAt };
  });
};
