import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../dashboard/app.js';
import { POLICY } from '../../dashboard/auth/policy.js';
import { ROLES, type Role } from '../../store/index.js';
import { DAY, LEAK, T, USERS, closeAll, dashboardOn, twoTenants, type Fixture, type Tenant } from './fixture.js';

/**
 * The REST access matrix (issue 6), generated from ONE table: for every API route, who may call
 * it and how to call it on a tenant's resource. Each role calls each route on its own tenant
 * (A: must succeed when the role is allowed) and on the other tenant (B: must be refused to a
 * lab or enterprise, and list responses must not mention tenant B at all). A route naming a
 * resource refuses another tenant's as if it did not exist (404; issue 16, item 8: no existence
 * oracle, compared byte for byte in attacks/existence-oracle.test.ts); a PUT that creates under a
 * free id answers 409 for a taken one; everything else (a role never allowed, an `org` of
 * another tenant in a body) is 403. The table must cover
 * exactly the routes fastify has registered, so a route added later without a row fails here.
 */
interface Call {
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
}
interface Row {
  /** Roles allowed on their own tenant (admin always is). */
  roles: readonly Role[];
  /** Roles allowed on the other tenant too (default: the authority, when allowed). 'none': tenantless route. */
  foreign?: readonly Role[] | 'none';
  public?: boolean;
  /** A list: own and foreign are the same call; a lab or enterprise must see nothing of tenant B. */
  list?: boolean;
  /** Success other than 2xx (e.g. 404 from the route itself: the call got through access control). */
  passed?: (status: number) => boolean;
  call: (t: Tenant, role: Role, f: Fixture) => Call | Promise<Call>;
}

const ALL: readonly Role[] = ['authority', 'lab', 'enterprise'];
/** Every signed-in role, the inspector included (issue 18). */
const SIGNED_IN: readonly Role[] = [...ALL, 'inspector'];
const INSPECTION: readonly Role[] = ['authority', 'inspector'];
const VISIT_READERS: readonly Role[] = ['authority', 'enterprise', 'inspector'];
const visitOf = (f: Fixture, t: Tenant) => f.inspections[kOf(t)].visit;
const campaignOf = (f: Fixture, t: Tenant) => f.inspections[kOf(t)].campaign;
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABXQsuDAAAAABJRU5ErkJggg==';
const campaignBody = () => ({
  title: `Đợt ${u()}`,
  subject: 'fuel_retail',
  province: null,
  communes: [],
  periodFrom: Date.now() - DAY,
  periodTo: Date.now() + DAY,
  team: [USERS.inspector.id],
});
const recordBody = () => ({ visitedAt: Date.now() - 60_000, inspected: [], violations: [], outcome: 'compliant', idempotencyKey: `k-${u()}` });
const ADMIN: readonly Role[] = [];
let n = 0;
const u = () => `${++n}`;
const owner = (role: Role, t: Tenant) => (role === 'lab' ? t.lab : t.ent);
const through = (s: number) => s !== 401 && s !== 403;
const refBody = (t: Tenant) => ({ lab: t.lab, quantity: 'mass', unit: 'kg', nominal: 20, value: 20.0001, U: 0.001, k: 2 });
const kOf = (t: Tenant) => (t === T.a ? 'a' : 'b');
const designationBody = (t: Tenant) => ({ lab: t.lab, decision: `QĐ-${u()}`, kinds: ['scale' as const], ranges: null, validFrom: 0, validUntil: null });
/** A calibration record the tenant's lab issued (for the correction routes). */
const issued = (f: Fixture, t: Tenant) =>
  f.registry.analytics.insertCalibration({
    instrument: t.inst,
    type: 'calibration',
    date: Date.now() - 2 * DAY,
    lab: t.lab,
    certificate: `ISSUED-${u()}`,
    procedure: null,
    conditions: null,
    results: [],
    references: [],
    result: 'pass',
    decisionRule: 'simple',
    statement: null,
    authorisedBy: 'lab user',
    intervalDays: null,
    nextDue: null,
  }).certificate;

const MATRIX: Record<string, Row> = {
  'GET /api/v1/health': { roles: SIGNED_IN, public: true, call: () => ({ url: '/api/v1/health' }) },
  'GET /api/v1/ready': { roles: SIGNED_IN, public: true, call: () => ({ url: '/api/v1/ready' }) },
  'POST /api/v1/auth/login': {
    roles: SIGNED_IN,
    public: true,
    call: () => ({ url: '/api/v1/auth/login', payload: { username: USERS.authority.id, password: `password-of-${USERS.authority.id}` } }),
  },
  'POST /api/v1/auth/logout': {
    roles: SIGNED_IN,
    foreign: 'none',
    call: (_t, role, f) => ({
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${f.registry.identity.issueToken({ kind: 'api', user: USERS[role].id, ttlMs: DAY }).secret}` },
    }),
  },
  'GET /api/v1/auth/me': { roles: SIGNED_IN, foreign: 'none', call: () => ({ url: '/api/v1/auth/me' }) },

  'GET /api/v1/orgs': { roles: ALL, list: true, call: () => ({ url: '/api/v1/orgs' }) },
  'GET /api/v1/orgs/:id': { roles: ALL, call: (t, role) => ({ url: `/api/v1/orgs/${owner(role, t)}` }) },
  'POST /api/v1/orgs': { roles: ADMIN, foreign: 'none', call: () => ({ url: '/api/v1/orgs', payload: { id: `org-${u()}`, name: 'New', kind: 'enterprise' } }) },
  'PUT /api/v1/orgs/:id': { roles: ADMIN, call: (t) => ({ url: `/api/v1/orgs/${t.ent}`, payload: { name: `Enterprise ${kOf(t)}`, kind: 'enterprise' } }) },
  'DELETE /api/v1/orgs/:id': {
    // An empty organisation (one with instruments or users is a 409, tested in admin-records.test.ts).
    roles: ADMIN,
    call: (t, _r, f) => {
      const id = `org-del-${kOf(t)}${u()}`;
      f.registry.upsertOrg({ id, name: 'Gone', kind: 'enterprise' });
      return { url: `/api/v1/orgs/${id}` };
    },
  },
  'GET /api/v1/users': { roles: ADMIN, foreign: 'none', call: () => ({ url: '/api/v1/users' }) },
  'POST /api/v1/users': {
    roles: ADMIN,
    foreign: 'none',
    call: (t) => ({ url: '/api/v1/users', payload: { id: `user-${u()}`, role: 'enterprise', org: t.ent, password: 'a-long-enough-password' } }),
  },
  'GET /api/v1/users/:id': { roles: ADMIN, foreign: 'none', call: () => ({ url: `/api/v1/users/${USERS.enterprise.id}` }) },
  'PATCH /api/v1/users/:id': {
    roles: ADMIN,
    foreign: 'none',
    call: () => ({ url: `/api/v1/users/${USERS.enterprise.id}`, payload: { name: 'Người dùng A' } }),
  },
  'DELETE /api/v1/users/:id': {
    roles: ADMIN,
    foreign: 'none',
    call: async (t, _r, f) => ({
      url: `/api/v1/users/${(await f.registry.identity.createUser({ id: `gone-${u()}`, role: 'enterprise', org: t.ent, password: 'x'.repeat(12) })).id}`,
    }),
  },
  'GET /api/v1/tokens': { roles: ALL, foreign: 'none', call: () => ({ url: '/api/v1/tokens' }) },
  'POST /api/v1/tokens': { roles: ALL, foreign: 'none', call: () => ({ url: '/api/v1/tokens', payload: { name: 'ci', ttlDays: 1 } }) },
  'DELETE /api/v1/tokens/:id': {
    // Own: a token of the caller; other tenant: a token of someone else (only an admin may revoke it).
    roles: ALL,
    foreign: [],
    call: (t, role, f) => ({
      url: `/api/v1/tokens/${f.registry.identity.issueToken({ kind: 'api', user: t === T.a ? USERS[role].id : USERS.admin.id, ttlMs: DAY }).token.id}`,
    }),
  },
  'GET /api/v1/gateways': { roles: ['authority', 'enterprise'], list: true, call: () => ({ url: '/api/v1/gateways' }) },
  'GET /api/v1/gateways/:id': { roles: ['authority', 'enterprise'], call: (t) => ({ url: `/api/v1/gateways/${t.gw}` }) },
  'POST /api/v1/gateways': { roles: ['enterprise'], call: (t) => ({ url: '/api/v1/gateways', payload: { id: `gw-new-${u()}`, org: t.ent } }) },
  'POST /api/v1/gateways/:id/rotate': { roles: ['enterprise'], call: (t) => ({ url: `/api/v1/gateways/${t.gw}/rotate` }) },
  'DELETE /api/v1/gateways/:id': {
    roles: ADMIN,
    call: (t, _r, f) => {
      const id = `gw-del-${kOf(t)}${u()}`;
      f.registry.upsertGateway({ id, org: t.ent });
      return { url: `/api/v1/gateways/${id}` };
    },
  },
  'GET /api/v1/mqtt-credentials': { roles: ADMIN, foreign: 'none', call: () => ({ url: '/api/v1/mqtt-credentials' }) },
  'POST /api/v1/mqtt-credentials': {
    roles: ADMIN,
    call: (t) => ({ url: '/api/v1/mqtt-credentials', payload: { username: `${t.lab}-${u()}`, kind: 'lab', subject: t.lab } }),
  },
  'DELETE /api/v1/mqtt-credentials/:id': {
    roles: ADMIN,
    call: async (t, _r, f) => ({
      url: `/api/v1/mqtt-credentials/${(await f.registry.identity.setMqttCredential({ username: `${t.ent}-${u()}`, kind: 'org', subject: t.ent })).credential.username}`,
    }),
  },
  'GET /api/v1/audit': { roles: ['authority'], foreign: 'none', call: () => ({ url: '/api/v1/audit' }) },
  'GET /api/v1/audit/verify': { roles: ['authority'], foreign: 'none', call: () => ({ url: '/api/v1/audit/verify' }) },

  'GET /api/v1/instruments': { roles: SIGNED_IN, list: true, call: () => ({ url: '/api/v1/instruments' }) },
  'POST /api/v1/instruments': {
    roles: ['enterprise'],
    call: (t) => ({ url: '/api/v1/instruments', payload: { id: `NEW-${u()}`, org: t.ent, kind: 'scale', name: 'new scale' } }),
  },
  'GET /api/v1/instruments/:id': { roles: SIGNED_IN, call: (t) => ({ url: `/api/v1/instruments/${t.inst}` }) },
  'PUT /api/v1/instruments/:id': {
    roles: ['enterprise'],
    call: (t) => ({ url: `/api/v1/instruments/${t.inst}`, payload: { kind: 'scale', name: `scale ${kOf(t)}`, lab: t.lab } }),
  },
  'DELETE /api/v1/instruments/:id': {
    roles: ADMIN,
    call: (t, _r, f) => ({
      url: `/api/v1/instruments/${f.registry.upsertInstrument({ id: `DEL-${kOf(t)}${u()}`, org: t.ent, registration: 'registered', kind: 'scale' }).id}`,
    }),
  },
  // Issue 15, section 7: the authority hands an id to another organisation (a fresh one each call).
  'POST /api/v1/instruments/:id/reassign': {
    roles: ['authority'],
    call: (t, _r, f) => ({
      url: `/api/v1/instruments/${f.registry.upsertInstrument({ id: `RA-${kOf(t)}${u()}`, org: t.ent, registration: 'unregistered' }).id}/reassign`,
      payload: { org: t === T.a ? T.b.ent : T.a.ent },
    }),
  },
  'GET /api/v1/instruments/:id/readings': { roles: SIGNED_IN, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/readings` }) },
  'GET /api/v1/instruments/:id/checks': { roles: SIGNED_IN, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/checks` }) },
  'POST /api/v1/instruments/:id/checks': {
    roles: ['lab', 'enterprise'],
    call: (t) => ({
      url: `/api/v1/instruments/${t.inst}/checks`,
      // A stated reference value: which standards a role may name is a record rule (test/records/entry-rules.test.ts), not access.
      payload: { checks: [{ channel: 'mass', ts: Date.now() - 10 * DAY + Number(u()) * 1000, referenceValue: 20, indicated: 20.001 }] },
    }),
  },
  'GET /api/v1/instruments/:id/drift': { roles: ALL, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/drift` }) },
  'GET /api/v1/instruments/:id/state': { roles: SIGNED_IN, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/state` }) },
  'GET /api/v1/instruments/:id/calibrations': { roles: SIGNED_IN, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/calibrations` }) },
  'POST /api/v1/instruments/:id/calibrations': {
    roles: ['lab'],
    call: (t) => ({
      url: `/api/v1/instruments/${t.inst}/calibrations`,
      payload: {
        type: 'calibration',
        date: Date.now() - DAY,
        lab: t.lab,
        certificate: `C-${u()}`,
        results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
        references: [t.ref],
        authorisedBy: 'Trưởng phòng',
      },
    }),
  },
  // Corrections (test/records): on a record the tenant's lab issued.
  'POST /api/v1/instruments/:id/calibrations/:record/supersede': {
    roles: ['lab'],
    call: (t, _r, f) => ({
      url: `/api/v1/instruments/${t.inst}/calibrations/${issued(f, t)}/supersede`,
      payload: {
        reason: 'wrong date',
        type: 'calibration',
        date: Date.now() - DAY,
        certificate: `C-${u()}`,
        results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
        references: [t.ref],
        ...(_r === 'admin' ? { lab: t.lab } : {}),
      },
    }),
  },
  'POST /api/v1/instruments/:id/calibrations/:record/void': {
    roles: ['authority', 'lab'],
    call: (t, _r, f) => ({ url: `/api/v1/instruments/${t.inst}/calibrations/${issued(f, t)}/void`, payload: { reason: 'issued in error' } }),
  },
  'GET /api/v1/instruments/:id/seals': { roles: ALL, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/seals` }) },
  'POST /api/v1/instruments/:id/seals': {
    roles: ['lab', 'enterprise'],
    call: (t) => ({ url: `/api/v1/instruments/${t.inst}/seals`, payload: { event: 'break', at: Date.now(), seals: ['KC-1'], reason: 'repair' } }),
  },
  'GET /api/v1/designations': { roles: ALL, list: true, call: () => ({ url: '/api/v1/designations' }) },
  'POST /api/v1/designations': { roles: ['authority'], call: (t) => ({ url: '/api/v1/designations', payload: designationBody(t) }) },
  'PUT /api/v1/designations/:id': {
    roles: ['authority'],
    call: (t, _r, f) => ({ url: `/api/v1/designations/${f.registry.records.createDesignation(designationBody(t), 'tdc').id}`, payload: designationBody(t) }),
  },
  'DELETE /api/v1/designations/:id': {
    roles: ['authority'],
    call: (t, _r, f) => ({ url: `/api/v1/designations/${f.registry.records.createDesignation(designationBody(t), 'tdc').id}` }),
  },
  'GET /api/v1/instruments/:id/channels/:channel/metrology': { roles: ALL, call: (t) => ({ url: `/api/v1/instruments/${t.inst}/channels/mass/metrology` }) },
  'PUT /api/v1/instruments/:id/channels/:channel/metrology': {
    roles: ['lab'],
    call: (t) => ({
      url: `/api/v1/instruments/${t.inst}/channels/mass/metrology`,
      payload: { tolerance: { model: 'absolute', mpe: 0.05 }, repeatability: 0.002 },
    }),
  },
  'GET /api/v1/stations': { roles: ALL, list: true, call: () => ({ url: '/api/v1/stations' }) },
  // The fixture's instruments are scales, not stations: the station routes answer 404 once access is granted.
  'GET /api/v1/stations/:id': { roles: ALL, passed: through, call: (t) => ({ url: `/api/v1/stations/${t.inst}` }) },
  'GET /api/v1/stations/:id/export': { roles: ALL, passed: through, call: (t) => ({ url: `/api/v1/stations/${t.inst}/export` }) },
  'GET /api/v1/stations/:id/aqi': { roles: ALL, passed: through, call: (t) => ({ url: `/api/v1/stations/${t.inst}/aqi?period=hour` }) },
  'PUT /api/v1/stations/:id': {
    roles: ['enterprise'],
    passed: through,
    call: (t) => ({ url: `/api/v1/stations/${t.inst}`, payload: { toleranceMs: 60_000 } }),
  },
  'PUT /api/v1/stations/:id/limits': {
    roles: ['enterprise'],
    passed: through,
    call: (t) => ({ url: `/api/v1/stations/${t.inst}/limits`, payload: { limits: [] } }),
  },

  'GET /api/v1/references': { roles: ['authority', 'lab'], list: true, call: () => ({ url: '/api/v1/references' }) },
  'GET /api/v1/references/:id': { roles: ['authority', 'lab'], call: (t) => ({ url: `/api/v1/references/${t.ref}` }) },
  'POST /api/v1/references': { roles: ['lab'], call: (t) => ({ url: '/api/v1/references', payload: { id: `R-${u()}`, ...refBody(t) } }) },
  'PUT /api/v1/references/:id': { roles: ['lab'], call: (t) => ({ url: `/api/v1/references/${t.ref}`, payload: refBody(t) }) },
  'DELETE /api/v1/references/:id': {
    roles: ['lab'],
    call: (t, _r, f) => ({ url: `/api/v1/references/${f.registry.analytics.upsertReference({ id: `DEL-${kOf(t)}${u()}`, ...refBody(t) }).id}` }),
  },

  'GET /api/v1/alerts': { roles: ALL, list: true, call: () => ({ url: '/api/v1/alerts' }) },
  'GET /api/v1/alerts/:id': { roles: ALL, call: (t, _r, f) => ({ url: `/api/v1/alerts/${f.alerts[kOf(t)]}` }) },
  'POST /api/v1/alerts/:id/ack': {
    roles: ALL,
    call: (t, _r, f) => {
      const a = f.registry.analytics.raiseAlert(
        { kind: 'near_limit', severity: 'warning', subject: `${t.inst}-${u()}`, instrument: t.inst, org: t.ent, lab: t.lab, message: 'near' },
        Date.now(),
      )!;
      return { url: `/api/v1/alerts/${a.alert.id}/ack` };
    },
  },
  'POST /api/v1/webhooks': {
    roles: ['lab', 'enterprise'],
    call: (t, role) => ({ url: '/api/v1/webhooks', payload: { org: owner(role, t), url: 'http://127.0.0.1:9/hook' } }),
  },
  'GET /api/v1/webhooks': { roles: ['lab', 'enterprise'], list: true, call: () => ({ url: '/api/v1/webhooks' }) },
  'GET /api/v1/webhooks/:id/deliveries': {
    roles: ['lab', 'enterprise'],
    call: (t, role, f) => ({
      url: `/api/v1/webhooks/${f.registry.analytics.addWebhook(owner(role, t), 'http://127.0.0.1:9/x', 'whsec-0123456789abcdef').id}/deliveries`,
    }),
  },
  'DELETE /api/v1/webhooks/:id': {
    roles: ['lab', 'enterprise'],
    call: (t, role, f) => ({ url: `/api/v1/webhooks/${f.registry.analytics.addWebhook(owner(role, t), 'http://127.0.0.1:9/y', 'whsec-0123456789abcdef').id}` }),
  },

  'GET /api/v1/rejects': { roles: ['authority', 'enterprise'], list: true, call: () => ({ url: '/api/v1/rejects' }) },

  // The web UI's routes (issue 7): lists of the caller's tenant only (the leak check reads their bodies).
  'GET /api/v1/overview': { roles: ALL, list: true, call: () => ({ url: '/api/v1/overview' }) },
  'GET /api/v1/reports/:name': { roles: ALL, list: true, call: () => ({ url: '/api/v1/reports/inventory?format=csv' }) },
  'GET /api/v1/events': { roles: ALL, list: true, call: () => ({ url: '/api/v1/events?once=true' }) },
  // State metrological inspections (issue 18): tenant A's campaign has the fixture's inspector on
  // its team and a visit to ent-a by it; tenant B's belong to another inspector and ent-bbb.
  'GET /api/v1/campaigns': { roles: INSPECTION, list: true, call: () => ({ url: '/api/v1/campaigns' }) },
  'POST /api/v1/campaigns': { roles: ['authority'], foreign: 'none', call: () => ({ url: '/api/v1/campaigns', payload: campaignBody() }) },
  'GET /api/v1/campaigns/:id': { roles: INSPECTION, call: (t, _r, f) => ({ url: `/api/v1/campaigns/${campaignOf(f, t)}` }) },
  'PUT /api/v1/campaigns/:id': {
    roles: ['authority'],
    call: (t, _r, f) => ({ url: `/api/v1/campaigns/${campaignOf(f, t)}`, payload: { ...campaignBody(), team: [t === T.a ? USERS.inspector.id : 'insp-bbb'] } }),
  },
  'GET /api/v1/campaigns/:id/visits': { roles: INSPECTION, call: (t, _r, f) => ({ url: `/api/v1/campaigns/${campaignOf(f, t)}/visits` }) },
  'POST /api/v1/campaigns/:id/visits': {
    roles: ['authority'],
    call: (t, _r, f) => ({
      url: `/api/v1/campaigns/${campaignOf(f, t)}/visits`,
      payload: { org: t.ent, inspector: t === T.a ? USERS.inspector.id : 'insp-bbb' },
    }),
  },
  'GET /api/v1/campaigns/:id/report': { roles: ['authority'], call: (t, _r, f) => ({ url: `/api/v1/campaigns/${campaignOf(f, t)}/report?format=csv` }) },
  'GET /api/v1/visits': { roles: VISIT_READERS, list: true, call: () => ({ url: '/api/v1/visits' }) },
  'GET /api/v1/visits/:id': { roles: VISIT_READERS, call: (t, _r, f) => ({ url: `/api/v1/visits/${visitOf(f, t)}` }) },
  'GET /api/v1/visits/:id/records': { roles: VISIT_READERS, call: (t, _r, f) => ({ url: `/api/v1/visits/${visitOf(f, t)}/records` }) },
  'POST /api/v1/visits/:id/records': {
    // The first signs, the others supersede it: each call corrects the record in force.
    roles: ['inspector'],
    // The authority passes the tenant check but is not the inspector assigned: the route refuses (403).
    passed: (s) => s === 201 || s === 403,
    call: (t, _r, f) => {
      const current = f.registry.inspections.validRecord(visitOf(f, t));
      return {
        url: `/api/v1/visits/${visitOf(f, t)}/records`,
        payload: { ...recordBody(), ...(current ? { supersedes: current.id, reason: 'sửa' } : {}) },
      };
    },
  },
  'GET /api/v1/visits/:id/attachments': { roles: VISIT_READERS, call: (t, _r, f) => ({ url: `/api/v1/visits/${visitOf(f, t)}/attachments` }) },
  'POST /api/v1/visits/:id/attachments': {
    roles: ['inspector'],
    passed: (s) => s === 201 || s === 403 || s === 503,
    call: (t, _r, f) => ({ url: `/api/v1/visits/${visitOf(f, t)}/attachments`, payload: { name: 'a.png', type: 'image/png', data: PNG_B64 } }),
    // Without an attachments folder the route answers 503 after access control let the call through.
  },
  'GET /api/v1/visits/:id/attachments/:attachment': {
    roles: VISIT_READERS,
    call: (t, _r, f) => {
      const visit = visitOf(f, t);
      const a =
        f.registry.inspections.listAttachments(visit)[0] ??
        f.registry.inspections.addAttachment({ visit, name: 'a.png', type: 'image/png', size: 1, sha256: '0'.repeat(64), uploadedBy: 'x' });
      return { url: `/api/v1/visits/${visit}/attachments/${a.id}` };
    },
    // No attachments folder in this app: the route itself answers 404 once access control let the call through.
    passed: through,
  },
  'GET /api/v1/violations': { roles: SIGNED_IN, foreign: 'none', call: () => ({ url: '/api/v1/violations' }) },
  // Public reference data, the same for every tenant (issue 17).
  'GET /api/v1/admin-units': { roles: SIGNED_IN, foreign: 'none', call: () => ({ url: '/api/v1/admin-units?province=68' }) },
};

let f: Fixture;
let app: App;
beforeAll(async () => {
  f = await twoTenants();
  ({ app } = await dashboardOn(f, { webhooks: { allow: ['127.0.0.1:9'] } }));
});
afterAll(() => closeAll(app, f));

/** Every API route fastify serves, as "METHOD /api/v1/path/:param", from the OpenAPI document. */
function registeredRoutes(): string[] {
  const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
  return Object.entries(paths)
    .filter(([p]) => p.startsWith('/api/v1/'))
    .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
}

/** The refusal of another tenant's call: as missing where the route names a resource, else 403. */
function foreignRefusal(route: string): number {
  const p = POLICY[route];
  if (!p?.resource) return 403;
  return p.createsAbsent ? 409 : 404;
}

async function send(route: string, c: Call, auth: Record<string, string> | undefined) {
  const method = route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  return app.inject({ method, url: c.url, payload: c.payload as object | undefined, headers: { ...auth, ...c.headers } });
}

describe('REST access matrix', () => {
  it('has exactly one row per registered route, and so does the policy table', () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(40);
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
    expect(Object.keys(POLICY).sort()).toEqual(routes);
  });

  it('refuses every non-public route without a token, and with a bad one', async () => {
    for (const [route, row] of Object.entries(MATRIX)) {
      if (row.public) continue;
      const c = await row.call(T.a, 'admin', f);
      const bare = await send(route, { ...c, headers: undefined }, undefined);
      expect([route, bare.statusCode, bare.json().error?.code]).toEqual([route, 401, 'E_UNAUTHORIZED']);
      const bad = await send(route, { ...c, headers: undefined }, { authorization: 'Bearer mtn_not-a-token' });
      expect([route, bad.statusCode]).toEqual([route, 401]);
    }
  });

  for (const role of ROLES) {
    it(`${role}: own tenant succeeds where allowed, the other tenant is refused`, async () => {
      const failures: string[] = [];
      for (const [route, row] of Object.entries(MATRIX)) {
        const allowed = role === 'admin' || row.roles.includes(role);
        const ok = row.passed ?? ((s: number) => s >= 200 && s < 300);
        const own = await send(route, await row.call(T.a, role, f), row.public ? undefined : f.auth[role]);
        if (allowed && !ok(own.statusCode)) failures.push(`${route} own: expected success, got ${own.statusCode} ${own.body.slice(0, 160)}`);
        if (!allowed && own.statusCode !== 403) failures.push(`${route} own: expected 403, got ${own.statusCode}`);
        if (row.public || row.foreign === 'none') continue;
        if (row.list) {
          if (allowed && (role === 'lab' || role === 'enterprise' || role === 'inspector') && own.body.includes(LEAK))
            failures.push(`${route}: list leaks tenant B to ${role}: ${own.body.slice(0, 200)}`);
          continue;
        }
        const foreignAllowed = role === 'admin' || (row.foreign ?? row.roles.filter((r) => r === 'authority')).includes(role);
        const otherCall = await row.call(T.b, role, f);
        const other = await send(route, otherCall, f.auth[role]);
        if (foreignAllowed && !ok(other.statusCode))
          failures.push(`${route} other tenant: expected success, got ${other.statusCode} ${other.body.slice(0, 160)}`);
        // A role the policy never lets call the route is refused as such (403), whatever the id;
        // one it lets through meets the tenant check, which answers as missing (the authority
        // passes it for everything but another user's token: the route itself answers).
        const policy = POLICY[route];
        const tenantChecked = !!policy?.roles?.includes(role) && (role !== 'authority' || policy?.resource === 'token');
        const refusal = tenantChecked ? foreignRefusal(route) : 403;
        if (!foreignAllowed && other.statusCode !== refusal)
          failures.push(`${route} other tenant: expected ${refusal}, got ${other.statusCode} ${other.body.slice(0, 160)}`);
        if (!foreignAllowed && other.statusCode === refusal) {
          // A refusal may name the id asked for (path) and echo the caller's own input (body), nothing more.
          const given = Object.values((otherCall.payload ?? {}) as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
          const named = [...otherCall.url.split('?')[0]!.split('/'), ...given].filter((x) => x.includes(LEAK));
          const rest = named.reduce((b, id) => b.split(id).join(''), other.body);
          if (rest.includes(LEAK)) failures.push(`${route} other tenant: the refusal names more of tenant B than the id: ${other.body.slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('a list filter naming another organisation is refused to an enterprise', async () => {
    for (const url of ['/api/v1/instruments?org=ent-bbb', '/api/v1/alerts?org=ent-bbb', '/api/v1/rejects?org=ent-bbb', '/api/v1/webhooks?org=ent-bbb']) {
      expect([url, (await app.inject({ url, headers: f.auth.enterprise })).statusCode]).toEqual([url, 403]);
    }
  });

  it('responses carry no secret or hash', async () => {
    const bodies = [
      await app.inject({ url: '/api/v1/users', headers: f.auth.admin }),
      await app.inject({ url: '/api/v1/tokens', headers: f.auth.admin }),
      await app.inject({ url: '/api/v1/mqtt-credentials', headers: f.auth.admin }),
      await app.inject({ url: '/api/v1/gateways', headers: f.auth.admin }),
      await app.inject({ url: '/api/v1/webhooks', headers: f.auth.admin }),
    ].map((r) => r.body);
    for (const b of bodies) expect(b).not.toMatch(/scrypt\$|\$7\$|"hash"|"password"|whsec-/);
  });
});
