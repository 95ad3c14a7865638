import { afterEach, describe, expect, it } from 'vitest';
import { periods, sleep, waitFor } from '../support/wait.js';
import { CYCLE_MS, startStack, type Stack } from './stack.js';
import { LONG } from './support.js';

/** mqtt.js in gateway and ingest tries to reconnect every second. */
const RECONNECT_MS = 1000;

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
    await waitFor(() => stack!.ingest.stats().stored > 100, { message: 'readings stored', timeout: periods(10, CYCLE_MS) });
    await stack.stopBroker();
    const spooledBefore = stack.gateway.stats().buffered;
    await sleep(DOWN_MS); // the outage itself: its length is the point, nothing to await
    const spooled = stack.gateway.stats().buffered;
    expect(spooled).toBeGreaterThan(spooledBefore); // the devices kept being read into the spool
    const storedAt = stack.ingest.stats().stored;
    const back = Date.now();
    await stack.startBroker();
    const up = Date.now();
    await waitFor(() => stack!.ingest.stats().stored > storedAt && stack!.gateway.stats().connected, {
      message: 'storing again',
      timeout: periods(5, RECONNECT_MS + CYCLE_MS),
    });
    const recovery = Date.now() - up;
    // The backlog: DOWN_MS of readings, drained in batches of 500 every publish period and more.
    await waitFor(() => stack!.gateway.stats().buffered < 100, { message: 'spool drained', timeout: periods(Math.ceil(spooled / 500) + 10, CYCLE_MS) });
    const drained = Date.now() - up - recovery;
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
