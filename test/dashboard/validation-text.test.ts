import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { T, twoTenants, type Fixture } from '../security/fixture.js';
import { CalibrationPost, ChecksPost, InstrumentIn } from '../../dashboard/schemas.js';
import { FIELD_BOUNDS } from '../../dashboard/web/views/form-rules.js';

/**
 * A request the schema refuses is answered in the caller's language, naming the field as people
 * read it (dashboard/validation-text.ts), on the real routes; `details` stay as ajv gives them.
 */
let f: Fixture;
let app: App;
beforeAll(async () => {
  f = await twoTenants();
  app = await buildApp({ registry: f.registry, readings: f.readings, analytics: new Engine({ registry: f.registry }) });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

type Role = keyof Fixture['auth'];
async function refused(role: Role, method: 'GET' | 'POST' | 'PUT', url: string, lang: string | null, payload?: unknown) {
  const res = await app.inject({ method, url, headers: { ...f.auth[role], ...(lang ? { 'accept-language': lang } : {}) }, ...(payload ? { payload } : {}) });
  expect(res.statusCode).toBe(400);
  return res.json().error as { code: string; message: string; details: Array<{ field: string; rule: string; message: string }> };
}

const calibration = (point: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  type: 'calibration',
  date: Date.now() - 86_400_000,
  certificate: 'GCN-VT-1',
  results: [{ channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.002, U: 0.001, ...point }],
  references: [],
  ...more,
});
const calUrl = `/api/v1/instruments/${T.a.inst}/calibrations`;

describe('validation errors in the caller’s language', () => {
  it('names a negative uncertainty of the first result, in Vietnamese and in English, details unchanged', async () => {
    const vi = await refused('lab', 'POST', calUrl, 'vi-VN,vi;q=0.9', calibration({ U: -0.001 }));
    expect(vi).toEqual({
      code: 'E_BAD_REQUEST',
      message: 'Kết quả 1 – độ không đảm bảo mở rộng U phải lớn hơn hoặc bằng 0.',
      details: [{ field: 'body.results.0.U', rule: 'minimum', message: 'must be >= 0' }],
    });
    const en = await refused('lab', 'POST', calUrl, 'en', calibration({ U: -0.001 }));
    expect(en.message).toBe('Result 1 – expanded uncertainty U must be at least 0.');
    expect(en.details).toEqual(vi.details);
  });

  it('numbers the result as a person counts (the third is 3) and writes limits in the language’s numbers', async () => {
    const point = { channel: 'mass', unit: 'kg', nominal: 20, asFound: 0.002, U: 0.001 };
    const body = { ...calibration({}), results: [point, point, { ...point, k: 0 }] };
    expect((await refused('lab', 'POST', calUrl, 'vi', body)).message).toBe('Kết quả 3 – hệ số phủ k phải lớn hơn 0.');
    const k = await refused('lab', 'POST', calUrl, 'vi', calibration({}, { coverageK: 10.5 }));
    expect(k.message).toBe('Hệ số phủ k phải nhỏ hơn hoặc bằng 10.');
    const p = await refused('lab', 'POST', calUrl, 'vi', calibration({}, { coverageProbability: 1.5 }));
    expect(p.message).toBe('Xác suất phủ phải nhỏ hơn hoặc bằng 1.');
  });

  it('explains a missing field, a wrong type, an interval of 0 days and a text too long', async () => {
    const { certificate: _c, ...noCertificate } = calibration({});
    expect((await refused('lab', 'POST', calUrl, 'vi', noCertificate)).message).toBe('Số giấy chứng nhận là bắt buộc nhưng còn thiếu.');
    expect((await refused('lab', 'POST', calUrl, 'en', noCertificate)).message).toBe('Certificate number is required but missing.');
    expect((await refused('lab', 'POST', calUrl, 'vi', calibration({ nominal: 'hai mươi' }))).message).toBe('Kết quả 1 – giá trị danh định phải là một số.');
    expect((await refused('lab', 'POST', calUrl, 'vi', calibration({}, { intervalDays: 0 }))).message).toBe(
      'Chu kỳ kiểm định (ngày) phải lớn hơn hoặc bằng 1.',
    );
    expect((await refused('lab', 'POST', calUrl, 'en', calibration({}, { intervalDays: 1.5 }))).message).toBe(
      'Verification interval (days) must be a whole number.',
    );
    expect((await refused('lab', 'POST', calUrl, 'vi', calibration({}, { certificate: 'X'.repeat(101) }))).message).toBe(
      'Số giấy chứng nhận không được dài quá 100 ký tự.',
    );
  });

  it('explains a field not allowed, an unknown choice and a malformed id; unknown fields are written as their path', async () => {
    const extra = await refused('lab', 'POST', calUrl, 'vi', calibration({ colour: 'đỏ' }));
    expect(extra.message).toBe('Kết quả 1 – colour không phải là một trường được phép ở đây.');
    expect(extra.details).toEqual([{ field: 'body.results.0', rule: 'additionalProperties', message: 'must NOT have additional properties' }]);
    const type = await refused('lab', 'POST', calUrl, 'en', calibration({}, { type: 'repair' }));
    expect(type.message).toBe('Record type must be one of: calibration, verification.');
    const ref = await refused('lab', 'POST', calUrl, 'vi', calibration({}, { references: ['REF ok', 'chuẩn 2'] }));
    expect(ref.message).toBe('Chuẩn 1 chỉ được gồm chữ cái không dấu, chữ số và các dấu . _ -, bắt đầu bằng chữ cái hoặc chữ số, tối đa 64 ký tự.');
  });

  it('speaks of queries and whole bodies too: a limit of 0, an offset below 0, a body that is not an object', async () => {
    expect((await refused('authority', 'GET', '/api/v1/instruments?limit=0', 'vi')).message).toBe('Số dòng tối đa phải lớn hơn hoặc bằng 1.');
    expect((await refused('authority', 'GET', '/api/v1/alerts?offset=-1', 'en')).message).toBe('Offset must be at least 0.');
    // No Accept-Language: English, as API clients have always had it.
    expect((await refused('authority', 'GET', '/api/v1/instruments?limit=0', null)).message).toBe('Row limit must be at least 1.');
    const list = await refused('lab', 'POST', calUrl, 'vi', [1, 2]);
    expect(list.message).toBe('Nội dung yêu cầu phải là một nhóm trường (đối tượng JSON).');
    const broken = await app.inject({
      method: 'POST',
      url: calUrl,
      headers: { ...f.auth.lab, 'accept-language': 'vi', 'content-type': 'application/json' },
      payload: '{"type":',
    });
    expect(broken.json().error).toEqual({ code: 'E_BAD_REQUEST', message: 'Nội dung yêu cầu không phải JSON hợp lệ.' });
  });

  it('refuses an instrument interval over ten years in words (PUT /instruments/{id})', async () => {
    const body = { kind: 'scale', intervalDays: 4000 };
    expect((await refused('admin', 'PUT', `/api/v1/instruments/${T.a.inst}`, 'vi', body)).message).toBe(
      'Chu kỳ kiểm định (ngày) phải nhỏ hơn hoặc bằng 3.650.',
    );
    expect((await refused('admin', 'PUT', `/api/v1/instruments/${T.a.inst}`, 'en', { kind: 'boat' })).message).toMatch(
      /^Kind must be one of: scale, .*other\.$/,
    );
  });

  it("answers an unknown route in the caller's language", async () => {
    const vi = await app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1', headers: { ...f.auth.lab, 'accept-language': 'vi' } });
    expect([vi.statusCode, vi.json().error.message]).toEqual([404, 'Không có đường dẫn GET /api/v1/nothing-here.']);
    const en = await app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: f.auth.lab });
    expect(en.json().error.message).toBe('no route GET /api/v1/nothing-here');
  });

  it('refuses an interval of 0 days instead of reading it as null (which would clear the interval)', async () => {
    const body = { kind: 'scale', intervalDays: 0 };
    expect((await refused('admin', 'PUT', `/api/v1/instruments/${T.a.inst}`, 'vi', body)).message).toBe('Chu kỳ kiểm định (ngày) phải lớn hơn hoặc bằng 1.');
    const set = await app.inject({
      method: 'PUT',
      url: `/api/v1/instruments/${T.a.inst}`,
      headers: f.auth.admin,
      payload: { kind: 'scale', intervalDays: 180 },
    });
    expect(set.statusCode).toBe(200);
    const cleared = await app.inject({
      method: 'PUT',
      url: `/api/v1/instruments/${T.a.inst}`,
      headers: f.auth.admin,
      payload: { kind: 'scale', intervalDays: null },
    });
    expect(cleared.statusCode).toBe(200);
  });
});

describe('the forms’ bounds (dashboard/web/views/form-rules.js) and the server’s schemas', () => {
  type Node = { type?: string | string[]; properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; [k: string]: unknown };
  const ROOTS: Record<string, Node> = { CalibrationPost, ChecksPost, InstrumentIn } as unknown as Record<string, Node>;
  /** The schema of `Root.a.b`: through arrays to their items, and to the non-null branch of a nullable field. */
  function schemaAt(path: string): Node {
    const [root, ...names] = path.split('.');
    let node = ROOTS[root!]!;
    for (const name of names) {
      if (node.type === 'array') node = node.items!;
      node = node.properties![name]!;
      expect(node, path).toBeDefined();
    }
    return node.anyOf?.find((b) => b.type !== 'null') ?? node;
  }
  const boundsOf = (n: Node) => {
    const types = [n.type].flat();
    return {
      minimum: n.minimum,
      exclusiveMinimum: n.exclusiveMinimum,
      maximum: n.maximum,
      exclusiveMaximum: n.exclusiveMaximum,
      integer: types.includes('integer') || undefined,
    };
  };

  it('gives every number field the bounds of each schema property it is posted as', () => {
    for (const [field, b] of Object.entries(FIELD_BOUNDS)) {
      for (const path of b.schemas) {
        expect(boundsOf(schemaAt(path)), `${field} → ${path}`).toEqual({
          minimum: b.minimum,
          exclusiveMinimum: b.exclusiveMinimum,
          maximum: b.maximum,
          exclusiveMaximum: undefined,
          integer: b.integer,
        });
      }
    }
  });

  it('lists every number a form posts to a test point or a check, so a bound added there is not missed', () => {
    const listed = new Set(Object.values(FIELD_BOUNDS).flatMap((b) => b.schemas));
    // The numbers of TestPointIn a form fills (k and mpe are the lab software's, not the form's), and those of CheckIn.
    for (const name of ['nominal', 'asFound', 'asLeft', 'U']) expect(listed, name).toContain(`CalibrationPost.results.${name}`);
    for (const name of ['referenceValue', 'indicated']) expect(listed, name).toContain(`ChecksPost.checks.${name}`);
    for (const name of ['intervalDays', 'coverageK']) expect(listed, name).toContain(`CalibrationPost.${name}`);
  });
});
