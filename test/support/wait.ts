/**
 * The one way tests wait (issue "one rule in one place", part 6). Tests await a condition — a row
 * stored, a message received, a port open, a process exited — never a fixed time. Timeouts are
 * generous because the suite must hold on a busy 2-core machine (`npm run test:stress` runs two
 * copies of it at once); a timeout only matters when something is really wrong, and then the
 * message says what was awaited, the last value seen and the last error the probe threw.
 *
 * No vitest import: test/support/servers.ts uses it, and bench scripts import that outside vitest.
 */

/** Default timeout of a wait (ms). A busy machine may run several suites, browsers and brokers at once. */
export const WAIT_MS = 20_000;

/**
 * What n periods take on a busy machine: `n × periodMs` plus a fixed allowance for the machine
 * (process start-up, GC, a second suite on the same cores). Use it wherever a wait depends on a
 * configured period — gateway pollMs/publishMs, ingest flushMs, analytics evaluateEveryMs, the
 * dashboard's events tick — so the timeout follows the configuration instead of a magic number.
 */
export const BUSY_MS = 10_000;
export function periods(n: number, periodMs: number): number {
  return Math.round(n * periodMs) + BUSY_MS;
}

export interface WaitOptions {
  /** Give up after this many ms (default WAIT_MS). */
  timeout?: number;
  /** Probe every this many ms (default 20). */
  interval?: number;
  /** What is awaited, for the failure message: "timed out after … waiting for <message>". */
  message?: string;
  /**
   * Checked after every probe that did not succeed: a non-empty string says why waiting further
   * is pointless (a child process exited, a server closed) and fails the wait at once with it.
   */
  abortIf?: () => string | false | null | undefined;
}

/** A probe's answers that mean "not yet": the falsy ones. */
type NotYet = undefined | null | false | 0 | '';

/**
 * Probes until `probe` returns (or resolves to) a truthy value, and returns that value — so
 * `() => rows.length === 3 && rows` waits for the rows and hands them over. A probe that throws
 * (an `expect` inside it, a refused connection) is retried until the timeout; then the wait
 * fails with the last error. `opts` may be just the message.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions | string = {}): Promise<Exclude<T, NotYet>> {
  const o = typeof opts === 'string' ? { message: opts } : opts;
  const timeout = o.timeout ?? WAIT_MS;
  const interval = o.interval ?? 20;
  const what = o.message ?? 'a condition';
  const started = Date.now();
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as Exclude<T, NotYet>;
      lastValue = v;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const aborted = o.abortIf?.();
    if (aborted) throw new Error(`gave up waiting for ${what}: ${aborted}`);
    if (Date.now() - started >= timeout) {
      const why =
        lastError !== undefined ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : `; last value: ${String(lastValue)}`;
      const err = new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
      if (lastError instanceof Error) err.cause = lastError;
      throw err;
    }
    await sleep(interval);
  }
}

/**
 * Lets time pass. Only for tests whose point is the passage of time with nothing to await (an
 * outage of a given length, "nothing arrives during…"); say why at the call site.
 */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
