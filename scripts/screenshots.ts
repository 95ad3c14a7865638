/**
 * Screenshots of the web UI's main pages for the README (issue 7): `npm run screenshots`.
 * Runs the demo province in-process (test/e2e/stack.ts), drives Debian's Chromium headless with
 * playwright-core, and writes PNGs to docs/screenshots/. Needs no network.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../test/e2e/browser.js';
import { startDemoStack } from '../test/e2e/stack.js';

const OUT = join(process.cwd(), 'docs', 'screenshots');

const PAGES: Array<{ file: string; role: string; hash: string; ready: string; lang?: 'vi' | 'en'; full?: boolean }> = [
  { file: 'overview.png', role: 'authority', hash: '#/', ready: '.tiles li' },
  { file: 'instruments.png', role: 'authority', hash: '#/instruments', ready: 'tr[data-instrument] .val' },
  { file: 'instrument-drift.png', role: 'lab', hash: '#/instruments/SC-0003', ready: '[data-predicted]', full: true },
  { file: 'alerts.png', role: 'authority', hash: '#/alerts', ready: '#alerts tr[data-alert]' },
  { file: 'calendar.png', role: 'lab', hash: '#/calendar', ready: 'table.month' },
  { file: 'references.png', role: 'lab', hash: '#/references', ready: '#references tr[data-reference]' },
  { file: 'gateways.png', role: 'authority', hash: '#/gateways', ready: '#gateways tr[data-gateway]' },
  { file: 'records-correction.png', role: 'lab', hash: '#/instruments/SC-0002', ready: 'tr[data-status="superseded"]', full: true },
  { file: 'reports.png', role: 'enterprise', hash: '#/reports', ready: 'a[data-report]' },
  { file: 'overview-en.png', role: 'enterprise', hash: '#/', ready: '.tiles li', lang: 'en' },
];

async function main() {
  mkdirSync(OUT, { recursive: true });
  const [stack, browser] = await Promise.all([startDemoStack(), launch()]);
  try {
    // Let the live values and spool states arrive.
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of PAGES) {
      const login = stack.logins.find((l) => l.role === p.role)!;
      const context = await browser.newContext({
        viewport: { width: 1360, height: 900 },
        deviceScaleFactor: 1,
        locale: 'vi-VN',
        timezoneId: 'Asia/Ho_Chi_Minh',
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`${p.file}: ${e.message}`));
      await context.request.post(new URL('/api/v1/auth/login', stack.dashboardUrl).href, { data: { username: login.user, password: login.password } });
      await page.addInitScript(
        (lang) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('metronet.lang', lang),
        p.lang ?? 'vi',
      );
      await page.goto(new URL(`/${p.hash}`, stack.dashboardUrl).href);
      await page.locator(p.ready).first().waitFor({ timeout: 20_000 });
      await page.waitForTimeout(1200);
      await page.screenshot({ path: join(OUT, p.file), fullPage: p.full ?? false });
      console.log(`docs/screenshots/${p.file}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await stack.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
