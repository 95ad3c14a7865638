import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { WAIT_MS } from './test/support/wait.js';

/**
 * Two projects:
 * - `unit`: the suite `npm test` runs (everything under test/ but test/slow/).
 * - `slow`: long Monte-Carlo simulations (test/slow/), outside `npm test`; only configured when
 *   asked for: `METRONET_SLOW_TESTS=1 npx vitest run --project slow`.
 *
 * Tests wait for conditions with test/support/wait.ts; a test's own timeout is only the backstop
 * for a hung test, above the sum of its waits on a busy machine (`npm run test:stress` runs two
 * copies of the suite at once), so that a failure names what it waited for.
 */
const slow = process.env.METRONET_SLOW_TESTS === '1';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests open real sockets and SQLite files; forks keep native handles per process.
    pool: 'forks',
    // Most files wait on servers, browsers and child processes rather than compute: two files at
    // a time even on a 2-core machine (vitest's default there is one), more where there are cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // expect.poll (the browser tests' DOM assertions) waits as long as the shared wait helper.
    expect: { poll: { timeout: WAIT_MS, interval: 50 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/slow/**'] } },
      ...(slow ? [{ extends: true as const, test: { name: 'slow', include: ['test/slow/**/*.test.ts'], testTimeout: 600_000 } }] : []),
    ],
  },
});
