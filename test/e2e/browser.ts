import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startDemoStack, type DemoStack } from './stack.js';

/** Debian's Chromium, installed by scripts/install-test-deps.sh. */
export const CHROMIUM = process.env.METRONET_CHROMIUM ?? '/usr/bin/chromium';

/**
 * In CI the browser must be there (a missing one fails the run); on a developer machine
 * without it, browser tests are skipped with a notice instead of failing `npm test`.
 */
export const browserAvailable = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!browserAvailable) console.warn(`browser tests skipped: ${CHROMIUM} not found (run scripts/install-test-deps.sh)`);

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The closed network here refuses Chromium's background connections; do not make them.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Inside a describe: the demo stack and a headless Chromium started before its tests (in
 * parallel) and closed after them; `set` receives both for the tests to use.
 */
export function useDemoWithBrowser(set: (stack: DemoStack, browser: Browser) => void): void {
  let stack: DemoStack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startDemoStack(), launch()]);
    set(stack, browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
}
