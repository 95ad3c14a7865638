import { readFileSync } from 'node:fs';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { compile } from './validate.js';
import { Id, StringEnum } from './ids.js';
import { MetronetError, type Issue } from './errors.js';

/**
 * Configuration: one schema per section, with defaults and descriptions; the loader reads YAML,
 * applies environment overrides, fills defaults and names file, path and rule on any error.
 */
const Port = (def: number, description: string) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

export const MqttConnection = Type.Object(
  {
    url: Type.String({ default: 'mqtt://127.0.0.1:1883', description: 'broker URL: mqtt://, mqtts://, ws://' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String({ description: 'secret; never logged' })),
    clientId: Type.Optional(Type.String()),
  },
  { additionalProperties: false, default: {} },
);
export type MqttConnection = Static<typeof MqttConnection>;

export const BrokerConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'listen address of the embedded broker; loopback by default' }),
    port: Port(1883, 'MQTT port of the embedded broker (0 picks a free port)'),
  },
  { additionalProperties: false, default: {} },
);
export type BrokerConfig = Static<typeof BrokerConfig>;

export const ReadingsConfig = Type.Union(
  [
    Type.Object({ kind: Type.Literal('sqlite'), file: Type.Optional(Type.String({ description: 'default {dataDir}/readings.db' })) }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('influx'),
        url: Type.String(),
        token: Type.Optional(Type.String({ description: 'secret; never logged' })),
        org: Type.Optional(Type.String()),
        bucket: Type.String(),
      },
      { additionalProperties: false },
    ),
  ],
  { default: { kind: 'sqlite' } },
);
export type ReadingsConfig = Static<typeof ReadingsConfig>;

export const IngestConfig = Type.Object(
  {
    batchSize: Type.Integer({ minimum: 1, maximum: 50_000, default: 1000, description: 'readings per store write' }),
    flushMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 200, description: 'longest wait before a partial batch is written' }),
    maxFutureMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 300_000, description: 'how far ahead of the server clock a ts may be' }),
    clientId: Type.String({ default: 'metronet-ingest-1', description: 'fixed MQTT client id of this worker' }),
  },
  { additionalProperties: false, default: {} },
);
export type IngestConfig = Static<typeof IngestConfig>;

export const DashboardConfig = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'listen address; loopback by default' }),
    port: Port(8080, 'HTTP port (0 picks a free port)'),
  },
  { additionalProperties: false, default: {} },
);
export type DashboardConfig = Static<typeof DashboardConfig>;

export const ModbusTcpTransport = Type.Object(
  {
    kind: Type.Literal('modbus-tcp'),
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502 }),
    unitId: Type.Integer({ minimum: 0, maximum: 255, default: 1 }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000 }),
  },
  { additionalProperties: false },
);
export type ModbusTcpTransport = Static<typeof ModbusTcpTransport>;

export const GatewayDevice = Type.Object(
  {
    name: Id('device name, used in logs'),
    instrument: Id('instrument id the readings are published under'),
    profile: Id('device profile id from profiles/'),
    transport: ModbusTcpTransport,
    pollMs: Type.Integer({ minimum: 50, maximum: 86_400_000, default: 1000 }),
  },
  { additionalProperties: false },
);
export type GatewayDevice = Static<typeof GatewayDevice>;

export const GatewayConfig = Type.Object(
  {
    id: Id('gateway id; the topic level after the organisation'),
    org: Id('organisation id'),
    mqtt: MqttConnection,
    publishMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000, description: 'longest wait before a readings batch is published' }),
    maxBatch: Type.Integer({ minimum: 1, maximum: 5000, default: 1000, description: 'readings per batch' }),
    stateDir: Type.Optional(Type.String({ description: 'where the batch counter survives restarts; default {dataDir}/gateways' })),
    devices: Type.Array(GatewayDevice),
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfig>;

export const MetronetConfig = Type.Object(
  {
    dataDir: Type.String({ default: 'data' }),
    log: Type.Object({ level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info' }) }, { additionalProperties: false, default: {} }),
    broker: BrokerConfig,
    mqtt: MqttConnection,
    readings: ReadingsConfig,
    ingest: IngestConfig,
    dashboard: DashboardConfig,
    gateways: Type.Array(GatewayConfig, { default: [] }),
  },
  { additionalProperties: false },
);
export type MetronetConfig = Static<typeof MetronetConfig>;

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
  const path = `/${(issue.field ?? '').replace(/\[(\d+)\]/g, '.$1').split('.').join('/')}`;
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
