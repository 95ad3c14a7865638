import { join } from 'node:path';
import { MetronetError, type ReadingsConfig } from '../core/index.js';
import { openSqliteReadings } from './readings-sqlite.js';
import type { SqliteOptions } from './sqlite.js';
import type { ReadingsStore } from './types.js';

export * from './types.js';
export { openRegistry, type RegistryOptions } from './registry.js';
export { openSqliteReadings, READINGS_MIGRATIONS } from './readings-sqlite.js';
export { REGISTRY_MIGRATIONS } from './registry-schema.js';
export { openSqlite, migrate, isTransientStoreError, SYNCHRONOUS, type Db, type Migration, type SqliteOptions, type Synchronous } from './sqlite.js';

/**
 * Opens the configured readings store. Asynchronous because remote stores check their
 * connection on open; the SQLite file defaults to `{dataDir}/readings.db`.
 */
export async function openReadings(config: ReadingsConfig, dataDir: string, opts: SqliteOptions = {}): Promise<ReadingsStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteReadings(config.file ?? join(dataDir, 'readings.db'), opts);
    case 'influx':
      throw new MetronetError(
        'E_CONFIG_INVALID',
        `readings.kind "influx" (${config.url}, bucket ${config.bucket}) is not available yet: the InfluxDB readings store is not built in this version; use readings.kind "sqlite"`,
      );
  }
}
