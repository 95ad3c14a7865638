import { readFileSync } from 'node:fs';
import { Type, type Static, type TSchema, type TUnion } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { compile } from './validate.js';
import { Id, StringEnum, TopicId } from './ids.js';
import { MetronetError, type Issue } from './errors.js';
import { StationFileTemplate } from './station-file.js';
import { INSTRUMENT_KINDS } from './profile.js';
import { LIMITS } from './payloads.js';
import { SEAL_BREAK_VERIFY_WITHIN_DAYS } from './legal/records.js';

/**
 * Configuration: one schema per section, with defaults and descriptions; the loader reads YAML,
 * applies environment overrides, fills defaults and names file, path and rule on any error.
 */
const Port = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

export const MqttConnection = Type.Object(
  {
    url: Type.String({ default: 'mqtt://127.0.0.1:1883', description: 'broker URL: mqtt://, mqtts://, ws://' }),
    username: Type.Optional(Type.String({ description: 'login at the broker (a registry MQTT login: metronet admin mqtt add, gateway add)' })),
    password: Type.Optional(Type.String({ description: 'secret; never logged' })),
    clientId: Type.Optional(
      Type.String({ description: 'MQTT client id; a gateway defaults to its id, ingest and analytics use ingest.clientId and analytics.clientId' }),
    ),
    ca: Type.Optional(Type.String({ description: 'PEM file of the CA that signed the broker certificate (mqtts://)' })),
    cert: Type.Optional(Type.String({ description: "PEM file of this client's TLS certificate (client-certificate authentication)" })),
    key: Type.Optional(Type.String({ description: 'PEM file of the key of cert; secret, never logged' })),
    rejectUnauthorized: Type.Optional(Type.Boolean({ description: 'verify the broker certificate; default true' })),
  },
  { additionalProperties: false, default: {} },
);
export type MqttConnection = Static<typeof MqttConnection>;

/** A server certificate by file paths (issue 6): PEM certificate (chain) and key. */
export const TlsFiles = Type.Object(
  {
    cert: Type.String({ minLength: 1, description: 'PEM file of the server certificate, with its chain' }),
    key: Type.String({ minLength: 1, description: 'PEM file of its private key; secret, never logged' }),
    ca: Type.Optional(Type.String({ description: 'PEM file of a CA whose client certificates are requested (optional)' })),
  },
  { additionalProperties: false },
);
export type TlsFiles = Static<typeof TlsFiles>;

/**
 * The operations listener of a service process (issue 9): `GET /metrics` (Prometheus), `GET /health`
 * (liveness) and `GET /ready` (readiness, 503 with reasons). Off unless configured; the ports
 * suggested in the docs are 9101 ingest, 9102 analytics, 9103 broker, 9104 gateway.
 */
export const OpsListener = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'listen address of /metrics, /health and /ready; loopback by default (0.0.0.0 in a container)' }),
    port: Port(0, 'HTTP port of /metrics, /health and /ready (0 picks a free port)'),
  },
  { additionalProperties: false, description: 'operations endpoints of this service process; absent: none' },
);
export type OpsListener = Static<typeof OpsListener>;

/** Longest a service process drains in-flight work after SIGTERM before it gives up and exits non-zero. */
const ShutdownTimeoutMs = Type.Integer({
  minimum: 100,
  maximum: 600_000,
  default: 20_000,
  description: 'after SIGTERM: longest wait for in-flight work to drain (batches committed, spool flushed) before exiting non-zero',
});
export const DEFAULT_SHUTDOWN_TIMEOUT_MS: number = ShutdownTimeoutMs.default;

export const BrokerConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'listen address of the embedded broker; loopback by default' }),
    port: Port(1883, 'MQTT port of the embedded broker (0 picks a free port)'),
    tls: Type.Optional(TlsFiles),
    ops: Type.Optional(OpsListener),
    // Issue 16: limits enforced on the socket before aedes buffers a packet (broker/limits.ts);
    // the generated Mosquitto configuration sets the equivalents (broker/mosquitto.ts).
    maxPacketBytes: Type.Integer({
      minimum: 1024,
      maximum: 268_435_455,
      default: LIMITS.maxMessageBytes + 8192,
      description:
        "largest MQTT packet accepted, counted as Mosquitto's max_packet_size (remaining length + 1); default ingest's message limit (256 KiB) plus 8 KiB for topic and header. A larger one closes the connection once its fixed header is read",
    }),
    maxConnections: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description: "connections the embedded broker holds at once (net.Server maxConnections); Mosquitto's max_connections in the generated configuration",
    }),
    connectTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 10_000,
      description: 'a connection must send CONNECT and be signed in within this time, or it is closed',
    }),
    maxConnectBytes: Type.Integer({
      minimum: 256,
      maximum: 268_435_455,
      default: 65_536,
      description: 'bytes a connection may send before it is signed in (its CONNECT, will included)',
    }),
    maxConnectionsPerLogin: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 32,
      description:
        'connections one MQTT login may hold at once (a gateway needs one or two; ingest workers sharing a login, one each); one more is refused (CONNACK 3, server unavailable)',
    }),
    publishesPerSecond: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1_000_000,
      default: 100,
      description: 'PUBLISH packets per second a gateway login may send on average (all its connections); over the rate it is disconnected',
    }),
    publishBurst: Type.Integer({
      minimum: 1,
      maximum: 10_000_000,
      default: 1000,
      description: 'PUBLISH packets a gateway login may send at once above publishesPerSecond (the size of its token bucket)',
    }),
    authAttemptsPerLogin: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 5,
      description:
        'sign-ins of one login from one address that are checked at once; each further one waits a delay that doubles (1 s, 2 s, 4 s … at most 15 min); a success clears it',
    }),
    authAttemptsPerAddress: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 50,
      description: 'sign-ins from one address (any login) checked before the same doubling delay applies; successes are given back',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type BrokerConfig = Static<typeof BrokerConfig>;

export const ReadingsConfig = Type.Union(
  [
    Type.Object(
      { kind: Type.Literal('sqlite'), file: Type.Optional(Type.String({ description: 'default {dataDir}/readings.db' })) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('influx'),
        url: Type.String({ description: 'InfluxDB base URL, e.g. http://influxdb:8086' }),
        token: Type.Optional(Type.String({ description: 'secret; never logged' })),
        org: Type.Optional(Type.String({ description: 'InfluxDB 2/3 organisation of the bucket (writes go to /api/v2/write)' })),
        bucket: Type.String({ description: 'bucket (2.x, 3.x) or database (1.x); reads name it as the InfluxQL database, through a DBRP mapping on 2.x' }),
      },
      { additionalProperties: false },
    ),
  ],
  { default: { kind: 'sqlite' }, description: 'where readings are stored: sqlite (embedded, in dataDir) or influx' },
);
export type ReadingsConfig = Static<typeof ReadingsConfig>;

export const IngestConfig = Type.Object(
  {
    batchSize: Type.Integer({ minimum: 1, maximum: 50_000, default: 1000, description: 'readings per store write' }),
    flushMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 200, description: 'longest wait before a partial batch is written' }),
    maxFutureMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 300_000, description: 'how far ahead of the server clock a ts may be' }),
    maxClockSkewMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 86_400_000,
        default: 60_000,
        description:
          "a gateway whose live status is dated further from the server clock than this is recorded as an E_CLOCK_SKEW reject (its readings' times are off by as much)",
      }),
    ),
    // Issue 15, section 7: one status message once created fifty unregistered instruments under
    // ids another organisation was to use. Beyond these an unknown id is refused, E_UNREGISTERED_LIMIT.
    maxUnregisteredPerMessage: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 5000,
        default: 20,
        description: 'most unknown instruments one readings or status message may create as unregistered (the rest are refused, E_UNREGISTERED_LIMIT)',
      }),
    ),
    maxUnregisteredPerGatewayPerHour: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000,
        default: 50,
        description: 'most unregistered instruments one gateway may create in an hour',
      }),
    ),
    maxUnregisteredPerGateway: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000,
        default: 200,
        description: 'most unregistered instruments one gateway may hold at once; its organisation registers them to make room',
      }),
    ),
    clientId: Type.String({ default: 'metronet-ingest-1', description: 'fixed MQTT client id of this worker' }),
    shareGroup: Type.Optional(
      Id(
        'when set, workers subscribe through the shared subscription $share/{shareGroup}/metronet/v1/+/+/readings and split the stream (Mosquitto, EMQX, HiveMQ; not the embedded broker); e.g. metronet-ingest',
      ),
    ),
    ops: Type.Optional(OpsListener),
  },
  { additionalProperties: false, default: {} },
);
export type IngestConfig = Static<typeof IngestConfig>;

/** An instrument kind as a configuration key: `env_station` → `envStation` (keys are camelCase, as their environment variables map). */
export const kindKey = (kind: string) => kind.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export const DashboardConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'listen address; loopback by default' }),
    port: Port(8080, 'HTTP port (0 picks a free port)'),
    tls: Type.Optional(TlsFiles),
    secureCookies: Type.Optional(
      Type.Boolean({
        description:
          'the pages are served over HTTPS: the session cookie is __Host-metronet_session, Secure (default: true when dashboard.tls is set; set it behind a TLS-terminating proxy)',
      }),
    ),
    offlineAfterMs: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 30 * 86_400_000,
        default: 600_000,
        description: 'the dashboard shows an instrument offline when it has sent no reading for this long (states, overview, reports, live events)',
      }),
    ),
    ops: Type.Optional(OpsListener),
    reports: Type.Optional(
      Type.Object(
        {
          agency: Type.String({
            minLength: 1,
            maxLength: 200,
            default: 'Sở Khoa học và Công nghệ',
            description: 'issuing agency printed at the top left of every report in official form (CSV, XLSX, PDF)',
          }),
          agencyEn: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the agency in English reports (default: agency)' })),
          parentAgency: Type.Optional(
            Type.String({ minLength: 1, maxLength: 200, description: 'the governing body printed above the agency, e.g. "UBND tỉnh Lâm Đồng"' }),
          ),
          place: Type.Optional(
            Type.String({ minLength: 1, maxLength: 100, description: 'place name of the date line, e.g. "Lâm Đồng" in "Lâm Đồng, ngày 15 tháng 3 năm 2026"' }),
          ),
        },
        { additionalProperties: false, description: 'who issues the reports in official form' },
      ),
    ),
    maxStreamsPerUser: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 8,
        description:
          'live-event streams (GET /api/v1/events) one user may hold open at once, one per open page; the next is refused with E_LIMIT_REACHED until one closes',
      }),
    ),
    maxTokensPerUser: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        default: 50,
        description:
          'active API tokens (neither expired nor revoked) one user may hold; the next is refused with E_LIMIT_REACHED until one is revoked or expires',
      }),
    ),
    metricsToken: Type.Optional(
      Type.String({
        minLength: 32,
        description:
          'when set, GET /metrics is also served on the public port to a request with Authorization: Bearer <this token>; secret, never logged. Without it (and by default) the public port has no /metrics: scrape dashboard.ops',
      }),
    ),
    login: Type.Optional(
      Type.Object(
        {
          attemptsPerUserAddress: Type.Integer({
            minimum: 1,
            maximum: 1000,
            default: 5,
            description:
              'sign-ins of one user name from one address checked without delay (counted when they start); each further one waits a delay that doubles from 1 s up to maxDelayMs; the right password clears it',
          }),
          attemptsPerAddress: Type.Integer({
            minimum: 1,
            maximum: 100_000,
            default: 20,
            description: 'sign-ins from one address (any user name) checked before the same doubling delay applies; successful ones are given back',
          }),
          maxDelayMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 900_000, description: 'longest delay between two sign-ins of one key' }),
          hashConcurrency: Type.Integer({
            minimum: 1,
            maximum: 64,
            default: 2,
            description: 'password checks (scrypt, 128 MiB each) run at once; the others queue',
          }),
          hashQueue: Type.Integer({
            minimum: 0,
            maximum: 10_000,
            default: 16,
            description: 'password checks that may wait; beyond it a sign-in is refused at once (503 E_LOGIN_BUSY with Retry-After)',
          }),
          requestsPerMinute: Type.Integer({
            minimum: 1,
            maximum: 100_000,
            default: 30,
            description: 'requests to POST /auth/login per address per minute, whatever their outcome (checked before the body is read)',
          }),
        },
        { additionalProperties: false, default: {}, description: 'sign-in throttling (issue 16)' },
      ),
    ),
    offlineAfterMsByKind: Type.Optional(
      Type.Object(
        Object.fromEntries(
          INSTRUMENT_KINDS.map((k) => [
            kindKey(k),
            Type.Optional(Type.Integer({ minimum: 1000, maximum: 30 * 86_400_000, description: `offlineAfterMs for instruments of kind ${k}` })),
          ]),
        ),
        {
          additionalProperties: false,
          description:
            'offlineAfterMs per instrument kind (keys in camelCase: scale, fuelDispenser, envStation, …), overriding it; e.g. envStation: 1800000 for stations that send every 15 minutes',
        },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
);
export type DashboardConfig = Static<typeof DashboardConfig>;

export const AnalyticsConfig = Type.Object(
  {
    clientId: Type.String({ default: 'metronet-analytics-1', description: 'fixed MQTT client id (persistent session for checks)' }),
    evaluateEveryMs: Type.Integer({
      minimum: 1000,
      maximum: 86_400_000,
      default: 60_000,
      description: 'period of the time-based evaluation (due dates, expiry, offline)',
    }),
    offlineAfterMs: Type.Integer({ minimum: 1000, default: 3_600_000, description: 'an instrument not heard from for this long is offline' }),
    decisionRule: StringEnum(['simple', 'guarded'] as const, { default: 'simple', description: 'ILAC-G8:2019 decision rule for conformity' }),
    nearLimitFraction: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.8,
      description: 'a near_limit alert opens when an error exceeds this fraction of the MPE',
    }),
    dueSoonDays: Type.Integer({ minimum: 0, maximum: 365, default: 30, description: 'recall lead time when an organisation sets none' }),
    maxFutureMinutes: Type.Integer({
      minimum: 0,
      maximum: 60,
      default: 5,
      description:
        'clock tolerance for records (checks, calibrations, verifications): a record dated more than this many minutes after the server clock is refused (issue 15)',
    }),
    sealBreakDays: Type.Integer({
      minimum: 0,
      maximum: 365,
      default: SEAL_BREAK_VERIFY_WITHIN_DAYS,
      description:
        'days a broken seal (kẹp chì) of a scale or fuel dispenser may wait for a verification before the critical seal_broken alert; not a legal value: no text found sets it (docs/legal-records.md)',
    }),
    webhookMaxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 8, description: 'deliveries tried per alert and webhook before it is given up' }),
    webhookBackoffMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1000, description: 'first retry delay; doubles each attempt' }),
    webhookTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'timeout of one webhook request' }),
    // Issue 16, items 2 and 9: where webhooks may point, and how many an organisation may hold.
    webhooks: Type.Object(
      {
        allow: Type.Array(
          Type.String({
            pattern: '^(\\[[0-9A-Fa-f:.]+(/[0-9]{1,3})?\\](:[0-9]{1,5})?|[0-9A-Fa-f:.]+(/[0-9]{1,3})?|[0-9.]+(/[0-9]{1,2})?:[0-9]{1,5})$',
            description: 'an address, CIDR range or either with a port',
          }),
          {
            default: [],
            maxItems: 1000,
            description:
              'addresses webhooks may reach although they are not public (loopback, private, link-local, CGNAT, this host…): an address, a CIDR range, either with a port, e.g. ["127.0.0.1:5555", "10.0.0.0/8", "[fd00::1]:8443"]; a range never opens this host\'s own addresses, only an entry naming the address does',
          },
        ),
        maxPerOrg: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          default: 20,
          description: 'most webhooks one organisation may hold; one more is refused (E_WEBHOOK_LIMIT)',
        }),
      },
      { additionalProperties: false, default: {}, description: 'webhook targets and limits (issue 16)' },
    ),
    ops: Type.Optional(OpsListener),
  },
  { additionalProperties: false, default: {} },
);
export type AnalyticsConfig = Static<typeof AnalyticsConfig>;

export const ModbusTcpTransport = Type.Object(
  {
    kind: Type.Literal('modbus-tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502, description: 'TCP port of the device' }),
    unitId: Type.Integer({ minimum: 0, maximum: 255, default: 1, description: 'Modbus unit id (a device behind a Modbus TCP gateway has its own)' }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000, description: 'wait for one answer' }),
  },
  { additionalProperties: false },
);
export type ModbusTcpTransport = Static<typeof ModbusTcpTransport>;

const SerialLine = {
  path: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…' }),
  baudRate: Type.Integer({ minimum: 50, maximum: 4_000_000, default: 9600, description: 'line speed, bits per second' }),
  dataBits: Type.Union([Type.Literal(7), Type.Literal(8)], { default: 8, description: 'data bits per character' }),
  parity: StringEnum(['none', 'even', 'odd'] as const, { default: 'none', description: 'parity bit' }),
  stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1, description: 'stop bits' }),
};

/** Modbus RTU on an RS-232/RS-485 line; every device with the same path shares one bus. */
export const ModbusRtuTransport = Type.Object(
  {
    kind: Type.Literal('modbus-rtu'),
    ...SerialLine,
    unitId: Type.Integer({ minimum: 1, maximum: 247, default: 1, description: 'slave address 1–247 (Modbus over Serial Line V1.02 §2.2)' }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000, description: 'wait for one answer' }),
  },
  { additionalProperties: false },
);
export type ModbusRtuTransport = Static<typeof ModbusRtuTransport>;

/** Modbus RTU frames tunnelled through a serial server (RS-485 to Ethernet converter) over TCP. */
export const ModbusRtuTcpTransport = Type.Object(
  {
    kind: Type.Literal('modbus-rtu-tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 4001, description: 'TCP port of the serial server' }),
    unitId: Type.Integer({ minimum: 1, maximum: 247, default: 1, description: 'slave address on the line behind it' }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000, description: 'wait for one answer' }),
  },
  { additionalProperties: false },
);
export type ModbusRtuTcpTransport = Static<typeof ModbusRtuTcpTransport>;

/** An ASCII scale on a serial line; settings not given come from the profile's serial.line, then 9600 8N1. */
export const SerialAsciiTransport = Type.Object(
  {
    kind: Type.Literal('serial-ascii'),
    path: SerialLine.path,
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000, description: "line speed; default the profile's" })),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)], { description: "default the profile's" })),
    parity: Type.Optional(StringEnum(['none', 'even', 'odd'] as const, { description: "default the profile's" })),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: "default the profile's" })),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000, description: 'longest silence before a frame counts as lost' }),
  },
  { additionalProperties: false },
);
export type SerialAsciiTransport = Static<typeof SerialAsciiTransport>;

/**
 * Files a station's datalogger writes to a folder (issue 8): the gateway reads each file as the
 * template says, publishes its records as readings of the device's instrument and moves it to
 * `{dir}/.imported` (or `{dir}/.rejected` when nothing in it could be read).
 */
export const FileImportTransport = Type.Object(
  {
    kind: Type.Literal('file-import'),
    dir: Type.String({ minLength: 1, description: 'folder the datalogger writes its files to' }),
    pattern: Type.String({ default: '\\.txt$', description: 'regular expression a file name must match' }),
    settleMs: Type.Integer({
      minimum: 0,
      maximum: 600_000,
      default: 2000,
      description: 'a file is read only once unchanged this long (still being written otherwise)',
    }),
    template: Type.Optional(
      Type.Partial(StationFileTemplate, {
        additionalProperties: false,
        description: 'file layout; defaults in core/station-file.ts (not confirmed against the official annex)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type FileImportTransport = Static<typeof FileImportTransport>;

/**
 * A union told apart by `kind`: Ajv's discriminator picks the one branch, so an error names that
 * branch's field (transport/unitId must be <= 255) instead of every branch's complaint.
 */
const Tagged = <T extends TSchema[]>(schemas: [...T], description: string) =>
  Type.Unsafe<Static<TUnion<T>>>({ type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: schemas, description });

export const Transport = Tagged(
  [ModbusTcpTransport, ModbusRtuTransport, ModbusRtuTcpTransport, SerialAsciiTransport, FileImportTransport],
  'how the device is reached',
);
export type Transport = Static<typeof Transport>;

const ReportRule = {
  mode: Type.Optional(
    StringEnum(['poll', 'change', 'both'] as const, {
      description: 'poll: every poll; change: when it moves more than deadband; both: on change and at least every periodMs',
    }),
  ),
  deadband: Type.Optional(Type.Number({ minimum: 0, description: 'change needed to report, in the channel unit; default 0 (any change)' })),
  periodMs: Type.Optional(Type.Integer({ minimum: 50, description: 'mode both: longest silence; default 60 000' })),
};
export const ReportConfig = Type.Object(
  {
    ...ReportRule,
    channels: Type.Optional(Type.Record(Type.String(), Type.Object(ReportRule, { additionalProperties: false }), { description: 'per-channel overrides' })),
  },
  { additionalProperties: false },
);
export type ReportConfig = Static<typeof ReportConfig>;

export const GatewayDevice = Type.Object(
  {
    name: Id('device name, used in logs'),
    instrument: Id('instrument id the readings are published under'),
    profile: Id('device profile id from profiles/'),
    transport: Transport,
    pollMs: Type.Integer({ minimum: 50, maximum: 86_400_000, default: 1000, description: 'poll period' }),
    connectPauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: 'wait after connecting before the first request (slow devices)' })),
    requestPauseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: "silence between two requests; default the profile's" })),
    busyRetries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, description: 'retries of a request answered 5 ACKNOWLEDGE or 6 SLAVE DEVICE BUSY; default 3' }),
    ),
    maxHole: Type.Optional(Type.Integer({ minimum: 0, maximum: 124, description: 'unused registers read to join two points in one request; default 8' })),
    maxRegisters: Type.Optional(Type.Integer({ minimum: 1, maximum: 125, description: 'registers per request; lower it for devices with small buffers' })),
    onePerPoint: Type.Optional(Type.Boolean({ description: 'one request per point, for devices that refuse block reads' })),
    wordOrder: Type.Optional(StringEnum(['ABCD', 'CDAB', 'BADC', 'DCBA'] as const, { description: 'overrides the profile default word order' })),
    report: Type.Optional(ReportConfig),
  },
  { additionalProperties: false },
);
export type GatewayDevice = Static<typeof GatewayDevice>;

/** The gateway's on-disk store-and-forward buffer (gateway/spool.ts). */
export const GatewaySpool = Type.Object(
  {
    maxReadings: Type.Integer({ minimum: 100, default: 5_000_000, description: 'readings held on disk at most (about 150 bytes each)' }),
    whenFull: StringEnum(['drop-oldest', 'drop-newest'] as const, {
      default: 'drop-oldest',
      description: 'what gives way when the spool is full; counted and logged',
    }),
    flushMs: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: 100,
      description: 'readings are written and fsynced to disk in one transaction at least this often',
    }),
    drainPerSecond: Type.Integer({ minimum: 1, default: 20_000, description: 'readings per second sent at most while a backlog drains' }),
    replayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400_000,
        default: 120_000,
        description:
          'acknowledged readings are kept this long and sent again after each reconnect, in case the broker crashed before ingest stored them (0: off); ingest stores each reading once',
      }),
    ),
    replayReadings: Type.Optional(
      Type.Integer({ minimum: 0, default: 100_000, description: 'acknowledged readings kept for a replay at most (the oldest leave first)' }),
    ),
    replayDelayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 600_000,
        default: 5000,
        description: 'wait after a reconnect before the replay, so that ingest has subscribed again to a restarted broker',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);
export type GatewaySpool = Static<typeof GatewaySpool>;

export const GatewayConfig = Type.Object(
  {
    id: TopicId('gateway id; the topic level after the organisation'),
    org: TopicId('organisation id'),
    mqtt: MqttConnection,
    publishMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'longest wait before a readings batch is published' }),
    maxBatch: Type.Integer({ minimum: 1, maximum: 5000, default: 1000, description: 'readings per batch' }),
    stateDir: Type.Optional(Type.String({ description: 'where the batch counter and the spool survive restarts; default {dataDir}/gateways' })),
    spool: Type.Optional(GatewaySpool),
    ops: Type.Optional(OpsListener),
    shutdownTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 600_000,
        description: 'after SIGTERM: longest wait for the pollers to stop and the spool publisher to flush before exiting non-zero; default 20 000',
      }),
    ),
    devices: Type.Array(GatewayDevice),
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfig>;

/**
 * The audit chain's anchors ("Records a province can rely on", section 8; docs/security.md): the
 * key its entries and checkpoints are keyed with, kept outside the registry, and where signed head
 * checkpoints go. In production the key is on another volume or in a secret store, and the
 * checkpoint file on a volume the registry's host cannot rewrite.
 */
export const AuditConfig = Type.Object(
  {
    keyFile: Type.Optional(
      Type.String({
        description:
          'file of the audit key (hex); created with 32 random bytes, mode 0600, on first use; default {dataDir}/audit.key. Keep it off the registry volume in production',
      }),
    ),
    key: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{64,}$',
        description: 'the audit key itself, hex (at least 32 bytes), e.g. from a secret store; wins over keyFile; secret, never logged',
      }),
    ),
    checkpointFile: Type.Optional(
      Type.String({
        description: 'signed head checkpoints are appended here (JSON lines) by the analytics service; default {dataDir}/audit-checkpoints.jsonl',
      }),
    ),
    checkpointEveryMs: Type.Integer({
      minimum: 1000,
      maximum: 86_400_000,
      default: 300_000,
      description:
        'the analytics service writes and publishes (retained, metronet/v1/audit/checkpoint) a signed head checkpoint this often when the chain moved, and at shutdown',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type AuditConfig = Static<typeof AuditConfig>;

export const MetronetConfig = Type.Object(
  {
    dataDir: Type.String({ default: 'data', description: 'folder of the registry (registry.db) and of the embedded readings store' }),
    log: Type.Object(
      {
        level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
          default: 'info',
          description: 'pino level; logs are JSON lines on stdout',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    broker: BrokerConfig,
    mqtt: MqttConnection,
    readings: ReadingsConfig,
    ingest: IngestConfig,
    dashboard: DashboardConfig,
    analytics: AnalyticsConfig,
    gateways: Type.Array(GatewayConfig, {
      default: [],
      description: 'gateways run in this process by metronet run; each entry is a gateway configuration (table below)',
    }),
    audit: AuditConfig,
    shutdownTimeoutMs: ShutdownTimeoutMs,
  },
  { additionalProperties: false },
);
export type MetronetConfig = Static<typeof MetronetConfig>;

/**
 * The defaults a schema states, as a value (TypeBox `Value.Default` over an empty object). A
 * default is written once, in its schema; code that needs one outside a loaded config (a service
 * started by a test, an option left out) takes it from these objects, never from a literal.
 */
export function defaultsOf<T>(schema: TSchema): Readonly<T> {
  return Object.freeze(Value.Default(schema, {}) as T);
}

/** Defaults of `analytics` (the engine's decisionRule, nearLimitFraction, dueSoonDays, offlineAfterMs, …). */
export const ANALYTICS_DEFAULTS = defaultsOf<Omit<AnalyticsConfig, 'ops'>>(AnalyticsConfig);
/** Defaults of `audit` (checkpointEveryMs). */
export const AUDIT_DEFAULTS = defaultsOf<Pick<AuditConfig, 'checkpointEveryMs'>>(AuditConfig);
/** Defaults of `broker` (the embedded broker's limits). */
export const BROKER_DEFAULTS = defaultsOf<Required<Omit<BrokerConfig, 'tls' | 'ops'>>>(BrokerConfig);
/** Defaults of `dashboard.login` (sign-in throttling). */
export const LOGIN_DEFAULTS = defaultsOf<Required<NonNullable<DashboardConfig['login']>>>(DashboardConfig.properties.login);
/** Defaults of `ingest`. */
export const INGEST_DEFAULTS = defaultsOf<Required<Omit<IngestConfig, 'ops' | 'shareGroup'>>>(IngestConfig);
/** Defaults of a gateway's `spool`. */
export const SPOOL_DEFAULTS = defaultsOf<Required<GatewaySpool>>(GatewaySpool);
/** Defaults of a gateway's device (pollMs). */
export const DEVICE_DEFAULTS = defaultsOf<Pick<GatewayDevice, 'pollMs'>>(GatewayDevice);
/** Defaults of a `file-import` transport (pattern, settleMs). */
export const FILE_IMPORT_DEFAULTS = defaultsOf<Pick<FileImportTransport, 'pattern' | 'settleMs'>>(FileImportTransport);

export interface LoadOptions {
  /** YAML file; optional when everything has defaults. */
  file?: string;
  /** Environment; keys `METRONET_A__B=…` set path a.b (prefix configurable). */
  env?: NodeJS.ProcessEnv;
  envPrefix?: string;
  /** Values set by code (command-line flags), applied last. */
  overrides?: Record<string, unknown>;
}

/** Loads, overrides, fills defaults and validates one config; throws E_CONFIG_INVALID naming each fault. */
export function loadConfig<S extends TSchema>(schema: S, opts: LoadOptions = {}): Static<S> {
  const source = opts.file ?? '(defaults)';
  let data: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new MetronetError('E_CONFIG_INVALID', `cannot read config file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      data = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      throw new MetronetError('E_CONFIG_INVALID', `${opts.file}: not valid YAML: ${(err as Error).message}`);
    }
    if (typeof data !== 'object' || Array.isArray(data)) throw new MetronetError('E_CONFIG_INVALID', `${opts.file}: the top level must be a mapping`);
  }
  const origins = new Map<string, string>();
  const prefix = opts.envPrefix ?? 'METRONET_';
  for (const [key, raw] of Object.entries(opts.env ?? {})) {
    if (!key.startsWith(prefix) || raw === undefined) continue;
    const path = key.slice(prefix.length).split('__').map(camel);
    setPath(data, path, parseEnvValue(raw));
    origins.set(`/${path.join('/')}`, `environment ${key}`);
  }
  for (const [dotted, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    const path = dotted.split('.');
    setPath(data, path, value);
    origins.set(`/${path.join('/')}`, 'command line');
  }
  const validate = compile(schema, { code: 'E_CONFIG_INVALID', config: true });
  if (!validate(data)) {
    const issues = validate.issues(data).map((i) => withOrigin(i, source, origins));
    throw new MetronetError('E_CONFIG_INVALID', `invalid configuration:\n${issues.map((i) => `  ${i.message}`).join('\n')}`, issues);
  }
  return data;
}

function withOrigin(issue: Issue, source: string, origins: Map<string, string>): Issue {
  const path = `/${(issue.field ?? '')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join('/')}`;
  const origin = [...origins].find(([p]) => path === p || path.startsWith(`${p}/`))?.[1] ?? source;
  const shown = issue.value === undefined ? '' : `, got ${JSON.stringify(issue.value)}`;
  return { ...issue, message: `${origin}: ${path} ${issue.message.slice((issue.field ?? '').length + 1)} (${issue.rule})${shown}` };
}

/** `DASHBOARD` → `dashboard`, `MAX_FUTURE_MS` → `maxFutureMs`. */
function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(raw: string): unknown {
  const t = raw.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw; // types are coerced by the schema
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      cur[key] = value;
      return;
    }
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  });
}
