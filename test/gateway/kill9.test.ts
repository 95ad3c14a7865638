import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfiles, type Reading } from '../../core/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';
import { freePort } from '../support/net.js';
import { periods, waitFor } from '../support/wait.js';
import { broker, collect } from './support.js';

const profiles = loadProfiles();
const CHILD = join(import.meta.dirname, 'fixtures', 'gateway-child.ts');
const POLL_MS = 100;
const PUBLISH_MS = 100;
const MAX_BATCH = 200;
const key = (r: Reading) => `${r.instrument}|${r.channel}|${r.ts}`;

function spawnGateway(options: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
  });
}

const killed = (child: ChildProcess) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', () => r())));

/** What the spool file holds right now (read-only, as another process would). */
function spooled(file: string): Reading[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT body FROM readings ORDER BY id').all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Reading);
  } finally {
    db.close();
  }
}

describe('kill -9 of the gateway process', () => {
  let sims: SimulatorHandle[];
  let stateDir: string;

  beforeAll(async () => {
    sims = await Promise.all([1, 2, 3].map((seed) => startSimulator({ profile: profiles.get('water-station-tcp')!, seed })));
    stateDir = await tempDir();
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await removeDir(stateDir);
  });

  it('loses nothing that was spooled, across repeated kills with the broker down and up', async () => {
    const port = await freePort();
    const options = {
      id: 'gw-k9',
      org: 'org-t',
      mqtt: { url: `mqtt://127.0.0.1:${port}` },
      publishMs: PUBLISH_MS,
      maxBatch: MAX_BATCH,
      stateDir,
      // The spool's own durability across kills; the replay window (sent again after each
      // connect) would only add copies here and is tested with broker crashes in test/faults.
      spool: { flushMs: 50, replayMs: 0 },
      devices: sims.map((s, i) => ({
        name: `ws${i}`,
        instrument: `WS-${i}`,
        profile: 'water-station-tcp',
        transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: s.port, timeoutMs: 500 },
        pollMs: POLL_MS,
      })),
    };
    const file = join(stateDir, 'gw-k9.spool.db');
    const mustArrive = new Map<string, Reading>();
    const snapshot = () => spooled(file).forEach((r) => mustArrive.set(key(r), r));

    // Broker down: readings pile up in the spool; each kill -9 must leave them all on disk. Each
    // run is killed once 60 more readings are on disk (a few polls of the three stations).
    for (let i = 0; i < 2; i++) {
      const child = await spawnGateway(options);
      await waitFor(() => spooled(file).length >= 60 * (i + 1), {
        message: `60 more readings spooled by run ${i + 1}`,
        timeout: periods(10, POLL_MS),
        interval: 50,
      });
      child.kill('SIGKILL');
      await killed(child);
      snapshot();
    }
    expect(mustArrive.size).toBeGreaterThan(100);

    // Broker up: kill while batches are in flight, twice, then let the last run drain.
    const mqtt = await broker(port);
    const sub = await collect(mqtt.url);
    for (let i = 0; i < 2; i++) {
      const received = sub.readings().length;
      const child = await spawnGateway(options);
      // Killed once its first batch is through, so others are still queued or in flight.
      await waitFor(() => sub.readings().length > received, { message: `a batch from run ${i + 3}`, timeout: periods(3, PUBLISH_MS + 1000) });
      child.kill('SIGKILL');
      await killed(child);
      snapshot();
    }
    const last = await spawnGateway(options);
    await waitFor(() => spooled(file).length === 0 && sub.readings().length >= mustArrive.size, {
      message: 'spool drained',
      timeout: periods(Math.ceil(mustArrive.size / MAX_BATCH) + 10, PUBLISH_MS),
      interval: 50,
    });
    last.kill('SIGTERM');
    await killed(last);

    const received = new Set(sub.readings().map(key));
    const missing = [...mustArrive.keys()].filter((k) => !received.has(k));
    expect(missing).toEqual([]);
    // In order per instrument and channel, once duplicates from batches resent after a kill are
    // set aside (QoS 1 is at least once; ingest stores a reading once by its identity).
    const seen = new Set<string>();
    const lastTs = new Map<string, number>();
    for (const r of sub.readings()) {
      if (seen.has(key(r))) continue;
      seen.add(key(r));
      const ch = `${r.instrument}|${r.channel}`;
      expect(r.ts, ch).toBeGreaterThan(lastTs.get(ch) ?? 0);
      lastTs.set(ch, r.ts);
    }
    await sub.close();
    await mqtt.close();
  });
});
