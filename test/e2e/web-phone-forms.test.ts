import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserAvailable, signIn, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

/**
 * Issue 7 in a real browser, beyond the desktop: the phone layout (overview, instruments list,
 * instrument page usable at 390 × 844 without sideways scrolling) and the calibration form of a
 * lab (several test points with as-found and as-left errors, certificate fields, a validation
 * error in the form's language) reaching the API.
 */
let stack: DemoStack;
let browser: Browser;

const signedIn = (role: string, lang: 'vi' | 'en', viewport: { width: number; height: number }, mobile = false) =>
  signIn(stack, browser, role, { lang, viewport, mobile });
const go = (page: Page, hash: string) => page.goto(new URL(`/${hash}`, stack.dashboardUrl).href);
/** Widest content against the viewport: a page that needs sideways scrolling has scrollWidth > innerWidth. */
const widths = (page: Page) =>
  page.evaluate('({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth })') as Promise<{
    scroll: number;
    body: number;
    viewport: number;
  }>;

describe.runIf(browserAvailable)('the web UI on a phone and the calibration form (issue 7), headless Chromium', { timeout: 120_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  it('fits a 390 × 844 phone: overview, instruments list and instrument page without sideways scrolling, controls usable', async () => {
    const { context, page } = await signedIn('authority', 'vi', { width: 390, height: 844 }, true);
    await go(page, '#/');
    const tile = page.locator('.tiles li[data-state="in_tolerance"] a').first();
    await tile.waitFor();
    await expect.poll(() => widths(page)).toEqual(expect.objectContaining({ viewport: 390 }));
    let w = await widths(page);
    expect(w.scroll, 'overview scrollWidth').toBeLessThanOrEqual(w.viewport);
    expect(await page.locator('a[data-nav="instruments"]').isVisible()).toBe(true);
    // A state tile opens the list filtered by that state.
    await tile.click();
    await page.waitForURL(/#\/instruments\?state=in_tolerance/);
    await page.locator('tr[data-instrument]').first().waitFor();
    w = await widths(page);
    expect(w.scroll, 'instruments list scrollWidth').toBeLessThanOrEqual(w.viewport);
    // The search box and the filters are on screen and work with a finger.
    await go(page, '#/instruments');
    const search = page.locator('#q');
    await search.waitFor();
    await expect.poll(() => search.isVisible()).toBe(true); // the view may still be re-rendering
    await search.tap();
    await search.fill('SC-0003');
    await expect.poll(() => page.locator('tr[data-instrument]').evaluateAll((els) => els.map((e) => e.getAttribute('data-instrument')))).toEqual(['SC-0003']);
    w = await widths(page);
    expect(w.scroll, 'filtered list scrollWidth').toBeLessThanOrEqual(w.viewport);
    const link = page.locator('a[href="#/instruments/SC-0003"]');
    await expect.poll(() => link.isVisible()).toBe(true); // the view may still be re-rendering
    await link.tap();
    // The instrument page: live values, the readings chart and its range buttons.
    const chart = page.locator('[data-chart="readings"]');
    await chart.waitFor();
    await expect.poll(() => chart.getAttribute('data-points')).not.toBeNull();
    const week = page.locator('button[data-range="7d"]');
    await expect.poll(() => week.isVisible()).toBe(true); // the view may still be re-rendering
    const before = await chart.getAttribute('data-every');
    await week.tap();
    await expect.poll(() => chart.getAttribute('data-every')).not.toBe(before);
    await page.locator('#inst-state .badge').waitFor();
    w = await widths(page);
    expect(w.scroll, 'instrument page scrollWidth').toBeLessThanOrEqual(w.viewport);
    // Nothing on the page is wider than the screen (tables included).
    const wide = await page.evaluate(
      "[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && getComputedStyle(e).display !== 'none').map((e) => e.tagName.toLowerCase() + '.' + e.className).slice(0, 5)",
    );
    expect(wide).toEqual([]);
    await context.close();
  });

  it("records a calibration with two test points through the form, after a validation error in the form's language", async () => {
    const served = stack.registry.analytics
      .listServices()
      .filter((s) => s.lab === 'ttkt-tdc')
      .map((s) => s.instrument);
    const id = served.find((i) => stack.registry.getInstrument(i)?.kind === 'scale' && stack.registry.listChannels(i).some((c) => c.channel === 'gross'))!;
    expect(id).toBeTruthy();
    const count = async () => ((await (await stack.api(`/api/v1/instruments/${id}/calibrations`)).json()) as { items: unknown[] }).items.length;
    const before = await count();

    const { context, page } = await signedIn('lab', 'vi', { width: 1280, height: 900 });
    await go(page, `#/instruments/${id}`);
    const form = page.locator('#form-cal');
    await form.waitFor();
    await form.locator('select[name=type]').selectOption('calibration');
    await form.locator('input[name=date]').fill('20/11/2026');
    await form.locator('input[name=certificate]').fill('GCN-E2E-0042');
    await form.locator('input[name=procedure]').fill('ĐLVN 10:2017');
    await form.locator('select[name=channel]').selectOption('gross');
    await form.locator('input[name="nominal-0"]').fill('20');
    await form.locator('input[name="asFound-0"]').fill('0,004');
    await form.locator('input[name="asLeft-0"]').fill('0,001');
    await form.locator('input[name="U-0"]').fill('0,002');
    await form.locator('button[data-add-point]').click();
    await form.locator('input[name="nominal-1"]').fill('10');
    await form.locator('input[name="asFound-1"]').fill('âm 3'); // not a number
    await form.locator('input[name="U-1"]').fill('0,002');
    await form.locator('input[name=references]').fill('REF-M1-20KG, REF-F1-SET');
    await form.locator('input[name=signatory]').fill('Nguyễn Văn An');
    await form.locator('button[type=submit]').click();
    const msg = form.locator('.form-msg');
    await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Sai số trước hiệu chỉnh”: phải là số, ví dụ 20,004');
    expect(await form.locator('input[name="asFound-1"]').getAttribute('aria-invalid')).toBe('true');
    expect(await count()).toBe(before);

    await form.locator('input[name="asFound-1"]').fill('-0,003');
    await form.locator('button[type=submit]').click();
    await expect.poll(() => msg.textContent()).toBe('Đã lưu giấy chứng nhận GCN-E2E-0042.');
    const cals = (await (await stack.api(`/api/v1/instruments/${id}/calibrations`)).json()) as {
      items: Array<Record<string, unknown> & { results: Array<Record<string, unknown>> }>;
    };
    const saved = cals.items.find((c) => c.certificate === 'GCN-E2E-0042')!;
    expect(saved).toMatchObject({
      type: 'calibration',
      procedure: 'ĐLVN 10:2017',
      // The author is the signed-in user; the name typed is the printed signatory (issue 15).
      content: expect.objectContaining({ signatory: 'Nguyễn Văn An' }),
      references: ['REF-M1-20KG', 'REF-F1-SET'],
      lab: 'ttkt-tdc',
    });
    expect(saved.results.map((r) => [r.channel, r.nominal, r.asFound, r.asLeft ?? null, r.U])).toEqual([
      ['gross', 20, 0.004, 0.001, 0.002],
      ['gross', 10, -0.003, null, 0.002],
    ]);
    // The page reloads and lists the certificate.
    await page.locator('tr[data-certificate="GCN-E2E-0042"]').waitFor();

    // In English, the same form speaks English.
    await page.click('button[data-lang="en"]');
    const en = page.locator('#form-cal');
    await en.locator('h2', { hasText: 'calibration' }).first().waitFor();
    await en.locator('button[type=submit]').click();
    await expect.poll(() => en.locator('.form-msg').textContent()).toBe('Check “Certificate”: it is empty');
    expect(await count()).toBe(before + 1);
    await context.close();
  });
});
