import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Engine } from '../../analytics/engine.js';
import { buildApp, type App, type DashboardDeps } from '../../dashboard/app.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry, type Role } from '../../store/index.js';
import { TEST_ANCHOR } from '../analytics/support.js';

/**
 * Two tenants side by side for the access tests. Tenant A: enterprise `ent-a` with instrument
 * `INST-a` behind gateway `gw-a`, served by lab `lab-a`, which keeps standard `REF-a`. Tenant B
 * is the same with every id carrying the marker `bbb`, so a response that mentions `bbb` to a
 * tenant-A caller has leaked.
 */
export const T = {
  a: { ent: 'ent-a', lab: 'lab-a', inst: 'INST-a', gw: 'gw-a', ref: 'REF-a' },
  b: { ent: 'ent-bbb', lab: 'lab-bbb', inst: 'INST-bbb', gw: 'gw-bbb', ref: 'REF-bbb' },
} as const;
export type Tenant = (typeof T)['a'] | (typeof T)['b'];
export const LEAK = 'bbb';
/** A password the password rule accepts (core/password-policy.ts), for users and logins tests create through the API or CLI. */
export const STRONG_PASSWORD = 'Cân-điện-tử Chợ Phan Thiết 2025';
import { DAY } from '../../core/time.js';
export { DAY };

export interface Fixture {
  registry: Registry;
  readings: ReadingsStore;
  dir: string;
  /** Authorization header per role (lab and enterprise users belong to tenant A). */
  auth: Record<Role, { authorization: string }>;
  alerts: { a: number; b: number };
  webhooks: { a: number; b: number };
  /** Per tenant, an inspection campaign and a visit to its enterprise (issue 18): A's by the fixture's inspector, B's by `insp-bbb`. */
  inspections: { a: { campaign: number; visit: number }; b: { campaign: number; visit: number } };
  cleanup: () => Promise<void>;
}

export const USERS: Record<Role, { id: string; org: string | null }> = {
  admin: { id: 'root', org: null },
  authority: { id: 'tdc', org: null },
  lab: { id: 'lab-a-user', org: T.a.lab },
  enterprise: { id: 'ent-a-user', org: T.a.ent },
  // An inspector of the authority (issue 18): sees only the subjects of its assigned visits.
  inspector: { id: 'insp-user', org: 'tdc-org' },
};

export async function twoTenants(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-sec-'));
  const registry = openRegistry(join(dir, 'registry.db'));
  const readings = openSqliteReadings(join(dir, 'readings.db'));
  registry.upsertOrg({ id: 'tdc-org', name: 'Chi cục', kind: 'authority' });
  const alerts = { a: 0, b: 0 };
  const webhooks = { a: 0, b: 0 };
  for (const k of ['a', 'b'] as const) {
    const t = T[k];
    registry.upsertOrg({ id: t.ent, name: `Enterprise ${k}`, kind: 'enterprise' });
    registry.upsertOrg({ id: t.lab, name: `Lab ${k}`, kind: 'lab' });
    registry.upsertGateway({ id: t.gw, org: t.ent, name: `gateway ${k}` });
    registry.upsertInstrument({ id: t.inst, org: t.ent, registration: 'registered', kind: 'scale', name: `scale ${k}`, gateway: t.gw });
    registry.ensureChannel(t.inst, 'mass', 'kg');
    registry.analytics.setService({ instrument: t.inst, lab: t.lab, intervalDays: 365 });
    registry.analytics.setChannelMetrology({
      instrument: t.inst,
      channel: 'mass',
      tolerance: { model: 'absolute', mpe: 0.05 },
      repeatability: 0.002,
      analyser: false,
    });
    registry.analytics.upsertReference({
      id: t.ref,
      lab: t.lab,
      quantity: 'mass',
      unit: 'kg',
      nominal: 20,
      value: 20,
      U: 0.001,
      k: 2,
      calibratedOn: Date.now() - 30 * DAY,
      due: Date.now() + 300 * DAY,
      parent: null,
    });
    registry.records.setAnchor(t.ref, TEST_ANCHOR);
    alerts[k] = registry.analytics.raiseAlert(
      { kind: 'out_of_tolerance', severity: 'critical', subject: t.inst, instrument: t.inst, channel: 'mass', org: t.ent, lab: t.lab, message: `alert ${k}` },
      Date.now(),
    )!.alert.id;
    webhooks[k] = registry.analytics.addWebhook(t.ent, `http://127.0.0.1:9/${k}`, `whsec-${k}`).id;
    registry.recordRejects([{ ts: Date.now(), org: t.ent, gateway: t.gw, instrument: t.inst, code: 'E_UNKNOWN_UNIT', message: `bad unit ${k}` }]);
  }
  const auth = {} as Fixture['auth'];
  await Promise.all(
    (Object.keys(USERS) as Role[]).map(async (role) => {
      const u = USERS[role];
      await registry.identity.createUser({ id: u.id, role, org: u.org, password: `password-of-${u.id}` });
      auth[role] = { authorization: `Bearer ${registry.identity.issueToken({ kind: 'api', user: u.id, ttlMs: DAY }).secret}` };
    }),
  );
  await registry.identity.createUser({ id: 'insp-bbb', role: 'inspector', org: 'tdc-org', password: 'password-of-insp-bbb' });
  const inspections = {} as Fixture['inspections'];
  for (const [k, inspector] of [
    ['a', USERS.inspector.id],
    ['b', 'insp-bbb'],
  ] as const) {
    const c = registry.inspections.createCampaign(
      {
        title: `Campaign ${T[k].ent}`,
        subject: 'market_scales',
        province: null,
        communes: [],
        periodFrom: Date.now() - DAY,
        periodTo: Date.now() + 30 * DAY,
        team: [inspector],
      },
      USERS.authority.id,
    );
    const v = registry.inspections.addVisit(
      c.id,
      { org: T[k].ent, site: `site of ${T[k].ent}`, commune: null, inspector, plannedAt: null },
      USERS.authority.id,
    );
    inspections[k] = { campaign: c.id, visit: v.id };
  }
  return {
    registry,
    readings,
    dir,
    auth,
    alerts,
    webhooks,
    inspections,
    cleanup: async () => {
      await readings.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The dashboard on a fixture's stores, with an analytics engine of its own (on `deps.now` when
 * given), ready to answer `inject`; with `listen`, on a loopback port whose address is `base`.
 */
export async function dashboardOn(f: Fixture, deps: Partial<DashboardDeps> = {}, o: { listen?: boolean } = {}): Promise<{ app: App; base: string }> {
  const app = await buildApp({
    registry: f.registry,
    readings: f.readings,
    analytics: new Engine({ registry: f.registry, ...(deps.now ? { now: deps.now } : {}) }),
    ...deps,
  });
  if (!o.listen) {
    await app.ready();
    return { app, base: '' };
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** Closes what dashboardOn and twoTenants made (either may be missing when set-up failed half-way). */
export async function closeAll(app: App | undefined, f: Fixture | undefined): Promise<void> {
  await app?.close();
  await f?.cleanup();
}
