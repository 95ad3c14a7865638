import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { POLICY } from '../../dashboard/auth/policy.js';
import type { Role } from '../../store/index.js';
import { DAY, T, twoTenants, type Fixture } from '../security/fixture.js';
import { anyJson, count, fuzzParams, invalidId, report, timeout, validId } from './support.js';

/**
 * REST bodies, query strings, path parameters and headers against the dashboard app (fastify
 * inject, a real registry with two tenants), authenticated as each role and as nobody. Property:
 * never a 5xx; every 4xx has the error shape {"error":{"code","message"}}; valid generated
 * bodies are accepted (2xx).
 */
let f: Fixture;
let app: App;
const NOW = Date.now();
const ROUTES = Object.keys(POLICY)
  .filter((k) => k !== 'GET /api/v1/events') // a server-sent event stream: it never ends by design
  .map((k) => {
    const [method, path] = k.split(' ') as [string, string];
    return { method, path };
  });
const SUBJECTS: Array<Role | 'nobody' | 'forged'> = ['admin', 'authority', 'lab', 'enterprise', 'nobody', 'forged'];

/** A fresh app on its own registry: the hostile run may disable users or revoke tokens, so the valid-body run gets its own. */
function withApp(): void {
  beforeAll(async () => {
    f = await twoTenants();
    // Lab a is designated for scales, so its generated verifications are the lab's to record.
    f.registry.records.createDesignation(
      { lab: T.a.lab, decision: '1/QĐ-fuzz', kinds: ['scale'], ranges: null, validFrom: NOW - 1000 * DAY, validUntil: NOW + 1000 * DAY },
      'tdc',
    );
    // The enterprise's own working standard.
    f.registry.analytics.upsertReference({
      id: 'REF-ent-a',
      lab: T.a.ent,
      quantity: 'mass',
      unit: 'kg',
      nominal: 20,
      value: 20,
      U: 0.001,
      k: 2,
      calibratedOn: NOW - 30 * DAY,
      due: NOW + 300 * DAY,
      parent: null,
    });
    // A station of tenant A, so the station routes reach their handlers.
    f.registry.upsertInstrument({ id: 'ST-a', org: T.a.ent, registration: 'registered', kind: 'env_station', name: 'station a' });
    f.registry.ensureChannel('ST-a', 'so2', 'ug/m3');
    f.registry.stations.upsertStation({
      instrument: 'ST-a',
      medium: 'air',
      latitude: 10.9,
      longitude: 108.1,
      intervalMs: 60_000,
      toleranceMs: 120_000,
      limitSet: 'qcvn-05-2023',
    });
    await f.readings.write([{ org: T.a.ent, instrument: T.a.inst, channel: 'mass', ts: NOW - 60_000, value: 20.001, unit: 'kg', status: 'ok' }]);
    app = await buildApp({
      registry: f.registry,
      readings: f.readings,
      analytics: new Engine({ registry: f.registry }),
      webhooks: { allow: ['127.0.0.1:9'], maxPerOrg: 10_000 },
      // The valid-body run issues one user more tokens than dashboard.maxTokensPerUser allows (the cap has its own test).
      maxTokensPerUser: 1_000_000,
    });
  });
  afterAll(async () => {
    await app?.close();
    await f?.cleanup();
  });
}

afterAll(report);

/** No 5xx; an error has the contract's shape. Returns the parsed body. */
function expectContract(res: LightMyRequestResponse, what: string): unknown {
  expect(res.statusCode, `${what} answered ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode < 400) return res.body ? safeJson(res.body) : undefined;
  const body = safeJson(res.body) as { error?: { code?: unknown; message?: unknown } } | undefined;
  expect(body?.error, `${what}: error shape of ${res.body.slice(0, 200)}`).toBeDefined();
  expect(typeof body!.error!.code).toBe('string');
  expect(typeof body!.error!.message).toBe('string');
  return body;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function authOf(who: (typeof SUBJECTS)[number], forged: string): Record<string, string> {
  if (who === 'nobody') return {};
  if (who === 'forged') return { authorization: forged };
  return f.auth[who];
}

// ── hostile input on every route ─────────────────────────────────────────────

const knownIds = () =>
  fc.constantFrom(
    T.a.inst,
    T.b.inst,
    T.a.ref,
    T.b.ref,
    T.a.gw,
    T.a.ent,
    T.b.ent,
    T.a.lab,
    'ST-a',
    'root',
    'tdc',
    String(f.alerts.a),
    String(f.alerts.b),
    String(f.webhooks.a),
    'mass',
    'daily',
    '0',
    '-1',
    '1e3',
    '99999999999999999999',
  );
const segment = () =>
  fc.oneof(
    { weight: 4, arbitrary: knownIds() },
    { weight: 2, arbitrary: validId },
    { weight: 1, arbitrary: invalidId },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom('..', '%00', '%', '%zz', '%2F', 'a%2Fb', ' ', '\u0000', '😀', 'x'.repeat(300)) },
  );
const QUERY_KEYS = [
  'from',
  'to',
  'every',
  'channel',
  'limit',
  'offset',
  'q',
  'kind',
  'org',
  'lab',
  'state',
  'registration',
  'severity',
  'instrument',
  'subject',
  'after',
  'format',
  'period',
  'date',
  'month',
  'since',
  'user',
];
const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '5000',
    '100001',
    '1.5',
    'NaN',
    'Infinity',
    '1e309',
    '99999999999999999999',
    'now',
    '-24h',
    '-0ms',
    '-99999999999d',
    '1ms',
    '1d',
    '2026-01-01',
    '2026-13-45T99:00:00Z',
    'true',
    'null',
    'ent-a',
    'ent-bbb',
    'lab-bbb',
    'scale',
    'open',
    'critical',
    'csv',
    'xlsx',
    'json',
  ),
  fc.integer().map(String),
  fc.string({ maxLength: 50 }),
);
const query = fc.oneof(
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 10 })),
      fc.oneof(queryValue, fc.array(queryValue, { minLength: 2, maxLength: 3 })),
      { maxKeys: 5 },
    )
    .map((d) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(d)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      return p.toString();
    }),
  fc.constantFrom('%zz', '&&=&', 'from&to', 'limit=1&limit=2', '__proto__=1', 'constructor[prototype]=1', 'a[b]=c'),
);
const body = fc.oneof(
  { weight: 3, arbitrary: anyJson.map((j) => ({ payload: JSON.stringify(j), type: 'application/json' })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => ({ payload: s, type: 'application/json' })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => ({ payload: s, type: 'text/plain' })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '[', '{"a":', '\u0000', '{"checks":[{}]}')
      .map((payload) => ({ payload, type: 'application/json' })),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const extraHeaders = fc.record(
  {
    'accept-language': fc.oneof(fc.constantFrom('vi', 'en', 'en-US,en;q=0.9', '*', ''), fc.string({ maxLength: 20 })),
    cookie: fc.oneof(fc.constantFrom('metronet_session=', 'metronet_session=abc', 'metronet_session=%zz;;', '='), fc.string({ maxLength: 40 })),
    accept: fc.constantFrom('application/json', 'text/csv', '*/*', 'text/html', 'x/y'),
    'x-forwarded-for': fc.constantFrom('127.0.0.9', 'not-an-ip', ''),
  },
  { requiredKeys: [] },
);
const forgedAuth = fc.oneof(
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer mtn_', 'Basic dXNlcjpwYXNz', 'bearer mtn_x', `Bearer ${'a'.repeat(5000)}`),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 60 }),
);

describe('every route, every role: hostile parameters, queries, bodies and headers', () => {
  withApp();
  it(
    'never answers 5xx; errors carry {"error":{"code","message"}}',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ROUTES),
          fc.constantFrom(...SUBJECTS),
          forgedAuth,
          fc.array(segment(), { minLength: 2, maxLength: 2 }),
          query,
          body,
          extraHeaders,
          async (route, who, forged, [id, channel], q, b, headers) => {
            count(`rest: ${who === 'nobody' || who === 'forged' ? 'unauthenticated' : who}`);
            const url = route.path
              .replace(':id', encodeURIComponent(id!))
              .replace(':channel', encodeURIComponent(channel!))
              .replace(':name', encodeURIComponent(channel!));
            const withBody = route.method !== 'GET' && b !== undefined;
            const res = await app.inject({
              method: route.method as 'GET',
              url: q ? `${url}?${q}` : url,
              headers: { ...headers, ...authOf(who, forged), ...(withBody ? { 'content-type': b.type } : {}) },
              ...(withBody ? { payload: b.payload } : {}),
            });
            expectContract(res, `${route.method} ${url}?${q} as ${who}`);
          },
        ),
        fuzzParams(800, [
          // Found by this property: a path parameter over fastify's 100-character limit on a route
          // with a body answered fastify's own error shape (414), not the API's (fixed: frameworkErrors).
          [{ method: 'PUT', path: '/api/v1/references/:id' }, 'admin', 'Bearer ', ['x'.repeat(300), ''], '%zz', { payload: '', type: 'application/json' }, {}],
          [{ method: 'GET', path: '/api/v1/instruments/:id/readings' }, 'authority', '', ['%E0%A4%A', 'mass'], 'from=1', undefined, {}],
          // Found by this property: `offset=Infinity` passed ajv's integer check (coerced to the number
          // Infinity) and reached SQLite as a non-integer OFFSET (fixed: ajv strictNumbers).
          [{ method: 'GET', path: '/api/v1/instruments' }, 'admin', 'Bearer ', ['', 'A'], 'offset=Infinity', { payload: '', type: 'application/json' }, {}],
          [{ method: 'GET', path: '/api/v1/alerts' }, 'authority', '', ['', 'A'], 'limit=-Infinity&offset=NaN', undefined, {}],
        ]),
      );
    },
    timeout(40_000),
  );
});

// ── valid generated bodies are accepted ──────────────────────────────────────

let unique = 0;
const next = (prefix: string) => `${prefix}-${++unique}`;
const real = (min = -1e6, max = 1e6) => fc.double({ min, max, noNaN: true });
const positive = (max = 1e3) => fc.double({ min: 1e-9, max, noNaN: true });
const text = (max: number) => fc.string({ minLength: 1, maxLength: max });

interface Valid {
  who: Role;
  method: 'POST' | 'PUT';
  url: () => string;
  body: fc.Arbitrary<() => Record<string, unknown>>;
}

const VALID: Record<string, Valid> = {
  // The enterprise's own working standard: a check may name only a standard its caller may use.
  'checks (enterprise)': {
    who: 'enterprise',
    method: 'POST',
    url: () => `/api/v1/instruments/${T.a.inst}/checks`,
    body: fc
      .array(
        fc.oneof(
          fc.record({
            channel: fc.constant('mass'),
            ts: fc.integer({ min: NOW - 365 * DAY, max: NOW }),
            reference: fc.constant('REF-ent-a'),
            indicated: real(19, 21),
          }),
          fc.record({
            channel: fc.constant('mass'),
            ts: fc.integer({ min: NOW - 365 * DAY, max: NOW }),
            referenceValue: real(),
            referenceU: positive(),
            indicated: real(),
          }),
        ),
        { minLength: 1, maxLength: 5 },
      )
      .map((checks) => () => ({ checks, by: 'fuzz' })),
  },
  'channel metrology (lab)': {
    who: 'lab',
    method: 'PUT',
    url: () => `/api/v1/instruments/${T.a.inst}/channels/mass/metrology`,
    body: fc
      .oneof(
        fc.record({
          tolerance: fc.oneof(
            fc.constant(null),
            fc.record({ model: fc.constant('absolute'), mpe: positive() }),
            fc.record({ model: fc.constant('oiml-r76'), accuracyClass: fc.constantFrom('I', 'II', 'III', 'IIII'), e: fc.constantFrom(0.001, 0.01, 0.1, 1) }),
          ),
          repeatability: fc.oneof(fc.constant(null), positive(10)),
          analyser: fc.constant(false),
        }),
        // An analyser channel is judged against its span (the EPA rule needs one).
        fc.record({
          tolerance: fc.record({ model: fc.constant('analyser'), span: positive(), gas: fc.constantFrom('so2', 'no2', 'co') }),
          repeatability: fc.oneof(fc.constant(null), positive(10)),
          analyser: fc.constant(true),
        }),
      )
      .map((b) => () => b),
  },
  'reference (lab)': {
    who: 'lab',
    method: 'POST',
    url: () => '/api/v1/references',
    body: fc
      .record({
        quantity: text(40),
        unit: fc.constantFrom('kg', 'L', 'g'),
        nominal: real(),
        value: real(),
        U: positive(),
        k: fc.constantFrom(1, 2, 2.5),
        class: fc.option(text(20)),
        calibratedOn: fc.option(fc.integer({ min: NOW - 400 * DAY, max: NOW })),
        due: fc.option(fc.integer({ min: NOW, max: NOW + 400 * DAY })),
      })
      .map((b) => () => ({ id: next('REF-fuzz'), lab: T.a.lab, ...b })),
  },
  'instrument registration (enterprise)': {
    who: 'enterprise',
    method: 'POST',
    url: () => '/api/v1/instruments',
    body: fc
      .record(
        {
          kind: fc.constantFrom('scale', 'fuel_dispenser', 'env_station', 'taximeter', 'water_meter', 'other'),
          name: fc.option(fc.string({ maxLength: 200 })),
          serial: fc.option(fc.string({ maxLength: 100 })),
          site: fc.option(fc.string({ maxLength: 300 })),
          lab: fc.option(fc.constant(T.a.lab)),
        },
        { requiredKeys: ['kind'] },
      )
      .map((b) => () => ({ id: next('INST-fuzz'), org: T.a.ent, ...b })),
  },
  'calibration (lab)': {
    who: 'lab',
    method: 'POST',
    url: () => `/api/v1/instruments/${T.a.inst}/calibrations`,
    body: fc
      .record(
        {
          // Calibrations: a verification's standard must also fit the channel's tolerance, which other
          // generated bodies here change at random (test/records covers verifications).
          type: fc.constant('calibration'),
          date: fc.integer({ min: NOW - 300 * DAY, max: NOW }),
          procedure: fc.string({ maxLength: 200 }),
          results: fc.array(
            fc.record({
              channel: fc.constant('mass'),
              unit: fc.constant('kg'),
              nominal: real(0, 1000),
              asFound: real(-1, 1),
              asLeft: fc.option(real(-1, 1)),
              // Below the channel's MPE (0.05 kg): guarded acceptance can decide (U ≥ MPE is refused for a verification).
              U: positive(0.04),
            }),
            { minLength: 1, maxLength: 5 },
          ),
          references: fc.constant([T.a.ref]),
          decisionRule: fc.constantFrom('simple', 'guarded'),
          authorisedBy: text(100),
          intervalDays: fc.integer({ min: 1, max: 3650 }),
        },
        { requiredKeys: ['type', 'date', 'results', 'references', 'authorisedBy'] },
      )
      .map((b) => () => ({ ...b, certificate: next('CERT-fuzz') })),
  },
  'token (each role)': {
    who: 'authority',
    method: 'POST',
    url: () => '/api/v1/tokens',
    body: fc.record({ name: fc.string({ maxLength: 100 }), ttlDays: fc.integer({ min: 1, max: 365 }) }, { requiredKeys: [] }).map((b) => () => b),
  },
  'webhook (enterprise)': {
    who: 'enterprise',
    method: 'POST',
    url: () => '/api/v1/webhooks',
    body: fc
      .record({ path: fc.webPath(), secret: fc.option(fc.string({ minLength: 16, maxLength: 200 }), { nil: undefined }) })
      .map(({ path, secret }) => () => ({ org: T.a.ent, url: `http://127.0.0.1:9${path}`.slice(0, 500), ...(secret ? { secret } : {}) })),
  },
};

describe('valid generated bodies are accepted', () => {
  withApp();
  for (const [name, v] of Object.entries(VALID)) {
    it(
      name,
      async () => {
        await fc.assert(
          fc.asyncProperty(v.body, async (make) => {
            count(`rest valid body: ${name}`);
            const payload = make();
            const res = await app.inject({ method: v.method, url: v.url(), headers: f.auth[v.who], payload });
            expect(res.statusCode, `${v.method} ${v.url()} ${JSON.stringify(payload).slice(0, 300)} → ${res.body.slice(0, 300)}`).toBeLessThan(300);
          }),
          fuzzParams(name.startsWith('checks') ? 30 : 60),
        );
      },
      timeout(20_000),
    );
  }

  it(
    'extreme but finite numbers in valid places: accepted or refused with a reason, never 5xx',
    async () => {
      const extreme = fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e300, -1e300, 0),
      );
      await fc.assert(
        fc.asyncProperty(extreme, extreme, extreme, fc.integer({ min: 0, max: NOW }), async (indicated, referenceValue, referenceU, ts) => {
          count('rest: extreme numbers');
          const res = await app.inject({
            method: 'POST',
            url: `/api/v1/instruments/${T.a.inst}/checks`,
            headers: f.auth.enterprise,
            payload: { checks: [{ channel: 'mass', ts, referenceValue, referenceU: Math.abs(referenceU), indicated }] },
          });
          expectContract(res, `checks ${indicated} ${referenceValue} ${referenceU}`);
          for (const path of [
            `/api/v1/instruments/${T.a.inst}/drift`,
            `/api/v1/instruments/${T.a.inst}/state`,
            `/api/v1/instruments/${T.a.inst}/checks?limit=5`,
            '/api/v1/overview',
          ]) {
            expectContract(await app.inject({ method: 'GET', url: path, headers: f.auth.enterprise }), path);
          }
        }),
        // Found by this property: referenceU = Number.MAX_VALUE was stored, and the drift view's
        // expanded uncertainty (a root of squares) overflowed to Infinity: GET …/drift answered 500
        // (fixed: the analytics engine refuses check magnitudes beyond ±1e15 with a reason).
        fuzzParams(40, [
          [0, 0, Number.MAX_VALUE, 0],
          [1e300, -1e300, 0, 1],
        ]),
      );
    },
    timeout(20_000),
  );

  it(
    'extreme metrology settings: accepted or refused with a reason; the drift view never 5xx',
    async () => {
      const extreme = fc.oneof(
        fc.double({ min: 1e-300, noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(Number.MAX_VALUE, Number.MIN_VALUE, 1e300, 1e-300),
      );
      await fc.assert(
        fc.asyncProperty(extreme, extreme, fc.double({ min: -1e15, max: 1e15, noNaN: true }), async (mpe, repeatability, indicated) => {
          count('rest: extreme numbers');
          const put = await app.inject({
            method: 'PUT',
            url: `/api/v1/instruments/${T.a.inst}/channels/mass/metrology`,
            headers: f.auth.lab,
            payload: { tolerance: { model: 'absolute', mpe }, repeatability, analyser: false },
          });
          expectContract(put, `metrology mpe ${mpe} repeatability ${repeatability}`);
          const post = await app.inject({
            method: 'POST',
            url: `/api/v1/instruments/${T.a.inst}/checks`,
            headers: f.auth.enterprise,
            payload: { checks: [{ channel: 'mass', ts: NOW - 1000, referenceValue: 0, referenceU: 0.001, indicated }] },
          });
          expectContract(post, `check ${indicated}`);
          for (const path of [`/api/v1/instruments/${T.a.inst}/drift`, `/api/v1/instruments/${T.a.inst}/state`, '/api/v1/overview']) {
            expectContract(await app.inject({ method: 'GET', url: path, headers: f.auth.lab }), path);
          }
        }),
        // Found by this property: repeatability = Number.MAX_VALUE was stored and the drift view's
        // uncertainty overflowed (500); fixed by bounding tolerances and repeatability (MAX_MAGNITUDE).
        fuzzParams(30, [
          [1e-300, Number.MAX_VALUE, 0],
          [Number.MAX_VALUE, 1, 1e15],
        ]),
      );
    },
    timeout(20_000),
  );
});
