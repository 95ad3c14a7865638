import { POLICY } from '../../dashboard/auth/policy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { instrumentStates, offlineRuleOf, type InstrumentStateRow } from '../../dashboard/states.js';
import { StateCache } from '../../dashboard/state-cache.js';
import type { Principal } from '../../dashboard/auth/tenant.js';
import type { Role } from '../../store/index.js';
import { LEAK, T, twoTenants, USERS, type Fixture } from '../security/fixture.js';

/**
 * Issue 7, thousands of instruments: the dashboard keeps the instruments' states between
 * requests and reads again only what the change counters say changed. Whatever happens, the
 * cached answer is the answer computed afresh, for every role, and never holds another tenant's
 * instruments.
 */
let f: Fixture;
let app: App;
let clock = Date.now();
const deps = { offlineAfterMs: 60_000 };
const offline = offlineRuleOf(deps);
/** A cache whose own clock stands still: after its first full read, only the change counters move it. */
let frozen: StateCache;

beforeAll(async () => {
  f = await twoTenants();
  app = await buildApp({
    registry: f.registry,
    readings: f.readings,
    now: () => clock,
    analytics: new Engine({ registry: f.registry, now: () => clock }),
    ...deps,
  });
  frozen = new StateCache(f.registry, () => 0);
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const ROLES = Object.keys(USERS) as Role[];
const principal = (role: Role): Principal => ({ user: USERS[role].id, role, org: USERS[role].org, via: 'token', tokenId: 'test' });
const fresh = (role: Role) => instrumentStates(f.registry, principal(role), clock, offline);
const overview = async (role: Role) =>
  (await app.inject({ method: 'GET', url: '/api/v1/overview', headers: f.auth[role] })).json().items as InstrumentStateRow[];
const row = (rows: InstrumentStateRow[], id: string) => rows.find((r) => r.id === id);

/** The cached answers (the app's, and the frozen cache's) equal a fresh computation for every role. */
async function expectFresh(): Promise<Record<Role, InstrumentStateRow[]>> {
  const out = {} as Record<Role, InstrumentStateRow[]>;
  for (const role of ROLES) {
    const want = fresh(role);
    expect(frozen.statesFor(principal(role), clock, offline), `cache, ${role}`).toEqual(want);
    // The overview answers the roles its policy row names (an inspector works from its visits instead).
    if (role === 'admin' || POLICY['GET /api/v1/overview']!.roles!.includes(role)) expect(await overview(role), `/overview, ${role}`).toEqual(want);
    out[role] = want;
  }
  // Tenant A's enterprise and lab never see tenant B's instruments.
  for (const role of ['enterprise', 'lab'] as const) expect(JSON.stringify(await overview(role))).not.toContain(LEAK);
  return out;
}

describe('the state cache', () => {
  it('equals a fresh computation after a check, an acknowledgement, time passing and new or removed instruments', async () => {
    let now = await expectFresh();
    expect(row(now.authority, T.a.inst)).toMatchObject({ state: 'out_of_tolerance', openAlerts: 1 });
    expect(now.enterprise.map((r) => r.id)).toEqual([T.a.inst]);
    expect(now.lab.map((r) => r.id)).toEqual([T.a.inst]);

    // INST-a's alert clears, then a check far outside its tolerance (MPE 0.05 kg) raises it again.
    f.registry.analytics.relieveAlert(T.a.inst, 'mass', 'out_of_tolerance', 0, clock);
    now = await expectFresh();
    expect(row(now.enterprise, T.a.inst)).toMatchObject({ state: 'in_tolerance', openAlerts: 0 });
    const check = await app.inject({
      method: 'POST',
      url: `/api/v1/instruments/${T.a.inst}/checks`,
      headers: f.auth.enterprise,
      payload: { checks: [{ channel: 'mass', ts: clock - 1000, referenceValue: 20, referenceU: 0.001, indicated: 21 }] },
    });
    expect(check.statusCode, check.body).toBe(200);
    now = await expectFresh();
    expect(row(now.enterprise, T.a.inst)).toMatchObject({ state: 'out_of_tolerance', openAlerts: 1 });

    // Tenant B's alert acknowledged: still its state, no longer open.
    const ack = await app.inject({ method: 'POST', url: `/api/v1/alerts/${f.alerts.b}/ack`, headers: f.auth.authority });
    expect(ack.statusCode).toBe(200);
    now = await expectFresh();
    expect(row(now.authority, T.b.inst)).toMatchObject({ state: 'out_of_tolerance', openAlerts: 0 });

    // An alert on INST-a sent to tenant B's lab: the authority counts it, and so does lab A, which
    // serves INST-a now (seesAlert: a lab sees the alerts of the instruments it serves).
    f.registry.analytics.raiseAlert(
      {
        kind: 'near_limit',
        severity: 'warning',
        subject: T.a.inst,
        instrument: T.a.inst,
        channel: 'mass',
        org: T.a.ent,
        lab: T.b.lab,
        message: 'near limit, sent elsewhere',
      },
      clock,
    );
    now = await expectFresh();
    expect(row(now.authority, T.a.inst)!.openAlerts).toBe(2);
    expect(row(now.lab, T.a.inst)!.openAlerts).toBe(2);

    // A reading, then two minutes without one: offline by the passing of time alone.
    f.registry.updateLatest([{ instrument: T.a.inst, channel: 'mass', ts: clock, value: 20.001, unit: 'kg', status: 'ok' }]);
    now = await expectFresh();
    expect(row(now.lab, T.a.inst)!.online).toBe(true);
    clock += 2 * 60_000;
    now = await expectFresh();
    expect(row(now.lab, T.a.inst)!.online).toBe(false);

    // A new instrument of tenant B appears in its place in the id order, and only for those who see B; removed, it goes.
    f.registry.upsertInstrument({ id: 'INST-a0-bbb', org: T.b.ent, registration: 'unregistered', kind: 'scale', name: 'new bbb' });
    now = await expectFresh();
    expect(now.authority.map((r) => r.id)).toEqual(['INST-a', 'INST-a0-bbb', 'INST-bbb']);
    expect(row(now.authority, 'INST-a0-bbb')!.state).toBe('unregistered');
    f.registry.deleteInstrument('INST-a0-bbb');
    now = await expectFresh();
    expect(now.authority.map((r) => r.id)).toEqual(['INST-a', 'INST-bbb']);
  });

  it("gives one instrument's state afresh, and a lab what it serves at the moment it asks", async () => {
    const one = await app.inject({ method: 'GET', url: `/api/v1/instruments/${T.a.inst}/state`, headers: f.auth.enterprise });
    expect(one.json()).toEqual(row(fresh('enterprise'), T.a.inst));
    // A calibration (no change counter) shows on the instrument's page at once.
    const date = clock - 86_400_000;
    const cal = await app.inject({
      method: 'POST',
      url: `/api/v1/instruments/${T.a.inst}/calibrations`,
      headers: f.auth.lab,
      payload: {
        type: 'calibration',
        date,
        certificate: 'GCN-CACHE-1',
        results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.003, asLeft: 0, U: 0.002 }],
        references: [],
        authorisedBy: 'Trần Thị B',
      },
    });
    expect(cal.statusCode, cal.body).toBe(201);
    const after = await app.inject({ method: 'GET', url: `/api/v1/instruments/${T.a.inst}/state`, headers: f.auth.lab });
    expect(after.json()).toEqual(row(fresh('lab'), T.a.inst));
    expect(after.json().lastCalibration).toBe(date);
    // INST-a now served by tenant B's lab: lab A loses it at once (membership is never cached).
    f.registry.analytics.setService({ instrument: T.a.inst, lab: T.b.lab, intervalDays: 365 });
    expect(frozen.statesFor(principal('lab'), clock, offline)).toEqual([]);
    expect(await overview('lab')).toEqual([]);
    // …and the instrument's page names its new lab at once (services carry no change counter).
    const moved = await app.inject({ method: 'GET', url: `/api/v1/instruments/${T.a.inst}/state`, headers: f.auth.authority });
    expect(moved.json()).toEqual(row(fresh('authority'), T.a.inst));
    expect(moved.json().lab).toBe(T.b.lab);
    f.registry.analytics.setService({ instrument: T.a.inst, lab: T.a.lab, intervalDays: 365 });
    expect((await overview('lab')).map((r) => r.id)).toEqual([T.a.inst]);
  });
});
