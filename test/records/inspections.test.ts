import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, REGISTRY_MIGRATIONS, openSqlite } from '../../store/index.js';
import type { App } from '../../dashboard/app.js';
import { closeAll, dashboardOn, T, twoTenants, USERS, type Fixture } from '../security/fixture.js';
import { parseCsv } from '../support/csv.js';

/**
 * State metrological inspections (issue 18, section 1) through the API: the authority plans a
 * campaign and assigns a visit; only the inspector assigned signs its record, on the record
 * rules of docs/legal-records.md (author = the signed-in principal, a repeat under its
 * idempotency key changes nothing, a correction supersedes with a reason, both stay, audited);
 * an inspector sees only its visits and their subjects; attachments are type-checked by their
 * bytes and only ever served as downloads; the campaign report counts what was signed.
 */
let f: Fixture;
let app: App;
let attachments: string;
const HOUR = 3_600_000;
// The smallest valid PNG: signature, IHDR, IDAT, IEND (1×1, grey).
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c63600000000200015d0b2e0c0000000049454e44ae426082',
  'hex',
);

beforeAll(async () => {
  f = await twoTenants();
  attachments = mkdtempSync(join(tmpdir(), 'metronet-attach-'));
  // A second inspector, not on the campaign's visit.
  await f.registry.identity.createUser({ id: 'insp-2', role: 'inspector', org: 'tdc-org', password: 'password-of-insp-2' });
  ({ app } = await dashboardOn(f, { attachmentsDir: attachments }));
});
afterAll(async () => {
  await closeAll(app, f);
  rmSync(attachments, { recursive: true, force: true });
});

type Who = keyof Fixture['auth'] | 'insp-2';
const headers = (who: Who, lang = 'vi') => ({
  ...(who === 'insp-2' ? { authorization: `Bearer ${f.registry.identity.issueToken({ kind: 'api', user: 'insp-2', ttlMs: HOUR }).secret}` } : f.auth[who]),
  'accept-language': lang,
});
const call = (who: Who, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, extra: Record<string, string> = {}) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { ...headers(who), ...extra }, ...(payload !== undefined ? { payload: payload as object } : {}) });

let campaign: number;
let visit: number;
const record = (over: Record<string, unknown> = {}) => ({
  visitedAt: Date.now() - HOUR,
  inspected: [{ instrument: T.a.inst, note: 'cân đồng hồ lò xo tại sạp 3' }],
  findings: 'Cân không có dấu kiểm định còn hiệu lực.',
  violations: [
    { code: 'instrument.verification_expired', instrument: T.a.inst, followUp: 'Đưa cân đi kiểm định lại', followUpDue: Date.now() + 14 * 24 * HOUR },
  ],
  outcome: 'violations',
  ...over,
});

describe('campaigns and visits', () => {
  it('the authority plans a campaign and assigns a visit to an inspector of its team; refusals name field, value and rule', async () => {
    const bad = await call('authority', 'POST', '/campaigns', {
      title: 'Kiểm tra cân tại chợ 2026',
      subject: 'market_scales',
      province: '68',
      communes: ['22945'],
      periodFrom: Date.now() - 24 * HOUR,
      periodTo: Date.now() + 30 * 24 * HOUR,
      team: [USERS.lab.id],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ details: { field: 'team[0]', rule: 'inspector' } });
    expect(bad.json().error.message).toMatch(/không phải là tài khoản kiểm tra viên/);

    const res = await call('authority', 'POST', '/campaigns', {
      title: 'Kiểm tra cân tại chợ 2026',
      subject: 'market_scales',
      province: '68',
      communes: ['22945'],
      periodFrom: Date.now() - 24 * HOUR,
      periodTo: Date.now() + 30 * 24 * HOUR,
      team: [USERS.inspector.id, 'insp-2'],
    });
    expect(res.statusCode).toBe(201);
    campaign = res.json().id;
    expect(res.json().progress).toEqual({ visits: 0, done: 0, withViolations: 0, violations: 0, followUpsOpen: 0 });

    const notOnTeam = await call('authority', 'POST', `/campaigns/${campaign}/visits`, { org: T.a.ent, inspector: USERS.lab.id });
    expect(notOnTeam.statusCode).toBe(400);
    expect(notOnTeam.json().error.details).toMatchObject({ field: 'inspector', rule: 'team' });

    const v = await call('authority', 'POST', `/campaigns/${campaign}/visits`, {
      org: T.a.ent,
      site: 'Sạp 3, chợ Phan Thiết',
      commune: '22945',
      inspector: USERS.inspector.id,
    });
    expect(v.statusCode).toBe(201);
    visit = v.json().id;
    // Only the authority plans and assigns.
    const plan = { title: 'x', subject: 'fuel_retail', province: null, communes: [], periodFrom: 0, periodTo: 1, team: [USERS.inspector.id] };
    expect((await call('inspector', 'POST', '/campaigns', plan)).statusCode).toBe(403);
    expect((await call('enterprise', 'POST', `/campaigns/${campaign}/visits`, { org: T.a.ent, inspector: USERS.inspector.id })).statusCode).toBe(403);
    expect((await call('lab', 'GET', '/campaigns')).statusCode).toBe(403);
  });

  it('an inspector sees only its visits and the instruments of their subjects, nothing else', async () => {
    const mine = (await call('inspector', 'GET', '/visits')).json();
    expect(mine.items.map((v: { id: number }) => v.id)).toEqual([f.inspections.a.visit, visit]);
    expect((await call('insp-2', 'GET', '/visits')).json().items).toEqual([]);
    // Another's visit answers exactly as a missing one.
    const strip = (body: string, id: number) => body.split(String(id)).join('{id}');
    const foreign = await call('inspector', 'GET', `/visits/${f.inspections.b.visit}`);
    const missing = await call('inspector', 'GET', '/visits/987654');
    expect([foreign.statusCode, strip(foreign.body, f.inspections.b.visit)]).toEqual([404, strip(missing.body, 987654)]);
    // The other inspector of the team sees the campaign, not the visit.
    expect((await call('insp-2', 'GET', `/campaigns/${campaign}`)).statusCode).toBe(200);
    expect((await call('insp-2', 'GET', `/visits/${visit}`)).statusCode).toBe(404);

    const list = (await call('inspector', 'GET', '/instruments')).json();
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([T.a.inst]);
    expect((await call('inspector', 'GET', `/instruments/${T.a.inst}`)).statusCode).toBe(200);
    expect((await call('inspector', 'GET', `/instruments/${T.b.inst}`)).statusCode).toBe(404);
    expect((await call('insp-2', 'GET', `/instruments/${T.a.inst}`)).statusCode).toBe(404);
    expect((await call('insp-2', 'GET', '/instruments')).json().items).toEqual([]);
    // Not the alerts, references or reports of anyone.
    for (const url of ['/alerts', '/references', '/reports/inventory', '/overview']) expect((await call('inspector', 'GET', url)).statusCode, url).toBe(403);
  });
});

describe('the signed visit record', () => {
  it('only the inspector assigned signs; a record dated tomorrow or naming an unknown violation is refused in Vietnamese', async () => {
    const other = await call('insp-2', 'POST', `/visits/${visit}/records`, record());
    expect(other.statusCode).toBe(404); // not its visit: answered as a missing one
    const lab = await call('lab', 'POST', `/visits/${visit}/records`, record());
    expect(lab.statusCode).toBe(403);
    const future = await call('inspector', 'POST', `/visits/${visit}/records`, record({ visitedAt: Date.now() + 24 * HOUR }));
    expect(future.statusCode).toBe(400);
    expect(future.json().error.code).toBe('E_RECORD_IN_FUTURE');
    expect(future.json().error.message).toMatch(/ở tương lai/);
    const unknown = await call('inspector', 'POST', `/visits/${visit}/records`, record({ violations: [{ code: 'made.up' }] }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details).toMatchObject({ field: 'violations[0].code', rule: 'catalogue', value: 'made.up' });
    const mismatch = await call('inspector', 'POST', `/visits/${visit}/records`, record({ outcome: 'compliant' }));
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().error.details).toMatchObject({ field: 'outcome', rule: 'matches-violations' });
    expect(f.registry.inspections.listRecords(visit)).toEqual([]);
  });

  it('signs once under an idempotency key however often it is sent; a second record must supersede the first with a reason', async () => {
    const key = { 'idempotency-key': 'visit-1-phone-0001' };
    const first = await call('inspector', 'POST', `/visits/${visit}/records`, record(), key);
    expect(first.statusCode).toBe(201);
    const again = await call('inspector', 'POST', `/visits/${visit}/records`, record(), key);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(f.registry.inspections.listRecords(visit)).toHaveLength(1);
    // The author is the signed-in inspector, with its name from the registry.
    expect(first.json()).toMatchObject({ author: USERS.inspector.id, status: 'valid', outcome: 'violations' });

    const second = await call('inspector', 'POST', `/visits/${visit}/records`, record({ findings: 'khác' }));
    expect(second.statusCode).toBe(409);
    expect(second.json().error.details).toMatchObject({ field: 'supersedes', rule: 'one-record' });
    const noReason = await call('inspector', 'POST', `/visits/${visit}/records`, record({ supersedes: first.json().id }));
    expect(noReason.statusCode).toBe(400);
    const fixed = await call(
      'inspector',
      'POST',
      `/visits/${visit}/records`,
      record({ supersedes: first.json().id, reason: 'Ghi nhầm số sạp', inspected: [{ instrument: T.a.inst, note: 'sạp 5' }] }),
    );
    expect(fixed.statusCode).toBe(201);
    const all = (await call('authority', 'GET', `/visits/${visit}/records`)).json().items;
    expect(all.map((r: { status: string; supersededBy: number | null; supersedes: number | null }) => [r.status, r.supersedes, r.supersededBy])).toEqual([
      ['superseded', null, fixed.json().id],
      ['valid', first.json().id, null],
    ]);
    expect(all[0].statusReason).toBe('Ghi nhầm số sạp');
    // The inspected enterprise reads the record of the visit to it.
    const ent = await call('enterprise', 'GET', `/visits/${visit}`);
    expect(ent.statusCode).toBe(200);
    expect(ent.json().record.id).toBe(fixed.json().id);
    // Audited, in the chain.
    const actions = f.registry.audit.entries({ subject: `visit:${visit}` }).map((e) => e.action);
    expect(actions).toEqual(['visit.assign', 'visit.record.sign', 'visit.record.supersede', 'visit.record.sign']);
  });
});

describe('attachments', () => {
  it('takes a PNG by its bytes and gives it back only as a download; a file whose bytes disagree with its type is refused', async () => {
    const up = await call('inspector', 'POST', `/visits/${visit}/attachments`, { name: 'ảnh sạp 3.png', type: 'image/png', data: PNG.toString('base64') });
    expect(up.statusCode).toBe(201);
    const a = up.json();
    expect(a).toMatchObject({ size: PNG.length, type: 'image/png', uploadedBy: USERS.inspector.id });
    const down = await call('authority', 'GET', `/visits/${visit}/attachments/${a.id}`);
    expect(down.statusCode).toBe(200);
    expect(down.rawPayload.equals(PNG)).toBe(true);
    expect(down.headers['content-disposition']).toMatch(/^attachment; /);
    expect(down.headers['x-content-type-options']).toBe('nosniff');
    expect(down.headers['content-security-policy']).toMatch(/sandbox/);
    // Stored by content, never by the name given.
    expect(existsSync(join(attachments, `${a.sha256}.bin`))).toBe(true);

    const html = Buffer.from('<html><script>alert(1)</script></html>').toString('base64');
    const fake = await call('inspector', 'POST', `/visits/${visit}/attachments`, { name: 'x.png', type: 'image/png', data: html });
    expect(fake.statusCode).toBe(400);
    expect(fake.json().error.details).toMatchObject({ field: 'type', rule: 'magic-bytes' });
    const svg = await call('inspector', 'POST', `/visits/${visit}/attachments`, { name: 'x.svg', type: 'image/svg+xml', data: html });
    expect(svg.statusCode).toBe(400);
    const big = Buffer.alloc(8 * 1024 * 1024 + 1);
    PNG.copy(big);
    const tooBig = await call('inspector', 'POST', `/visits/${visit}/attachments`, { name: 'big.png', type: 'image/png', data: big.toString('base64') });
    expect(tooBig.statusCode).toBe(413);
    // Not another inspector's, not through another visit's path.
    expect((await call('insp-2', 'GET', `/visits/${visit}/attachments/${a.id}`)).statusCode).toBe(404);
    expect((await call('insp-2', 'POST', `/visits/${visit}/attachments`, { name: 'x.png', type: 'image/png', data: PNG.toString('base64') })).statusCode).toBe(
      404,
    );
  });
});

describe('progress and the campaign report', () => {
  it('counts what was signed, and writes the report with its title, totals and legal basis in Vietnamese (CSV, PDF)', async () => {
    const c = (await call('authority', 'GET', `/campaigns/${campaign}`)).json();
    expect(c.progress).toEqual({ visits: 1, done: 1, withViolations: 1, violations: 1, followUpsOpen: 1 });
    const csv = await call('authority', 'GET', `/campaigns/${campaign}/report?format=csv`);
    expect(csv.statusCode).toBe(200);
    const rows = parseCsv(csv.body);
    const text = rows.map((r) => r.join(' ')).join('\n');
    expect(text).toMatch(/BÁO CÁO KẾT QUẢ KIỂM TRA NHÀ NƯỚC VỀ ĐO LƯỜNG/);
    expect(text).toMatch(/Enterprise a/);
    expect(text).toMatch(/Có vi phạm/);
    expect(text).toMatch(/Đưa cân đi kiểm định lại/);
    expect(text).not.toMatch(/instrument\.verification_expired|market_scales|violations\b/);
    const pdf = await call('authority', 'GET', `/campaigns/${campaign}/report?format=pdf`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const file = join(attachments, 'report.pdf');
    writeFileSync(file, pdf.rawPayload);
    const pdfText = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(pdfText).toMatch(/KIỂM TRA NHÀ NƯỚC VỀ ĐO LƯỜNG/);
    expect(pdfText).toMatch(/NGƯỜI LẬP/);
  });
});

describe('registry migration 13', () => {
  it('rebuilds users for the inspector role without losing a user or a session', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metronet-m13-'));
    try {
      const file = join(dir, 'registry.db');
      const db = openSqlite(
        file,
        REGISTRY_MIGRATIONS.filter((m) => m.id < 13),
      );
      db.prepare("INSERT INTO users (id, name, role, org, password, created_at) VALUES ('old', 'Old user', 'authority', NULL, 'x', 1)").run();
      db.prepare("INSERT INTO tokens (id, kind, user, hash, created_at, expires_at) VALUES ('t1', 'session', 'old', 'h', 1, 9999999999999)").run();
      db.close();
      const r = openRegistry(file);
      r.close();
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare('SELECT id, role FROM users').all()).toEqual([{ id: 'old', role: 'authority' }]);
      expect(raw.prepare('SELECT id, user FROM tokens').all()).toEqual([{ id: 't1', user: 'old' }]);
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      expect((raw.prepare("SELECT sql FROM sqlite_schema WHERE name = 'users'").get() as { sql: string }).sql).toMatch(/'inspector'/);
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
