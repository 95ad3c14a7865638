import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openReadings, openSqliteReadings } from '../../store/index.js';
import { readingsContract } from './readings-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'metronet-readings-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

readingsContract('sqlite', async () => openSqliteReadings(join(dir, `readings-${n++}.db`)));

describe('openReadings', () => {
  it('opens SQLite at {dataDir}/readings.db by default, and the data survives a re-open', async () => {
    const dataDir = join(dir, 'data');
    const a = await openReadings({ kind: 'sqlite' }, dataDir);
    await a.write([{ instrument: 'SC-1', channel: 'mass', ts: 1, value: 2, unit: 'kg', status: 'ok', org: 'o' }]);
    await a.close();
    const b = openSqliteReadings(join(dataDir, 'readings.db'));
    expect(await b.count()).toBe(1);
    await b.close();
  });
});
