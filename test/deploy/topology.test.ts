import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../core/index.js';
import { openRegistry } from '../../store/index.js';
import { startInflux, startMosquittoWithFiles, type InfluxServer, type MosquittoServer } from '../support/servers.js';
import { waitFor } from '../support/wait.js';
import { SERVICES_MS, runMetronetAsync, sample, spawnMetronet, type MetronetProcess } from './procs.js';

/**
 * The docker compose topology as processes on this machine (there is no container engine here):
 * real Mosquitto 2 loaded with the password and ACL files that `metronet broker export-mosquitto`
 * wrote from a registry provisioned with `metronet admin …`; a real InfluxDB-protocol server
 * (InfluxDB 1.6.7 behind the v2-write forwarder, test/store/servers.ts); two `metronet ingest`
 * workers sharing `$share/metronet-ingest/…`; `metronet analytics`; `metronet dashboard`; two
 * `metronet simulate` devices, each polled by its own `metronet gateway`. Every service is the
 * real command in its own process, configured by a YAML file plus environment variables, and
 * stopped with SIGTERM.
 */
const ORG = 'ent-a';
const GATEWAYS = [
  { id: 'gw-a1', instrument: 'SC-A1', password: 'gw-a1-pass-4kq9' },
  { id: 'gw-a2', instrument: 'SC-A2', password: 'gw-a2-pass-7zt2' },
];
const SVC = { ingest: 'svc-ingest-pw-31x', analytics: 'svc-analytics-pw-82y' };
const BUCKET = 'metronet';

let dir: string;
let influx: InfluxServer;
let mosq: MosquittoServer | undefined;
const procs: MetronetProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metronet-topology-'));
  influx = await startInflux();
  await influx.createDb(BUCKET);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5000)));
  await mosq?.close();
  await influx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = async <T>(url: string | URL, init?: RequestInit): Promise<T> => {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${String(url)}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const influxCount = async (): Promise<number> => {
  const r = await json<{ results: { series?: { values: [string, number][] }[] }[] }>(
    `${influx.v1Url}/query?db=${BUCKET}&q=${encodeURIComponent('SELECT count("value") FROM "reading"')}`,
  );
  return r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
};
const opsOf = (p: MetronetProcess, msg: string) => p.waitForLine((l) => l.msg === msg, msg).then((l) => new URL(String(l.ops)));

describe('compose topology as processes', () => {
  it('gateways → Mosquitto (exported ACL) → two ingest workers → InfluxDB; analytics and dashboard; all stop cleanly', { timeout: 300_000 }, async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const admin = (...args: string[]) => runMetronetAsync([...args, '--data-dir', dataDir]);

    // Provisioning through the registry API (what `metronet admin org|gateway|instrument|mqtt add`
    // call; each command is a process start, so only two are run as commands below).
    const seed = openRegistry(join(dataDir, 'registry.db'));
    seed.upsertOrg({ id: ORG, name: 'Enterprise A', kind: 'enterprise' });
    seed.upsertOrg({ id: 'lab-a', name: 'Lab A', kind: 'lab' });
    seed.upsertOrg({ id: 'tdc', name: 'Chi cục TĐC', kind: 'authority' });
    for (const g of GATEWAYS) {
      seed.upsertGateway({ id: g.id, org: ORG, name: null });
      await seed.identity.setMqttCredential({ username: g.id, kind: 'gateway', subject: g.id, org: ORG, secret: g.password });
      seed.upsertInstrument({ id: g.instrument, org: ORG, registration: 'registered', kind: 'scale', name: `scale ${g.id}`, gateway: g.id });
      seed.analytics.setService({ instrument: g.instrument, lab: 'lab-a', intervalDays: 365 });
    }
    await seed.identity.setMqttCredential({ username: 'svc-ingest', kind: 'service', subject: 'ingest', secret: SVC.ingest });
    await seed.identity.setMqttCredential({ username: 'svc-analytics', kind: 'service', subject: 'analytics', secret: SVC.analytics });
    seed.analytics.upsertReference({
      id: 'REF-20KG',
      lab: 'lab-a',
      quantity: 'mass',
      unit: 'kg',
      nominal: 20,
      value: 20,
      U: 0.001,
      k: 2,
      calibratedOn: Date.now() - 30 * 86_400_000,
      due: Date.now() + 300 * 86_400_000,
      parent: null,
    });
    seed.records.setAnchor('REF-20KG', { kind: 'accredited_certificate', issuer: 'Viện Đo lường Việt Nam (VMI)', certificate: 'V01-0001', date: null });
    await seed.identity.createUser({ id: 'chicuc', role: 'authority', password: 'chicuc-password-1' });
    // The serving lab posts the check through the API: the standard is the lab's, and a caller names only its own.
    await seed.identity.createUser({ id: 'lab-a-user', role: 'lab', org: 'lab-a', password: 'lab-a-password-1' });
    const labToken = seed.identity.issueToken({ kind: 'api', user: 'lab-a-user', ttlMs: 3_600_000 }).secret;
    seed.close();
    // The operator's commands: an API token, and the Mosquitto password and ACL files.
    // One after the other, as an operator types them (each opens the registry and may write to it).
    const token = (JSON.parse((await admin('admin', 'token', 'create', 'chicuc')).split('\n(')[0]!) as { secret: string }).secret;
    await admin('broker', 'export-mosquitto', '--out', join(dir, 'mosquitto'));
    mosq = await startMosquittoWithFiles({
      passwd: readFileSync(join(dir, 'mosquitto', 'passwd'), 'utf8'),
      acl: readFileSync(join(dir, 'mosquitto', 'acl'), 'utf8'),
    });

    // The devices: two simulated weighing indicators speaking Modbus TCP.
    const sims = GATEWAYS.map((g, i) => {
      const p = spawnMetronet(`sim-${g.id}`, ['simulate', '-p', 'weighing-indicator-tcp', '--port', '0', '--seed', String(i + 1)]);
      procs.push(p);
      return p;
    });
    // The services: shared config in a file, each one's own login and ops port by environment.
    const base = { dataDir, readings: { kind: 'influx', url: influx.url, bucket: BUCKET }, mqtt: { url: mosq.url }, shutdownTimeoutMs: 30_000 };
    const common = (user: string, password: string) => ({ METRONET_MQTT__USERNAME: user, METRONET_MQTT__PASSWORD: password });
    const spawnSvc = (name: string, cmd: string, config: Record<string, unknown>, env: Record<string, string>) => {
      const p = spawnMetronet(name, [cmd], { config: { ...base, ...config }, file: join(dir, `${name}.yaml`), env });
      procs.push(p);
      return p;
    };
    const workers = [1, 2].map((i) =>
      spawnSvc(
        `ingest-${i}`,
        'ingest',
        { ingest: { shareGroup: 'metronet-ingest', flushMs: 50 } },
        { ...common('svc-ingest', SVC.ingest), METRONET_INGEST__CLIENT_ID: `metronet-ingest-${i}`, METRONET_INGEST__OPS__PORT: '0' },
      ),
    );
    const analytics = spawnSvc('analytics', 'analytics', {}, { ...common('svc-analytics', SVC.analytics), METRONET_ANALYTICS__OPS__PORT: '0' });
    const dashboard = spawnSvc('dashboard', 'dashboard', { dashboard: { port: 0 } }, { METRONET_DASHBOARD__OPS__PORT: '0' });
    const simPorts = await Promise.all(sims.map((s) => s.waitForText(/modbus-tcp:\/\/127\.0\.0\.1:(\d+)/).then((m) => Number(m[1]))));
    // Gateways after the ingest workers have subscribed (compose: depends_on ingest healthy): on
    // the very first start there is no shared subscription yet, and a broker drops what nobody
    // is subscribed to, though it acknowledges it to the gateway.
    const ingestOps = await Promise.all(workers.map((w) => opsOf(w, 'ingest running')));
    const gateways = GATEWAYS.map((g, i) => {
      const config = {
        id: g.id,
        org: ORG,
        mqtt: { url: mosq!.url, username: g.id },
        publishMs: 200,
        stateDir: join(dir, 'gateways'),
        ops: { port: 0 },
        devices: [
          {
            name: 'scale',
            instrument: g.instrument,
            profile: 'weighing-indicator-tcp',
            transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: simPorts[i] },
            pollMs: 200,
          },
        ],
      };
      const p = spawnMetronet(g.id, ['gateway'], { config, file: join(dir, `${g.id}.yaml`), env: { METRONET_GATEWAY_MQTT__PASSWORD: g.password } });
      procs.push(p);
      return p;
    });

    const [analyticsOps, gatewayOps] = await Promise.all([
      opsOf(analytics, 'analytics running'),
      Promise.all(gateways.map((g) => opsOf(g, 'gateway running'))),
    ]);
    const web = new URL(String((await dashboard.waitForLine((l) => l.msg === 'dashboard running', 'dashboard running')).url));
    const api = <T>(path: string) => json<T>(new URL(`api/v1/${path}`, web), { headers: { authorization: `Bearer ${token}` } });

    // Readings flow, and the shared subscription splits them between the two workers.
    await waitFor(async () => (await influxCount()) >= 200, { message: 'readings in InfluxDB', timeout: 60_000 });
    const stored = async (u: URL) => sample(await (await fetch(new URL('metrics', u))).text(), 'metronet_ingest_readings_stored_total') ?? 0;
    await waitFor(async () => (await stored(ingestOps[0]!)) > 0 && (await stored(ingestOps[1]!)) > 0, {
      message: 'both ingest workers storing',
      timeout: SERVICES_MS,
    });

    // A check on the checks topic (as the gateway sends it) is decided by analytics and served by the dashboard.
    const gw = await connectAsync(mosq.url, { clientId: 'check-sender', username: GATEWAYS[0]!.id, password: GATEWAYS[0]!.password });
    const sendCheck = (ts: number, indicated: number) =>
      gw.publishAsync(
        topics.checks(ORG, GATEWAYS[0]!.id),
        JSON.stringify({ v: 1, gateway: GATEWAYS[0]!.id, checks: [{ instrument: 'SC-A1', channel: 'gross', ts, reference: 'REF-20KG', indicated }] }),
        { qos: 1 },
      );
    const t = Date.now() - 60_000;
    await sendCheck(t, 20.004);
    const drift = await waitFor(
      async () => {
        const d = await api<{ channels: { channel: string; n: number; currentError: number | null }[] }>('instruments/SC-A1/drift');
        return d.channels.find((c) => c.channel === 'gross' && c.n >= 1);
      },
      { message: 'drift of SC-A1 from the check', timeout: SERVICES_MS },
    ).catch((err: Error) => {
      // What analytics said meanwhile (a refused check is logged with its reason).
      throw new Error(`${err.message}; analytics: ${JSON.stringify(analytics.lines.filter((l) => l.level >= 40).slice(-5))}`);
    });
    expect(drift.currentError).toBeCloseTo(0.004, 6);

    // Split deployment: a check posted through the API is decided by the dashboard process, and
    // the analytics process's next decision on that channel includes it (its saved state counts 3).
    const posted = await fetch(new URL('api/v1/instruments/SC-A1/checks', web), {
      method: 'POST',
      headers: { authorization: `Bearer ${labToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ checks: [{ channel: 'gross', ts: t + 10_000, reference: 'REF-20KG', indicated: 20.005 }] }),
    });
    expect(posted.status, await posted.clone().text()).toBe(200);
    expect(await posted.json()).toMatchObject({ stored: 1 });
    await sendCheck(t + 20_000, 20.006);
    await gw.endAsync();
    const reader = openRegistry(join(dataDir, 'registry.db'));
    try {
      const saved = await waitFor(
        () => {
          const st = reader.analytics.driftStates('SC-A1').find((d) => d.channel === 'gross')?.state as { n: number; lastTs: number } | undefined;
          return st && st.lastTs === t + 20_000 ? st : undefined;
        },
        { message: 'the analytics process deciding on the third check', timeout: SERVICES_MS },
      );
      expect(saved.n).toBe(3);
    } finally {
      reader.close();
    }

    // The dashboard serves readings out of InfluxDB.
    const series = await api<{ series: { channel: string; points: unknown[] }[] }>('instruments/SC-A2/readings?channel=gross');
    expect(series.series.find((s) => s.channel === 'gross')?.points.length).toBeGreaterThan(0);

    // Every process answers /health and /ready and carries its metrics.
    for (const u of [...ingestOps, analyticsOps, ...gatewayOps]) {
      expect((await fetch(new URL('health', u))).status, String(u)).toBe(200);
      expect((await fetch(new URL('ready', u))).status, String(u)).toBe(200);
    }
    expect((await fetch(new URL('api/v1/health', web))).status).toBe(200);
    expect((await fetch(new URL('api/v1/ready', web))).status).toBe(200);
    const text = async (u: URL, path = 'metrics') => (await fetch(new URL(path, u))).text();
    const has = (t: string, names: string[]) => names.forEach((n) => expect(t, n).toMatch(new RegExp(`^${n}[ {]`, 'm')));
    for (const u of ingestOps)
      has(await text(u), [
        'metronet_ingest_lag_seconds',
        'metronet_ingest_commit_latency_seconds_count',
        'metronet_store_write_seconds_count',
        'metronet_ingest_rejects_total',
        'process_cpu_user_seconds_total',
      ]);
    const am = await text(analyticsOps);
    has(am, ['metronet_analytics_checks_evaluated_total', 'metronet_alert_deliveries_total', 'metronet_webhook_queue_depth', 'process_cpu_user_seconds_total']);
    expect(sample(am, 'metronet_analytics_checks_evaluated_total')).toBe(2); // the two from MQTT; the API one was the dashboard's
    for (const u of gatewayOps)
      has(await text(u), [
        'metronet_gateway_spool_readings',
        'metronet_gateway_spool_oldest_age_seconds',
        'metronet_gateway_poll_errors_total',
        'metronet_gateway_readings_published_total',
      ]);
    // /metrics is on the dashboard's ops listener, not its public port (issue 16).
    const dashboardOps = new URL(
      String((await dashboard.waitForLine((l) => String(l.msg).startsWith('dashboard ops endpoints listening'), 'dashboard ops')).url),
    );
    has(await text(dashboardOps), ['process_cpu_user_seconds_total']);
    expect((await fetch(new URL('metrics', web))).status).toBe(404);

    // SIGTERM: gateways first (they stop polling and flush their spools), then the rest; all exit 0.
    expect(await Promise.all(gateways.map((g) => g.stop()))).toEqual([0, 0]);
    // What the broker acknowledged to the gateways, less what a gateway sent a second time on
    // purpose (its replay window after a reconnect, which the reading's identity makes harmless).
    const closed = gateways.map((g) => g.lines.find((l) => l.msg === 'publisher closed') as { published: number; replayed?: number } | undefined);
    const published = closed.reduce((n, c) => n + (c ? c.published - (c.replayed ?? 0) : NaN), 0);
    expect(published).toBeGreaterThan(0);
    // Every acknowledged reading is in InfluxDB, once (a reading's identity is a point's: a duplicate could not add to the count).
    await waitFor(async () => (await influxCount()) >= published, { message: 'every published reading in InfluxDB', timeout: 30_000 }).catch(
      async (err: Error) => {
        throw new Error(
          `${err.message}: ${await influxCount()} in InfluxDB, gateways ${JSON.stringify(closed)}, ingest ${JSON.stringify(workers.map((w) => w.lines.find((l) => l.msg === 'ingest closed') ?? null))}`,
        );
      },
    );
    expect(await influxCount()).toBe(published);
    const codes = await Promise.all([...workers, analytics, dashboard, ...sims].map((p) => p.stop()));
    expect(codes).toEqual(codes.map(() => 0));
    for (const w of workers) expect(w.lines.find((l) => l.msg === 'ingest closed')?.pending).toBe(0);
  });
});
