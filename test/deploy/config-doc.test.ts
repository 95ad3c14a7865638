import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { GatewayConfig, MetronetConfig, loadConfig } from '../../core/index.js';
import { renderConfigDoc, rows } from '../../scripts/config-doc.js';

/**
 * docs/configuration.md is generated from the schemas (scripts/config-doc.ts): the committed
 * file must be what the generator writes now, and each environment variable it names must set
 * the key it is listed with.
 */
const DOC = join(import.meta.dirname, '../../docs/configuration.md');

const at = (o: unknown, path: string[]) => path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

describe('docs/configuration.md', () => {
  it('is up to date with core/config.ts (regenerate with `npm run docs:config`)', () => {
    const committed = readFileSync(DOC, 'utf8');
    if (committed !== renderConfigDoc()) {
      expect.fail('docs/configuration.md differs from the schemas in core/config.ts: run `npm run docs:config` and commit the result');
    }
  });

  it('lists every key with a description, and each listed variable sets its key', () => {
    const cases: [TSchema, string, Record<string, string>][] = [
      [MetronetConfig, 'METRONET_', {}],
      [GatewayConfig, 'METRONET_GATEWAY_', { METRONET_GATEWAY_ID: 'gw-1', METRONET_GATEWAY_ORG: 'org-1', METRONET_GATEWAY_DEVICES: '[]' }],
    ];
    let tried = 0;
    for (const [schema, prefix, base] of cases) {
      const all = rows(schema, prefix, { summarise: ['gateways'] });
      expect(all.length).toBeGreaterThan(20);
      const undescribed = all.filter((r) => !r.description && !/\.offlineAfterMsByKind\./.test(r.key)).map((r) => r.key);
      expect(undescribed).toEqual([]);
      // Variables of keys with a default, outside lists and kind-specific fields: the default
      // given through the variable comes back at the key's path.
      for (const r of all.filter((x) => x.default && x.env && !x.env.endsWith('(JSON)') && !x.key.includes('(kind'))) {
        const value = JSON.parse(r.default.slice(1, -1)) as unknown;
        const config = loadConfig(schema, { env: { ...base, [r.env]: typeof value === 'string' ? value : JSON.stringify(value) }, envPrefix: prefix });
        expect(at(config, r.key.split('.')), `${r.env} → ${r.key}`).toEqual(value);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(30);
  });
});
