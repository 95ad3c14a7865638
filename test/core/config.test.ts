import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, MetronetConfig, type MetronetError } from '../../core/index.js';

const CASES = join(import.meta.dirname, '..', 'cases');

function errorOf(fn: () => unknown): MetronetError {
  try {
    fn();
  } catch (err) {
    return err as MetronetError;
  }
  throw new Error('expected an error');
}

describe('configuration golden cases (test/cases/config-*)', () => {
  for (const name of readdirSync(CASES).filter((d) => d.startsWith('config-'))) {
    const dir = join(CASES, name);
    const file = join(dir, 'metronet.yaml');
    it(name, () => {
      if (existsSync(join(dir, 'expected-error.txt'))) {
        const err = errorOf(() => loadConfig(MetronetConfig, { file }));
        expect(err.code).toBe('E_CONFIG_INVALID');
        for (const line of readFileSync(join(dir, 'expected-error.txt'), 'utf8').trim().split('\n')) {
          expect(err.message).toContain(`${file}: ${line}`);
        }
      } else {
        const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
        expect(loadConfig(MetronetConfig, { file })).toMatchObject(expected);
      }
    });
  }
});

describe('configuration loading', () => {
  it('fills every default with no file at all', () => {
    const c = loadConfig(MetronetConfig, {});
    expect(c).toMatchObject({
      dataDir: 'data',
      broker: { host: '127.0.0.1', port: 1883 },
      dashboard: { port: 8080 },
      readings: { kind: 'sqlite' },
      gateways: [],
    });
  });

  it('takes environment overrides with coercion, and names the variable on error', () => {
    const c = loadConfig(MetronetConfig, { env: { METRONET_DASHBOARD__PORT: '9090', METRONET_INGEST__BATCH_SIZE: '50', OTHER: 'x' } });
    expect(c.dashboard.port).toBe(9090);
    expect(c.ingest.batchSize).toBe(50);
    const err = errorOf(() => loadConfig(MetronetConfig, { env: { METRONET_BROKER__PORT: 'eighty' } }));
    expect(err.message).toContain('environment METRONET_BROKER__PORT: /broker/port must be integer (type), got "eighty"');
  });

  it('applies command-line overrides last', () => {
    const c = loadConfig(MetronetConfig, { env: { METRONET_DASHBOARD__PORT: '9090' }, overrides: { 'dashboard.port': 9191 } });
    expect(c.dashboard.port).toBe(9191);
  });

  it('reports an unreadable file and invalid YAML with the file name', () => {
    expect(errorOf(() => loadConfig(MetronetConfig, { file: '/nonexistent/metronet.yaml' })).message).toMatch(
      /cannot read config file \/nonexistent\/metronet.yaml: ENOENT/,
    );
    const bad = join(CASES, 'config-port-out-of-range', 'expected-error.txt'); // not YAML mapping
    expect(errorOf(() => loadConfig(MetronetConfig, { file: bad })).message).toMatch(/top level must be a mapping|not valid YAML/);
  });
});
