import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';
import { bearer } from '../analytics/support.js';

/**
 * "Records a province can rely on", section 6, through the public REST API: a traceability chain
 * ends at a national standard or an accredited certificate (ILAC P10:07/2020; ISO/IEC 17025:2017
 * 6.5). A root standard without an anchor leaves every check against its chain not traceable; the
 * anchor, set by its lab, makes it traceable and is shown on every reference view.
 */
let f: Fixture;
let app: App;
const clock = Date.now();
let labB: { authorization: string };

type Who = 'authority' | 'lab' | 'enterprise' | 'labB';
const call = async (who: Who, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
  const r = await app.inject({
    method,
    url: `/api/v1/${url}`,
    headers: who === 'labB' ? labB : f.auth[who],
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body ? r.json() : null };
};

const ROOT = 'REF-ROOT-A';
const CHILD = 'REF-CHILD-A';
const NOT_ANCHORED = `standard ${ROOT} is not anchored to a national standard or an accredited certificate`;
const VMI = {
  kind: 'accredited_certificate',
  issuer: 'Viện Đo lường Việt Nam (VMI)',
  certificate: 'V01.KL-0412/2025',
  date: Date.UTC(2025, 8, 26),
};
const standard = (o: Record<string, unknown> = {}) => ({
  lab: T.a.lab,
  quantity: 'mass',
  unit: 'kg',
  nominal: 20,
  value: 20,
  U: 0.0005,
  k: 2,
  calibratedOn: clock - 30 * DAY,
  due: clock + 300 * DAY,
  parent: null,
  ...o,
});
let n = 0;
const check = async () => {
  const r = await call('lab', 'POST', `instruments/${T.a.inst}/checks`, {
    checks: [{ channel: 'mass', ts: clock - DAY + ++n * 60_000, reference: CHILD, indicated: 20.004 }],
  });
  expect(r.status).toBeLessThan(300);
  return r.body.checks[0] as { traceable: boolean; traceReason: string | null };
};

beforeAll(async () => {
  f = await twoTenants();
  labB = await bearer(f.registry, { id: 'lab-b-user', role: 'lab', org: T.b.lab });
  const engine = new Engine({ registry: f.registry, now: () => clock });
  app = await buildApp({ registry: f.registry, readings: f.readings, now: () => clock, analytics: engine });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

describe('traceability anchors: a chain ends at a national standard or an accredited certificate', () => {
  it('a root standard without an anchor: its chain is not traceable, with the reason', async () => {
    const root = await call('lab', 'POST', 'references', { id: ROOT, ...standard() });
    expect(root.status).toBe(201);
    expect(root.body).toMatchObject({ anchor: null, traceability: { traceable: false, brokenLink: ROOT, reason: NOT_ANCHORED, anchor: null } });
    const child = await call('lab', 'POST', 'references', { id: CHILD, ...standard({ U: 0.001, parent: ROOT }) });
    expect(child.status).toBe(201);
    expect(child.body.traceability).toEqual({ traceable: false, brokenLink: ROOT, reason: NOT_ANCHORED, chain: [CHILD, ROOT], anchor: null });
    expect(await check()).toMatchObject({ traceable: false, traceReason: NOT_ANCHORED });
  });

  it('the lab anchors the root (PUT): checks against its child are traceable, the views show the issuer', async () => {
    const put = await call('lab', 'PUT', `references/${ROOT}`, { ...standard(), anchor: VMI });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ anchor: VMI, traceability: { traceable: true, reason: null, anchor: VMI } });
    expect(await check()).toMatchObject({ traceable: true, traceReason: null });

    const one = await call('lab', 'GET', `references/${CHILD}`);
    expect(one.body).toMatchObject({ anchor: null, traceability: { traceable: true, chain: [CHILD, ROOT], anchor: { issuer: VMI.issuer } } });
    const list = await call('authority', 'GET', `references?lab=${T.a.lab}`);
    const byId = new Map((list.body.items as Array<{ id: string; traceability: { anchor: { issuer: string } | null } }>).map((r) => [r.id, r]));
    expect(byId.get(CHILD)?.traceability.anchor?.issuer).toBe(VMI.issuer);
    expect(byId.get(ROOT)).toMatchObject({ anchor: VMI });
  });

  it('a PUT that leaves the anchor out keeps it; null removes it (audited) and the chain is not traceable again', async () => {
    expect((await call('lab', 'PUT', `references/${ROOT}`, standard({ certificate: 'C-2' }))).body).toMatchObject({ anchor: VMI });
    const removed = await call('lab', 'PUT', `references/${ROOT}`, { ...standard(), anchor: null });
    expect(removed.body).toMatchObject({ anchor: null, traceability: { traceable: false, reason: NOT_ANCHORED } });
    expect(await check()).toMatchObject({ traceable: false, traceReason: NOT_ANCHORED });
    const national = { kind: 'national_standard', issuer: 'Chuẩn quốc gia khối lượng (VMI)' };
    const restored = await call('lab', 'PUT', `references/${ROOT}`, { ...standard(), anchor: national });
    expect(restored.body).toMatchObject({ anchor: { ...national, certificate: null, date: null }, traceability: { traceable: true } });
    const trail = f.registry.audit.entries({ subject: `reference:${ROOT}` }).filter((e) => e.action === 'reference.anchor');
    expect(trail.length).toBe(3);
  });

  it("an enterprise or another lab may not set a lab's anchor; a malformed anchor is refused", async () => {
    const forged = { ...standard(), anchor: { ...VMI, issuer: 'forged' } };
    expect((await call('enterprise', 'PUT', `references/${ROOT}`, forged)).status).toBe(403);
    // Another tenant's lab is refused; whether told 403 or, naming nothing of the standard, 404 or 409 is the tenant rule's (docs/security.md).
    expect([403, 404, 409]).toContain((await call('labB', 'PUT', `references/${ROOT}`, forged)).status);
    expect([403, 404, 409]).toContain((await call('labB', 'POST', 'references', { id: 'REF-FORGED', ...forged })).status);
    expect((await call('lab', 'PUT', `references/${ROOT}`, { ...standard(), anchor: { ...VMI, kind: 'self-declared' } })).status).toBe(400);
    expect((await call('lab', 'PUT', `references/${ROOT}`, { ...standard(), anchor: { ...VMI, issuer: '' } })).status).toBe(400);
    expect((await call('lab', 'GET', `references/${ROOT}`)).body.anchor.issuer).toBe('Chuẩn quốc gia khối lượng (VMI)');
  });
});
