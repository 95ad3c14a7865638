import { Type, type Static } from '@sinclair/typebox';
import { Check as CoreCheck, ID_PATTERN, IdempotencyKey, INSTRUMENT_KINDS, Nullable, Opt, READING_STATUSES, StringEnum } from '../core/index.js';
import { DELIVERY_REASONS } from '../core/net-guard.js';

/** Response and request schemas of the REST API: validation, serialisation (no field leaks) and OpenAPI. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code from the error catalogue, e.g. E_UNKNOWN_INSTRUMENT' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

export const ChannelView = Type.Object({
  channel: Type.String(),
  unit: Type.String(),
  value: Nullable(Type.Number()),
  ts: Nullable(Type.Integer({ description: 'epoch ms of the latest reading' })),
  status: Nullable(StringEnum(READING_STATUSES)),
});

export const InstrumentView = Type.Object({
  id: Type.String(),
  org: Type.String(),
  orgName: Nullable(Type.String()),
  registration: StringEnum(['registered', 'unregistered'] as const),
  kind: Nullable(StringEnum(INSTRUMENT_KINDS)),
  name: Nullable(Type.String()),
  serial: Nullable(Type.String()),
  site: Nullable(Type.String()),
  province: Nullable(Type.String({ description: 'province code where it stands (GET /admin-units)' })),
  commune: Nullable(Type.String({ description: 'commune, ward or special zone code where it stands' })),
  gateway: Nullable(Type.String()),
  profile: Nullable(Type.String()),
  lastSeen: Nullable(Type.Integer()),
  channels: Type.Array(ChannelView),
});
export type InstrumentView = Static<typeof InstrumentView>;

export const InstrumentList = Type.Object({
  items: Type.Array(InstrumentView),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const InstrumentListQuery = Type.Object({
  org: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  kind: Type.Optional(StringEnum(INSTRUMENT_KINDS)),
  registration: Type.Optional(StringEnum(['registered', 'unregistered'] as const)),
  q: Type.Optional(Type.String({ maxLength: 100 })),
  province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$', description: 'only instruments in this province (where they stand, else their organisation)' })),
  commune: Type.Optional(Type.String({ pattern: '^[0-9]{5}$', description: 'only instruments in this commune, ward or special zone' })),
  ids: Type.Optional(
    Type.String({ maxLength: 40_000, description: 'only these instruments: ids separated by commas, at most 500 (the rows of a page the client filtered)' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });

export const TimeParam = Type.String({
  description: 'epoch milliseconds, or an ISO 8601 date-time, or relative to now: -15m, -24h, -30d',
  maxLength: 40,
});

export const ReadingsQuery = Type.Object({
  channel: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  every: Type.Optional(Type.String({ pattern: '^\\d+(ms|s|m|h|d)?$', description: 'bucket width: 500ms, 10s, 5m, 1h, 1d (bare number = ms)' })),
  limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
});

export const ReadingPointView = Type.Object({
  ts: Type.Integer(),
  value: Type.Number(),
  status: Type.Optional(StringEnum(READING_STATUSES)),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  count: Type.Optional(Type.Integer()),
});

export const ReadingsView = Type.Object({
  instrument: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  every: Nullable(Type.Integer({ description: 'bucket width in ms, null for raw points' })),
  series: Type.Array(Type.Object({ channel: Type.String(), unit: Nullable(Type.String()), points: Type.Array(ReadingPointView) })),
});

export const Health = Type.Object({
  status: StringEnum(['ok', 'degraded'] as const),
  version: Type.String(),
  uptimeS: Type.Number(),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) })),
});

// ── analytics (issue 5) ───────────────────────────────────────────────────

export const CheckIn = Type.Object(
  {
    channel: Type.String({ pattern: ID_PATTERN }),
    ts: Type.Integer({ minimum: 0, description: 'epoch ms of the check' }),
    reference: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'reference standard id from the registry' })),
    referenceValue: Type.Optional(Type.Number({ description: 'conventional value when no registry standard is named' })),
    referenceU: Type.Optional(Type.Number({ minimum: 0, description: 'expanded uncertainty (k=2) of referenceValue' })),
    indicated: Type.Number(),
    id: Type.Optional(CoreCheck.properties.id),
  },
  { additionalProperties: false },
);

export const ChecksPost = Type.Object(
  {
    checks: Type.Array(CheckIn, { minItems: 1, maxItems: 5000 }),
    by: Type.Optional(Type.String({ maxLength: 100, description: "ignored (issue 15): a check's author is the signed-in principal, never a body field" })),
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);

export const CheckView = Type.Object({
  id: Type.Integer(),
  instrument: Type.String(),
  channel: Type.String(),
  ts: Type.Integer(),
  reference: Nullable(Type.String()),
  referenceValue: Type.Number(),
  referenceU: Nullable(Type.Number()),
  indicated: Type.Number(),
  error: Type.Number(),
  source: Type.String(),
  by: Nullable(Type.String()),
  traceable: Type.Boolean(),
  traceReason: Nullable(Type.String()),
  review: Nullable(Type.String({ description: 'why the check is under review (reverse traceability), or null' })),
  clientId: Nullable(Type.String({ description: 'client-supplied check id (part of the identity), or null' })),
  fitness: Nullable(
    Type.String({
      description: 'why the check is flagged: its standard (expired, U > MPE/3) or its load (below Min, above Max, below the MMQ); null when neither',
    }),
  ),
});

const AlertRef = Type.Object({ id: Type.Integer(), kind: Type.String(), event: Type.String(), severity: Type.String() });

export const ChecksPostResult = Type.Object({
  stored: Type.Integer({ description: 'checks stored by this submission (a repeat under its idempotency key: by its first request)' }),
  duplicate: Type.Boolean({ description: 'the request repeats an earlier one under the same idempotency key: nothing stored again, the first answer given' }),
  duplicates: Type.Integer({ description: 'checks already stored (same identity)' }),
  rejects: Type.Array(
    Type.Object({
      index: Type.Integer(),
      code: Type.String(),
      message: Type.String({ description: 'in the language of Accept-Language (vi or en)' }),
      field: Type.Optional(Type.String()),
      rule: Type.Optional(Type.String()),
    }),
  ),
  alerts: Type.Array(AlertRef),
  checks: Type.Array(CheckView),
});

export const ChecksQuery = Type.Object({
  channel: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  from: Type.Optional(TimeParam),
  to: Type.Optional(TimeParam),
  limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
});

export const ChecksList = Type.Object({ instrument: Type.String(), items: Type.Array(CheckView) });

export const DriftChannelView = Type.Object({
  channel: Type.String(),
  n: Type.Integer({ description: 'decision checks since the last calibration' }),
  untraceable: Type.Integer(),
  underReview: Type.Integer(),
  lastTs: Nullable(Type.Integer()),
  currentError: Nullable(Type.Number()),
  mpe: Nullable(Type.Number({ description: "MPE at the last check's load, from mpeFor (analytics/tolerance.ts) at `mpeStage`" })),
  mpeStage: Type.Optional(
    Nullable(Type.String({ description: "'in-service' (checks; R76-1 3.5.2: twice the verification MPE) or 'verification'; null without an MPE" })),
  ),
  U: Nullable(Type.Number({ description: 'expanded uncertainty (k=2) of the current error' })),
  sigma: Nullable(Type.Number()),
  conformity: Nullable(
    Type.Object({ decision: Type.String(), zone: Type.String(), rule: Type.String(), acceptanceLimit: Type.Number(), statement: Type.String() }),
  ),
  trend: Nullable(
    Type.Object({
      slopePerDay: Type.Number(),
      slopeCi95: Type.Array(Type.Number()),
      s: Type.Number(),
      significant: Type.Boolean({ description: 'slope significant at 95 % (two-sided)' }),
      significantForAlert: Type.Boolean({ description: 'slope significant at the alerting level (99 %), with enough points' }),
      pointTs: Nullable(Type.Integer()),
      predictedTs: Nullable(Type.Integer({ description: 'date the one-sided 95 % prediction bound reaches ±MPE' })),
      side: Nullable(Type.Integer()),
      fit: Type.Optional(
        Type.Object(
          {
            originTs: Type.Number({ description: 'epoch ms of day 0 of the fit' }),
            intercept: Type.Number(),
            tMean: Type.Number({ description: 'mean check time, days since originTs' }),
            sxx: Type.Number(),
            n: Type.Integer(),
            q: Type.Number({ description: 't-quantile (prediction level, n−2) × s: the band is ŷ ± q·√(1 + 1/n + (d − tMean)²/sxx)' }),
          },
          { description: 'the fitted line and its prediction band, for charts' },
        ),
      ),
      series: Type.Optional(Type.String({ description: 'analysers: the series fitted, zero or span checks (the one that warns first)' })),
    }),
  ),
  cusum: Type.Object({
    hi: Type.Number(),
    lo: Type.Number(),
    target: Nullable(Type.Number()),
    recentSignal: Nullable(Type.Object({ ts: Type.Integer(), direction: Type.String() })),
    series: Type.Optional(Type.String({ description: 'analysers: the series of these statistics, zero or span checks' })),
  }),
  normalised: StringEnum(['none', 'mpe-fraction'] as const, {
    description:
      "'mpe-fraction': the checks since the last calibration have more than one MPE (several loads), so sigma, trend (predicted against ±1) and cusum are in fractions of the MPE at each check's load (error ÷ MPE); currentError, mpe, U and conformity stay in the channel unit. 'none': all in the channel unit, the trend against ±mpe",
  }),
  mpeByLoad: Type.Optional(
    Type.Array(Type.Object({ load: Type.Number(), mpe: Type.Number() }), {
      description: "normalised 'mpe-fraction' only: the MPE (in service, mpeFor) at each load (reference value) checked, for charts to divide errors by",
    }),
  ),
  byLevel: Type.Optional(
    Type.Object(
      { zero: Type.Unknown(), span: Type.Unknown() },
      { description: 'analysers: n, sigma, trend and cusum of the zero and of the span checks apart' },
    ),
  ),
  analyser: Nullable(
    Type.Object({
      outOfControl: Type.Boolean(),
      reason: Nullable(Type.String()),
      suspectSince: Nullable(Type.Integer()),
      consecutiveOver2x: Type.Integer(),
      series: Type.Optional(Nullable(Type.String({ description: 'the series out of control: zero, span or both (zero and span checks are judged apart)' }))),
    }),
  ),
  unfit: Type.Integer({ description: 'checks whose standard was not fit: expired, or U > MPE/3 at the load (issue 15)' }),
  traceability: Type.Object({
    lastCheckTraceable: Nullable(Type.Boolean()),
    reason: Nullable(Type.String()),
    fitness: Nullable(Type.String({ description: "why the last check's standard was not fit, or null" })),
  }),
});

export const DriftView = Type.Object({
  instrument: Type.String(),
  lab: Nullable(Type.String()),
  lastCalibration: Nullable(Type.Integer()),
  nextDue: Nullable(Type.Integer()),
  dueState: StringEnum(['ok', 'due_soon', 'overdue', 'unknown'] as const),
  interval: Type.Object(
    {
      months: Nullable(Type.Integer()),
      days: Nullable(Type.Integer()),
      basis: StringEnum(['legal-list', 'service-override', 'none'] as const),
      row: Nullable(Type.String({ description: 'the row of the Group 2 list (core/legal/verification-intervals.ts)' })),
      status: Nullable(
        StringEnum(['appendix-read', 'appendix-not-read'] as const, {
          description: 'whether the interval was read in the appendix of Circular 23/2013/TT-BKHCN as amended; appendix-not-read: from a summary or procedure',
        }),
      ),
      statusText: Nullable(Type.Object({ en: Type.String(), vi: Type.String() })),
      source: Nullable(Type.Object({ document: Type.String(), item: Type.String(), url: Type.String() })),
    },
    { description: 'the verification interval, where it comes from, and how directly its source was read' },
  ),
  intervalAdvice: Type.Object({
    method: Type.String(),
    currentDays: Type.Number(),
    suggestedDays: Type.Number(),
    reason: Type.String(),
    observedReliability: Type.Optional(Type.Number()),
    rejectionConfidence: Type.Optional(Type.Number()),
  }),
  channels: Type.Array(DriftChannelView),
});

/**
 * A nullable number in a request body as one JSON Schema type list, not a union: with Ajv's
 * coerceTypes each union branch coerces — number first turns null into 0 (an as-left error of 0
 * where none was stated), null first turns 0 into null. A type list coerces only what is neither.
 */
const NullOrNumber = (o: Parameters<typeof Type.Number>[0] = {}) => Type.Unsafe<number | null>({ ...o, type: ['number', 'null'] });
const NullOrInteger = (o: Parameters<typeof Type.Integer>[0] = {}) => Type.Unsafe<number | null>({ ...o, type: ['integer', 'null'] });

export const TestPointIn = Type.Object(
  {
    channel: Type.String({ pattern: ID_PATTERN }),
    unit: Type.String({ maxLength: 16 }),
    nominal: Type.Number(),
    reference: Type.Optional(NullOrNumber()),
    asFound: Type.Number({ description: 'error before adjustment' }),
    asLeft: Type.Optional(NullOrNumber({ description: 'error after adjustment' })),
    U: Type.Number({ minimum: 0, description: 'expanded uncertainty' }),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 2 })),
    mpe: Type.Optional(NullOrNumber({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

/**
 * What a verification or calibration record carries beyond its results ("Records a province can
 * rely on", section 6; docs/legal-records.md): a verification's legal marks (Circular 24/2013/TT-BKHCN
 * Art. 38–40) and a certificate's ISO/IEC 17025:2017 7.8.2/7.8.4 contents.
 */
export const RecordContentIn = Type.Object({
  designation: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: "verification: the designation it is issued under (must be the caller's, valid at the date); default: the caller's valid one",
    }),
  ),
  stamp: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'verification stamp (tem kiểm định) number' })),
  seals: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 50, description: 'seal (kẹp chì) numbers placed; written in the seal register' }),
  ),
  verifier: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'verifier (kiểm định viên) name' })),
  verifierCard: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: "verifier's card (thẻ kiểm định viên) number" })),
  issuedAt: Type.Optional(Type.Integer({ minimum: 0, description: 'date of issue, epoch ms' })),
  place: Type.Optional(StringEnum(['on_site', 'lab'] as const, { description: 'where the work was done (ISO/IEC 17025 7.8.2.1 c)' })),
  customer: Type.Optional(Type.String({ maxLength: 200 })),
  manufacturer: Type.Optional(Type.String({ maxLength: 200 })),
  model: Type.Optional(Type.String({ maxLength: 200 })),
  patternApproval: Type.Optional(Type.String({ maxLength: 100, description: 'pattern approval (phê duyệt mẫu) number' })),
  traceability: Type.Optional(Type.String({ maxLength: 500, description: 'metrological traceability statement (ISO/IEC 17025 7.8.4.1 c)' })),
  coverageK: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
  coverageProbability: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'e.g. 0.95' })),
  signatory: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the signatory as printed; the author stored is the signed-in user' })),
});

export const CalibrationPost = Type.Object(
  {
    type: StringEnum(['calibration', 'verification'] as const),
    date: Type.Integer({ minimum: 0 }),
    lab: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    certificate: Type.String({ minLength: 1, maxLength: 100, description: 'unique certificate number' }),
    procedure: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. ĐLVN 10:2017' })),
    conditions: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'environmental conditions, e.g. {"temperatureC":26.5}' })),
    results: Type.Array(TestPointIn, { minItems: 1, maxItems: 200 }),
    references: Type.Array(Type.String({ pattern: ID_PATTERN }), { maxItems: 50 }),
    decisionRule: Type.Optional(StringEnum(['simple', 'guarded'] as const)),
    statement: Type.Optional(Type.String({ maxLength: 1000 })),
    authorisedBy: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'deprecated: the author stored is the signed-in user; a name given here is kept as the printed signatory',
      }),
    ),
    intervalDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    ...RecordContentIn.properties,
  },
  { additionalProperties: false },
);

export const TestPointView = Type.Object({
  channel: Type.String(),
  unit: Type.String(),
  nominal: Type.Number(),
  reference: Type.Optional(Nullable(Type.Number())),
  asFound: Type.Number(),
  asLeft: Type.Optional(Nullable(Type.Number())),
  U: Type.Number(),
  k: Type.Optional(Type.Number()),
  mpe: Type.Optional(Nullable(Type.Number())),
  mpeStage: Type.Optional(
    Nullable(Type.String({ description: "the stage `mpe` is for: 'verification' (R76-1 3.5.1) from the channel's tolerance; null: stated by the lab" })),
  ),
  conformity: Type.Optional(Nullable(Type.String())),
});

export const CalibrationView = Type.Object({
  id: Type.Integer(),
  instrument: Type.String(),
  type: Type.String(),
  date: Type.Integer(),
  lab: Type.String(),
  certificate: Type.String(),
  procedure: Nullable(Type.String()),
  conditions: Nullable(Type.Record(Type.String(), Type.Unknown())),
  results: Type.Array(TestPointView),
  references: Type.Array(Type.String()),
  result: Type.String(),
  decisionRule: Type.String(),
  statement: Nullable(Type.String()),
  authorisedBy: Type.String(),
  intervalDays: Nullable(Type.Integer()),
  nextDue: Nullable(Type.Integer()),
  review: Nullable(Type.String()),
  createdAt: Type.Integer(),
  status: StringEnum(['valid', 'superseded', 'voided'] as const, { description: 'ISO/IEC 17025:2017 7.8.8: corrected records stay, marked' }),
  supersedes: Nullable(Type.Integer()),
  supersededBy: Nullable(Type.Integer()),
  statusReason: Nullable(Type.String()),
  statusBy: Nullable(Type.String()),
  statusAt: Nullable(Type.Integer()),
  author: Nullable(Type.String({ description: 'the signed-in user who recorded it' })),
  content: Nullable(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'legal marks and certificate contents (RecordContentIn), and the reason of a superseding record',
    }),
  ),
});

export const CalibrationList = Type.Object({ instrument: Type.String(), items: Type.Array(CalibrationView) });

/** Where a traceability chain ends (store/records.ts TraceAnchor; ILAC P10:07/2020, ISO/IEC 17025:2017 6.5). */
export const TraceAnchorIn = Type.Object(
  {
    kind: StringEnum(['national_standard', 'accredited_certificate'] as const, {
      description: 'a national measurement standard, or a certificate from an accredited (ILAC MRA) calibration laboratory',
    }),
    issuer: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. Viện Đo lường Việt Nam (VMI)' }),
    certificate: Type.Optional(Nullable(Type.String({ maxLength: 100, description: 'certificate number' }))),
    date: Type.Optional(Nullable(Type.Integer({ description: 'certificate date, epoch ms' }))),
  },
  { additionalProperties: false },
);
export const TraceAnchorView = Type.Object({
  kind: StringEnum(['national_standard', 'accredited_certificate'] as const),
  issuer: Type.String(),
  certificate: Nullable(Type.String()),
  date: Nullable(Type.Integer()),
});

export const ReferenceIn = Type.Object(
  {
    lab: Type.String({ pattern: ID_PATTERN }),
    quantity: Type.String({ maxLength: 40, description: 'e.g. mass, volume, SO2 concentration' }),
    unit: Type.String({ maxLength: 16 }),
    nominal: Type.Number(),
    value: Type.Number({ description: 'conventional value from the certificate' }),
    U: Type.Number({ minimum: 0, description: 'expanded uncertainty' }),
    k: Type.Number({ exclusiveMinimum: 0, default: 2 }),
    class: Type.Optional(Nullable(Type.String({ maxLength: 20, description: 'e.g. OIML M1, class II test measure' }))),
    certificate: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    calibratedOn: Type.Optional(Nullable(Type.Integer())),
    due: Type.Optional(Nullable(Type.Integer())),
    parent: Type.Optional(Nullable(Type.String({ pattern: ID_PATTERN, description: 'standard this one is calibrated against' }))),
    outOfTolerance: Type.Optional(Type.Boolean({ description: 'found out of tolerance at its own calibration: triggers impact analysis' })),
    anchor: Type.Optional(
      Type.Union([TraceAnchorIn, Type.Null()], {
        description: 'where the chain ends, on a root standard (parent null): without it the chain is not traceable. Omitted: unchanged; null: removed',
      }),
    ),
  },
  { additionalProperties: false },
);
export const ReferenceCreate = Type.Object({ id: Type.String({ pattern: ID_PATTERN }), ...ReferenceIn.properties }, { additionalProperties: false });

export const ReferenceView = Type.Object({
  id: Type.String(),
  lab: Type.String(),
  quantity: Type.String(),
  unit: Type.String(),
  nominal: Type.Number(),
  value: Type.Number(),
  U: Type.Number(),
  k: Type.Number(),
  class: Nullable(Type.String()),
  certificate: Nullable(Type.String()),
  calibratedOn: Nullable(Type.Integer()),
  due: Nullable(Type.Integer()),
  parent: Nullable(Type.String()),
  outOfTolerance: Type.Boolean(),
  anchor: Type.Union([TraceAnchorView, Type.Null()], { description: "this standard's own anchor" }),
  traceability: Type.Object({
    traceable: Type.Boolean(),
    brokenLink: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    chain: Type.Array(Type.String()),
    anchor: Type.Union([TraceAnchorView, Type.Null()], { description: "the chain's anchor (its root's), when the chain is traceable" }),
  }),
  impact: Type.Optional(Type.Array(AlertRef)),
});

export const ReferenceList = Type.Object({ items: Type.Array(ReferenceView) });

export const AlertView = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  severity: Type.String(),
  state: Type.String(),
  subject: Type.String(),
  instrument: Nullable(Type.String()),
  channel: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  org: Nullable(Type.String()),
  lab: Nullable(Type.String()),
  message: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  openedAt: Type.Integer(),
  updatedAt: Type.Integer(),
  ackedAt: Nullable(Type.Integer()),
  ackedBy: Nullable(Type.String()),
  clearedAt: Nullable(Type.Integer()),
  code: Type.String({ description: 'stable text code (alert.<kind>[.<variant>]) for a client to write the alert in its language; see analytics/message.ts' }),
  params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]), {
    description: 'parameters of the text: numbers raw, times in epoch ms',
  }),
});

export const AlertsQuery = Type.Object({
  state: Type.Optional(StringEnum(['open', 'acknowledged', 'cleared', 'live'] as const, { description: 'live = open or acknowledged' })),
  kind: Type.Optional(Type.String({ maxLength: 40 })),
  severity: Type.Optional(StringEnum(['info', 'warning', 'critical'] as const)),
  org: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  lab: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  instrument: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const AlertList = Type.Object({ items: Type.Array(AlertView), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });

export const AckBody = Type.Object({ by: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false });

export const NumericIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const WebhookIn = Type.Object(
  {
    org: Type.String({ pattern: ID_PATTERN }),
    url: Type.String({ pattern: '^https?://', maxLength: 500 }),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const WebhookView = Type.Object({
  id: Type.Integer(),
  org: Type.String(),
  url: Type.String(),
  createdAt: Type.Integer(),
  secret: Type.Optional(Type.String({ description: 'returned once, on creation' })),
});
export const WebhookList = Type.Object({ items: Type.Array(WebhookView) });
/** A delivery as its tenant sees it: delivered, or failed with a reason class; never the receiver's status, body or address (issue 16). */
export const DeliveryList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      alert: Type.Integer(),
      event: Type.String(),
      state: StringEnum(['pending', 'delivered', 'failed'] as const),
      attempts: Type.Integer(),
      nextAt: Type.Integer(),
      reason: Nullable(
        StringEnum(DELIVERY_REASONS, {
          description:
            'why the last attempt failed: refused-address (not a public address and not allowlisted), dns, connect, tls, timeout, http-error (a non-2xx answer), redirect (3xx: never followed), invalid-url; null when delivered or not yet tried',
        }),
      ),
      deliveredAt: Nullable(Type.Integer()),
      createdAt: Type.Integer(),
    }),
  ),
});

// ── instruments (onboarding, issue 6; also `metronet admin instrument`) ─────

/** What an organisation states about its instrument; absent fields keep their value, null clears. */
export const InstrumentIn = Type.Object(
  {
    kind: StringEnum(INSTRUMENT_KINDS),
    name: Opt(Type.String({ maxLength: 200 })),
    serial: Opt(Type.String({ maxLength: 100 })),
    site: Opt(Type.String({ maxLength: 300 })),
    province: Opt(Type.String({ pattern: '^[0-9]{2}$', description: 'province code where it stands, in force since 1 July 2025 (GET /admin-units)' })),
    commune: Opt(Type.String({ pattern: '^[0-9]{5}$', description: 'commune, ward or special zone code, inside `province`' })),
    lab: Opt(Type.String({ pattern: ID_PATTERN, description: 'the lab that verifies or calibrates it' })),
    // A type list, not a union: 0 must be refused by `minimum`, not coerced to null (clearing the interval).
    intervalDays: Type.Optional(NullOrInteger({ minimum: 1, maximum: 3650, description: 'verification interval override, days; null clears it' })),
    lastVerification: Type.Optional(
      Type.Object(
        {
          date: Type.Integer({ minimum: 0, description: 'epoch ms of the verification' }),
          certificate: Type.String({ minLength: 1, maxLength: 100, description: 'certificate number (unique)' }),
          lab: Type.String({ pattern: ID_PATTERN, description: 'the lab that verified it' }),
          authorisedBy: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        },
        { additionalProperties: false, description: 'the last verification, recorded as a verification record: the due date follows from it' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type InstrumentIn = Static<typeof InstrumentIn>;
