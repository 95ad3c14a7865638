import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { start as startBroker, type BrokerHandle } from '../../broker/index.js';
import { topics } from '../../core/index.js';
import { openRegistry } from '../../store/index.js';
import { sleep, waitFor } from '../support/wait.js';
import { LONG, procOf, seeded, type Proc } from './support.js';

/**
 * kill -9 of `metronet analytics` at random moments while check measurements arrive on the
 * checks topic (QoS 1): analytics acknowledges a message only after its checks are committed
 * (analytics/index.ts), its session is persistent, and a check's identity (instrument, channel,
 * ts) is unique in the registry. So every check the broker acknowledged to the sender is stored,
 * once, however often analytics dies. The broker itself is not killed here: see kill9.test.ts for
 * what a broker crash means, and RELIABILITY.md for checks under it.
 */
const BIN = fileURLToPath(new URL('../../bin/metronet.js', import.meta.url));
const MESSAGES = LONG ? 5000 : 300;
const PER_MESSAGE = 5;
const KILLS = LONG ? 10 : 3;
/** Spread over many instruments: each check is judged against its channel's history. */
const INSTRUMENTS = 40;

let broker: BrokerHandle | undefined;
const dir = mkdtempSync(join(tmpdir(), 'metronet-faults-analytics-'));
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

function spawnAnalytics(configFile: string): Promise<Proc> {
  const { METRONET_LONG_TESTS: _l, ...env } = process.env;
  const child = spawn(process.execPath, [BIN, 'analytics', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const proc = procOf(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
    child.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
      if (out.includes('"analytics running"')) resolve(proc);
    });
    void proc.exited.then(() => reject(new Error(`analytics exited before it was ready:\n${out}`)));
  });
}

describe('kill -9 of analytics under a stream of checks', () => {
  // The backstop is above the sum of the waits below (3 restarts × 120 s + the drain's 180 s): on a
  // busy machine analytics restarts slowly and the checks sent meanwhile queue up in the broker.
  it(`stores every acknowledged check once across ${KILLS} kills`, { timeout: LONG ? 900_000 : 600_000 }, async () => {
    const { seed, between } = seeded('analytics kill -9');
    broker = await startBroker({ host: '127.0.0.1', port: 0 });
    const dataDir = join(dir, 'data');
    const registry = openRegistry(join(dataDir, 'registry.db'));
    registry.upsertOrg({ id: 'org-faults', name: 'Faults', kind: 'enterprise' });
    for (let i = 0; i < INSTRUMENTS; i++) {
      registry.upsertInstrument({ id: `SC-F${i}`, org: 'org-faults', registration: 'registered', kind: 'scale', name: `SC-F${i}`, gateway: 'gw-faults' });
      registry.ensureChannel(`SC-F${i}`, 'mass', 'kg');
    }
    registry.close();
    const configFile = join(dir, 'analytics.yaml');
    writeFileSync(
      configFile,
      stringify({
        dataDir,
        log: { level: 'info' },
        mqtt: { url: broker.url },
        readings: { kind: 'sqlite' },
        analytics: { clientId: 'metronet-analytics-faults' },
      }),
    );
    let analytics = await spawnAnalytics(configFile);

    const pub = await connectAsync(broker.url, { clientId: 'checks-sender', reconnectPeriod: 500 });
    let acked = 0;
    const t0 = Date.now() - 86_400_000;
    let killing = true;
    let sent = 0;
    const sending = (async () => {
      // A steady stream that outlasts the kills (however slowly the machine restarts analytics), up
      // to five times its length, so that a slow machine is not also given an ever longer backlog.
      for (let m = 0; m < MESSAGES || (killing && m < 5 * MESSAGES); m++) {
        sent++;
        const checks = Array.from({ length: PER_MESSAGE }, (_, k) => ({
          instrument: `SC-F${(m * PER_MESSAGE + k) % INSTRUMENTS}`,
          channel: 'mass',
          ts: t0 + (m * PER_MESSAGE + k) * 1000,
          referenceValue: 20,
          referenceU: 0.002,
          indicated: 20 + ((m + k) % 7) / 1000,
        }));
        await pub.publishAsync(topics.checks('org-faults', 'gw-faults'), JSON.stringify({ v: 1, gateway: 'gw-faults', checks }), { qos: 1 });
        acked += checks.length;
        await sleep(40); // the stream's pace (25 messages a second): time is the point here
      }
    })();
    const db = () => new Database(join(dataDir, 'registry.db'), { readonly: true });
    const count = () => {
      const d = db();
      try {
        return (d.prepare('SELECT count(*) AS n FROM checks').get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    const kills: string[] = [];
    // Kills at seeded random moments, down for a seeded random while: the sleeps are the point.
    for (let k = 0; k < KILLS; k++) {
      await sleep(between(300, 2000));
      await analytics.kill9();
      const at = count();
      const down = Math.round(between(100, 1500));
      await sleep(down);
      const restarted = Date.now();
      analytics = await spawnAnalytics(configFile);
      const ready = Date.now();
      await waitFor(() => count() > at, { message: 'checks stored again', timeout: 120_000, interval: 100 });
      const recovery = Date.now() - ready;
      kills.push(
        `killed with ${at} stored, down ${down} ms, storing again ${Date.now() - restarted} ms after the restart (process start included; ${recovery} ms after ready)`,
      );
    }
    killing = false;
    await sending;
    await waitFor(() => count() >= acked, { message: 'every acknowledged check stored', timeout: 180_000, interval: 100 });
    await analytics.stop();
    await pub.endAsync();
    const reg = db();
    const { n, d: distinct } = reg.prepare("SELECT count(*) AS n, count(DISTINCT instrument || '|' || channel || '|' || ts) AS d FROM checks").get() as {
      n: number;
      d: number;
    };
    reg.close();
    console.log(
      `[faults] analytics kill -9 (seed ${seed}): acknowledged ${acked} checks, stored ${n}, lost ${acked - distinct}, duplicates ${n - distinct}, ${KILLS} kills: ${kills.join('; ')}`,
    );
    expect(acked).toBe(sent * PER_MESSAGE);
    expect(distinct).toBe(acked);
    expect(n).toBe(distinct);
  });
});
