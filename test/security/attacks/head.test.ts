import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../dashboard/app.js';
import { POLICY } from '../../../dashboard/auth/policy.js';
import type { Role } from '../../../store/index.js';
import { T, closeAll, dashboardOn, twoTenants, type Fixture } from '../fixture.js';

/**
 * Issue 16, item 11: HEAD answers as GET — same status, same headers, no body — for what the
 * caller may read, and is refused as GET is for what it may not. Before the fix every HEAD on
 * the API answered 403 E_FORBIDDEN to every role but admin, on the caller's own resources too
 * (the policy table had no HEAD rows and a route without a row is admin-only).
 */
let f: Fixture;
let app: App;
let base = '';
beforeAll(async () => {
  f = await twoTenants();
  ({ app, base } = await dashboardOn(f, {}, { listen: true }));
});
afterAll(() => closeAll(app, f));

/** Headers that legitimately differ between two answers: when, which request, and the length of a body that embeds a time. */
const VOLATILE = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);
const stable = (h: Headers) => {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    if (!VOLATILE.has(k)) out[k] = v;
  });
  return out;
};

/** Own-tenant GETs of each role, one per kind of resource and list. */
const OWN: Record<Exclude<Role, 'admin'>, string[]> = {
  authority: ['/api/v1/instruments', `/api/v1/instruments/${T.b.inst}`, `/api/v1/references/${T.b.ref}`, `/api/v1/gateways/${T.a.gw}`, '/api/v1/audit'],
  lab: [
    '/api/v1/instruments',
    `/api/v1/instruments/${T.a.inst}`,
    `/api/v1/instruments/${T.a.inst}/checks`,
    `/api/v1/instruments/${T.a.inst}/calibrations`,
    `/api/v1/references/${T.a.ref}`,
    `/api/v1/orgs/${T.a.lab}`,
    '/api/v1/alerts',
    '/api/v1/auth/me',
  ],
  enterprise: [
    '/api/v1/instruments',
    `/api/v1/instruments/${T.a.inst}`,
    `/api/v1/instruments/${T.a.inst}/drift`,
    `/api/v1/instruments/${T.a.inst}/channels/mass/metrology`,
    `/api/v1/gateways/${T.a.gw}`,
    `/api/v1/orgs/${T.a.ent}`,
    `/api/v1/alerts/${0}`,
    '/api/v1/webhooks',
    '/api/v1/rejects',
    '/api/v1/tokens',
  ],
  inspector: ['/api/v1/auth/me', '/api/v1/visits', '/api/v1/campaigns', '/api/v1/violations'],
};

describe('HEAD answers as GET', () => {
  for (const [role, paths] of Object.entries(OWN) as Array<[Exclude<Role, 'admin'>, string[]]>) {
    it(`${role}: same status and headers, no body, on what it may read`, async () => {
      for (const raw of paths) {
        const path = raw === '/api/v1/alerts/0' ? `/api/v1/alerts/${f.alerts.a}` : raw;
        const get = await fetch(`${base}${path}`, { headers: f.auth[role] });
        const getBody = await get.arrayBuffer();
        const head = await fetch(`${base}${path}`, { method: 'HEAD', headers: f.auth[role] });
        const headBody = await head.arrayBuffer();
        expect([path, head.status]).toEqual([path, get.status]);
        expect([path, get.status]).toEqual([path, 200]);
        expect([path, headBody.byteLength]).toEqual([path, 0]);
        expect([path, getBody.byteLength]).not.toEqual([path, 0]);
        const g = stable(get.headers);
        const h = stable(head.headers);
        expect([path, h]).toEqual([path, g]);
      }
    });
  }

  it('is refused where GET is: no session, a role that may not, another tenant (as missing)', async () => {
    const cases: Array<[string, Record<string, string> | undefined]> = [
      ['/api/v1/instruments', undefined],
      [`/api/v1/references/${T.a.ref}`, f.auth.enterprise],
      ['/api/v1/audit', f.auth.lab],
      [`/api/v1/instruments/${T.b.inst}`, f.auth.enterprise],
      [`/api/v1/instruments/${T.b.inst}`, f.auth.lab],
      ['/api/v1/instruments/NO-SUCH-1', f.auth.lab],
    ];
    for (const [path, auth] of cases) {
      const get = await fetch(`${base}${path}`, { headers: auth });
      await get.arrayBuffer();
      const head = await fetch(`${base}${path}`, { method: 'HEAD', headers: auth });
      expect([path, head.status]).toEqual([path, get.status]);
      expect([path, get.status >= 400]).toEqual([path, true]);
    }
  });

  it('the policy table has no HEAD rows to forget: HEAD is judged by the GET row', () => {
    expect(Object.keys(POLICY).filter((k) => k.startsWith('HEAD '))).toEqual([]);
  });
});
