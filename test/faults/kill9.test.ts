import { describe, expect, it } from 'vitest';
import { runChain, summary, type ChainOptions } from './chain.js';
import { LONG } from './support.js';

/**
 * kill -9 at random moments under load, the whole path in separate processes (test/faults/chain.ts):
 * every reading the broker acknowledged to the gateway is stored, once.
 *
 * A broker crash is the hard case: the broker acknowledges a batch (PUBACK) before ingest has
 * stored it. While ingest keeps up, what it was sent is committed even if the broker dies, and a
 * crash loses next to nothing; while ingest is behind (stalled, slow, restarting) the broker
 * holds the batches queued for ingest's session — the embedded broker in memory, Mosquitto until
 * its next autosave — and a crash loses them, although the gateway dropped them from its spool.
 * `broker-behind` makes that happen every time; the gateway's replay window (gateway/spool.ts)
 * is what saves them. `FAULTS_REPLAY_MS=0` runs these tests without it (they then fail).
 */
const spool = process.env.FAULTS_REPLAY_MS !== undefined ? { replayMs: Number(process.env.FAULTS_REPLAY_MS) } : {};
const N = LONG ? 4 : 1;
const timeout = LONG ? 900_000 : 180_000;

async function expectNothingLost(o: ChainOptions, label: string) {
  const r = await runChain({ ...o, spool });
  console.log(`[faults] ${label}: ${summary(r)}`);
  expect(r.kills.length).toBe(Object.values(o.kills).reduce((a, b) => a + b, 0));
  expect(r.acknowledged).toBeGreaterThan(1000);
  expect(r.lost.length, `lost, e.g. ${r.lost.slice(0, 5).join(', ')}`).toBe(0);
  // The table's primary key is the reading's identity: rows = distinct identities means no double.
  expect(r.storedRows).toBe(r.stored);
}

describe('kill -9 under load: gateway, ingest and broker processes', () => {
  it('embedded broker (aedes), random kills of each process', { timeout }, () =>
    expectNothingLost({ broker: 'aedes', kills: { gateway: N, ingest: N, broker: N, 'broker-behind': N }, devices: 6, pollMs: 100 }, 'kill -9, aedes'),
  );

  it('Mosquitto with persistence, broker killed while ingest is behind and while it keeps up', { timeout }, () =>
    expectNothingLost({ broker: 'mosquitto', kills: { broker: N, 'broker-behind': N }, devices: 6, pollMs: 100 }, 'kill -9, mosquitto'),
  );
});
