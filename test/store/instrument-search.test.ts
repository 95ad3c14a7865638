import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldName } from '../../core/index.js';
import { openRegistry, type Registry } from '../../store/index.js';

/** The API's `q` (registry listInstruments): case and diacritics ignored, đ as d, as the web UI's list filter. */
const dir = mkdtempSync(join(tmpdir(), 'metronet-search-'));
let registry: Registry;
beforeAll(() => {
  registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: 'cho-pt', name: 'Ban quản lý chợ Phan Thiết', kind: 'enterprise' });
  const add = (id: string, name: string, site: string, serial: string | null = null) =>
    registry.upsertInstrument({ id, org: 'cho-pt', registration: 'registered', kind: 'scale', name, site, serial });
  add('SC-0001', 'Cân điện tử, Sạp 3', 'Chợ Phan Thiết, khu hải sản');
  add('SC-0101', 'Cân bàn 3 tấn', 'Nhà máy chế biến, La Gi');
  add('FD-0001', 'Cột đo xăng dầu số 1', 'Cửa hàng xăng dầu số 3, Mũi Né', 'ĐL-7731');
  add('SC-0300', '50%_sale', 'Kho');
});
afterAll(() => {
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (q: string) => registry.listInstruments({ q }).items.map((i) => i.id);

describe('instrument search (GET /instruments?q=)', () => {
  it('ignores diacritics and case on both sides', () => {
    expect(ids('sap 3')).toEqual(['SC-0001']);
    expect(ids('SẠP 3')).toEqual(['SC-0001']);
    expect(ids('can ban')).toEqual(['SC-0101']);
    expect(ids('xang dau')).toEqual(['FD-0001']);
    expect(ids('XĂNG DẦU')).toEqual(['FD-0001']);
    expect(ids('can dien tu')).toEqual(['SC-0001']);
  });

  it('folds đ/Đ to d, collapses spaces, and still finds ids and serials', () => {
    expect(ids('dl-7731')).toEqual(['FD-0001']);
    expect(ids('  mui   ne ')).toEqual(['FD-0001']);
    expect(ids('sc-01')).toEqual(['SC-0101']);
    expect(foldName('Đo lường ĐL')).toBe('do luong dl');
  });

  it('takes % and _ literally, and an empty or blank query filters nothing', () => {
    expect(ids('50%_')).toEqual(['SC-0300']);
    expect(ids('%')).toEqual(['SC-0300']);
    expect(ids('   ')).toHaveLength(4);
    expect(registry.listInstruments({ q: 'can', limit: 1 }).total).toBe(2);
  });
});
