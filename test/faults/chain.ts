import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles } from '../../core/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { spawnIngest, type WorkerProcess } from '../ingest/load.js';
import { freePort } from '../support/net.js';
import { periods, sleep, waitFor } from '../support/wait.js';
import {
  acknowledged,
  aedesProcess,
  mosquittoProcess,
  prepareSpool,
  queued,
  seeded,
  spawnGateway,
  stored,
  storedCount,
  type BrokerProcess,
  type Proc,
} from './support.js';

/**
 * The whole reading path as separate processes — simulators (Modbus TCP) → gateway → broker →
 * ingest → SQLite — under a steady load, with kill -9 of chosen processes at seeded random
 * moments. A killed process is started again after a short random pause, as a supervisor
 * would; the others are left alone and must recover by themselves.
 */
/**
 * `broker-behind`: ingest is stopped (SIGSTOP: a stalled or slow consumer), the broker acknowledges
 * and queues the gateway's batches for ingest's session, then the broker is killed; ingest is
 * resumed (SIGCONT) once the broker is back and must find its way by itself.
 */
export type Target = 'gateway' | 'ingest' | 'broker' | 'broker-behind';

export interface ChainOptions {
  broker: 'aedes' | 'mosquitto';
  kills: Partial<Record<Target, number>>;
  devices: number;
  pollMs: number;
  /** Gateway spool options (e.g. replayMs: 0 to see what a broker crash loses without the replay window). */
  spool?: Record<string, unknown>;
}

export interface KillRecord {
  target: Target;
  atMs: number;
  downMs: number;
  /** From the restart until readings flowed into the store again. */
  recoveryMs: number;
}

export interface ChainResult {
  seed: number;
  kills: KillRecord[];
  acknowledged: number;
  stored: number;
  storedRows: number;
  lost: string[];
  replayed: boolean;
  ms: number;
}

const profiles = loadProfiles();
const PUBLISH_MS = 100;
const FLUSH_MS = 50;
/** mqtt.js reconnects every second; a process restart (node + tsx) takes a few seconds on a busy machine. */
const RESTART_MS = 5000;

export async function runChain(o: ChainOptions): Promise<ChainResult> {
  const { seed, random, between } = seeded(`chain ${o.broker} ${JSON.stringify(o.kills)}`);
  const dir = mkdtempSync(join(tmpdir(), 'metronet-faults-'));
  const sims: SimulatorHandle[] = [];
  let broker: BrokerProcess | undefined;
  let ingest: WorkerProcess | undefined;
  let gateway: Proc | undefined;
  const t0 = Date.now();
  try {
    for (let i = 0; i < o.devices; i++) sims.push(await startSimulator({ profile: profiles.get('water-station-tcp')!, seed: i + 1 }));
    const port = await freePort();
    broker = o.broker === 'aedes' ? aedesProcess(port) : mosquittoProcess(port, join(dir, 'mosquitto'));
    await broker.start();

    const readingsDb = join(dir, 'data', 'readings.db');
    const ingestConfig = {
      dataDir: join(dir, 'data'),
      log: { level: 'info' },
      mqtt: { url: broker.url },
      readings: { kind: 'sqlite' },
      ingest: { clientId: 'metronet-ingest-faults', batchSize: 2000, flushMs: FLUSH_MS },
    };
    const startIngest = async () => {
      ingest = spawnIngest(join(dir, 'ingest.yaml'), ingestConfig);
      await ingest.ready;
    };
    await startIngest();

    const stateDir = join(dir, 'gateway');
    const spoolFile = join(stateDir, 'gw-faults.spool.db');
    prepareSpool(spoolFile, o.spool?.replayMs === 0);
    const gatewayOptions = {
      id: 'gw-faults',
      org: 'org-faults',
      mqtt: { url: broker.url },
      publishMs: PUBLISH_MS,
      maxBatch: 500,
      stateDir,
      spool: { flushMs: 50, replayDelayMs: 2000, ...o.spool },
      devices: sims.map((s, i) => ({
        name: `ws${i}`,
        instrument: `WS-F${i}`,
        profile: 'water-station-tcp',
        transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: s.port, timeoutMs: 1000 },
        pollMs: o.pollMs,
      })),
    };
    const startGateway = async () => {
      gateway = await spawnGateway(gatewayOptions);
    };
    await startGateway();
    const cycle = o.pollMs + PUBLISH_MS + FLUSH_MS;
    await waitFor(() => storedCount(readingsDb) > 0, { message: 'first readings stored', timeout: periods(5, cycle), interval: 100 });

    // The kill schedule: every target its number of kills, in a seeded random order, each after a
    // seeded random stretch of normal running.
    const plan: Target[] = (Object.entries(o.kills) as [Target, number][]).flatMap(([t, n]) => Array<Target>(n).fill(t));
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const kills: KillRecord[] = [];
    // The sleeps below are the point of the test, with nothing to await: kills at seeded random
    // moments, processes down for a seeded random while, a consumer stalled for a while.
    for (const target of plan) {
      await sleep(between(1000, 4000));
      const atMs = Date.now() - t0;
      if (target === 'gateway') await gateway!.kill9();
      else if (target === 'ingest') await ingest!.kill9();
      else if (target === 'broker') await broker.kill9();
      else {
        ingest!.child.kill('SIGSTOP');
        await sleep(between(1500, 3000));
        await broker.kill9();
      }
      const downMs = Math.round(between(200, 1500));
      await sleep(downMs);
      const before = storedCount(readingsDb);
      const restarted = Date.now();
      if (target === 'gateway') await startGateway();
      else if (target === 'ingest') await startIngest();
      else await broker.start();
      if (target === 'broker-behind') ingest!.child.kill('SIGCONT');
      await waitFor(() => storedCount(readingsDb) > before, {
        message: `readings stored again after the ${target} restart`,
        timeout: periods(5, RESTART_MS + cycle),
        interval: 100,
      });
      kills.push({ target, atMs, downMs, recoveryMs: Date.now() - restarted });
    }

    // End of the load after a last second of normal running (time under load is the point): the
    // devices go quiet, the gateway drains its spool and its replay window.
    await sleep(1000);
    await Promise.all(sims.splice(0).map((s) => s.close()));
    let acked = acknowledged(spoolFile);
    await waitFor(
      () => {
        if (queued(spoolFile) > 0) return false;
        acked = acknowledged(spoolFile);
        const have = stored(readingsDb).keys;
        for (const k of acked) if (!have.has(k)) return false;
        return true;
      },
      { message: 'every acknowledged reading stored', timeout: Number(process.env.FAULTS_DRAIN_MS ?? 60_000), interval: 500 },
    ).catch(() => undefined); // the assertion below names what is missing
    await gateway!.stop();
    acked = acknowledged(spoolFile);
    const st = stored(readingsDb);
    const lost = [...acked].filter((k) => !st.keys.has(k));
    return { seed, kills, acknowledged: acked.size, stored: st.keys.size, storedRows: st.rows, lost, replayed: true, ms: Date.now() - t0 };
  } finally {
    await gateway?.stop();
    await ingest?.stop();
    await broker?.stop();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line for the log and RELIABILITY.md. */
export function summary(r: ChainResult): string {
  const kills = r.kills.map((k) => `${k.target}@${(k.atMs / 1000).toFixed(1)}s down ${k.downMs}ms recovered ${k.recoveryMs}ms`).join('; ');
  return `seed ${r.seed}: acknowledged ${r.acknowledged}, stored ${r.stored} (rows ${r.storedRows}), lost ${r.lost.length}, duplicates ${r.storedRows - r.stored}, ${r.kills.length} kills [${kills}], ${(r.ms / 1000).toFixed(0)} s`;
}
