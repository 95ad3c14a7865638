import { expect } from 'vitest';
import { waitFor } from './wait.js';

/** Resource types and their counts (TCP sockets, servers, timers, file requests…). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/**
 * Asserts that nothing opened since `before` is still active. Timers are compared as "no more
 * than before", because vitest owns a test-timeout timer of its own that may come and go. A
 * socket finishes closing a tick or so after close() resolves (later on a busy machine), so this
 * waits for the count to come down and fails with what is still open.
 */
export async function expectNoLeaks(before: Map<string, number>): Promise<void> {
  const leaks = () => {
    const out: string[] = [];
    for (const [type, n] of activeResources()) {
      const allowed = before.get(type) ?? 0;
      if (n > allowed) out.push(`${type} ×${n - allowed}`);
    }
    return out;
  };
  await waitFor(() => leaks().length === 0, { message: 'resources opened by the test to close', timeout: 5000 }).catch(() => undefined);
  expect(leaks()).toEqual([]);
}
