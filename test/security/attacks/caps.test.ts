import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../dashboard/app.js';
import { waitFor } from '../../support/wait.js';
import { DAY, closeAll, dashboardOn, twoTenants, USERS, type Fixture } from '../fixture.js';

/**
 * Issue 16, item 9: caps per user on what a low-privilege login can pile up, tried against the
 * running dashboard. Before the fix a user could hold 500 of 500 live-event streams and 500 of
 * 500 API tokens; now each is refused past its cap (defaults: 8 streams, 50 active tokens per
 * user) with a reason naming the limit, and every refusal is counted on GET /metrics.
 */
const STREAMS_PER_USER = 8; // dashboard.maxStreamsPerUser default
const TOKENS_PER_USER = 50; // dashboard.maxTokensPerUser default

let f: Fixture;
let app: App;
let base = '';
const METRICS_TOKEN = 'caps-test-metrics-token-0123456789abcdef';
beforeAll(async () => {
  f = await twoTenants();
  ({ app, base } = await dashboardOn(f, { metricsToken: METRICS_TOKEN }, { listen: true }));
});
afterAll(() => closeAll(app, f));

interface Opened {
  status: number;
  body?: { error: { code: string; message: string; details: Record<string, unknown> } };
  close: () => void;
}

/** Opens GET /api/v1/events as a caller; a 200 stream stays open until close(). */
async function openStream(auth: Record<string, string>): Promise<Opened> {
  const ctl = new AbortController();
  const res = await fetch(`${base}/api/v1/events`, { headers: auth, signal: ctl.signal });
  if (res.status === 200) return { status: 200, close: () => ctl.abort() };
  return { status: res.status, body: (await res.json()) as Opened['body'], close: () => ctl.abort() };
}

const refusals = async (limit: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const m = new RegExp(`^metronet_limit_refusals_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

describe('live-event streams per user', () => {
  it('accepts streams up to the cap, refuses the next with a reason, and frees a slot when a stream closes', async () => {
    const open: Opened[] = [];
    try {
      for (let i = 0; i < STREAMS_PER_USER; i++) open.push(await openStream(f.auth.enterprise));
      expect(open.map((s) => s.status)).toEqual(Array(STREAMS_PER_USER).fill(200));

      const refused = await openStream({ ...f.auth.enterprise, 'accept-language': 'vi' });
      expect(refused.status).toBe(429);
      expect(refused.body!.error).toMatchObject({
        code: 'E_LIMIT_REACHED',
        details: { field: 'user', value: USERS.enterprise.id, rule: 'dashboard.maxStreamsPerUser', max: STREAMS_PER_USER },
      });
      expect(refused.body!.error.message).toMatch(/luồng sự kiện/);
      expect(await refusals('streams_per_user')).toBe(1);

      // Another user is not affected by this user's streams.
      const other = await openStream(f.auth.authority);
      expect(other.status).toBe(200);
      other.close();

      // Closing one frees its slot: the next open is accepted (once the server has seen the close).
      open.shift()!.close();
      const next = await waitFor(
        async () => {
          const s = await openStream(f.auth.enterprise);
          return s.status === 200 ? s : (s.close(), undefined);
        },
        { message: 'a stream accepted after one closed' },
      );
      open.push(next);
      expect((await openStream(f.auth.enterprise)).status).toBe(429);
    } finally {
      for (const s of open) s.close();
    }
  });

  it('does not hold a slot for a one-shot stream (?once=true)', async () => {
    const open: Opened[] = [];
    try {
      for (let i = 0; i < STREAMS_PER_USER; i++) open.push(await openStream(f.auth.lab));
      expect(open.every((s) => s.status === 200)).toBe(true);
      const once = await fetch(`${base}/api/v1/events?once=true`, { headers: f.auth.lab });
      expect(once.status).toBe(200);
      expect(await once.text()).toContain('event: hello');
    } finally {
      for (const s of open) s.close();
    }
  });
});

describe('API tokens per user', () => {
  const post = (body: object, auth = f.auth.enterprise) =>
    app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { ...auth, 'accept-language': 'vi' }, payload: body });

  it('counts only active tokens: refuses the one past the cap, accepts again after a revocation', async () => {
    const user = USERS.enterprise.id;
    // Expired and revoked tokens do not count.
    for (let i = 0; i < 60; i++) f.registry.identity.issueToken({ kind: 'api', user, ttlMs: DAY }, Date.now() - 2 * DAY);
    for (let i = 0; i < 5; i++) f.registry.identity.revokeToken(f.registry.identity.issueToken({ kind: 'api', user, ttlMs: DAY }).token.id);
    const active = () => f.registry.identity.listTokens(user).filter((t) => t.revokedAt === null && t.expiresAt > Date.now()).length;

    const issued: string[] = [];
    while (active() < TOKENS_PER_USER) {
      const res = await post({ name: `t${issued.length}`, ttlDays: 1 });
      expect(res.statusCode).toBe(201);
      issued.push(res.json().id);
    }
    const refused = await post({ name: 'one too many', ttlDays: 1 });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({
      code: 'E_LIMIT_REACHED',
      details: { field: 'user', value: user, rule: 'dashboard.maxTokensPerUser', max: TOKENS_PER_USER },
    });
    expect(refused.json().error.message).toMatch(/mã truy cập/);
    expect(refused.body).not.toMatch(/"secret"/);
    // An admin issuing for the user meets the same cap.
    expect((await post({ user, ttlDays: 1 }, f.auth.admin)).statusCode).toBe(429);
    expect(await refusals('tokens_per_user')).toBe(2);

    expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${issued[0]}`, headers: f.auth.enterprise })).statusCode).toBe(204);
    expect((await post({ name: 'after a revocation', ttlDays: 1 })).statusCode).toBe(201);
    expect((await post({ name: 'again one too many', ttlDays: 1 })).statusCode).toBe(429);
    expect(active()).toBe(TOKENS_PER_USER);
  });
});
