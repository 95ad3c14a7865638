import type { Role } from '../../store/index.js';

/**
 * Who may call which API route: ONE table, keyed by method and route pattern as fastify knows
 * it. The auth hook (hook.ts) refuses a role not listed (403) and, for a route naming a
 * resource, checks that the resource is within the caller's tenant (tenant.ts). A route missing
 * from this table is open to `admin` only (deny by default) and the access-matrix test fails
 * until it is given a row here and there.
 *
 * Tenant rules (ARCHITECTURE.md): authority sees everything; a lab the instruments it serves and
 * its own standards; an enterprise its own organisation. Stations (issue 8) are instruments of
 * kind env_station and follow the instrument rule.
 */
export type Resource = 'instrument' | 'station' | 'reference' | 'alert' | 'webhook' | 'gateway' | 'org' | 'user' | 'token' | 'campaign' | 'visit';

export interface RoutePolicy {
  /** No authentication at all. */
  public?: boolean;
  /** Roles allowed to call it (admin always is). */
  roles?: readonly Role[];
  /**
   * The resource `:id` names, checked against the caller's tenant. Another tenant's answers as a
   * missing one (404, tenant.ts notFound), so ids of other tenants cannot be told from free ones.
   */
  resource?: Resource;
  /** The route creates the resource when `:id` is free (PUT of a standard): a free id goes on to the route; another tenant's is a conflict. */
  createsAbsent?: boolean;
}

const ALL: readonly Role[] = ['authority', 'lab', 'enterprise'];
/** Every signed-in role, the inspector included (issue 18: an inspector sees only its visits and their subjects). */
const SIGNED_IN: readonly Role[] = [...ALL, 'inspector'];
const OWNERS: readonly Role[] = ['lab', 'enterprise'];
const NONE: readonly Role[] = [];

export const POLICY: Record<string, RoutePolicy> = {
  'GET /api/v1/health': { public: true },
  'GET /api/v1/ready': { public: true },
  'POST /api/v1/auth/login': { public: true },
  'POST /api/v1/auth/logout': { roles: SIGNED_IN },
  'GET /api/v1/auth/me': { roles: SIGNED_IN },

  'GET /api/v1/orgs': { roles: ALL },
  'GET /api/v1/orgs/:id': { roles: ALL, resource: 'org' },
  'POST /api/v1/orgs': { roles: NONE },
  'PUT /api/v1/orgs/:id': { roles: NONE },
  'DELETE /api/v1/orgs/:id': { roles: NONE },
  'GET /api/v1/users': { roles: NONE },
  'POST /api/v1/users': { roles: NONE },
  'GET /api/v1/users/:id': { roles: NONE, resource: 'user' },
  'PATCH /api/v1/users/:id': { roles: NONE, resource: 'user' },
  'DELETE /api/v1/users/:id': { roles: NONE, resource: 'user' },
  'GET /api/v1/tokens': { roles: ALL },
  'POST /api/v1/tokens': { roles: ALL },
  'DELETE /api/v1/tokens/:id': { roles: ALL, resource: 'token' },
  'GET /api/v1/gateways': { roles: ['authority', 'enterprise'] },
  'GET /api/v1/gateways/:id': { roles: ['authority', 'enterprise'], resource: 'gateway' },
  'POST /api/v1/gateways': { roles: ['enterprise'] },
  'POST /api/v1/gateways/:id/rotate': { roles: ['enterprise'], resource: 'gateway' },
  'DELETE /api/v1/gateways/:id': { roles: NONE, resource: 'gateway' },
  'GET /api/v1/mqtt-credentials': { roles: NONE },
  'POST /api/v1/mqtt-credentials': { roles: NONE },
  'DELETE /api/v1/mqtt-credentials/:id': { roles: NONE },
  'GET /api/v1/audit': { roles: ['authority'] },
  'GET /api/v1/audit/verify': { roles: ['authority'] },

  'GET /api/v1/instruments': { roles: SIGNED_IN },
  'POST /api/v1/instruments': { roles: ['enterprise'] },
  'GET /api/v1/instruments/:id': { roles: SIGNED_IN, resource: 'instrument' },
  'PUT /api/v1/instruments/:id': { roles: ['enterprise'], resource: 'instrument' },
  'DELETE /api/v1/instruments/:id': { roles: NONE, resource: 'instrument' },
  // Issue 15, section 7: only the authority hands an id to another organisation (a squatted id never blocks its owner).
  'POST /api/v1/instruments/:id/reassign': { roles: ['authority'], resource: 'instrument' },
  'GET /api/v1/instruments/:id/readings': { roles: SIGNED_IN, resource: 'instrument' },
  'GET /api/v1/instruments/:id/checks': { roles: SIGNED_IN, resource: 'instrument' },
  'POST /api/v1/instruments/:id/checks': { roles: OWNERS, resource: 'instrument' },
  'GET /api/v1/instruments/:id/drift': { roles: ALL, resource: 'instrument' },
  'GET /api/v1/instruments/:id/state': { roles: SIGNED_IN, resource: 'instrument' },
  'GET /api/v1/instruments/:id/calibrations': { roles: SIGNED_IN, resource: 'instrument' },
  // Open to every role here so that the rule (analytics/authority.ts: a designated lab verifies,
  // the serving lab calibrates, never the owner) answers with its own reason, in Vietnamese too.
  'POST /api/v1/instruments/:id/calibrations': { roles: ALL, resource: 'instrument' },
  // Corrections (ISO/IEC 17025 7.8.8): the issuing lab; the authority may void (authority.ts correctionRefusal).
  'POST /api/v1/instruments/:id/calibrations/:record/supersede': { roles: ['lab'], resource: 'instrument' },
  'POST /api/v1/instruments/:id/calibrations/:record/void': { roles: ['authority', 'lab'], resource: 'instrument' },
  // The seal register: breaks by the owner or the serving lab, new seals by the serving lab (authority.ts sealRefusal).
  'GET /api/v1/instruments/:id/seals': { roles: ALL, resource: 'instrument' },
  'POST /api/v1/instruments/:id/seals': { roles: OWNERS, resource: 'instrument' },
  'GET /api/v1/instruments/:id/channels/:channel/metrology': { roles: ALL, resource: 'instrument' },
  'PUT /api/v1/instruments/:id/channels/:channel/metrology': { roles: ['lab'], resource: 'instrument' },
  'GET /api/v1/stations': { roles: ALL },
  'GET /api/v1/stations/:id': { roles: ALL, resource: 'station' },
  'GET /api/v1/stations/:id/export': { roles: ALL, resource: 'station' },
  'GET /api/v1/stations/:id/aqi': { roles: ALL, resource: 'station' },
  // Station facts and limit overrides: the owning organisation (and admin); the authority reads only.
  'PUT /api/v1/stations/:id': { roles: ['enterprise'], resource: 'station' },
  'PUT /api/v1/stations/:id/limits': { roles: ['enterprise'], resource: 'station' },

  // Designations of verification bodies: kept by the authority; a lab reads its own, others all.
  'GET /api/v1/designations': { roles: ALL },
  'POST /api/v1/designations': { roles: ['authority'] },
  'PUT /api/v1/designations/:id': { roles: ['authority'] },
  'DELETE /api/v1/designations/:id': { roles: ['authority'] },

  'GET /api/v1/references': { roles: ['authority', 'lab'] },
  'GET /api/v1/references/:id': { roles: ['authority', 'lab'], resource: 'reference' },
  'POST /api/v1/references': { roles: ['lab'] },
  'PUT /api/v1/references/:id': { roles: ['lab'], resource: 'reference', createsAbsent: true },
  'DELETE /api/v1/references/:id': { roles: ['lab'], resource: 'reference' },

  'GET /api/v1/alerts': { roles: ALL },
  'GET /api/v1/alerts/:id': { roles: ALL, resource: 'alert' },
  'POST /api/v1/alerts/:id/ack': { roles: ALL, resource: 'alert' },
  'POST /api/v1/webhooks': { roles: OWNERS },
  'GET /api/v1/webhooks': { roles: OWNERS },
  'GET /api/v1/webhooks/:id/deliveries': { roles: OWNERS, resource: 'webhook' },
  'DELETE /api/v1/webhooks/:id': { roles: OWNERS, resource: 'webhook' },

  'GET /api/v1/rejects': { roles: ['authority', 'enterprise'] },

  // The web UI (issue 7): each answer holds only the caller's tenant.
  'GET /api/v1/overview': { roles: ALL },
  'GET /api/v1/reports/:name': { roles: ALL },
  'GET /api/v1/events': { roles: ALL },
  // State metrological inspections (issue 18; routes/inspections.ts): the authority plans and
  // assigns; an inspector sees its visits and signs their records; the inspected organisation
  // reads the records of visits to it.
  'GET /api/v1/campaigns': { roles: ['authority', 'inspector'] },
  'POST /api/v1/campaigns': { roles: ['authority'] },
  'GET /api/v1/campaigns/:id': { roles: ['authority', 'inspector'], resource: 'campaign' },
  'PUT /api/v1/campaigns/:id': { roles: ['authority'], resource: 'campaign' },
  'GET /api/v1/campaigns/:id/visits': { roles: ['authority', 'inspector'], resource: 'campaign' },
  'POST /api/v1/campaigns/:id/visits': { roles: ['authority'], resource: 'campaign' },
  'GET /api/v1/campaigns/:id/report': { roles: ['authority'], resource: 'campaign' },
  'GET /api/v1/visits': { roles: ['authority', 'enterprise', 'inspector'] },
  'GET /api/v1/visits/:id': { roles: ['authority', 'enterprise', 'inspector'], resource: 'visit' },
  'GET /api/v1/visits/:id/records': { roles: ['authority', 'enterprise', 'inspector'], resource: 'visit' },
  'POST /api/v1/visits/:id/records': { roles: ['inspector'], resource: 'visit' },
  'GET /api/v1/visits/:id/attachments': { roles: ['authority', 'enterprise', 'inspector'], resource: 'visit' },
  'POST /api/v1/visits/:id/attachments': { roles: ['inspector'], resource: 'visit' },
  'GET /api/v1/visits/:id/attachments/:attachment': { roles: ['authority', 'enterprise', 'inspector'], resource: 'visit' },
  'GET /api/v1/violations': { roles: SIGNED_IN },
  // Public reference data (issue 17): the same answer for every role.
  'GET /api/v1/admin-units': { roles: SIGNED_IN },
};

/**
 * The row for a request. HEAD is judged by the GET row (issue 16, item 11): fastify answers HEAD
 * with the GET handler, headers and status, without the body, so who may send one is the same.
 */
export function policyOf(method: string, url: string): RoutePolicy | undefined {
  return POLICY[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
