import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { withActor } from '../../core/index.js';
import { appendCheckpoint, openRegistry, openSqliteReadings, type ReadingsStore, type Registry } from '../../store/index.js';
import { bearer } from '../analytics/support.js';
import { removeDir, tempDir } from '../support/files.js';

/**
 * Issue 15, section 8, through the public REST API: `GET /api/v1/audit/verify` checks the chain
 * against the signed head checkpoints exactly as `metronet audit verify` does (one function,
 * store/audit-checkpoints.ts verifyAuditTrail), so removing the newest entries, or replacing them
 * with the key in hand, is found through the API too — with the same words as the command line.
 */
const dirs: string[] = [];
const closers: Array<() => Promise<void> | void> = [];
const closeAll = async () => {
  for (const c of closers.splice(0).reverse()) await c();
};
afterEach(async () => {
  await closeAll();
  for (const d of dirs.splice(0)) await removeDir(d);
});

async function serve(dir: string): Promise<{ registry: Registry; verify: () => Promise<Record<string, unknown>> }> {
  const registry = openRegistry(join(dir, 'registry.db'));
  const readings: ReadingsStore = openSqliteReadings(join(dir, 'readings.db'));
  const auth = await bearer(registry, { id: 'tdc', role: 'authority', org: null });
  const app: App = await buildApp({
    registry,
    readings,
    analytics: new Engine({ registry }),
    auditCheckpointFile: join(dir, 'audit-checkpoints.jsonl'),
  });
  closers.push(
    () => app.close(),
    () => readings.close(),
    () => registry.close(),
  );
  return {
    registry,
    verify: async () => {
      const r = await app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: auth });
      expect(r.statusCode).toBe(200);
      return r.json();
    },
  };
}
const cli = (dir: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'audit', 'verify', '--data-dir', dir], {
    encoding: 'utf8',
    cwd: join(import.meta.dirname, '../..'),
  });

describe('GET /api/v1/audit/verify checks the signed checkpoints, as the command line does', () => {
  it('intact: the chain matches the checkpoint; truncated: broken at the first removed entry, in the words of `metronet audit verify`', async () => {
    const dir = await tempDir('metronet-audit-api-');
    dirs.push(dir);
    let s = await serve(dir);
    withActor('user:alice', () => {
      for (let i = 1; i <= 5; i++) s.registry.upsertOrg({ id: `org-${i}`, name: `Org ${i}`, kind: 'enterprise' });
    });
    const entries = s.registry.audit.entries({ limit: 1000 }).length;
    appendCheckpoint(join(dir, 'audit-checkpoints.jsonl'), s.registry.audit.checkpoint());
    expect(await s.verify()).toMatchObject({ ok: true, entries, checkpoints: 1, checkpointFile: true });
    await closeAll();

    // Someone with the file removes the newest entries (the chain alone still verifies).
    const db = new Database(join(dir, 'registry.db'));
    db.exec(`DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id >= ${entries - 1}`);
    db.close();
    s = await serve(dir);
    expect(s.registry.audit.verify().ok).toBe(true);
    const api = await s.verify();
    // (Signing in again added one entry: still fewer than the checkpoint recorded.)
    expect(api).toMatchObject({
      ok: false,
      brokenAt: entries,
      checkpointFile: true,
      reason: expect.stringMatching(/^truncated: the registry has \d+ entries but the checkpoint of .* recorded \d+: entries .* were removed/),
    });
    await closeAll();
    const res = cli(dir);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`audit log BROKEN at entry ${api.brokenAt}: ${api.reason}`);
  });

  it('entries replaced with the key in hand (as many, another head) are found through the API', async () => {
    const dir = await tempDir('metronet-audit-api-');
    dirs.push(dir);
    let s = await serve(dir);
    withActor('user:alice', () => {
      for (let i = 1; i <= 3; i++) s.registry.upsertOrg({ id: `org-${i}`, name: `Org ${i}`, kind: 'enterprise' });
    });
    const entries = s.registry.audit.entries({ limit: 1000 }).length;
    appendCheckpoint(join(dir, 'audit-checkpoints.jsonl'), s.registry.audit.checkpoint());
    await closeAll();
    const db = new Database(join(dir, 'registry.db'));
    db.exec(`DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = ${entries}`);
    db.close();
    s = await serve(dir);
    withActor('user:mallory', () => s.registry.upsertOrg({ id: 'org-z', name: 'Z', kind: 'lab' }));
    // Signing in again and Mallory's change wrote new entries where the removed one was.
    expect(s.registry.audit.entries({ limit: 1000 }).length).toBeGreaterThanOrEqual(entries);
    expect(await s.verify()).toMatchObject({
      ok: false,
      brokenAt: entries,
      reason: expect.stringMatching(new RegExp(`^entry ${entries} no longer has the hash the checkpoint .* recorded: the chain up to it was rewritten`)),
    });
  });

  it('without a checkpoint file the answer says so (the removal of the newest entries cannot be detected)', async () => {
    const dir = await tempDir('metronet-audit-api-');
    dirs.push(dir);
    const s = await serve(dir);
    expect(await s.verify()).toMatchObject({ ok: true, checkpointFile: false });
  });
});
