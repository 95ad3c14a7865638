import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../dashboard/app.js';
import { POLICY } from '../../../dashboard/auth/policy.js';
import type { Role } from '../../../store/index.js';
import { DAY, LEAK, T, closeAll, dashboardOn, twoTenants, type Fixture } from '../fixture.js';

/**
 * Issue 16, item 8: an id of another tenant must answer exactly as an id that does not exist, so
 * that a low-privilege login cannot map the other tenants' instruments, standards, gateways,
 * alerts, webhooks or tokens by trying ids. Tried against the running dashboard. Before the fix:
 * another tenant's instrument, alert, gateway, reference, webhook or token answered 403
 * E_FORBIDDEN ("… is outside your organisation") where a missing one answered 404; a lab asking
 * for another organisation got 403 for an existing one and a missing one alike, but the
 * authority's 404 differed; GET /stations counted other tenants' stations in `total` before the
 * safety net dropped them; a standard could name another lab's standard as its parent (and then
 * show that lab's chain); POST /references and /gateways with another tenant's id answered with
 * hints meant for the owner.
 */
const MISSING = {
  inst: 'NO-SUCH-1',
  ref: 'NO-SUCH-REF',
  gw: 'no-such-gw',
  org: 'no-such-org',
  alert: 987_654,
  webhook: 987_654,
  token: 'abcdef0123456789abcdef0123456789',
};

let f: Fixture;
let app: App;
let base = '';
/** Tenant B's station (ST-bbb) and token of tenant B's enterprise user. */
let foreignToken = '';
let labB: Record<string, string>;
beforeAll(async () => {
  f = await twoTenants();
  for (const t of [T.a, T.b]) {
    const id = `ST-${t === T.a ? 'a' : 'bbb'}`;
    f.registry.upsertInstrument({ id, org: t.ent, registration: 'registered', kind: 'env_station', name: `station ${id}` });
    f.registry.ensureChannel(id, 'so2', 'ug/m3');
    f.registry.stations.upsertStation({
      instrument: id,
      medium: 'air',
      latitude: 10.9,
      longitude: 108.1,
      intervalMs: 60_000,
      toleranceMs: 120_000,
      limitSet: 'qcvn-05-2023',
    });
  }
  // Tenant B holds more of everything, so a total counted before scoping would show.
  f.registry.upsertInstrument({ id: 'INST-bbb-2', org: T.b.ent, registration: 'registered', kind: 'scale' });
  await f.registry.identity.createUser({ id: 'ent-bbb-user', role: 'enterprise', org: T.b.ent, password: 'password-of-ent-bbb-user' });
  foreignToken = f.registry.identity.issueToken({ kind: 'api', user: 'ent-bbb-user', ttlMs: DAY }).token.id;
  await f.registry.identity.createUser({ id: 'lab-bbb-user', role: 'lab', org: T.b.lab, password: 'password-of-lab-bbb-user' });
  labB = { authorization: `Bearer ${f.registry.identity.issueToken({ kind: 'api', user: 'lab-bbb-user', ttlMs: DAY }).secret}` };
  ({ app, base } = await dashboardOn(f, {}, { listen: true }));
});
afterAll(() => closeAll(app, f));

interface Probe {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path with `{id}` where the resource id goes. */
  path: string;
  body?: unknown;
  /** Lab and enterprise roles that may call the route (the others get the role refusal, 403). */
  roles: readonly Role[];
  foreign: () => string | number;
  missing: string | number;
}

const calibration = (certificate: string) => ({
  type: 'calibration',
  date: Date.now() - DAY,
  certificate,
  results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
  references: [T.a.ref],
});
const inst = { foreign: () => T.b.inst, missing: MISSING.inst };
const station = { foreign: () => 'ST-bbb', missing: MISSING.inst };
const BOTH = ['lab', 'enterprise'] as const;
// Inspections (issue 18): tenant B's campaign and visit belong to another inspector and ent-bbb.
const visitB = { foreign: () => f.inspections.b.visit, missing: 987_654 };
const campaignB = { foreign: () => f.inspections.b.campaign, missing: 987_654 };
const VISIT_ROLES = ['enterprise', 'inspector'] as const;
const RECORD = { visitedAt: 0, inspected: [], violations: [], outcome: 'compliant' };

/** Every route whose path names a tenant's resource (the policy's `resource` rows), callable by a lab or an enterprise. */
const PROBES: Record<string, Probe> = {
  'GET /api/v1/campaigns/:id': { method: 'GET', path: '/api/v1/campaigns/{id}', roles: ['inspector'], ...campaignB },
  'GET /api/v1/campaigns/:id/visits': { method: 'GET', path: '/api/v1/campaigns/{id}/visits', roles: ['inspector'], ...campaignB },
  'GET /api/v1/visits/:id': { method: 'GET', path: '/api/v1/visits/{id}', roles: VISIT_ROLES, ...visitB },
  'GET /api/v1/visits/:id/records': { method: 'GET', path: '/api/v1/visits/{id}/records', roles: VISIT_ROLES, ...visitB },
  'POST /api/v1/visits/:id/records': { method: 'POST', path: '/api/v1/visits/{id}/records', body: RECORD, roles: ['inspector'], ...visitB },
  'GET /api/v1/visits/:id/attachments': { method: 'GET', path: '/api/v1/visits/{id}/attachments', roles: VISIT_ROLES, ...visitB },
  'POST /api/v1/visits/:id/attachments': {
    method: 'POST',
    path: '/api/v1/visits/{id}/attachments',
    body: { name: 'a.png', type: 'image/png', data: 'iVBORw0KGgo=' },
    roles: ['inspector'],
    ...visitB,
  },
  'GET /api/v1/visits/:id/attachments/:attachment': { method: 'GET', path: '/api/v1/visits/{id}/attachments/1', roles: VISIT_ROLES, ...visitB },
  'GET /api/v1/orgs/:id': { method: 'GET', path: '/api/v1/orgs/{id}', roles: BOTH, foreign: () => T.b.ent, missing: MISSING.org },
  'DELETE /api/v1/tokens/:id': { method: 'DELETE', path: '/api/v1/tokens/{id}', roles: BOTH, foreign: () => foreignToken, missing: MISSING.token },
  'GET /api/v1/gateways/:id': { method: 'GET', path: '/api/v1/gateways/{id}', roles: ['enterprise'], foreign: () => T.b.gw, missing: MISSING.gw },
  'POST /api/v1/gateways/:id/rotate': {
    method: 'POST',
    path: '/api/v1/gateways/{id}/rotate',
    roles: ['enterprise'],
    foreign: () => T.b.gw,
    missing: MISSING.gw,
  },
  'GET /api/v1/instruments/:id': { method: 'GET', path: '/api/v1/instruments/{id}', roles: BOTH, ...inst },
  'PUT /api/v1/instruments/:id': { method: 'PUT', path: '/api/v1/instruments/{id}', body: { kind: 'scale', name: 'x' }, roles: ['enterprise'], ...inst },
  'GET /api/v1/instruments/:id/readings': { method: 'GET', path: '/api/v1/instruments/{id}/readings', roles: BOTH, ...inst },
  'GET /api/v1/instruments/:id/checks': { method: 'GET', path: '/api/v1/instruments/{id}/checks', roles: BOTH, ...inst },
  'POST /api/v1/instruments/:id/checks': {
    method: 'POST',
    path: '/api/v1/instruments/{id}/checks',
    body: { checks: [{ channel: 'mass', ts: Date.now() - DAY, referenceValue: 20, indicated: 20.001 }] },
    roles: BOTH,
    ...inst,
  },
  'GET /api/v1/instruments/:id/drift': { method: 'GET', path: '/api/v1/instruments/{id}/drift', roles: BOTH, ...inst },
  'GET /api/v1/instruments/:id/state': { method: 'GET', path: '/api/v1/instruments/{id}/state', roles: BOTH, ...inst },
  'GET /api/v1/instruments/:id/calibrations': { method: 'GET', path: '/api/v1/instruments/{id}/calibrations', roles: BOTH, ...inst },
  'POST /api/v1/instruments/:id/calibrations': {
    method: 'POST',
    path: '/api/v1/instruments/{id}/calibrations',
    body: calibration('ORACLE-1'),
    roles: BOTH,
    ...inst,
  },
  'POST /api/v1/instruments/:id/calibrations/:record/supersede': {
    method: 'POST',
    path: '/api/v1/instruments/{id}/calibrations/C-1/supersede',
    body: { reason: 'wrong date', ...calibration('ORACLE-2') },
    roles: ['lab'],
    ...inst,
  },
  'POST /api/v1/instruments/:id/calibrations/:record/void': {
    method: 'POST',
    path: '/api/v1/instruments/{id}/calibrations/C-1/void',
    body: { reason: 'issued in error' },
    roles: ['lab'],
    ...inst,
  },
  'GET /api/v1/instruments/:id/seals': { method: 'GET', path: '/api/v1/instruments/{id}/seals', roles: BOTH, ...inst },
  'POST /api/v1/instruments/:id/seals': {
    method: 'POST',
    path: '/api/v1/instruments/{id}/seals',
    body: { event: 'break', at: Date.now(), seals: ['KC-1'], reason: 'repair' },
    roles: BOTH,
    ...inst,
  },
  'GET /api/v1/instruments/:id/channels/:channel/metrology': { method: 'GET', path: '/api/v1/instruments/{id}/channels/mass/metrology', roles: BOTH, ...inst },
  'PUT /api/v1/instruments/:id/channels/:channel/metrology': {
    method: 'PUT',
    path: '/api/v1/instruments/{id}/channels/mass/metrology',
    body: { tolerance: { model: 'absolute', mpe: 0.05 }, repeatability: 0.002 },
    roles: ['lab'],
    ...inst,
  },
  'GET /api/v1/stations/:id': { method: 'GET', path: '/api/v1/stations/{id}', roles: BOTH, ...station },
  'GET /api/v1/stations/:id/export': { method: 'GET', path: '/api/v1/stations/{id}/export', roles: BOTH, ...station },
  'GET /api/v1/stations/:id/aqi': { method: 'GET', path: '/api/v1/stations/{id}/aqi', roles: BOTH, ...station },
  'PUT /api/v1/stations/:id': { method: 'PUT', path: '/api/v1/stations/{id}', body: { toleranceMs: 60_000 }, roles: ['enterprise'], ...station },
  'PUT /api/v1/stations/:id/limits': { method: 'PUT', path: '/api/v1/stations/{id}/limits', body: { limits: [] }, roles: ['enterprise'], ...station },
  'GET /api/v1/references/:id': { method: 'GET', path: '/api/v1/references/{id}', roles: ['lab'], foreign: () => T.b.ref, missing: MISSING.ref },
  'DELETE /api/v1/references/:id': { method: 'DELETE', path: '/api/v1/references/{id}', roles: ['lab'], foreign: () => T.b.ref, missing: MISSING.ref },
  'GET /api/v1/alerts/:id': { method: 'GET', path: '/api/v1/alerts/{id}', roles: BOTH, foreign: () => f.alerts.b, missing: MISSING.alert },
  'POST /api/v1/alerts/:id/ack': { method: 'POST', path: '/api/v1/alerts/{id}/ack', roles: BOTH, foreign: () => f.alerts.b, missing: MISSING.alert },
  'GET /api/v1/webhooks/:id/deliveries': {
    method: 'GET',
    path: '/api/v1/webhooks/{id}/deliveries',
    roles: BOTH,
    foreign: () => f.webhooks.b,
    missing: MISSING.webhook,
  },
  'DELETE /api/v1/webhooks/:id': { method: 'DELETE', path: '/api/v1/webhooks/{id}', roles: BOTH, foreign: () => f.webhooks.b, missing: MISSING.webhook },
};

/**
 * Routes with a resource row that are not probed, and why: admin-only routes (every other role
 * gets the role refusal, the same for any id), the authority's reassign (it sees every tenant),
 * and PUT /references/{id}, which creates a standard under a new id (a taken id is a conflict,
 * tested below).
 */
const NOT_PROBED = [
  'GET /api/v1/users/:id',
  'PATCH /api/v1/users/:id',
  'DELETE /api/v1/users/:id',
  'DELETE /api/v1/gateways/:id',
  'DELETE /api/v1/instruments/:id',
  'POST /api/v1/instruments/:id/reassign',
  'PUT /api/v1/references/:id',
  // The authority's own planning routes: it sees every campaign.
  'PUT /api/v1/campaigns/:id',
  'POST /api/v1/campaigns/:id/visits',
  'GET /api/v1/campaigns/:id/report',
];

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

async function call(p: Probe, id: string | number, auth: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${base}${p.path.replace('{id}', encodeURIComponent(String(id)))}`, {
    method: p.method,
    headers: { ...auth, ...(p.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: p.body === undefined ? undefined : JSON.stringify(p.body),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** The answer with the id it was asked about replaced by a placeholder: all that may differ. */
const without = (a: Answer, id: string | number): Answer => ({ ...a, body: a.body.split(String(id)).join('{id}') });

describe("another tenant's ids answer exactly as ids that do not exist", () => {
  it('every route naming a resource is probed (or listed with the reason it is not)', () => {
    const withResource = Object.entries(POLICY)
      .filter(([, p]) => p.resource)
      .map(([k]) => k)
      .sort();
    expect([...Object.keys(PROBES), ...NOT_PROBED].sort()).toEqual(withResource);
  });

  for (const [route, p] of Object.entries(PROBES)) {
    for (const role of p.roles) {
      it(`${route} as ${role}: byte for byte, apart from the id`, async () => {
        const foreign = p.foreign();
        const a = without(await call(p, foreign, f.auth[role]), foreign);
        const b = without(await call(p, p.missing, f.auth[role]), p.missing);
        expect(a.status).toBe(404);
        expect(a).toEqual(b);
        expect(a.body).not.toContain(LEAK);
        // HEAD on a GET route gives the same status (issue 16, item 11): no oracle there either.
        if (p.method === 'GET') {
          const head = async (id: string | number) =>
            (await fetch(`${base}${p.path.replace('{id}', encodeURIComponent(String(id)))}`, { method: 'HEAD', headers: f.auth[role] })).status;
          expect([await head(foreign), await head(p.missing)]).toEqual([404, 404]);
        }
      });
    }
  }

  it('in Vietnamese too', async () => {
    const p = PROBES['GET /api/v1/instruments/:id']!;
    const vi = { ...f.auth.enterprise, 'accept-language': 'vi' };
    expect(without(await call(p, p.foreign(), vi), p.foreign())).toEqual(without(await call(p, p.missing, vi), p.missing));
  });

  it('a role that may never call a route is still refused 403, whatever the id', async () => {
    const gw = PROBES['GET /api/v1/gateways/:id']!;
    for (const id of [T.a.gw, T.b.gw, MISSING.gw]) {
      const r = await call(gw, id, f.auth.lab);
      expect([id, r.status, JSON.parse(r.body).error.code]).toEqual([id, 403, 'E_FORBIDDEN']);
    }
  });
});

describe('list totals are counted after tenant scoping', () => {
  for (const [path, role] of [
    ['/api/v1/instruments', 'enterprise'],
    ['/api/v1/instruments', 'lab'],
    ['/api/v1/alerts', 'enterprise'],
    ['/api/v1/alerts', 'lab'],
    ['/api/v1/stations', 'enterprise'],
    ['/api/v1/stations', 'lab'],
  ] as const) {
    it(`${path} as ${role}: total is the number of the caller's items`, async () => {
      const res = await fetch(`${base}${path}`, { headers: f.auth[role] });
      const body = (await res.json()) as { items: unknown[]; total: number };
      expect(res.status).toBe(200);
      expect(JSON.stringify(body.items)).not.toContain(LEAK);
      expect(body.total).toBe(body.items.length);
    });
  }

  it('GET /api/v1/stations as an enterprise: its own station, total 1', async () => {
    const body = (await (await fetch(`${base}/api/v1/stations`, { headers: f.auth.enterprise })).json()) as { items: Array<{ id: string }>; total: number };
    expect([body.items.map((s) => s.id), body.total]).toEqual([['ST-a'], 1]);
  });
});

describe('reference parents across labs, and conflicts, name nothing of another tenant', () => {
  const standard = (parent: string | null) => ({ lab: T.a.lab, quantity: 'mass', unit: 'kg', nominal: 20, value: 20, U: 0.001, k: 2, parent });
  const post = (body: unknown, auth: Record<string, string> = f.auth.lab) =>
    fetch(`${base}/api/v1/references`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a parent of another lab is refused exactly as an unknown parent, and nothing is saved', async () => {
    const foreign = await post({ id: 'CHILD-1', ...standard(T.b.ref) });
    const missing = await post({ id: 'CHILD-1', ...standard(MISSING.ref) });
    const a = without({ status: foreign.status, type: foreign.headers.get('content-type'), body: await foreign.text() }, T.b.ref);
    const b = without({ status: missing.status, type: missing.headers.get('content-type'), body: await missing.text() }, MISSING.ref);
    expect(a.status).toBe(404);
    expect(JSON.parse(a.body).error.code).toBe('E_UNKNOWN_REFERENCE');
    expect(a).toEqual(b);
    expect(f.registry.analytics.getReference('CHILD-1')).toBeUndefined();
    // PUT likewise; its own lab's standard is a fine parent.
    const put = await fetch(`${base}/api/v1/references/CHILD-2`, {
      method: 'PUT',
      headers: { ...f.auth.lab, 'content-type': 'application/json' },
      body: JSON.stringify(standard(T.b.ref)),
    });
    expect(put.status).toBe(404);
    expect((await post({ id: 'CHILD-3', ...standard(T.a.ref) })).status).toBe(201);
  });

  it('409s for ids another tenant holds name nothing of it and give no hint meant for the holder', async () => {
    const answers = [
      await post({ id: T.b.ref, ...standard(null) }),
      await fetch(`${base}/api/v1/references/${T.b.ref}`, {
        method: 'PUT',
        headers: { ...f.auth.lab, 'content-type': 'application/json' },
        body: JSON.stringify(standard(null)),
      }),
      await fetch(`${base}/api/v1/gateways`, {
        method: 'POST',
        headers: { ...f.auth.enterprise, 'content-type': 'application/json' },
        body: JSON.stringify({ id: T.b.gw, org: T.a.ent }),
      }),
      await fetch(`${base}/api/v1/instruments`, {
        method: 'POST',
        headers: { ...f.auth.enterprise, 'content-type': 'application/json' },
        body: JSON.stringify({ id: T.b.inst, org: T.a.ent, kind: 'scale' }),
      }),
    ];
    for (const res of answers) {
      const text = await res.text();
      expect([res.url, res.status]).toEqual([res.url, 409]);
      // The id asked for is the caller's own input; nothing else of tenant B (its organisation, lab, names).
      const rest = text.split(T.b.ref).join('').split(T.b.gw).join('').split(T.b.inst).join('');
      expect(rest).not.toContain(LEAK);
      expect(rest).not.toMatch(/rotate|PUT \/references/);
    }
    expect(f.registry.analytics.getReference(T.b.ref)!.lab).toBe(T.b.lab);
  });

  it("the standard's owner still gets the hint", async () => {
    const res = await post({ id: T.b.ref, ...standard(null), lab: T.b.lab }, labB);
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/PUT \/references/);
  });
});
