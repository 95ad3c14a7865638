import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';
import { bearer } from '../analytics/support.js';

/**
 * "Records a province can rely on", sections 1, 3 and 6, through the public REST API as the role
 * that would try each write: who may verify and calibrate (designations), the author and lab of a
 * record, corrections (supersede, void) and their effect on due date, state and alerts, the legal
 * marks, the seal register and its alert. Vietnamese refusals when the caller asks for them.
 */
let f: Fixture;
let app: App;
let engine: Engine;
let clock = Date.now();
const VI = { 'accept-language': 'vi' };

type Who = 'admin' | 'authority' | 'lab' | 'enterprise' | 'labB' | 'labC';
const extra: Partial<Record<Who, { authorization: string }>> = {};
const headers = (who: Who) => (who === 'labB' || who === 'labC' ? extra[who]! : f.auth[who]);
const call = async (who: Who, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, h: Record<string, string> = {}) => {
  const r = await app.inject({
    method,
    url: `/api/v1/${url}`,
    headers: { ...headers(who), ...h },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body ? r.json() : null };
};
let n = 0;
const verification = (o: Record<string, unknown> = {}) => ({
  type: 'verification',
  date: clock - DAY,
  certificate: `V-${++n}`,
  results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
  references: [T.a.ref],
  ...o,
});
const calibration = (o: Record<string, unknown> = {}) => ({ ...verification(o), type: 'calibration', certificate: `C-${++n}`, ...o });
const state = async (inst: string = T.a.inst) =>
  (await call('authority', 'GET', `instruments/${inst}/drift`)).body as { nextDue: number | null; lastCalibration: number | null };
const alerts = async (kind: string) =>
  (await call('authority', 'GET', `alerts?state=live&kind=${kind}&instrument=${T.a.inst}`)).body.items as Array<{ kind: string }>;

let designation: number;

beforeAll(async () => {
  f = await twoTenants();
  // A third lab, designated for fuel dispensers only, and the tenant-B lab: neither serves INST-a.
  f.registry.upsertOrg({ id: 'lab-c', name: 'Lab c', kind: 'lab' });
  extra.labC = await bearer(f.registry, { id: 'lab-c-user', role: 'lab', org: 'lab-c' });
  extra.labB = await bearer(f.registry, { id: 'lab-b-user', role: 'lab', org: T.b.lab });
  engine = new Engine({ registry: f.registry, now: () => clock });
  app = await buildApp({ registry: f.registry, readings: f.readings, now: () => clock, analytics: engine });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

describe('designations: kept by the authority', () => {
  it('the authority designates lab-a for scales; a lab or an enterprise may not', async () => {
    const body = {
      lab: T.a.lab,
      decision: '123/QĐ-TĐC',
      kinds: ['scale'],
      ranges: 'cân đến 150 kg',
      validFrom: clock - 400 * DAY,
      validUntil: clock + 400 * DAY,
    };
    const r = await call('authority', 'POST', 'designations', body);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ lab: T.a.lab, kinds: ['scale'], createdBy: 'tdc', withdrawnAt: null });
    designation = r.body.id;
    for (const who of ['lab', 'enterprise'] as const) {
      const refused = await call(who, 'POST', 'designations', body, VI);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/không được phép/);
    }
    const notLab = await call('authority', 'POST', 'designations', { ...body, lab: T.a.ent }, VI);
    expect(notLab.status).toBe(400);
    expect(notLab.body.error).toMatchObject({ code: 'E_BAD_REQUEST', details: { field: 'lab', rule: 'lab' } });
    expect(notLab.body.error.message).toMatch(/không phải là tổ chức kiểm định/);
    await call('authority', 'POST', 'designations', { ...body, lab: 'lab-c', decision: '9/QĐ-TĐC', kinds: ['fuel_dispenser'] });
  });

  it('a lab reads its own designations; an enterprise those of the labs serving it; the authority all', async () => {
    expect((await call('lab', 'GET', 'designations')).body.items.map((d: { lab: string }) => d.lab)).toEqual([T.a.lab]);
    expect((await call('enterprise', 'GET', 'designations')).body.items.map((d: { lab: string }) => d.lab)).toEqual([T.a.lab]);
    expect((await call('authority', 'GET', 'designations')).body.items).toHaveLength(2);
  });
});

describe('who may write a verification or a calibration', () => {
  it('an enterprise writing a verification of its own instrument is refused, in Vietnamese', async () => {
    const before = await state();
    const r = await call('enterprise', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ date: clock + 5 * 365 * DAY, lab: 'tdc-org' }), VI);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'E_FORBIDDEN', details: { field: 'type', rule: 'issuer' } });
    expect(r.body.error.message).toMatch(/Chủ phương tiện đo không được ghi kết quả kiểm định/);
    expect(await state()).toEqual(before);
    const en = await call('enterprise', 'POST', `instruments/${T.a.inst}/calibrations`, verification());
    expect(en.body.error.message).toMatch(/owner may not record a verification/);
  });

  it('the owner may not state a verification or an interval at registration', async () => {
    const r = await call(
      'enterprise',
      'PUT',
      `instruments/${T.a.inst}`,
      { kind: 'scale', lastVerification: { date: clock, certificate: 'FAKE-1', lab: T.a.lab } },
      VI,
    );
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'E_FORBIDDEN', details: { field: 'lastVerification', rule: 'metrology-facts' } });
    expect(r.body.error.message).toMatch(/Kết quả kiểm định không phải thông tin đăng ký/);
    const iv = await call('enterprise', 'PUT', `instruments/${T.a.inst}`, { kind: 'scale', intervalDays: 3650 }, VI);
    expect(iv.status).toBe(403);
    expect(iv.body.error.details).toMatchObject({ field: 'intervalDays' });
    expect((await call('enterprise', 'PUT', `instruments/${T.a.inst}`, { kind: 'scale', name: 'cân chợ' })).status).toBe(200);
  });

  it('a lab without a designation for the kind, or with an expired one, may not verify', async () => {
    // lab-c is designated for fuel dispensers only; make it serve INST-a for this test.
    f.registry.analytics.setService({ instrument: T.a.inst, lab: 'lab-c', intervalDays: 365 });
    const other = await call('labC', 'POST', `instruments/${T.a.inst}/calibrations`, verification(), VI);
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ details: { field: 'type', rule: 'designated' } });
    expect(other.body.error.message).toMatch(/không có quyết định chỉ định còn hiệu lực/);
    f.registry.analytics.setService({ instrument: T.a.inst, lab: T.a.lab, intervalDays: 365 });
    // lab-a's designation began 400 days ago: a verification dated before that is refused.
    const early = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ date: clock - 500 * DAY }));
    expect(early.status).toBe(403);
    expect(early.body.error.details.rule).toBe('designated');
  });

  it('a designation naming another lab, or withdrawn, is refused', async () => {
    const labC = (await call('authority', 'GET', 'designations')).body.items.find((d: { lab: string }) => d.lab === 'lab-c').id;
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ designation: labC }), VI);
    expect(r.status).toBe(403);
    expect(r.body.error.details).toMatchObject({ field: 'designation', rule: 'designated' });
  });

  it('a calibration only by the serving lab; the lab of a record is the caller, never a body field', async () => {
    // Another tenant's lab: refused (403), or told nothing of the instrument at all (404, no existence oracle).
    const foreign = await call('labB', 'POST', `instruments/${T.a.inst}/calibrations`, calibration());
    expect([403, 404]).toContain(foreign.status);
    const named = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, calibration({ lab: T.b.lab }), VI);
    expect(named.status).toBe(403);
    expect(named.body.error.message).toMatch(/không phải tổ chức của bạn/);
  });

  it('a designated lab verifies: lab and author from the principal, legal marks kept, seals written in the register', async () => {
    const r = await call(
      'lab',
      'POST',
      `instruments/${T.a.inst}/calibrations`,
      verification({
        certificate: 'V-OK-1',
        authorisedBy: 'Giám đốc (giả)',
        stamp: 'TEM-0001',
        seals: ['KC-11', 'KC-12'],
        verifier: 'Nguyễn Văn A',
        verifierCard: 'KĐV-77',
        issuedAt: clock,
      }),
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      lab: T.a.lab,
      authorisedBy: 'lab-a-user',
      author: 'lab-a-user',
      status: 'valid',
      content: { stamp: 'TEM-0001', seals: ['KC-11', 'KC-12'], verifier: 'Nguyễn Văn A', verifierCard: 'KĐV-77', designation, signatory: 'Giám đốc (giả)' },
    });
    const seals = (await call('enterprise', 'GET', `instruments/${T.a.inst}/seals`)).body.items;
    expect(seals).toEqual([expect.objectContaining({ event: 'seal', seals: ['KC-11', 'KC-12'], by: 'lab-a-user', calibration: r.body.id })]);
    expect((await state()).lastCalibration).toBe(clock - DAY);
  });

  it('an expired designation no longer allows verifying', async () => {
    await call('authority', 'PUT', `designations/${designation}`, {
      lab: T.a.lab,
      decision: '123/QĐ-TĐC',
      kinds: ['scale'],
      validFrom: clock - 400 * DAY,
      validUntil: clock - 2 * DAY,
    });
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification());
    expect(r.status).toBe(403);
    await call('authority', 'PUT', `designations/${designation}`, {
      lab: T.a.lab,
      decision: '123/QĐ-TĐC',
      kinds: ['scale'],
      validFrom: clock - 400 * DAY,
      validUntil: clock + 400 * DAY,
    });
    expect(f.registry.audit.verify().ok).toBe(true);
  });
});

describe('corrections, never deletions (ISO/IEC 17025:2017 7.8.8)', () => {
  it('a wrong certificate dated ahead is superseded by the issuing lab: new number, reason, due date recomputed', async () => {
    const wrong = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ certificate: 'V-WRONG', date: clock - 10 * DAY + 0 }));
    expect(wrong.status).toBe(201);
    // Another lab may not supersede it; the enterprise neither.
    const byB = await call('labB', 'POST', `instruments/${T.a.inst}/calibrations/V-WRONG/supersede`, { ...verification(), reason: 'not ours' });
    expect([403, 404]).toContain(byB.status);
    const r = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations/V-WRONG/supersede`, {
      ...verification({ certificate: 'V-RIGHT', date: clock - 20 * DAY }),
      reason: 'ngày kiểm định ghi sai',
    });
    expect(r.status).toBe(201);
    expect(r.body.superseded).toMatchObject({ certificate: 'V-WRONG', status: 'superseded', statusReason: 'ngày kiểm định ghi sai', statusBy: 'lab-a-user' });
    expect(r.body.record).toMatchObject({ certificate: 'V-RIGHT', status: 'valid', supersedes: wrong.body.id, content: { reason: 'ngày kiểm định ghi sai' } });
    expect(r.body.superseded.supersededBy).toBe(r.body.record.id);
    // The valid record with the latest date now is V-OK-1 (clock − 1 day).
    expect((await state()).lastCalibration).toBe(clock - DAY);
    const again = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations/V-WRONG/void`, { reason: 'twice' }, VI);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/đã được thay thế/);
  });

  it('void: refused to another lab and the owner; the authority may; due date and alerts follow', async () => {
    for (const who of ['labB', 'enterprise'] as const) {
      const r = await call(who, 'POST', `instruments/${T.a.inst}/calibrations/V-OK-1/void`, { reason: 'not mine' }, VI);
      // The owner sees the instrument: 403; another tenant's lab may be told nothing of it: 404.
      expect(who === 'enterprise' ? [403] : [403, 404]).toContain(r.status);
    }
    const byLab = await call('labC', 'POST', `instruments/${T.a.inst}/calibrations/V-OK-1/void`, { reason: 'not mine' });
    expect([403, 404]).toContain(byLab.status);
    const r = await call('authority', 'POST', `instruments/${T.a.inst}/calibrations/V-OK-1/void`, { reason: 'tem kiểm định giả' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'voided', statusReason: 'tem kiểm định giả', statusBy: 'tdc' });
    // The last valid verification is now V-RIGHT (20 days ago).
    expect((await state()).lastCalibration).toBe(clock - 20 * DAY);
  });

  it('voiding the latest record brings back the older one: overdue again, with its alert; a new verification settles it', async () => {
    expect((await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ certificate: 'V-OLD', date: clock - 390 * DAY }))).status).toBe(
      201,
    );
    engine.evaluatePeriodic();
    expect(await alerts('overdue')).toEqual([]);
    expect((await call('lab', 'POST', `instruments/${T.a.inst}/calibrations/V-RIGHT/void`, { reason: 'kiểm tra lại hồ sơ' })).status).toBe(200);
    const s = await state();
    expect(s.lastCalibration).toBe(clock - 390 * DAY);
    expect(s.nextDue).toBeLessThan(clock);
    expect(await alerts('overdue')).toHaveLength(1);
    expect((await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ certificate: 'V-NEW' }))).status).toBe(201);
    engine.evaluatePeriodic();
    expect(await alerts('overdue')).toEqual([]);
  });

  it('history shows every record with its status; the audit log records each correction', async () => {
    const items = (await call('enterprise', 'GET', `instruments/${T.a.inst}/calibrations`)).body.items as Array<{ certificate: string; status: string }>;
    const by = Object.fromEntries(items.map((c) => [c.certificate, c.status]));
    expect(by).toMatchObject({ 'V-WRONG': 'superseded', 'V-RIGHT': 'voided', 'V-OK-1': 'voided', 'V-OLD': 'valid', 'V-NEW': 'valid' });
    const actions = (await call('authority', 'GET', 'audit?limit=1000')).body.items.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`);
    expect(actions).toContain('calibration.supersede user:lab-a-user');
    expect(actions).toContain('calibration.void user:tdc');
    expect(actions).toContain('designation.create user:tdc');
    expect(actions).toContain('seal.place user:lab-a-user');
  });
});

describe('the seal register', () => {
  it('a break by the owner without a verification in time raises seal_broken; a verification settles it', async () => {
    const noReason = await call('enterprise', 'POST', `instruments/${T.a.inst}/seals`, { event: 'break', at: clock - DAY, seals: ['KC-11'] }, VI);
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/lý do/);
    const ownerSeal = await call('enterprise', 'POST', `instruments/${T.a.inst}/seals`, { event: 'seal', at: clock, seals: ['X'] }, VI);
    expect(ownerSeal.status).toBe(403);
    const r = await call('enterprise', 'POST', `instruments/${T.a.inst}/seals`, { event: 'break', at: clock, seals: ['KC-11'], reason: 'thay bo mạch' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ by: 'ent-a-user', byOrg: T.a.ent, event: 'break' });
    engine.evaluatePeriodic();
    expect(await alerts('seal_broken')).toEqual([]); // within the limit
    clock += 8 * DAY;
    engine.evaluatePeriodic();
    const live = await alerts('seal_broken');
    expect(live).toHaveLength(1);
    const vi = (await call('enterprise', 'GET', `alerts?state=live&kind=seal_broken`)).body.items[0];
    expect(vi.params).toMatchObject({ reason: 'thay bo mạch', limitDays: 7 });
    expect(
      (await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ certificate: 'V-AFTER-BREAK', date: clock - 3600_000 }))).status,
    ).toBe(201);
    engine.evaluatePeriodic();
    expect(await alerts('seal_broken')).toEqual([]);
  });
});

describe('what may be entered on a verification or calibration (the entry rules of checks)', () => {
  const ref = (id: string, o: Record<string, unknown>) =>
    f.registry.analytics.upsertReference({
      id,
      lab: T.a.lab,
      quantity: 'mass',
      unit: 'kg',
      nominal: 20,
      value: 20,
      U: 0.0003,
      k: 2,
      calibratedOn: clock - 100 * DAY,
      due: clock + 300 * DAY,
      parent: null,
      ...o,
    });

  it('refuses a future date, an expired standard, a standard too uncertain, and a standard of another quantity, in Vietnamese', async () => {
    ref('REF-EXPIRED', { due: clock - 10 * DAY });
    ref('REF-M3', { U: 0.04 }); // U 40 g against the channel's MPE of 50 g: more than 1/3
    ref('REF-20L', { quantity: 'volume', unit: 'L' });
    const future = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ date: clock + 2 * 3_600_000 }), VI);
    expect(future.status).toBe(400);
    expect(future.body.error).toMatchObject({ code: 'E_RECORD_IN_FUTURE', details: { field: 'date' } });
    expect(future.body.error.message).toMatch(/tương lai|trước/);
    const expired = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ references: ['REF-EXPIRED'] }), VI);
    expect(expired.body.error).toMatchObject({ code: 'E_STANDARD_EXPIRED', details: { field: 'references[0]' } });
    expect(expired.body.error.message).toMatch(/hết hạn/);
    const loose = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, verification({ references: ['REF-M3'] }), VI);
    expect(loose.body.error).toMatchObject({ code: 'E_STANDARD_UNCERTAINTY', details: { rule: 'standard-u-le-third-mpe' } });
    const volume = await call('lab', 'POST', `instruments/${T.a.inst}/calibrations`, calibration({ references: ['REF-20L'] }), VI);
    expect(volume.body.error).toMatchObject({ code: 'E_STANDARD_QUANTITY', details: { rule: 'same-dimension' } });
    // Nothing was stored for any of them.
    const history = (await call('lab', 'GET', `instruments/${T.a.inst}/calibrations`)).body.items as Array<{ references: string[] }>;
    expect(history.some((c) => c.references.some((r) => ['REF-EXPIRED', 'REF-M3', 'REF-20L'].includes(r)))).toBe(false);
  });
});
