/**
 * Soak (`npm run soak -- --minutes N [--rate R] [--faults] [--json FILE]`): the reading path in
 * one process — Modbus TCP simulators → gateways (real pollers, spools, publishers) → embedded
 * broker → ingest → SQLite, with analytics beside — at a configurable readings rate, for N
 * minutes, optionally restarting the broker and ingest every `--fault-every` seconds (alternately).
 *
 * Every `--sample` seconds it records RSS, heap, active handles (process.getActiveResourcesInfo),
 * ingest lag (now − newest stored reading of the first instrument), spool depth (readings the
 * gateways hold unacknowledged) and ingest's pending writes. At the end the devices stop, the
 * spools drain, and what the broker acknowledged to the gateways (logged by a trigger in each
 * spool, as the fault suite does) is compared with what is stored, by identity
 * (instrument, channel, ts): lost = acknowledged but not stored; duplicates = stored rows beyond
 * distinct identities. A table is printed; `--json FILE` appends the run as one JSON line.
 *
 * The faults here are graceful restarts inside one process (close, then start again on the
 * same port); kill -9 of separate processes is the fault-injection suite's (RELIABILITY.md "Faults").
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { MetronetConfig, getProfile, loadConfig, loadProfiles, type GatewayConfig, type Profile } from '../core/index.js';
import * as broker from '../broker/index.js';
import * as ingest from '../ingest/index.js';
import * as analytics from '../analytics/index.js';
import * as gateway from '../gateway/index.js';
import { startSimulator, type SimulatorHandle } from '../simulators/index.js';
import { openRegistry, openSqliteReadings } from '../store/index.js';

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    faults: { type: 'boolean', default: false },
    'fault-every': { type: 'string', default: '30' },
    sample: { type: 'string', default: '10' },
    devices: { type: 'string', default: '20' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const ORG = 'soak-org';
const PROFILE = 'weighing-indicator-tcp';
const PER_GATEWAY = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  s: number;
  rssMiB: number;
  heapMiB: number;
  handles: number;
  lagMs: number | null;
  spool: number;
  pending: number;
  stored: number;
  event?: string;
}

/** The spool logs every acknowledged reading (the broker's PUBACK moves it to `replay`) into acked_log. */
function prepareSpool(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS replay (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, acked_at INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS acked_log (body TEXT NOT NULL);
           CREATE TRIGGER IF NOT EXISTS log_ack AFTER INSERT ON replay BEGIN INSERT INTO acked_log (body) VALUES (new.body); END;`);
  db.close();
}

const identity = (r: { instrument: string; channel: string; ts: number }) => `${r.instrument}\u0000${r.channel}\u0000${r.ts}`;

function acknowledged(spools: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of spools) {
    const db = new Database(f, { readonly: true });
    for (const r of db.prepare('SELECT body FROM acked_log').all() as { body: string }[]) out.add(identity(JSON.parse(r.body)));
    db.close();
  }
  return out;
}

async function main(): Promise<void> {
  const minutes = Number(a.minutes);
  const rate = Number(a.rate);
  const devices = Number(a.devices);
  const profiles = loadProfiles();
  const profile: Profile = getProfile(profiles, PROFILE);
  const perPoll = profile.points.filter((p) => (p.role ?? 'value') === 'value').length;
  const pollMs = Math.max(50, Math.round((1000 * devices * perPoll) / rate));
  const dir = mkdtempSync(join(tmpdir(), 'metronet-soak-'));
  const stateDir = join(dir, 'gateways');
  mkdirSync(stateDir, { recursive: true });
  const cfg = loadConfig(MetronetConfig, {});
  console.log(
    `soak: ${minutes} min, ${devices} simulated indicators polled every ${pollMs} ms (${perPoll} readings each: ≈ ${Math.round((1000 * devices * perPoll) / pollMs)} readings/s), faults ${a.faults ? `every ${a['fault-every']} s` : 'off'}; data in ${dir}`,
  );

  const registry = openRegistry(join(dir, 'registry.db'));
  registry.upsertOrg({ id: ORG, name: 'Soak', kind: 'enterprise' });
  const readings = openSqliteReadings(join(dir, 'readings.db'));
  const reader = new Database(join(dir, 'readings.db'), { readonly: true });
  const newest = reader.prepare("SELECT max(ts) AS ts FROM readings WHERE instrument = 'SOAK-0001' AND channel = 'gross'");
  const countRows = reader.prepare('SELECT count(*) AS n FROM readings');

  let mqtt = await broker.start({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(mqtt.url).port);
  const startIngest = () => ingest.start({ mqtt: { url: mqtt.url }, ingest: { ...cfg.ingest, clientId: 'soak-ingest' }, registry, readings });
  let ing = await startIngest();
  const ana = await analytics.start({ mqtt: { url: mqtt.url }, analytics: { ...cfg.analytics, clientId: 'soak-analytics' }, registry });

  const sims: SimulatorHandle[] = [];
  const gateways: gateway.GatewayHandle[] = [];
  const spools: string[] = [];
  for (let g = 0; g * PER_GATEWAY < devices; g++) {
    const id = `gw-soak-${g + 1}`;
    const devs: GatewayConfig['devices'] = [];
    for (let k = g * PER_GATEWAY; k < Math.min(devices, (g + 1) * PER_GATEWAY); k++) {
      const sim = await startSimulator({ profile, port: 0, seed: 1000 + k });
      sims.push(sim);
      devs.push({
        name: `ind-${k + 1}`,
        instrument: `SOAK-${String(k + 1).padStart(4, '0')}`,
        profile: PROFILE,
        transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 1000 },
        pollMs,
      });
    }
    const spool = join(stateDir, `${id}.spool.db`);
    prepareSpool(spool);
    spools.push(spool);
    gateways.push(
      await gateway.start({
        id,
        org: ORG,
        mqtt: { url: mqtt.url },
        publishMs: 500,
        maxBatch: 1000,
        devices: devs,
        profiles,
        stateDir,
        backoff: { initialMs: 200, maxMs: 2000 },
      }),
    );
  }

  const samples: Sample[] = [];
  const t0 = Date.now();
  const sample = (event?: string) => {
    const m = process.memoryUsage();
    const ts = (newest.get() as { ts: number | null }).ts;
    samples.push({
      s: Math.round((Date.now() - t0) / 1000),
      rssMiB: Math.round(m.rss / 2 ** 20),
      heapMiB: Math.round(m.heapUsed / 2 ** 20),
      handles: process.getActiveResourcesInfo().length,
      lagMs: ts === null ? null : Date.now() - ts,
      spool: gateways.reduce((n, g) => n + g.stats().buffered, 0),
      pending: ing.stats().pending,
      stored: (countRows.get() as { n: number }).n,
      ...(event ? { event } : {}),
    });
    const x = samples.at(-1)!;
    console.log(
      `${String(x.s).padStart(5)} s  rss ${x.rssMiB} MiB  heap ${x.heapMiB} MiB  handles ${x.handles}  lag ${x.lagMs ?? '–'} ms  spool ${x.spool}  pending ${x.pending}  stored ${x.stored}${event ? `  ← ${event}` : ''}`,
    );
  };
  const sampler = setInterval(() => sample(), Number(a.sample) * 1000);

  // Faults: the broker and ingest restarted alternately.
  const faults: string[] = [];
  let faultTimer: NodeJS.Timeout | undefined;
  let faultRun: Promise<void> = Promise.resolve();
  let nextFault: 'broker' | 'ingest' = 'broker';
  if (a.faults) {
    faultTimer = setInterval(() => {
      faultRun = faultRun.then(async () => {
        const which = nextFault;
        nextFault = which === 'broker' ? 'ingest' : 'broker';
        const at = Math.round((Date.now() - t0) / 1000);
        if (which === 'broker') {
          await mqtt.close();
          await sleep(2000);
          mqtt = await broker.start({ host: '127.0.0.1', port });
        } else {
          await ing.close();
          await sleep(1000);
          ing = await startIngest();
        }
        faults.push(`${which} restart at ${at} s`);
        sample(`${which} restarted`);
      });
    }, Number(a['fault-every']) * 1000);
  }

  sample('start');
  await sleep(minutes * 60_000);
  clearInterval(faultTimer);
  await faultRun;

  // The end: devices go quiet (sampling stops: the newest reading no longer moves, so "lag" would
  // only measure the wait), the spools drain, the acknowledged readings must all be stored.
  clearInterval(sampler);
  await Promise.all(sims.map((s) => s.close()));
  const drainStart = Date.now();
  let acked = acknowledged(spools);
  for (;;) {
    const spool = gateways.reduce((n, g) => n + g.stats().buffered, 0);
    acked = acknowledged(spools);
    const have = new Set(
      (reader.prepare('SELECT instrument, channel, ts FROM readings').all() as { instrument: string; channel: string; ts: number }[]).map(identity),
    );
    const missing = [...acked].filter((k) => !have.has(k)).length;
    if ((spool === 0 && missing === 0) || Date.now() - drainStart > 60_000) break;
    await sleep(500);
  }
  sample('drained');
  for (const g of gateways) await g.close();
  acked = acknowledged(spools);
  const rows = reader.prepare('SELECT instrument, channel, ts FROM readings').all() as { instrument: string; channel: string; ts: number }[];
  const distinct = new Set(rows.map(identity));
  const lost = [...acked].filter((k) => !distinct.has(k));
  const gw = gateways.map((g) => g.stats());
  const st = ing.stats();

  await ana.close();
  await ing.close();
  await mqtt.close();
  reader.close();
  await readings.close();
  registry.close();
  if (!a.keep) rmSync(dir, { recursive: true, force: true });

  // Memory and handles while running: the drain sample carries the end-of-run bookkeeping (every
  // acknowledged identity read back) and the simulators already closed.
  const running = samples.filter((x) => x.event !== 'drained');
  const first = running[1] ?? running[0]!;
  const last = running.at(-1)!;
  const result = {
    at: new Date().toISOString(),
    minutes,
    rateTarget: rate,
    devices,
    pollMs,
    faults,
    acknowledged: acked.size,
    storedRows: rows.length,
    stored: distinct.size,
    lost: lost.length,
    duplicates: rows.length - distinct.size,
    readingsPerSecond: Math.round(acked.size / (minutes * 60)),
    gateways: {
      published: gw.reduce((n, g) => n + g.published, 0),
      replayed: gw.reduce((n, g) => n + g.replayed, 0),
      dropped: gw.reduce((n, g) => n + g.dropped, 0),
    },
    ingest: { received: st.received, readingsIn: st.readingsIn, rejected: Object.values(st.rejected).reduce((x, y) => x + y, 0) },
    rssMiB: { first: first.rssMiB, max: Math.max(...running.map((x) => x.rssMiB)), last: last.rssMiB },
    handles: { first: first.handles, max: Math.max(...running.map((x) => x.handles)), last: last.handles },
    lagMs: {
      median: median(running.flatMap((x) => (x.lagMs === null || x.event ? [] : [x.lagMs]))),
      max: Math.max(...running.flatMap((x) => (x.lagMs === null ? [] : [x.lagMs]))),
    },
    samples,
  };
  console.log('\n| measure | value |\n| --- | --- |');
  const row = (k: string, v: unknown) => console.log(`| ${k} | ${v} |`);
  row('duration, target rate', `${minutes} min, ${rate} readings/s (${devices} devices, poll ${pollMs} ms)`);
  row('faults', faults.length ? faults.join('; ') : 'none');
  row('acknowledged to gateways (distinct readings)', result.acknowledged);
  row('stored (distinct identities / rows)', `${result.stored} / ${result.storedRows}`);
  row('lost (acknowledged, not stored)', result.lost);
  row('duplicates (rows beyond distinct identities)', result.duplicates);
  row('replayed by gateways after reconnects (stored once)', result.gateways.replayed);
  row('dropped by full spools', result.gateways.dropped);
  row('ingest rejects', result.ingest.rejected);
  row('RSS MiB while running: first / max / last', `${result.rssMiB.first} / ${result.rssMiB.max} / ${result.rssMiB.last}`);
  row('active handles while running: first / max / last', `${result.handles.first} / ${result.handles.max} / ${result.handles.last}`);
  row('ingest lag median / max (ms)', `${result.lagMs.median} / ${result.lagMs.max}`);
  if (a.json) appendFileSync(a.json, `${JSON.stringify(result)}\n`);
  if (lost.length > 0) {
    console.error(
      `LOST ${lost.length}, e.g. ${lost
        .slice(0, 5)
        .map((k) => k.replaceAll('\u0000', '/'))
        .join(', ')}`,
    );
    process.exitCode = 1;
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
