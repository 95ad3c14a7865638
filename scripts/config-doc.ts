/**
 * docs/configuration.md from the configuration schemas in core/config.ts (`npm run docs:config`):
 * one table per file kind — the service configuration (`metronet run|demo|ingest|analytics|
 * dashboard|broker`, environment prefix METRONET_) and the gateway configuration (`metronet
 * gateway`, prefix METRONET_GATEWAY_) — with every key path, its type, default, environment
 * variable and description. test/deploy/config-doc.test.ts fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { GatewayConfig, MetronetConfig } from '../core/config.js';

type Node = TSchema & {
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  anyOf?: Node[];
  oneOf?: Node[];
  items?: Node;
  enum?: unknown[];
  const?: unknown;
  patternProperties?: Record<string, Node>;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
};

export interface Row {
  /** `dashboard.port`, `gateways[]`, `devices[].transport.host (modbus-tcp)` */
  key: string;
  type: string;
  default: string;
  /** Environment variable, when one can set it. */
  env: string;
  description: string;
}

/** `shareGroup` → `SHARE_GROUP` (the inverse of core/config.ts's camel()). */
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function typeOf(n: Node): string {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alts = n.anyOf ?? n.oneOf;
  if (alts?.every((a) => a.const !== undefined)) return alts.map((a) => JSON.stringify(a.const)).join(' \\| ');
  if (n.type === 'array') return `list of ${n.items?.properties ? 'objects' : typeOf(n.items ?? ({} as Node))}`;
  if (n.patternProperties) return 'map';
  const t = Array.isArray(n.type) ? n.type.join(' \\| ') : (n.type ?? 'object');
  const range = [
    n.minimum !== undefined ? `≥ ${n.minimum}` : n.exclusiveMinimum !== undefined ? `> ${n.exclusiveMinimum}` : '',
    n.maximum !== undefined ? `≤ ${n.maximum}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return range ? `${t} (${range})` : n.pattern === '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' ? 'id' : t;
}

const shown = (v: unknown) => (v === undefined ? '' : typeof v === 'object' && v !== null && Object.keys(v).length === 0 ? '' : `\`${JSON.stringify(v)}\``);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Walks a schema depth-first. Objects give their fields; unions told apart by `kind` give each
 * branch's fields marked with the branch; lists and maps of objects give `key[]` / `key.{name}`
 * rows and then their fields. The environment variable is given where a path of object keys
 * leads there (inside a list the whole list is set at once, as JSON).
 */
export function rows(schema: TSchema, prefix: string, opts: { summarise?: string[] } = {}): Row[] {
  const out: Row[] = [];
  const walk = (n: Node, key: string[], env: string | null, branch: string, required: boolean) => {
    const label = key.join('.').replace(/\.\[\]/g, '[]') + branch;
    const variants = n.oneOf ?? (n.anyOf?.some((a) => a.properties) ? n.anyOf : undefined);
    if (variants?.every((v) => v.properties?.kind?.const !== undefined)) {
      const kindDefault = (n.default as { kind?: string } | undefined)?.kind;
      out.push({
        key: `${label}.kind`,
        type: variants.map((v) => JSON.stringify(v.properties!.kind!.const)).join(' \\| '),
        default: shown(kindDefault),
        env: env ? `${env}__KIND` : '',
        description: cell([n.description ?? '', 'the fields below apply to the kind named beside them'].filter(Boolean).join('; ')),
      });
      for (const v of variants) {
        const kind = String(v.properties!.kind!.const);
        for (const [k, child] of Object.entries(v.properties!))
          if (k !== 'kind') walk(child, [...key, k], env && `${env}__${snake(k)}`, ` (kind ${kind})`, v.required?.includes(k) ?? false);
      }
      return;
    }
    if (n.properties) {
      if (key.length > 0 && n.description) out.push({ key: label, type: 'object', default: '', env: '', description: cell(n.description) });
      for (const [k, child] of Object.entries(n.properties))
        walk(child, [...key, k], env === null ? null : env ? `${env}__${snake(k)}` : `${prefix}${snake(k)}`, branch, n.required?.includes(k) ?? false);
      return;
    }
    const desc = [n.description ?? '', required && n.default === undefined ? '**required**' : ''].filter(Boolean).join('; ');
    if (n.type === 'array' && n.items?.properties) {
      out.push({ key: `${label}`, type: 'list of objects', default: shown(n.default), env: env ? `${env} (JSON)` : '', description: cell(desc) });
      if (!opts.summarise?.includes(label)) walk(n.items, [...key, '[]'], null, branch, false);
      return;
    }
    const valueSchema = n.patternProperties ? Object.values(n.patternProperties)[0] : undefined;
    out.push({
      key: label,
      type: typeOf(n),
      default: shown(n.default),
      env: env ? (n.patternProperties ? `${env} (JSON)` : env) : '',
      description: cell(desc),
    });
    if (valueSchema?.properties) walk(valueSchema, [...key, '{name}'], null, branch, false);
  };
  walk(schema as Node, [], '', '', false);
  return out;
}

function table(r: Row[]): string {
  return [
    '| key | type | default | environment | description |',
    '| --- | --- | --- | --- | --- |',
    ...r.map(
      (x) =>
        `| \`${x.key}\` | ${x.type} | ${x.default} | ${x.env ? `\`${x.env.replace(' (JSON)', '`&nbsp;(JSON)')}${x.env.endsWith('(JSON)') ? '' : '`'}` : ''} | ${x.description} |`,
    ),
  ].join('\n');
}

export function renderConfigDoc(): string {
  return `<!-- Generated by \`npm run docs:config\` (scripts/config-doc.ts) from core/config.ts; do not edit by hand. -->
# Configuration

Every metronet process reads one YAML file (\`--config FILE\`, optional for the services that
have defaults for everything) and then the environment: \`METRONET_A__B=value\` sets key \`a.b\`
(upper-case words joined by \`_\` become camelCase: \`METRONET_INGEST__SHARE_GROUP\` sets
\`ingest.shareGroup\`), and command-line flags come last. A value that starts with \`{\` or \`[\`
is read as JSON (how lists are set from the environment); other values are converted to the
key's type. An unknown key or a wrong value stops the process with the file or variable, the
path and the rule (exit code 78), e.g.
\`environment METRONET_DASHBOARD__PORT: /dashboard/port must be <= 65535 (maximum), got 70000\`.

Secrets (passwords, tokens, TLS keys) are never logged. In docker-compose.yml every service is
configured by environment alone (docs/operations.md).

## Services: \`metronet run | demo | broker | ingest | analytics | dashboard\`, \`metronet admin …\`

Environment prefix \`METRONET_\`. Schema \`MetronetConfig\`.

${table(rows(MetronetConfig, 'METRONET_', { summarise: ['gateways'] }))}

## Gateway: \`metronet gateway --config gateway.yaml\`

Environment prefix \`METRONET_GATEWAY_\` (e.g. \`METRONET_GATEWAY_MQTT__PASSWORD\`). Schema
\`GatewayConfig\`; the same object is one entry of \`gateways[]\` above when \`metronet run\` runs
the gateways in its own process. Example: \`deploy/gateway.example.yaml\`.

${table(rows(GatewayConfig, 'METRONET_GATEWAY_'))}
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = join(process.cwd(), 'docs', 'configuration.md');
  writeFileSync(file, renderConfigDoc());
  process.stdout.write(`wrote ${file}\n`);
}
