import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.js';
import { LONG, sleep, waitUntil } from './support.js';

/**
 * Broker outage (stopped, away for a while, started again on the same port) with the accounting
 * end to end: every reading the broker acknowledged to the gateway is in ingest's store, once.
 * Gateway and ingest are not restarted: both must reconnect by themselves. What the gateway
 * spools meanwhile, its order and seqs are covered by test/gateway/outage*.test.ts; InfluxDB
 * away under load by test/ingest/influx-outage.test.ts (acknowledged = stored = N there).
 */
const DOWN_MS = LONG ? 60_000 : 5000;
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('broker outage', () => {
  it(`${DOWN_MS / 1000} s away: gateway and ingest recover by themselves, nothing lost or doubled`, { timeout: DOWN_MS + 90_000 }, async () => {
    stack = await startStack({ devices: 4 });
    await waitUntil(() => stack!.ingest.stats().stored > 100, 30_000, 'readings stored');
    await stack.stopBroker();
    const spooledBefore = stack.gateway.stats().buffered;
    await sleep(DOWN_MS);
    const spooled = stack.gateway.stats().buffered;
    expect(spooled).toBeGreaterThan(spooledBefore); // the devices kept being read into the spool
    const storedAt = stack.ingest.stats().stored;
    const back = Date.now();
    await stack.startBroker();
    const recovery = await waitUntil(() => stack!.ingest.stats().stored > storedAt && stack!.gateway.stats().connected, 30_000, 'storing again');
    const drained = await waitUntil(() => stack!.gateway.stats().buffered < 100, 60_000, 'spool drained');
    const r = await stack.settle();
    console.log(
      `[faults] broker outage ${DOWN_MS / 1000} s: ${spooled} readings spooled meanwhile; storing again ${recovery} ms and spool drained ${recovery + drained} ms after the broker was back (${Date.now() - back} ms to settle); ` +
        `acknowledged ${r.acknowledged}, stored ${r.stored} (rows ${r.rows}), lost ${r.lost.length}, duplicates ${r.rows - r.stored}, replayed ${stack.gateway.stats().replayed}`,
    );
    expect(r.lost.slice(0, 5)).toEqual([]);
    expect(r.rows).toBe(r.stored);
    expect(stack.gateway.stats().dropped).toBe(0);
  });
});
