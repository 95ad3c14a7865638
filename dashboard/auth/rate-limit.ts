import { Counter } from 'prom-client';
import { SignInAttempts, type AttemptKey } from '../../core/attempts.js';
import { isInstance, LOGIN_DEFAULTS, MetronetError } from '../../core/index.js';
import { dashboardMetrics } from '../metrics-registry.js';
import { HashQueue, QueueFull } from './hash-queue.js';

/**
 * Sign-in throttling of POST /auth/login (issue 16; OWASP Authentication Cheat Sheet, "Login
 * Throttling"). Three layers, cheapest first:
 *
 * 1. @fastify/rate-limit on the route only: `requestsPerMinute` requests per address, counted in
 *    `onRequest`, before the body is read, whatever their outcome (a success costs a hash too).
 * 2. Attempts counted when they START, before the hash, per (user name, address) and per address,
 *    with a doubling delay beyond a free budget (core/attempts.ts). There is no key on the user
 *    name alone: failures from another address never delay the user, so a stranger cannot lock a
 *    victim out. Guessing one user's password from many addresses is bounded by the per-address
 *    budgets and, overall, by the hashing queue.
 * 3. A bounded queue for the hash itself (hash-queue.ts): a burst cannot stall real users behind
 *    it; beyond the queue, 503 E_LOGIN_BUSY at once, with Retry-After.
 *
 * Every refusal is counted (`metronet_login_refusals_total{reason}`) and logged by the route, with
 * user name and address, never the password. State is in memory: one dashboard process serves
 * the API (docs/security.md).
 */
export type LoginLimits = typeof LOGIN_DEFAULTS;

export type RefusalReason = 'rate' | AttemptKey | 'busy';

// Process-wide, in the dashboard's own registry (served by GET /metrics after the composing
// process's exposition): one dashboard serves a process; tests that build several apps add up.
const refusals = new Counter({
  name: 'metronet_login_refusals_total',
  help: 'sign-ins refused before the password was checked: rate (requests per address), user_address and address (delay running), busy (hashing queue full)',
  labelNames: ['reason'],
  registers: [dashboardMetrics],
});
for (const reason of ['rate', 'user_address', 'address', 'busy'] as const) refusals.inc({ reason }, 0);
const checks = new Counter({
  name: 'metronet_login_checks_total',
  help: 'passwords checked at sign-in, by outcome: ok, wrong',
  labelNames: ['outcome'],
  registers: [dashboardMetrics],
});

export class LoginThrottle {
  readonly limits: LoginLimits;
  private readonly queue: HashQueue;
  private readonly attempts: SignInAttempts;

  constructor(limits: Partial<LoginLimits> | undefined, now: () => number = Date.now) {
    this.limits = { ...LOGIN_DEFAULTS, ...limits };
    const l = this.limits;
    this.attempts = new SignInAttempts({ perUserAddress: l.attemptsPerUserAddress, perAddress: l.attemptsPerAddress, maxDelayMs: l.maxDelayMs }, now);
    this.queue = new HashQueue(l.hashConcurrency, l.hashQueue);
  }

  refused(reason: RefusalReason): void {
    refusals.inc({ reason });
  }

  /**
   * Counts an attempt of `username` from `address` as it starts, or refuses it with 429
   * E_RATE_LIMITED and the seconds to wait (thrown; `reason` says which key refused it).
   */
  begin(username: string, address: string): void {
    const refused = this.attempts.begin(username, address);
    if (!refused) return;
    this.refused(refused.key);
    throw tooManyAttempts(Math.ceil(refused.waitMs / 1000), refused.key);
  }

  /** The password was right: the (user, address) delay is cleared and the address gets its attempt back. */
  succeeded(username: string, address: string): void {
    checks.inc({ outcome: 'ok' });
    this.attempts.succeeded(username, address);
  }

  failed(): void {
    checks.inc({ outcome: 'wrong' });
  }

  /** Runs the password check in the bounded queue; a full queue is 503 E_LOGIN_BUSY (thrown). */
  async check<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.queue.run(task);
    } catch (err) {
      if (!isInstance(err, QueueFull)) throw err;
      this.refused('busy');
      const s = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
      throw new MetronetError(
        'E_LOGIN_BUSY',
        {
          en: `too many sign-ins are being checked at once; try again in ${s} s`,
          vi: `Hệ thống đang kiểm tra quá nhiều lượt đăng nhập cùng lúc; vui lòng thử lại sau ${s} giây`,
        },
        { retryAfterSeconds: s, reason: 'busy' },
      );
    }
  }
}

/** 429 E_RATE_LIMITED in both languages; `details.retryAfterSeconds` is also sent as Retry-After by the route. */
export function tooManyAttempts(seconds: number, reason: RefusalReason): MetronetError {
  const s = Math.max(1, seconds);
  return new MetronetError(
    'E_RATE_LIMITED',
    { en: `too many sign-in attempts; try again in ${s} s`, vi: `Quá nhiều lần đăng nhập; vui lòng thử lại sau ${s} giây` },
    { retryAfterSeconds: s, reason },
  );
}
