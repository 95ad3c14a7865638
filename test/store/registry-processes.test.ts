import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../store/index.js';

/**
 * Two processes writing one registry file, as the dashboard, analytics and the admin command do
 * in a split deployment. Each write reads first (the current record, the audit chain's head) and
 * then writes: in a deferred transaction SQLite cannot wait for the other writer at that upgrade
 * and fails at once with "database is locked". The store's write transactions take the lock at
 * BEGIN (IMMEDIATE), so the second writer waits its busy timeout instead.
 */
const CHILD = join(import.meta.dirname, 'fixtures', 'upsert-child.ts');
const N = 400;
const dir = mkdtempSync(join(tmpdir(), 'metronet-registry-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function child(file: string, prefix: string): Promise<{ failed: number; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, file, prefix, String(N)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    proc.once('exit', (code) =>
      code === 0 ? resolve({ ...(JSON.parse(out) as { failed: number }), stderr }) : reject(new Error(`child exited ${code}: ${stderr}`)),
    ),
  );
}

describe('registry written by two processes at once', () => {
  it('loses no write and keeps the audit chain whole', { timeout: 120_000 }, async () => {
    const file = join(dir, 'registry.db');
    const setup = openRegistry(file);
    setup.upsertOrg({ id: 'org-a', name: 'A', kind: 'enterprise' });
    setup.close();

    const [a, b] = await Promise.all([child(file, 'a'), child(file, 'b')]);
    expect(a.stderr + b.stderr).not.toMatch(/locked/);
    expect([a.failed, b.failed]).toEqual([0, 0]);

    const registry = openRegistry(file);
    try {
      expect(registry.listInstruments({ limit: 10_000 }).total).toBe(2 * N);
      expect(registry.audit.verify().ok).toBe(true);
    } finally {
      registry.close();
    }
  });
});
