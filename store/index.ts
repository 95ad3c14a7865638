import { join } from 'node:path';
import type { Logger, ReadingsConfig } from '../core/index.js';
import { openSqliteReadings } from './readings-sqlite.js';
import { openInfluxReadings } from './readings-influx.js';
import type { SqliteOptions } from './sqlite.js';
import type { ReadingsStore } from './types.js';

export * from './types.js';
export * from './analytics.js';
export * from './identity.js';
export * from './records.js';
export * from './inspections.js';
export { AuditLog, GENESIS, canonical, type AuditEntry, type AuditRule, type AuditVerdict, type CheckpointLine } from './audit.js';
export { AuditKey, auditFiles, type AuditKeyOptions } from './audit-key.js';
export { appendCheckpoint, lastCheckpoint, readCheckpoints, verifyAuditTrail, type AuditTrailVerdict } from './audit-checkpoints.js';
export { hashMqttSecret, verifyMqttSecret, hashPassword, verifyPassword, newSecret } from './secrets.js';
export { ANALYTICS_MIGRATION } from './analytics-schema.js';
export { openRegistry, type RegistryOptions } from './registry.js';
export { openSqliteReadings, READINGS_MIGRATIONS } from './readings-sqlite.js';
export { openInfluxReadings, classifyWriteError, parseRetryAfter, type InfluxReadingsOptions } from './readings-influx.js';
export { StationStore, STATIONS_MIGRATION, type StationRow } from './stations.js';
export { REGISTRY_MIGRATIONS } from './registry-schema.js';
export { INSTRUMENT_HISTORY_MIGRATION, type AdmissionRefusal, type Tombstone, type UnregisteredBounds } from './instrument-history.js';
export { openSqlite, migrate, isTransientStoreError, SYNCHRONOUS, type Db, type Migration, type SqliteOptions, type Synchronous } from './sqlite.js';

/**
 * Opens the configured readings store. Asynchronous because remote stores check their
 * connection on open; the SQLite file defaults to `{dataDir}/readings.db`.
 */
export async function openReadings(config: ReadingsConfig, dataDir: string, opts: SqliteOptions & { log?: Logger } = {}): Promise<ReadingsStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteReadings(config.file ?? join(dataDir, 'readings.db'), opts);
    case 'influx':
      return openInfluxReadings({ url: config.url, token: config.token, org: config.org, bucket: config.bucket, log: opts.log });
  }
}
