import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

let stack: DemoStack;
let browser: Browser;

describe.runIf(browserAvailable)('the stations page in headless Chromium', () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  it('shows the demo stations on the map and their parameters coloured by limit, in Vietnamese then English', async () => {
    const page = await browser.newPage();
    const authority = stack.logins.find((l) => l.role === 'authority')!;
    const login = await page.request.post(new URL('/api/v1/auth/login', stack.dashboardUrl).href, {
      data: { username: authority.user, password: authority.password },
    });
    expect(login.ok()).toBe(true);
    await page.goto(new URL('/', stack.dashboardUrl).href);
    await page.click('a[href="/stations.html"]');
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await page.locator('h1').textContent()).toBe('Trạm quan trắc môi trường');
    await expect
      .poll(() => page.locator('tr[data-station]').evaluateAll((els) => els.map((e) => e.getAttribute('data-station')).sort()))
      .toEqual(['AQ-LG-01', 'AQ-PT-01', 'WQ-PT-01']);
    // Map: one marker per station on the coordinate grid, no tiles.
    expect(await page.locator('#map g.st circle').count()).toBe(3);
    expect(await page.locator('#map .grid text').first().textContent()).toMatch(/°[NE]$/);
    // The schematic outline of Bình Thuận (two rings: the mainland and Phú Quý), stations inside its bounds.
    expect(await page.locator('#map path.province').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){20,}ZM.*Z$/);
    expect(await page.locator('#map path.province title').textContent()).toMatch(/^Bình Thuận — .*không phải số liệu đo đạc/);
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
    expect(await page.locator('#map g[data-station="AQ-LG-01"] circle').getAttribute('class')).toBe('lvl-over');
    // VN_AQI badge under each air station (the hourly index and its category), none under the water station.
    await expect.poll(() => page.locator('tr[data-station="AQ-LG-01"] [data-aqi]').textContent()).toMatch(/^AQI \d+ · \S|chưa đủ dữ liệu/);
    expect(await page.locator('tr[data-station="WQ-PT-01"] [data-aqi]').count()).toBe(0);

    await page.getByRole('button', { name: 'EN' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Environmental monitoring stations');
    expect(await page.locator('tr[data-station="AQ-LG-01"] .exceed li').first().textContent()).toMatch(/above the limit/);
    await page.close();
  });
});
