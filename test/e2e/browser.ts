import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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

export interface SignInOptions {
  /** The interface language before the first page (kept if the page switches it later). */
  lang?: 'vi' | 'en';
  viewport?: { width: number; height: number };
  /** A phone: touch, mobile viewport rules. */
  mobile?: boolean;
  /** The browser's own locale (e.g. en-US, whose date picker writes mm/dd/yyyy). */
  locale?: string;
  acceptDownloads?: boolean;
}

/**
 * A browser context signed in as one demo role (the session cookie from the API's login), in
 * Vietnam time, its language chosen before the first page: what every browser test starts from.
 */
export async function signIn(stack: DemoStack, browser: Browser, role: string, o: SignInOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const login = stack.logins.find((l) => l.role === role);
  if (!login) throw new Error(`the demo has no login of role ${role}`);
  const context = await browser.newContext({
    viewport: o.viewport ?? { width: 1366, height: 900 },
    isMobile: !!o.mobile,
    hasTouch: !!o.mobile,
    timezoneId: 'Asia/Ho_Chi_Minh',
    ...(o.locale ? { locale: o.locale } : {}),
    ...(o.acceptDownloads ? { acceptDownloads: true } : {}),
  });
  const res = await context.request.post(new URL('/api/v1/auth/login', stack.dashboardUrl).href, { data: { username: login.user, password: login.password } });
  if (!res.ok()) throw new Error(`signing in as ${role} answered ${res.status()}`);
  if (o.lang) {
    await context.addInitScript((l) => {
      const store = (globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }).localStorage;
      if (store.getItem('metronet.lang') === null) store.setItem('metronet.lang', l);
    }, o.lang);
  }
  return { context, page: await context.newPage() };
}
