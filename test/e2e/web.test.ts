import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserAvailable, useDemoWithBrowser } from './browser.js';
import { DEMO_INSTRUMENTS, type DemoStack } from './stack.js';

let stack: DemoStack;
let browser: Browser;

describe.runIf(browserAvailable)('the instruments page in headless Chromium', { timeout: 120_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  it('shows live values of every simulated instrument, in Vietnamese, and updates without reload', async () => {
    const page = await browser.newPage();
    await page.goto(stack.dashboardUrl);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    // Signed out: the Vietnamese sign-in form; a wrong password is refused, the right one signs in (session cookie).
    const authority = stack.logins.find((l) => l.role === 'authority')!;
    await page.locator('#login').waitFor();
    expect(await page.locator('#login h2').textContent()).toBe('Đăng nhập');
    await page.fill('#login-user', authority.user);
    await page.fill('#login-password', 'wrong-password');
    await page.click('#login button[type=submit]');
    // Password hashing is slow on purpose; a loaded machine makes it slower.
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('Sai tên đăng nhập hoặc mật khẩu.');
    await page.fill('#login-password', authority.password);
    await page.click('#login button[type=submit]');
    await page.locator('#main').waitFor();
    // The first screen is the overview (issue 7); the instruments list is one menu entry away.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Tổng quan');
    await page.click('a[data-nav="instruments"]');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Phương tiện đo');
    await expect.poll(() => page.locator('tr[data-instrument] .val').evaluateAll((els) => els.filter((e) => e.textContent !== '–').length)).toBeGreaterThan(40);
    const rows = await page.locator('tr[data-instrument]').evaluateAll((els) => els.map((e) => e.getAttribute('data-instrument')));
    expect(rows.sort()).toEqual(DEMO_INSTRUMENTS.map((i) => i.id).sort());
    expect(await page.locator('caption').allTextContents()).toContain('Ban quản lý chợ Phan Thiết');
    await expect.poll(() => page.locator('tr[data-instrument="SC-0001"] li[data-channel="gross"] .ch').textContent()).toBe('Khối lượng cả bì');
    // Vietnamese number format: decimal comma.
    expect(await page.locator('tr[data-instrument="SC-0001"] li[data-channel="gross"] .val').textContent()).toMatch(/^\d+,\d{3} kg$/);

    // Live: the totaliser of a dispenser grows without a reload.
    const cell = page.locator('tr[data-instrument="FD-0001"] li[data-channel="n1_totaliser"] .val');
    const first = await cell.textContent();
    await expect.poll(() => cell.textContent()).not.toBe(first);

    // English on request, remembered.
    await page.getByRole('button', { name: 'EN' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('tr[data-instrument="SC-0001"] li[data-channel="gross"] .ch').textContent()).toBe('Gross weight');
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Instruments');

    // Filter narrows the list.
    await page.fill('#q', 'FD-0003');
    await expect.poll(() => page.locator('tr[data-instrument]').evaluateAll((els) => els.map((e) => e.getAttribute('data-instrument')))).toEqual(['FD-0003']);
    await page.close();
  });
});
