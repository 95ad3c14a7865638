import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MetronetConfig, loadConfig } from '../core/index.js';
import { backupRegistry, restoreRegistry, type RegistryFileInfo } from '../store/backup.js';
import { auditFiles, type AuditKeyOptions } from '../store/index.js';

/**
 * `metronet admin backup --out FILE` and `metronet admin restore --from FILE` (issue 9,
 * docs/operations.md "Back up and restore"): the registry of the configured data folder.
 * Readings in InfluxDB are backed up with InfluxDB's own tools; the SQLite readings store is
 * stopped and copied as a file (docs/operations.md).
 */
type Common = { config?: string; dataDir?: string };

/** The registry of the configured data folder and its audit key (outside it: docs/security.md). */
function registryOf(o: Common): { file: string; audit: AuditKeyOptions } {
  const config = loadConfig(MetronetConfig, { file: o.config, env: process.env, overrides: { dataDir: o.dataDir } });
  const dataDir = resolve(config.dataDir);
  return { file: join(dataDir, 'registry.db'), audit: auditFiles(config.audit, dataDir).key };
}

const summary = (i: RegistryFileInfo) => ({
  migration: i.migration,
  rows: Object.values(i.rows).reduce((a, b) => a + b, 0),
  audit: i.audit.ok ? `intact, ${i.audit.entries} entries, head ${i.audit.head || '(empty)'}` : `BROKEN at entry ${i.audit.brokenAt}: ${i.audit.reason}`,
});

const out = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

export function backupCommands(admin: Command, common: (c: Command) => Command): void {
  common(
    admin
      .command('backup')
      .description('copy the registry while services run (SQLite online backup); the copy is checked before it is reported')
      .requiredOption('--out <file>', 'backup file to write (must not exist)'),
  ).action(async (o: Common & { out: string }) => {
    const reg = registryOf(o);
    const r = await backupRegistry(reg.file, o.out, { audit: reg.audit });
    out({ backup: r.file, bytes: r.bytes, ms: r.ms, ...summary(r) });
    if (!r.audit.ok) process.exitCode = 1;
  });
  common(
    admin
      .command('restore')
      .description('replace the registry by a backup: checks it, keeps the current file aside, verifies the audit chain; services must be stopped')
      .requiredOption('--from <file>', 'backup file made by metronet admin backup')
      .option('--force', 'restore although registry.db-wal exists (only after a crash, with every service stopped)'),
  ).action((o: Common & { from: string; force?: boolean }) => {
    const reg = registryOf(o);
    const r = restoreRegistry(o.from, reg.file, { force: o.force, audit: reg.audit });
    out({ restored: r.restored, keptAside: r.keptAside ?? null, ...summary(r) });
  });
}
