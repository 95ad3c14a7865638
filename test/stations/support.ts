import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINUTE } from '../../core/time.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry, type StationRow } from '../../store/index.js';

export { DAY, HOUR } from '../../core/time.js';
export const MIN = MINUTE;

/** An authority, an environment agency and one air station AQ-1 (SO₂, PM2.5) on real SQLite stores. */
export function stationStores(station: Partial<StationRow> = {}): {
  registry: Registry;
  readings: ReadingsStore;
  dir: string;
  station: StationRow;
  cleanup: () => Promise<void>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-stations-'));
  const registry = openRegistry(join(dir, 'registry.db'));
  const readings = openSqliteReadings(join(dir, 'readings.db'));
  registry.upsertOrg({ id: 'so-tnmt', name: 'Sở TN&MT', kind: 'authority' });
  registry.upsertInstrument({
    id: 'AQ-1',
    org: 'so-tnmt',
    registration: 'registered',
    kind: 'env_station',
    name: 'Trạm 1',
    gateway: 'gw-aq',
    site: 'Phan Thiết',
  });
  for (const [ch, unit] of [
    ['so2', 'ug/m3'],
    ['pm25', 'ug/m3'],
  ] as const)
    registry.ensureChannel('AQ-1', ch, unit);
  const row: StationRow = {
    instrument: 'AQ-1',
    medium: 'air',
    latitude: 10.93,
    longitude: 108.1,
    intervalMs: 15 * MIN,
    toleranceMs: 5 * MIN,
    limitSet: 'qcvn-05-2023',
    ...station,
  };
  registry.stations.upsertStation(row);
  return {
    registry,
    readings,
    dir,
    station: row,
    cleanup: async () => {
      await readings.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Authorization header of an `authority` user (sees every station), made through the identity
 * store of issue 6 — the API is authenticated; tests sign in rather than bypass it.
 */
export async function authorityAuth(registry: Registry, org = 'so-tnmt'): Promise<{ authorization: string }> {
  const id = `station-test-${org}`;
  if (!registry.identity.getUser(id)) await registry.identity.createUser({ id, role: 'authority', org, password: 'correct horse battery staple' });
  const { secret } = registry.identity.issueToken({ kind: 'api', user: id, ttlMs: 3_600_000 });
  return { authorization: `Bearer ${secret}` };
}
