import { afterEach, describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { CYCLE_MS, startStack, type Stack } from './stack.js';
import { acknowledged } from './support.js';

/**
 * A gateway clock 10 minutes off. Only the difference between the gateway's clock and ingest's
 * matters, so the test moves ingest's clock (`now`) the other way: the gateway, its readings'
 * ts and its status ts all keep the machine clock. Nothing may be lost silently, nor stored
 * with wrong times without a trace:
 * - 10 minutes ahead: beyond maxFutureMs (5 min), every reading is refused E_TS_IN_FUTURE, each
 *   with its reason in the registry's rejects (and a notice to the gateway), and the gateway's
 *   clock is recorded as E_CLOCK_SKEW;
 * - 10 minutes behind: the readings are stored with the gateway's times (no check on a reading
 *   can tell them from a backlog), and the gateway's clock is recorded as E_CLOCK_SKEW, counted,
 *   logged and listed with the rejects, naming the offset.
 */
const OFFSET = 10 * 60_000;
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('gateway clock 10 minutes off', () => {
  it('ahead: readings refused with a reason each, the skew recorded', { timeout: 60_000 }, async () => {
    stack = await startStack({ ingestNow: () => Date.now() - OFFSET });
    await waitFor(() => stack!.gateway.stats().published > 100, { message: 'readings acknowledged', timeout: periods(10, CYCLE_MS) });
    await waitFor(() => (stack!.ingest.stats().rejected.E_TS_IN_FUTURE ?? 0) > 100, { message: 'readings refused', timeout: periods(10, CYCLE_MS) });
    // A refused reading is accounted for by its reject: instrument and ts (value), for each of its channels.
    const rejects = () => stack!.registry.listRejects({ gateway: 'gw-faults', limit: 100_000 });
    const refusedKeys = () => {
      const refused = new Set(
        rejects()
          .filter((x) => x.code === 'E_TS_IN_FUTURE')
          .map((x) => `${x.instrument}|${String(x.value)}`),
      );
      return new Set([...acknowledged(stack!.spoolFile)].filter((k) => refused.has(`${k.split('|')[0]}|${k.split('|')[2]}`)));
    };
    const r = await stack.settle(30_000, refusedKeys);
    const untraced = r.lost;
    const refused = refusedKeys();
    const skew = rejects().filter((x) => x.code === 'E_CLOCK_SKEW');
    console.log(
      `[faults] clock 10 min ahead: acknowledged ${r.acknowledged}, stored ${r.stored}, refused with E_TS_IN_FUTURE ${refused.size}, untraced ${untraced.length}, E_CLOCK_SKEW ${skew.length}`,
    );
    expect(r.stored).toBe(0);
    expect(untraced).toEqual([]);
    expect(skew.length).toBeGreaterThan(0);
    expect(skew[0]!.message).toMatch(/clock is 600 s ahead of the server clock/);
  });

  it('behind: readings stored with the gateway times, and the skew recorded next to them', { timeout: 60_000 }, async () => {
    stack = await startStack({ ingestNow: () => Date.now() + OFFSET });
    await waitFor(() => stack!.ingest.stats().stored > 100, { message: 'readings stored', timeout: periods(10, CYCLE_MS) });
    const r = await stack.settle();
    const skew = stack.registry.listRejects({ gateway: 'gw-faults' }).filter((x) => x.code === 'E_CLOCK_SKEW');
    console.log(
      `[faults] clock 10 min behind: acknowledged ${r.acknowledged}, stored ${r.stored} (rows ${r.rows}), lost ${r.lost.length}, E_CLOCK_SKEW ${skew.length}: ${skew[0]?.message}`,
    );
    expect(r.lost).toEqual([]);
    expect(r.rows).toBe(r.stored);
    expect(skew.length).toBeGreaterThan(0);
    expect(skew[0]!.message).toMatch(/clock is 600 s behind the server clock/);
    expect(stack.ingest.stats().rejected.E_CLOCK_SKEW).toBeGreaterThan(0);
    expect((await stack.ingest.metrics()).body).toMatch(/metronet_ingest_rejects_total\{[^}]*code="E_CLOCK_SKEW"[^}]*\} [1-9]/);
  });
});
