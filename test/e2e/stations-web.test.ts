import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, signIn, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

/**
 * The stations page inside the web UI (#/stations, issues 8 and 17): reached from the menu with
 * sign-out and language beside it, the demo stations on the post-2025 Lâm Đồng outline, their
 * parameters coloured by limit, the VN_AQI badges, each station's link to its readings history;
 * a role with no station told so; the old /stations.html address still landing there.
 */
let stack: DemoStack;
let browser: Browser;

/** The outline module of the web UI (no DOM in it), loaded as the browser loads it. */
interface Outline {
  name: string;
  code: string;
  rings: number[][];
}
const outlineModule = pathToFileURL(new URL('../../dashboard/web/stations-outline.js', import.meta.url).pathname).href;
const loadOutline = async () => ((await import(outlineModule)) as { PROVINCE_OUTLINE: Outline }).PROVINCE_OUTLINE;

/** Ray casting: whether [lat, lon] is inside a ring of flat latitude, longitude pairs. */
function inside(ring: number[], lat: number, lon: number): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
    const [ai, oi, aj, oj] = [ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!];
    if (ai > lat !== aj > lat && lon < ((oj - oi) * (lat - ai)) / (aj - ai) + oi) c = !c;
  }
  return c;
}

const signedIn = (role: string) => signIn(stack, browser, role);

describe('the stations map outline', () => {
  it('is the post-2025 Lâm Đồng (code 68), a few hundred points, with the demo stations inside it', async () => {
    const { DEMO_PROVINCE } = await import('../../cli/province.js');
    const outline = await loadOutline();
    expect([outline.name, outline.code]).toEqual(['Lâm Đồng', '68']);
    const points = outline.rings.reduce((n, r) => n + r.length / 2, 0);
    expect(points).toBeGreaterThan(100);
    expect(points).toBeLessThan(600);
    const stations = DEMO_PROVINCE.sites.flatMap((s) => s.instruments.flatMap((i) => (i.station ? [{ id: i.id, ...i.station }] : [])));
    expect(stations.length).toBeGreaterThan(0);
    for (const s of stations) expect([s.id, outline.rings.some((r) => inside(r, s.latitude, s.longitude))]).toEqual([s.id, true]);
    // And the test itself tells outside from inside: Hồ Chí Minh City and the sea off Mũi Né.
    expect(outline.rings.some((r) => inside(r, 10.7769, 106.7009))).toBe(false);
    expect(outline.rings.some((r) => inside(r, 10.8, 108.5))).toBe(false);
  });
});

describe.runIf(browserAvailable)('the stations page in the web UI, headless Chromium', { timeout: 120_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  it('shows the demo stations on the map and their parameters coloured by limit, in Vietnamese then English, and links each to its history', async () => {
    const { context, page } = await signedIn('authority');
    await page.goto(new URL('/', stack.dashboardUrl).href);
    await page.click('a[data-nav="stations"]');
    await page.waitForURL(/#\/stations$/);
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Trạm quan trắc môi trường');
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    // Inside the shell: the menu marks the page, sign-out and the language switch are there.
    expect(await page.locator('a[data-nav="stations"]').getAttribute('aria-current')).toBe('page');
    expect(await page.locator('#logout').isVisible()).toBe(true);
    await expect
      .poll(() => page.locator('tr[data-station]').evaluateAll((els) => els.map((e) => e.getAttribute('data-station')).sort()))
      .toEqual(['AQ-LG-01', 'AQ-PT-01', 'WQ-PT-01']);
    // Map: one marker per station on the coordinate grid, no tiles.
    expect(await page.locator('#map .st circle').count()).toBe(3);
    expect(await page.locator('#map .grid text').first().textContent()).toMatch(/°[NE]$/);
    // The outline of Lâm Đồng since 1 July 2025 (two rings: the mainland and Phú Quý).
    expect(await page.locator('#map path.province').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){200,}ZM.*Z$/);
    expect(await page.locator('#map path.province title').textContent()).toMatch(/^Lâm Đồng — .*không phải số liệu đo đạc/);
    // The episode at La Gi: PM2.5 over its 24 h limit, SO₂ over its 1 h limit — red cells; Phan Thiết in the green.
    const cell = (st: string, p: string) => page.locator(`tr[data-station="${st}"] td[data-param="${p}"]`);
    await expect.poll(() => cell('AQ-LG-01', 'pm25').getAttribute('data-level')).toBe('over');
    expect(await cell('AQ-LG-01', 'so2').getAttribute('data-level')).toBe('over');
    expect(await cell('AQ-PT-01', 'pm25').getAttribute('data-level')).toBe('ok');
    expect(
      await cell('AQ-LG-01', 'pm25').evaluate(
        (e) => (globalThis as unknown as { getComputedStyle(n: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor,
      ),
    ).toBe('rgb(249, 210, 207)');
    expect(await page.locator('tr[data-station="AQ-LG-01"] .exceed li').first().textContent()).toMatch(/vượt giới hạn/);
    expect(await page.locator('tr[data-station="AQ-LG-01"] .completeness').textContent()).toMatch(/^\d+ %$/);
    expect(await page.locator('#map .st[data-station="AQ-LG-01"] circle').getAttribute('class')).toBe('lvl-over');
    // VN_AQI badge under each air station (the hourly index and its category), none under the water station.
    await expect.poll(() => page.locator('tr[data-station="AQ-LG-01"] [data-aqi]').textContent()).toMatch(/^AQI \d+ · \S|chưa đủ dữ liệu/);
    expect(await page.locator('tr[data-station="WQ-PT-01"] [data-aqi]').count()).toBe(0);

    await page.getByRole('button', { name: 'EN' }).click();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Environmental monitoring stations');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await expect.poll(() => page.locator('tr[data-station="AQ-LG-01"] .exceed li').first().textContent()).toMatch(/above the limit/);

    // Each station opens its readings history: the instrument page with the readings chart.
    await page.locator('tr[data-station="AQ-LG-01"] a[data-history]').click();
    await page.waitForURL(/#\/instruments\/AQ-LG-01$/);
    const chart = page.locator('[data-chart="readings"]');
    await expect.poll(async () => Number((await chart.getAttribute('data-points')) ?? 0)).toBeGreaterThan(0);
    await context.close();
  });

  it('tells a role with no station why the page is empty, and shows the menu entry to every role', async () => {
    for (const { role } of stack.logins) {
      const { context, page } = await signedIn(role);
      await page.goto(new URL('/#/stations', stack.dashboardUrl).href);
      await page.locator('main[aria-busy="false"] h1').waitFor();
      expect([role, await page.locator('a[data-nav="stations"]').isVisible()]).toEqual([role, true]);
      const visible = ((await (await context.request.get(new URL('/api/v1/stations', stack.dashboardUrl).href)).json()) as { total: number }).total;
      if (visible) {
        expect([role, await page.locator('tr[data-station]').count()]).toEqual([role, visible]);
      } else {
        // The demo's market board has no station: a sentence saying so and what to do, never a blank page.
        const empty = page.locator('main [data-empty]');
        expect([role, await empty.textContent()]).toEqual([role, expect.stringMatching(/chưa có trạm quan trắc.*đăng ký/)]);
        expect(await page.locator('#map').isVisible()).toBe(false);
      }
      await context.close();
    }
  });

  it('sends the old /stations.html address to the page in the web UI', async () => {
    const { context, page } = await signedIn('authority');
    await page.goto(new URL('/stations.html', stack.dashboardUrl).href);
    await page.waitForURL(/\/#\/stations$/);
    await expect.poll(() => page.locator('tr[data-station]').count()).toBe(3);
    expect(await page.locator('a[data-nav="stations"]').getAttribute('aria-current')).toBe('page');
    await context.close();
  });
});
