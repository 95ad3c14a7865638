import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { GROUP2_INTERVALS, ROW_STATUS_TEXT } from '../../core/legal/verification-intervals.js';
import { T, twoTenants, type Fixture } from '../security/fixture.js';

/**
 * Issue 15, section 4: the Group 2 intervals are data with their source. The appendix of Circular
 * 23/2013/TT-BKHCN as amended was not read (docs/legal-sources.md), so every row says so in its
 * `status`, and the API shows it beside the interval an instrument is held to.
 */
let f: Fixture;
let app: App;

beforeAll(async () => {
  f = await twoTenants();
  f.registry.upsertInstrument({ id: 'SC-legal', org: T.a.ent, registration: 'registered', kind: 'scale', name: 'cân chợ', gateway: T.a.gw });
  f.registry.ensureChannel('SC-legal', 'mass', 'kg');
  f.registry.analytics.setService({ instrument: 'SC-legal', lab: T.a.lab, intervalDays: null });
  app = await buildApp({ registry: f.registry, readings: f.readings, analytics: new Engine({ registry: f.registry }) });
});
afterAll(async () => {
  await app?.close();
  await f?.cleanup();
});

const drift = async (id: string) => (await app.inject({ method: 'GET', url: `/api/v1/instruments/${id}/drift`, headers: f.auth.enterprise })).json();

describe('interval rows carry their status: from a summary, appendix not read', () => {
  it('every row is "appendix-not-read" (none was read in the appendix), in words in both languages', () => {
    for (const row of GROUP2_INTERVALS) {
      expect(row.evidence).not.toBe('appendix-text');
      expect(row.status).toBe('appendix-not-read');
      expect(row.statusText).toEqual(ROW_STATUS_TEXT[row.evidence]);
      expect(row.statusText.en).toMatch(/appendix of Circular 23\/2013\/TT-BKHCN as amended was not read/);
      expect(row.statusText.vi).toMatch(/chưa đọc được phụ lục Thông tư 23\/2013\/TT-BKHCN/);
    }
  });

  it('the drift API shows a scale held to the legal list: 12 months, its row, status and source', async () => {
    const d = await drift('SC-legal');
    expect(d.interval).toEqual({
      months: 12,
      days: null,
      basis: 'legal-list',
      row: 'scale.bench',
      status: 'appendix-not-read',
      statusText: {
        en: 'from a secondary source (trade press, vendor); the appendix of Circular 23/2013/TT-BKHCN as amended was not read',
        vi: 'theo nguồn thứ cấp (báo chí, nhà cung cấp); chưa đọc được phụ lục Thông tư 23/2013/TT-BKHCN (đã sửa đổi)',
      },
      source: expect.objectContaining({ url: expect.stringMatching(/^https:\/\//) }),
    });
  });

  it('an instrument with a stated interval in days says so, with no legal row', async () => {
    expect((await drift(T.a.inst)).interval).toEqual({
      months: null,
      days: 365,
      basis: 'service-override',
      row: null,
      status: null,
      statusText: null,
      source: null,
    });
  });
});
