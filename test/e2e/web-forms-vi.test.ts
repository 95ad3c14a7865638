import { describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { browserAvailable, signIn, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

/**
 * The forms as a Vietnamese office uses them, on a desktop and on a phone: a refusal of the
 * server in the page's language naming the field; the schema's bounds checked before sending; a
 * confirmation that stays until closed (after the page is drawn again); numbers at the channel's
 * resolution, never "-0"; dates written and read dd/mm/yyyy whatever the browser's locale.
 */
let stack: DemoStack;
let browser: Browser;

const VIEWPORTS = [
  // `scale`, `indicated`: a check on another scale for each (a check's identity is its instrument,
  // channel, reference and minute, not its indication: the same scale twice in one minute is a duplicate).
  { name: 'desktop 1366 × 900', tag: 'D', viewport: { width: 1366, height: 900 }, mobile: false, scale: 'SC-0001', indicated: ['20,0032', '0,0032'] },
  { name: 'phone 390 × 844', tag: 'P', viewport: { width: 390, height: 844 }, mobile: true, scale: 'SC-0004', indicated: ['20,0132', '0,0132'] },
] as const;
type View = (typeof VIEWPORTS)[number];

// An English Chromium (en-US): its own date picker would write mm/dd/yyyy.
const signedIn = (role: string, lang: 'vi' | 'en', view: View) =>
  signIn(stack, browser, role, { lang, viewport: view.viewport, mobile: view.mobile, locale: 'en-US' });
const go = (page: Page, hash: string) => page.goto(new URL(`/${hash}`, stack.dashboardUrl).href);
const VN = 7 * 3_600_000;
const vnDay = (ts: number) => new Date(ts + VN).toISOString().slice(0, 10).split('-').reverse().join('/');
interface Rec {
  certificate: string;
  date: number;
  results: Array<{ U: number }>;
  intervalDays: number | null;
}
const recordsOf = async (id: string) => ((await (await stack.api(`/api/v1/instruments/${id}/calibrations`)).json()) as { items: Rec[] }).items;

/** The calibration form of `id`, filled with one valid test point at 20 kg; `point` overrides its fields. */
async function calibration(page: Page, id: string, certificate: string, point: Record<string, string> = {}) {
  await go(page, `#/instruments/${id}`);
  const form = page.locator('#form-cal');
  await form.waitFor();
  await form.locator('select[name=type]').selectOption('calibration');
  await form.locator('input[name=certificate]').fill(certificate);
  await form.locator('select[name=channel]').selectOption('gross');
  const values = { 'nominal-0': '20', 'asFound-0': '0,004', 'U-0': '0,002', ...point };
  for (const [name, value] of Object.entries(values)) await form.locator(`input[name="${name}"]`).fill(value);
  await form.locator('input[name=references]').fill('REF-M1-20KG');
  return form;
}
/** POSTs the page sends to `path`, as they happen. */
function posts(page: Page, path: string): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => r.method() === 'POST' && new URL(r.url()).pathname === path && seen.push(r));
  return seen;
}

describe.runIf(browserAvailable)('the forms in Vietnamese: errors, bounds, confirmations, numbers and dates, headless Chromium', { timeout: 180_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  for (const view of VIEWPORTS) {
    describe(view.name, () => {
      it("shows the server's refusal in the page's language, naming the field; no code, no English", async () => {
        const { context, page } = await signedIn('lab', 'vi', view);
        const form = await calibration(page, 'SC-0002', `GCN-VI-${view.tag}-1`, { 'U-0': '-0,002' });
        // Without the form's own bound, the server's schema refuses it and the form shows the server's words.
        await form.locator('input[name="U-0"]').evaluate((i) => i.removeAttribute('data-min'));
        await form.locator('button[type=submit]').click();
        const msg = form.locator('.form-msg');
        await expect.poll(() => msg.textContent()).toBe('Chưa lưu được: Kết quả 1 – độ không đảm bảo mở rộng U phải lớn hơn hoặc bằng 0.');
        expect(await msg.getAttribute('class')).toBe('form-msg error');
        // The same refusal in English when the page is in English.
        await page.click('button[data-lang="en"]');
        const en = page.locator('#form-cal');
        await en.locator('h2', { hasText: 'calibration' }).first().waitFor();
        await en.locator('input[name=certificate]').fill(`GCN-EN-${view.tag}-1`);
        await en.locator('select[name=channel]').selectOption('gross');
        for (const [name, value] of Object.entries({ 'nominal-0': '20', 'asFound-0': '0.004', 'U-0': '-0.002' }))
          await en.locator(`input[name="${name}"]`).fill(value);
        await en.locator('input[name="U-0"]').evaluate((i) => i.removeAttribute('data-min'));
        await en.locator('button[type=submit]').click();
        await expect.poll(() => en.locator('.form-msg').textContent()).toBe('Not saved: Result 1 – expanded uncertainty U must be at least 0.');
        const stored = (await recordsOf('SC-0002')).map((r) => r.certificate);
        expect(stored).not.toContain(`GCN-VI-${view.tag}-1`);
        expect(stored).not.toContain(`GCN-EN-${view.tag}-1`);
        await context.close();
      });

      it('refuses a negative uncertainty, an interval of 0 days and a coverage factor of 0 before sending, naming the field', async () => {
        const { context, page } = await signedIn('lab', 'vi', view);
        const sent = posts(page, '/api/v1/instruments/SC-0002/calibrations');
        const form = await calibration(page, 'SC-0002', `GCN-VI-${view.tag}-2`, { 'U-0': '-0,002' });
        const msg = form.locator('.form-msg');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Độ không đảm bảo đo mở rộng U”: phải lớn hơn hoặc bằng 0');
        expect(await form.locator('input[name="U-0"]').getAttribute('aria-invalid')).toBe('true');
        expect(await page.evaluate('document.activeElement.name')).toBe('U-0');

        await form.locator('input[name="U-0"]').fill('0,002');
        await form.locator('input[name=intervalDays]').fill('0');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Chu kỳ kiểm định (ngày)”: phải lớn hơn hoặc bằng 1');
        await form.locator('input[name=intervalDays]').fill('4000');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Chu kỳ kiểm định (ngày)”: phải nhỏ hơn hoặc bằng 3.650');
        await form.locator('input[name=intervalDays]').fill('365');
        await form.locator('input[name=coverageK]').fill('0');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Hệ số phủ k”: phải lớn hơn 0');
        expect(sent).toHaveLength(0);

        // Put right, it is sent and stored with those values.
        await form.locator('input[name=coverageK]').fill('2');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe(`Đã lưu giấy chứng nhận GCN-VI-${view.tag}-2.`);
        expect(sent).toHaveLength(1);
        const saved = (await recordsOf('SC-0002')).find((r) => r.certificate === `GCN-VI-${view.tag}-2`)!;
        expect(saved).toMatchObject({ intervalDays: 365, results: [{ U: 0.002 }] });
        await context.close();
      });

      it('keeps a confirmation on screen after the page is drawn again, until it is closed with the keyboard; an error likewise', async () => {
        const { context, page } = await signedIn('lab', 'vi', view);
        const certificate = `GCN-VI-${view.tag}-3`;
        const form = await calibration(page, 'SC-0004', certificate);
        await form.locator('button[type=submit]').click();
        // The page is drawn again (the certificate listed), and the new form still says it.
        await page.locator(`tr[data-certificate="${certificate}"]`).waitFor({ timeout: 30_000 });
        const again = page.locator('#form-cal');
        const msg = again.locator('.form-msg');
        await expect.poll(() => msg.textContent()).toBe(`Đã lưu giấy chứng nhận ${certificate}.`);
        expect(await msg.getAttribute('role')).toBe('status');
        expect(await msg.isVisible()).toBe(true);
        // Still there a while later: a later reading's redraw does not take it away.
        await expect.poll(() => page.evaluate(() => new Promise((r) => setTimeout(() => r(true), 1500))), { timeout: 5000 }).toBe(true);
        expect(await msg.textContent()).toBe(`Đã lưu giấy chứng nhận ${certificate}.`);
        // Closed from the keyboard: the close button is named, takes focus, Enter closes it.
        const close = again.locator('button.msg-close');
        expect(await close.getAttribute('aria-label')).toBe('Đóng thông báo');
        await close.focus();
        await page.keyboard.press('Enter');
        await expect.poll(() => msg.isVisible()).toBe(false);
        expect(await page.evaluate('document.activeElement.type')).toBe('submit');

        // An error stays too, until closed (Space on the button).
        await again.locator('input[name=certificate]').fill('');
        await again.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Số giấy chứng nhận”: chưa nhập');
        expect(await msg.isVisible()).toBe(true);
        await again.locator('button.msg-close').focus();
        await page.keyboard.press('Space');
        await expect.poll(() => msg.isVisible()).toBe(false);
        await context.close();
      });

      it("writes a check's error at its resolution, never with binary noise, and never -0", async () => {
        const { context, page } = await signedIn('lab', 'vi', view);
        await go(page, `#/instruments/${view.scale}`);
        const form = page.locator('#form-check');
        await form.waitFor();
        await form.locator('select[name=channel]').selectOption('gross');
        // 20.0032 − 20 is 0.0031999999999996476 in binary (20.0132 − 20: 0.013200000000001211): written 0,0032 (0,0132).
        const [indicated, error] = view.indicated;
        await form.locator('input[name=referenceValue]').fill('20');
        await form.locator('input[name=indicated]').fill(indicated);
        await form.locator('button[type=submit]').click();
        const msg = form.locator('.form-msg');
        await expect.poll(() => msg.textContent()).toMatch(new RegExp(`^Đã lưu 1 kết quả\\. Sai số ${error}; \\d+ cảnh báo mới\\.`));
        // The scale shows d = 0.01 kg (its `division` channel): values at d; nothing rounds to "-0".
        const shown = await page.evaluate(`import('/lib.js').then((m) => {
          const channels = [{ channel: 'gross', unit: 'kg', value: 20 }, { channel: 'division', unit: 'kg', value: 0.01 }];
          const d = m.resolutionOf(channels, 'gross');
          return [d, m.formatValue(20.0049, 'kg', 'gross', d), m.formatValue(-0.004, 'kg', 'gross', d), m.formatValue(-0.0001, 'kg', 'gross'), m.fmtNum(-0.00001), m.fmtStep(0.0031999999999996476, 0.0001)];
        })`);
        expect(shown).toEqual([0.01, '20,00 kg', '0,00 kg', '0,000 kg', '0', '0,0032']);
        // Nowhere on the page a "-0" value.
        expect(await page.locator('main').textContent()).not.toMatch(/(^|[^\d,.])-0([^\d,.]|[,.]0+\b)/);
        await context.close();
      });

      it('writes and reads dates dd/mm/yyyy in an English browser, in both languages; a US or impossible date is refused in words', async () => {
        const { context, page } = await signedIn('lab', 'vi', view);
        const certificate = `GCN-VI-${view.tag}-5`;
        const form = await calibration(page, 'SC-0004', certificate);
        const date = form.locator('input[name=date]');
        expect(await date.getAttribute('type')).toBe('text');
        expect(await date.getAttribute('inputmode')).toBe('numeric');
        expect(await date.getAttribute('placeholder')).toBe('dd/mm/yyyy');
        expect(await date.inputValue()).toBe(vnDay(Date.now()));
        expect(await form.locator('input[name=issuedAt]').getAttribute('placeholder')).toBe('dd/mm/yyyy');
        const ts = page.locator('#form-check input[name=ts]');
        expect(await ts.getAttribute('placeholder')).toBe('dd/mm/yyyy hh:mm');
        expect(await ts.inputValue()).toMatch(new RegExp(`^${vnDay(Date.now()).replace(/\//g, '\\/')} \\d\\d:\\d\\d$`));
        const msg = form.locator('.form-msg');
        for (const wrong of ['11/20/2026', '31/02/2026', '2026-11-20']) {
          await date.fill(wrong);
          await form.locator('button[type=submit]').click();
          await expect.poll(() => msg.textContent()).toBe('Kiểm tra lại ô “Ngày”: phải là một ngày có thật, dạng ngày/tháng/năm, ví dụ 20/11/2026');
          expect(await date.getAttribute('aria-invalid')).toBe('true');
        }
        await date.fill('20/11/2026');
        await form.locator('input[name=issuedAt]').fill('21/11/2026');
        await form.locator('button[type=submit]').click();
        await expect.poll(() => msg.textContent()).toBe(`Đã lưu giấy chứng nhận ${certificate}.`);
        const saved = (await recordsOf('SC-0004')).find((r) => r.certificate === certificate)!;
        expect(saved.date).toBe(Date.parse('2026-11-20T09:00:00+07:00'));
        // Listed dd/mm/yyyy; no date in the page written yyyy-mm-dd.
        const row = page.locator(`tr[data-certificate="${certificate}"]`);
        await row.waitFor({ timeout: 30_000 });
        expect(await row.textContent()).toContain('20/11/2026');
        expect(await page.locator('main').textContent()).not.toMatch(/\b\d{4}-\d\d-\d\d\b/);

        // In English: the same order, the refusal in English.
        await page.click('button[data-lang="en"]');
        const en = page.locator('#form-cal');
        await en.locator('h2', { hasText: 'calibration' }).first().waitFor();
        expect(await en.locator('input[name=date]').getAttribute('placeholder')).toBe('dd/mm/yyyy');
        expect(await en.locator('input[name=date]').inputValue()).toBe(vnDay(Date.now()));
        await en.locator('input[name=date]').fill('11/20/2026');
        await en.locator('button[type=submit]').click();
        await expect.poll(() => en.locator('.form-msg').textContent()).toBe('Check “Date”: it must be a real date, day/month/year, e.g. 20/11/2026');
        expect(await page.locator(`tr[data-certificate="${certificate}"]`).textContent()).toContain('20/11/2026');
        await context.close();
      });
    });
  }
});
