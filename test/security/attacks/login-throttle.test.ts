import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../dashboard/app.js';
import { memoryLogger } from '../../support/log.js';
import { waitFor } from '../../support/wait.js';
import { closeAll, dashboardOn, twoTenants, USERS, type Fixture } from '../fixture.js';

/**
 * Attacks on POST /api/v1/auth/login (issue 16, item 1), over real HTTP against the running
 * dashboard. Clients bind distinct loopback source addresses (127.0.0.0/8 is all loopback on
 * Linux), so "another address" is a real one. Every password check is counted by a spy on the
 * registry, which is what the limiter must protect: a check is one scrypt hash (N = 2^17).
 */
const LOGIN = { attemptsPerUserAddress: 5, attemptsPerAddress: 20, hashConcurrency: 2, hashQueue: 8, maxDelayMs: 900_000, requestsPerMinute: 20 };
const METRICS_TOKEN = 'metrics-token-for-the-test';

let f: Fixture;
let app: App;
let base: string;
let clock = Date.now();
const log = memoryLogger('info');
let checks = 0;
let inFlight = 0;
let peak = 0;

beforeAll(async () => {
  f = await twoTenants();
  const ids = f.registry.identity;
  const check = ids.checkPassword.bind(ids);
  ids.checkPassword = async (id, password) => {
    checks++;
    peak = Math.max(peak, ++inFlight);
    try {
      return await check(id, password);
    } finally {
      inFlight--;
    }
  };
  ({ app, base } = await dashboardOn(f, { now: () => clock, logger: log.logger, login: LOGIN, metricsToken: METRICS_TOKEN }, { listen: true }));
});
afterAll(() => closeAll(app, f));

interface Answer {
  status: number;
  retryAfter: number | undefined;
  code: string | undefined;
  ms: number;
}

/** POST /api/v1/auth/login from a given loopback source address. */
function login(username: string, password: string, from: string): Promise<Answer> {
  const body = JSON.stringify({ username, password });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/api/v1/auth/login`,
      { method: 'POST', localAddress: from, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ status: res.statusCode ?? 0, retryAfter: ra === undefined ? undefined : Number(ra), code, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const right = (id: string) => `password-of-${id}`;

// Each password check is a real scrypt hash: on a loaded 2-core machine a test may hash a dozen.
describe('login throttling', { timeout: 180_000 }, () => {
  it('40 parallel wrong-password logins for one user: counted as they start, only the budget is hashed, the rest refused with 429 and Retry-After; a real user still signs in', async () => {
    const victim = USERS.lab.id;
    const before = checks;
    const burst = Array.from({ length: 40 }, () => login(victim, 'wrong-password', '127.0.0.2'));
    // A real user signing in from elsewhere during the burst.
    await waitFor(() => checks > before, 'the burst to reach the password check');
    const real = await login(USERS.authority.id, right(USERS.authority.id), '127.0.0.3');
    const answers = await Promise.all(burst);
    const checked = checks - before - 1;
    console.log(`login burst: ${checked} of 40 parallel wrong logins checked; real user's login took ${Math.round(real.ms)} ms (status ${real.status})`);
    expect(real.status).toBe(200);
    expect(checked).toBeLessThanOrEqual(LOGIN.attemptsPerUserAddress);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(checked);
    const refused = answers.filter((a) => a.status !== 401);
    expect(refused).toHaveLength(40 - checked);
    for (const a of refused) {
      expect([429, 503]).toContain(a.status);
      expect(a.retryAfter).toBeGreaterThan(0);
    }
  });

  it("a stranger's failures from another address do not lock the user out", async () => {
    const victim = USERS.enterprise.id;
    for (let i = 0; i < 12; i++) expect([401, 429]).toContain((await login(victim, `guess-${i}`, '127.0.0.4')).status);
    expect((await login(victim, 'guess-x', '127.0.0.4')).status).toBe(429);
    expect((await login(victim, right(victim), '127.0.0.5')).status).toBe(200);
  });

  it('the delay grows with every attempt beyond the budget (progressive, not a fixed lock)', async () => {
    const user = USERS.admin.id;
    const from = '127.0.0.6';
    for (let i = 0; i < LOGIN.attemptsPerUserAddress; i++) expect((await login(user, `wrong-${i}`, from)).status).toBe(401);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const refused = await login(user, 'wrong', from);
      expect(refused.status).toBe(429);
      waits.push(refused.retryAfter!);
      clock += refused.retryAfter! * 1000;
      expect((await login(user, 'wrong', from)).status).toBe(401);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);
    // The right password after the wait signs in and clears the delay for this address.
    clock += 3_600_000;
    expect((await login(user, right(user), from)).status).toBe(200);
    expect((await login(user, 'wrong-again', from)).status).toBe(401);
  });

  it('password hashing is a bounded queue: a burst across many users and addresses never hashes more than the concurrency at once, and the overflow is refused at once with Retry-After', async () => {
    peak = 0;
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`nobody-${i}`, 'x', `127.0.1.${i + 1}`)));
    expect(peak).toBeLessThanOrEqual(LOGIN.hashConcurrency);
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const a of busy) {
      expect(a.code).toBe('E_LOGIN_BUSY');
      expect(a.retryAfter).toBeGreaterThan(0);
    }
    expect(answers.filter((a) => a.status === 401).length + busy.length).toBe(60);
  });

  it('every request to the login route counts against a per-address cap, before its body is read; then even the right password is refused', async () => {
    const user = USERS.authority.id;
    // Requests that never reach the password check (no password: 400) still count.
    for (let i = 0; i < LOGIN.requestsPerMinute; i++) expect((await login(user, '', '127.0.0.7')).status).toBe(400);
    const before = checks;
    const limited = await login(user, right(user), '127.0.0.7');
    expect(limited.status).toBe(429);
    expect(limited.code).toBe('E_RATE_LIMITED');
    expect(limited.retryAfter).toBeGreaterThan(0);
    expect(checks).toBe(before);
  });

  it('every refusal is counted in Prometheus and logged, never with the password', async () => {
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
    const value = (reason: string) => Number(new RegExp(`metronet_login_refusals_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(value('user_address')).toBeGreaterThan(0);
    expect(value('busy')).toBeGreaterThan(0);
    expect(value('rate')).toBeGreaterThan(0);
    const refusals = log.lines.filter((l) => /sign-in (throttled|refused)/.test(l.msg));
    expect(refusals.length).toBeGreaterThan(40);
    const text = JSON.stringify(log.lines);
    expect(text).not.toContain('wrong-password');
    expect(text).not.toContain('password-of-');
  });
});
