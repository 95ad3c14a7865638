import { describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { startDemoStack } from './stack.js';

/** Handle kinds that would keep a process alive after close(). */
const LIVE = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'FSReqCallback', 'PipeWrap']);
const live = () => process.getActiveResourcesInfo().filter((r) => LIVE.has(r));
const tally = (xs: string[]) => {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
};

describe('close()', () => {
  it('stops the whole demo stack and leaves no sockets, servers or timers behind', async () => {
    const before = tally(live());
    const stack = await startDemoStack();
    await waitFor(() => stack.registry.getChannel('SC-0001', 'gross')?.lastTs, { message: 'a first stored reading', timeout: periods(3, stack.cycleMs) });
    expect(live().length).toBeGreaterThan(20);
    await stack.close();
    // vitest's own test timer may be in `before` and gone by now, so compare as "no more than".
    const leftover = () => {
      const now = tally(live());
      return Object.entries(now).filter(([k, n]) => n > (before[k] ?? 0));
    };
    await waitFor(() => leftover().length === 0, { message: 'handles to be released', timeout: 5000 }).catch(() => undefined); // asserted below, naming them
    expect(leftover()).toEqual([]);
  });
});
