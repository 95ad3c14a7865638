import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

/**
 * Every page of the web UI, for every role that sees it, on a laptop (1366 × 900) and a phone
 * (390 × 844): nothing needs sideways scrolling and nothing in the page is wider than the screen;
 * on the phone, where tables become cards, each cell shows its column's name. Before: the
 * instrument page was 416 px wide on the phone and 1 392 px on the laptop, the stations page
 * 1 521 px, and phone tables lost their headers.
 */
let stack: DemoStack;
let browser: Browser;

/** The pages and who has them in the menu (app.js NAV_ROLES; the API answers the others 403). */
const PAGES: Array<{ hash: string; nav: string; roles?: string[]; ready: string }> = [
  { hash: '#/', nav: 'overview', ready: '.tiles li' },
  { hash: '#/instruments', nav: 'instruments', ready: 'tr[data-instrument]' },
  // An instrument every demo role sees (a scale of the Phan Thiết market).
  { hash: '#/instruments/SC-0003', nav: 'instruments', ready: '[data-chart="readings"][data-points]' },
  { hash: '#/alerts', nav: 'alerts', ready: 'table tbody tr' },
  { hash: '#/calendar', nav: 'calendar', ready: 'table.month' },
  { hash: '#/references', nav: 'references', roles: ['admin', 'authority', 'lab'], ready: 'table tbody tr' },
  { hash: '#/gateways', nav: 'gateways', roles: ['admin', 'authority', 'enterprise'], ready: 'table tbody tr' },
  { hash: '#/reports', nav: 'reports', ready: 'h1' },
  { hash: '#/stations', nav: 'stations', ready: 'tr[data-station], [data-empty]' },
];
const SIZES = [
  { name: 'laptop', width: 1366, height: 900, mobile: false },
  { name: 'phone', width: 390, height: 844, mobile: true },
] as const;

interface Layout {
  innerWidth: number;
  scrollWidth: number;
  /** Elements in the page whose right edge is beyond the screen's. */
  wide: string[];
  /** Body cells of tables with a header row that carry no column name. */
  unlabelled: string[];
  /** A labelled cell's name as the phone layout shows it (its ::before content), and the name. */
  shown: { label: string; before: string } | null;
}

const layout = (page: Page, width: number) =>
  page.evaluate(`(() => {
    const W = ${width};
    const name = (e) => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().replace(/\\s+/g, '.') : '');
    const wide = [...document.querySelectorAll('main *')]
      .filter((e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().right > W + 1)
      .map((e) => name(e) + ' → ' + Math.round(e.getBoundingClientRect().right) + ' px')
      .slice(0, 5);
    const cells = [...document.querySelectorAll('main table')].filter((t) => t.tHead).flatMap((t) => [...t.tBodies].flatMap((b) => [...b.querySelectorAll(':scope > tr > td, :scope > tr > th')]));
    const unlabelled = cells.filter((c) => c.colSpan === 1 && !c.hasAttribute('data-label')).map((c) => name(c.closest('table')) + ': ' + c.textContent.slice(0, 30)).slice(0, 5);
    const cell = cells.find((c) => c.dataset.label && c.closest('table:not(.month)') && c.getBoundingClientRect().height > 0);
    return {
      innerWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      wide,
      unlabelled,
      shown: cell ? { label: cell.dataset.label, before: getComputedStyle(cell, '::before').content } : null,
    };
  })()`) as Promise<Layout>;

describe.runIf(browserAvailable)('the web UI fits the screen, every page and role, laptop and phone (headless Chromium)', { timeout: 300_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  for (const size of SIZES) {
    for (const role of ['admin', 'authority', 'lab', 'enterprise']) {
      it(`${role} on a ${size.name} (${size.width} × ${size.height})`, async () => {
        const login = stack.logins.find((l) => l.role === role)!;
        const context = await browser.newContext({
          viewport: { width: size.width, height: size.height },
          isMobile: size.mobile,
          hasTouch: size.mobile,
          timezoneId: 'Asia/Ho_Chi_Minh',
        });
        const res = await context.request.post(new URL('/api/v1/auth/login', stack.dashboardUrl).href, {
          data: { username: login.user, password: login.password },
        });
        expect(res.ok()).toBe(true);
        const page = await context.newPage();
        let labelled = 0;
        for (const p of PAGES) {
          const sees = !p.roles || p.roles.includes(role);
          await page.goto(new URL(`/${p.hash}`, stack.dashboardUrl).href);
          await page.locator('main[aria-busy="false"] .view h1').waitFor();
          // The menu offers the page exactly to the roles that have it.
          expect([p.nav, await page.locator(`a[data-nav="${p.nav}"]`).isVisible()]).toEqual([p.nav, sees]);
          if (!sees) continue;
          await page.locator(`main .view :is(${p.ready})`).first().waitFor();
          const l = await layout(page, size.width);
          const where = `${p.hash} (${role}, ${size.name})`;
          // A phone browser widens its layout viewport to fit content that overflows: innerWidth tells too.
          expect([where, l.innerWidth, l.scrollWidth <= size.width, l.wide]).toEqual([where, size.width, true, []]);
          if (!size.mobile) continue;
          expect([where, l.unlabelled]).toEqual([where, []]);
          if (l.shown) {
            // The name is on screen: the card shows it above the value.
            expect([where, l.shown.before]).toEqual([where, JSON.stringify(l.shown.label)]);
            labelled++;
          }
        }
        // Tables were there to look at: the instruments list at least.
        if (size.mobile) expect(labelled).toBeGreaterThan(0);
        await context.close();
      });
    }
  }
});
