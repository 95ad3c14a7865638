import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { formatStationFiles, loadConfig, loadProfiles, MetronetConfig, silentLogger, type StationRecord } from '../../core/index.js';
import { checkGateway } from '../../gateway/check.js';
import { startStack, type Stack } from '../../cli/stack.js';
import { periods, waitFor } from '../support/wait.js';
import { METRICS_AUTH, METRICS_TOKEN } from '../support/metrics-auth.js';

/**
 * Issue 8, end to end: a station whose datalogger only writes exchange files. A gateway process
 * configuration with a `file-import` device watches a folder → the embedded broker (with the
 * gateway's own MQTT login) → ingest → the readings store → GET /api/v1/stations/{id}. The same
 * composition as `metronet run` (cli/stack.ts), on ephemeral ports and a temporary folder.
 */
const MIN = 60_000;
/** The file-import device looks at its folder every POLL_MS; ingest flushes every FLUSH_MS; the gateway publishes every second (default). */
const POLL_MS = 100;
const FLUSH_MS = 50;
const PUBLISH_MS = 1000;
const CYCLE_MS = POLL_MS + PUBLISH_MS + FLUSH_MS;
let dir: string;
let inbox: string;
let stack: Stack;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-e2e-files-'));
  inbox = join(dir, 'datalogger');
  mkdirSync(inbox);
  const config = loadConfig(MetronetConfig, {
    overrides: { dataDir: join(dir, 'data'), 'broker.port': 0, 'dashboard.port': 0, 'ingest.flushMs': FLUSH_MS, 'dashboard.metricsToken': METRICS_TOKEN },
  });
  const profiles = loadProfiles();
  stack = await startStack({
    config,
    profiles,
    logger: silentLogger,
    beforeGateways: async ({ registry }) => {
      registry.upsertOrg({ id: 'kcn-pt', name: 'KCN Phan Thiết', kind: 'enterprise' });
      registry.upsertGateway({ id: 'gw-files', org: 'kcn-pt', name: 'datalogger PC' });
      registry.upsertInstrument({
        id: 'AQ-F1',
        org: 'kcn-pt',
        registration: 'registered',
        kind: 'env_station',
        name: 'Trạm không khí KCN',
        gateway: 'gw-files',
      });
      registry.stations.upsertStation({
        instrument: 'AQ-F1',
        medium: 'air',
        latitude: 10.95,
        longitude: 108.06,
        intervalMs: 5 * MIN,
        toleranceMs: 5 * MIN,
        limitSet: 'qcvn-05-2023',
      });
      const { secret } = await registry.identity.setMqttCredential({ username: 'gw-files', kind: 'gateway', subject: 'gw-files', org: 'kcn-pt' });
      await registry.identity.createUser({ id: 'tnmt', role: 'authority', password: 'correct horse battery staple' });
      token = registry.identity.issueToken({ kind: 'api', user: 'tnmt', ttlMs: 3_600_000 }).secret;
      // What a `metronet gateway -c gateway.yaml` would load, checked by the same function.
      const gw = checkGateway(
        {
          id: 'gw-files',
          org: 'kcn-pt',
          stateDir: join(dir, 'gateway-state'),
          mqtt: { url: 'mqtt://127.0.0.1:1', username: 'gw-files', password: secret },
          devices: [
            {
              name: 'datalogger',
              instrument: 'AQ-F1',
              profile: 'air-station-tcp',
              pollMs: POLL_MS,
              transport: { kind: 'file-import', dir: inbox, settleMs: 0 },
            },
          ],
        },
        profiles,
      );
      return { gateways: [gw], services: [] };
    },
  });
}, 30_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(new URL(path, stack.dashboardUrl), { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

interface StationDetail {
  state: string;
  lastTs: number | null;
  parameters: Array<{ channel: string; value: number | null; ts: number | null; status: string | null }>;
  completeness: { received: number; check: number };
}

describe('file-import, end to end', () => {
  it('a file dropped in the watched folder becomes readings visible in GET /stations/{id}', async () => {
    const t = Date.now() - (Date.now() % 1000) - 2 * MIN;
    const records: StationRecord[] = [
      { channel: 'so2', value: 41.5, unit: 'ug/m3', ts: t - MIN, status: 'ok' },
      { channel: 'pm25', value: 18.25, unit: 'ug/m3', ts: t - MIN, status: 'ok' },
      { channel: 'so2', value: 43, unit: 'ug/m3', ts: t, status: 'ok' },
      { channel: 'pm25', value: 19.5, unit: 'ug/m3', ts: t, status: 'check' },
    ];
    for (const f of formatStationFiles(records, { province: 'BT', facility: 'KCNPT', station: 'AQF1' })) writeFileSync(join(inbox, f.name), f.text);

    await waitFor(async () => (await stack.readings.count('AQ-F1')) === 4, { message: 'the 4 records stored', timeout: periods(3, CYCLE_MS) });
    const s = await waitFor(
      async () => {
        const d = await api<StationDetail>('/api/v1/stations/AQ-F1');
        return d.lastTs === t && d;
      },
      { message: 'the station API to show the newest record', timeout: periods(3, CYCLE_MS) },
    );
    const latest = Object.fromEntries(s.parameters.map((p) => [p.channel, p]));
    expect(latest.so2).toMatchObject({ value: 43, ts: t, status: 'ok' });
    expect(latest.pm25).toMatchObject({ value: 19.5, ts: t, status: 'check' });
    expect(readdirSync(join(inbox, '.imported'))).toHaveLength(2);
    const series = await stack.readings.query({ instrument: 'AQ-F1', channel: 'so2', from: t - 2 * MIN, to: t + 1 });
    expect(series[0]!.points.map((p) => p.value)).toEqual([41.5, 43]);
    // The readings came in under the gateway's own login: nothing was refused on the way.
    expect(stack.registry.listRejects({ gateway: 'gw-files' })).toEqual([]);
  });

  it("MQTT refusals are counted on the dashboard's /metrics (issue 6)", async () => {
    const before = await refusals();
    const bad = mqtt.connect(stack.brokerUrl, { username: 'gw-files', password: 'wrong', reconnectPeriod: 0, connectTimeout: 3000 });
    await new Promise<void>((resolve) => {
      bad.once('error', () => resolve());
      bad.once('close', () => resolve());
    });
    bad.end(true);
    const after = await waitFor(async () => {
      const r = await refusals();
      return r.connect > before.connect && r;
    }, 'the connect refusal on /metrics');
    expect(after.connect).toBe(before.connect + 1);
    expect(after.publish).toBe(before.publish);
  });
});

async function refusals(): Promise<Record<'connect' | 'publish' | 'subscribe', number>> {
  const text = await (await fetch(new URL('/metrics', stack.dashboardUrl), METRICS_AUTH)).text();
  expect(text).toMatch(/# TYPE metronet_mqtt_refusals_total counter/);
  expect(text).toMatch(/metronet_ingest_readings_stored_total/); // the ingest worker's metrics are still there
  const get = (kind: string) => Number(new RegExp(`^metronet_mqtt_refusals_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1]);
  return { connect: get('connect'), publish: get('publish'), subscribe: get('subscribe') };
}
