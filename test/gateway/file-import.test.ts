import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { formatStationFiles, loadProfiles, parseStationFile, silentLogger, type Reading, type StationRecord } from '../../core/index.js';
import { FileImporter } from '../../gateway/file-import.js';
import { checkGateway } from '../../gateway/check.js';
import { buildApp } from '../../dashboard/app.js';
import { Engine } from '../../analytics/engine.js';
import { authorityAuth, stationStores } from '../stations/support.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'metronet-files-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const importer = (dir: string, out: Reading[], template = {}) =>
  new FileImporter({
    device: {
      name: 'datalogger',
      instrument: 'AQ-1',
      profile: 'air-station-tcp',
      pollMs: 1000,
      transport: { kind: 'file-import', dir, pattern: '\\.txt$', settleMs: 0, template },
    },
    onReadings: (r) => out.push(...r),
    logger: silentLogger,
  });

const T = Date.UTC(2026, 0, 5, 1, 0, 0); // 08:00 in Vietnam
const records: StationRecord[] = [
  { channel: 'so2', value: 41.5, unit: 'ug/m3', ts: T, status: 'ok' },
  { channel: 'pm25', value: 32.25, unit: 'ug/m3', ts: T, status: 'ok' },
  { channel: 'so2', value: 802.1, unit: 'ug/m3', ts: T + 60_000, status: 'check' },
  { channel: 'pm25', value: 0, unit: 'ug/m3', ts: T + 60_000, status: 'fault' },
];
const sortKey = (r: { channel: string; ts: number }) => `${r.ts}|${r.channel}`;
const norm = (rs: Array<StationRecord | Reading>) =>
  rs.map((r) => ({ channel: r.channel, value: r.value, unit: r.unit, ts: r.ts, status: r.status })).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

describe('station exchange files (Circular 10/2021/TT-BTNMT layout as a template)', () => {
  it('writes one file per time with one line per parameter', () => {
    const files = formatStationFiles(records, { province: 'BT', facility: 'SOTNMT', station: 'AQ1' });
    expect(files.map((f) => f.name)).toEqual(['BT_SOTNMT_AQ1_20260105080000.txt', 'BT_SOTNMT_AQ1_20260105080100.txt']);
    expect(files[0]!.text).toBe('pm25\t32.25\tug/m3\t20260105080000\t00\r\nso2\t41.5\tug/m3\t20260105080000\t00\r\n');
    expect(files[1]!.text).toContain('so2\t802.1\tug/m3\t20260105080100\t01');
    expect(files[1]!.text).toContain('pm25\t0\tug/m3\t20260105080100\t02');
  });

  it('export then import through the gateway gives the same records, and files are moved away', () => {
    const dir = tmp();
    for (const f of formatStationFiles(records, { province: 'BT', facility: 'SOTNMT', station: 'AQ1' })) writeFileSync(join(dir, f.name), f.text);
    writeFileSync(join(dir, 'notes.csv'), 'not a station file');
    const got: Reading[] = [];
    const imp = importer(dir, got);
    expect(imp.scan()).toBe(4);
    expect(norm(got)).toEqual(norm(records));
    expect(got.every((r) => r.instrument === 'AQ-1')).toBe(true);
    expect(readdirSync(join(dir, '.imported')).sort()).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['.imported', 'notes.csv']);
    expect(imp.scan()).toBe(0); // nothing twice
  });

  it('follows a configured template: separator, column order, status codes, parameter names', () => {
    const template = {
      separator: ';',
      columns: ['time', 'parameter', 'value', 'unit', 'status'] as const,
      statusCodes: { '0': 'ok' as const, '1': 'check' as const, '2': 'fault' as const },
      parameters: { 'PM-2-5': 'pm25', SO2: 'so2' },
    };
    const files = formatStationFiles(records, { province: 'BT', facility: 'X', station: 'Y' }, { ...template, columns: [...template.columns] });
    expect(files[0]!.text.split('\r\n')[0]).toBe('20260105080000;PM-2-5;32.25;ug/m3;0');
    const dir = tmp();
    for (const f of files) writeFileSync(join(dir, f.name), f.text);
    const got: Reading[] = [];
    importer(dir, got, { ...template, columns: [...template.columns] }).scan();
    expect(norm(got)).toEqual(norm(records));
  });

  it('skips lines that break the template, naming file and line; a file with nothing readable is rejected', () => {
    const { records: ok, issues } = parseStationFile(
      'so2\t41.5\tug/m3\t20260105080000\t00\nso2\tabc\tug/m3\t20260105080000\t00\nno2\t1\tfurlong\t20260105080000\t00\nco\t1\tug/m3\t20261305080000\t00\nco\t1\tug/m3\t20260105080000\t07\n',
      'f.txt',
    );
    expect(ok).toHaveLength(1);
    expect(issues.map((i) => i.field)).toEqual(['f.txt:2 value', 'f.txt:3 unit', 'f.txt:4 time', 'f.txt:5 status']);
    const dir = tmp();
    writeFileSync(join(dir, 'bad.txt'), 'garbage\n');
    const imp = importer(dir, []);
    imp.scan();
    expect(existsSync(join(dir, '.rejected', 'bad.txt'))).toBe(true);
    expect(imp.stats()).toMatchObject({ rejectedFiles: 1, rejectedLines: 1 });
  });

  it('the gateway config takes a file-import device; the template is checked', () => {
    const profiles = loadProfiles();
    const base = {
      id: 'gw-files',
      org: 'so-tnmt',
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      devices: [{ name: 'dl', instrument: 'AQ-1', profile: 'air-station-tcp', transport: { kind: 'file-import', dir: '/var/lib/datalogger' } }],
    };
    const cfg = checkGateway(base, profiles);
    expect(cfg.devices[0]!.transport).toMatchObject({ kind: 'file-import', pattern: '\\.txt$', settleMs: 2000 });
    expect(() =>
      checkGateway({ ...base, devices: [{ ...base.devices[0], transport: { kind: 'file-import', dir: '/x', template: { columns: ['value'] } } }] }, profiles),
    ).toThrow(/columns/);
  });

  it('a station exported by the API and re-imported gives the stored records', async () => {
    const s = stationStores();
    try {
      const now = Date.now() - (Date.now() % 1000);
      const stored = [
        { channel: 'so2', ts: now - 120_000, value: 40.1, status: 'ok' as const },
        { channel: 'pm25', ts: now - 120_000, value: 21, status: 'ok' as const },
        { channel: 'so2', ts: now - 60_000, value: 799.5, status: 'check' as const },
        { channel: 'pm25', ts: now - 60_000, value: 22.5, status: 'fault' as const },
      ].map((r) => ({ ...r, instrument: 'AQ-1', org: 'so-tnmt', unit: 'ug/m3' }));
      await s.readings.write(stored);
      const app = await buildApp({ registry: s.registry, readings: s.readings, analytics: new Engine({ registry: s.registry }) });
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/stations/AQ-1/export?from=-1h&province=BT`, {
          headers: await authorityAuth(s.registry),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { files: Array<{ name: string; text: string }>; layout: string };
        expect(body.files).toHaveLength(2);
        expect(body.files[0]!.name).toMatch(/^BT_SOTNMT_AQ1_\d{14}\.txt$/);
        expect(body.layout).toMatch(/not confirmed/);
        const dir = tmp();
        for (const f of body.files) writeFileSync(join(dir, f.name), f.text);
        const got: Reading[] = [];
        importer(dir, got).scan();
        expect(norm(got)).toEqual(norm(stored));
      } finally {
        await app.close();
      }
    } finally {
      await s.cleanup();
    }
  });
});
