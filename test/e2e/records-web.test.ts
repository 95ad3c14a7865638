import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { browserAvailable, useDemoWithBrowser, signIn } from './browser.js';
import { waitFor } from '../support/wait.js';
import type { DemoStack } from './stack.js';
import { DAY } from '../../core/time.js';

/**
 * The legal-records rules (issue 15) as the lab uses them in the web UI, in Vietnamese: a
 * multi-load check (three loads at one instant, one submission), the correction of a wrong
 * certificate by a superseding one (new number, reason; the old one stays, marked), and a record
 * dated tomorrow refused with the server's Vietnamese words and nothing stored. The authority
 * reassigns a squatted instrument id from the instrument page (confirmed first; a refusal shown
 * in Vietnamese); the lab is not offered it.
 *
 * Form answers are read from a log of what each form's message showed (a MutationObserver set up
 * before the page's scripts): a stored record reloads the page 800 ms later, and the log keeps
 * the answer whatever the machine's pace.
 */
let stack: DemoStack;
let browser: Browser;

const VN = 7 * 3_600_000;
/** dd/mm/yyyy and dd/mm/yyyy hh:mm in Vietnam time, as the date fields take them; yyyy-mm-dd hh:mm as the server's refusal writes it. */
const vnIso = (ts: number) => new Date(ts + VN).toISOString().slice(0, 16).replace('T', ' ');
const vnDay = (ts: number) => vnIso(ts).slice(0, 10).split('-').reverse().join('/');
const vnMinute = (ts: number) => `${vnDay(ts)} ${vnIso(ts).slice(11)}`;
/** The instant a "dd/mm/yyyy hh:mm" field says, Vietnam time. */
const fieldTs = (text: string) => {
  const [d, m, y, hm] = text.split(/[/ ]/);
  return Date.parse(`${y}-${m}-${d}T${hm}:00+07:00`);
};
const viDate = (ts: number) => new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric' }).format(ts);

interface Shown {
  form: string;
  text: string;
  state: 'ok' | 'error' | '';
}

/**
 * Run in the page before its scripts (plain JS: the tests compile without the DOM types): the
 * interface in Vietnamese, and every message a form shows logged in `__shown` as {form, text,
 * state}. Text and class are set in the same task, so each callback sees a message as it ends up.
 */
const FORM_LOG = `
  localStorage.setItem('metronet.lang', 'vi');
  globalThis.__shown = [];
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const node = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const msg = node && node.closest('.form-msg');
      if (!msg) continue;
      const form = msg.closest('form');
      const shown = {
        form: form ? form.id : '',
        text: msg.textContent || '',
        state: msg.classList.contains('ok') ? 'ok' : msg.classList.contains('error') ? 'error' : '',
      };
      const last = globalThis.__shown[globalThis.__shown.length - 1];
      if (!last || last.form !== shown.form || last.text !== shown.text || last.state !== shown.state) globalThis.__shown.push(shown);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] });
`;

/** The lab (kiemdinh of ttkt-tdc) signed in, its page in Vietnamese, every form message logged. */
async function labSignedIn(): Promise<{ context: BrowserContext; page: Page }> {
  return signedIn('lab');
}

/** Someone of `role` signed in (the lab: kiemdinh of ttkt-tdc; the authority: chicuc), in Vietnamese, every form message logged. */
async function signedIn(role: 'lab' | 'authority'): Promise<{ context: BrowserContext; page: Page }> {
  if (role === 'lab') expect(stack.logins.find((l) => l.role === role)).toMatchObject({ user: 'kiemdinh', org: 'ttkt-tdc' });
  const signed = await signIn(stack, browser, role, { viewport: { width: 1280, height: 900 } });
  await signed.context.addInitScript(FORM_LOG);
  // The log script runs from the next page on: open a fresh one.
  await signed.page.close();
  return { context: signed.context, page: await signed.context.newPage() };
}

/** The final answer (ok or error) a form showed after the `after`-th logged message. */
async function answer(page: Page, form: string, after: number): Promise<Shown> {
  return waitFor(
    async () => {
      const shown = (await page.evaluate('globalThis.__shown')) as Shown[];
      return shown.slice(after).find((s) => s.form === form && s.state !== '');
    },
    { timeout: 30_000, message: `the answer of #${form}` },
  );
}
const logged = async (page: Page) => ((await page.evaluate('globalThis.__shown')) as Shown[]).length;
const go = (page: Page, hash: string) => page.goto(new URL(`/${hash}`, stack.dashboardUrl).href);
const json = async <T>(path: string): Promise<T> => (await (await stack.api(path)).json()) as T;

interface CheckRow {
  ts: number;
  channel: string;
  reference: string | null;
  referenceValue: number;
  indicated: number;
  traceable: boolean;
  by: string | null;
}
interface RecordRow {
  id: number;
  certificate: string;
  type: string;
  date: number;
  lab: string;
  status: string;
  supersedes: number | null;
  supersededBy: number | null;
  statusBy: string | null;
  statusReason: string | null;
  statusAt: number | null;
  author: string | null;
  results: Array<{ nominal: number; asFound: number }>;
}
const checksOf = (id: string, from = 0) =>
  json<{ items: CheckRow[] }>(`/api/v1/instruments/${id}/checks?channel=gross&from=${from}&limit=5000`).then((r) => r.items);
const recordsOf = (id: string) => json<{ items: RecordRow[] }>(`/api/v1/instruments/${id}/calibrations`).then((r) => r.items);

describe.runIf(browserAvailable)('legal records in the web UI as the lab, in Vietnamese (issue 15), headless Chromium', { timeout: 180_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  it('records a multi-load check on a market scale: three loads at one instant in one submission, all three stored', async () => {
    const id = 'SC-0001'; // Chợ Phan Thiết, served by ttkt-tdc
    expect(stack.registry.analytics.getService(id)?.lab).toBe('ttkt-tdc');
    const { context, page } = await labSignedIn();
    const posts: Request[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith(`/api/v1/instruments/${id}/checks`) && posts.push(r));
    await go(page, `#/instruments/${id}`);
    const form = page.locator('#form-check');
    await form.waitFor();
    await form.locator('select[name=channel]').selectOption('gross');
    const when = await form.locator('input[name=ts]').inputValue(); // now, to the minute, Vietnam time, dd/mm/yyyy hh:mm
    const ts = fieldTs(when);
    // Three loads from the same weight set, each its own test point.
    const loads = [
      ['REF-M1-5KG', '5,001'],
      ['REF-M1-10KG', '10,002'],
      ['REF-M1-20KG', '20,003'],
    ] as const;
    for (const [n, [reference, indicated]] of loads.entries()) {
      const s = n === 0 ? '' : `-${n}`;
      if (n > 0) await form.locator('button[data-add-point]').click();
      await form.locator(`fieldset[data-point="${n}"] legend`, { hasText: `Điểm kiểm tra ${n + 1}` }).waitFor();
      await form.locator(`select[name="reference${s}"]`).selectOption(reference);
      await form.locator(`input[name="indicated${s}"]`).fill(indicated);
    }
    const before = await logged(page);
    await form.locator('button[type=submit]').click();
    const shown = await answer(page, 'form-check', before);
    expect(shown.state).toBe('ok');
    // Errors against each standard's value (5.0001, 10.0001, 20.0003 kg), in Vietnamese numbers.
    expect(shown.text).toBe('Đã lưu 3 kết quả. Sai số 0,0009 / 0,0019 / 0,0027; 0 cảnh báo mới.');

    // One submission carrying the three checks at the same instant.
    expect(posts).toHaveLength(1);
    const body = posts[0]!.postDataJSON() as { checks: Array<{ channel: string; ts: number; reference: string; indicated: number }>; idempotencyKey: string };
    expect(body.checks).toEqual(loads.map(([reference, indicated]) => ({ channel: 'gross', ts, reference, indicated: Number(indicated.replace(',', '.')) })));
    expect(body.idempotencyKey).toMatch(/^web-/);

    // The API holds the three at that instant, traceable, authored by the lab's user.
    const stored = (await checksOf(id, ts)).filter((c) => c.ts === ts);
    expect(stored.map((c) => [c.reference, c.referenceValue, c.indicated, c.traceable, c.by]).sort()).toEqual([
      ['REF-M1-10KG', 10.0001, 10.002, true, 'kiemdinh'],
      ['REF-M1-20KG', 20.0003, 20.003, true, 'kiemdinh'],
      ['REF-M1-5KG', 5.0001, 5.001, true, 'kiemdinh'],
    ]);
    // The page reloads and its check list shows the three at that instant.
    const rows = page.locator(`table[data-table="checks"] tr[data-ts="${ts}"]`);
    await waitFor(async () => (await rows.count()) === 3, { timeout: 30_000, message: 'three rows in the check list' });
    expect((await rows.locator('td:nth-child(3)').allTextContents()).sort()).toEqual(['REF-M1-10KG', 'REF-M1-20KG', 'REF-M1-5KG']);
    await context.close();
  });

  it('corrects a wrong certificate: a verification recorded, then superseded with a new number and a reason; the old one stays, marked', async () => {
    const id = 'SC-0004';
    const wrong = 'KĐ-E2E-SC-0004';
    const corrected = `${wrong}-R1`;
    const reason = 'Ghi nhầm sai số tại 20 kg (0,004 thay vì 0,002)';
    const yesterday = vnDay(Date.now() - DAY);
    const { context, page } = await labSignedIn();
    await go(page, `#/instruments/${id}`);

    // The verification, with a wrong error at 20 kg.
    const cal = page.locator('#form-cal');
    await cal.waitFor();
    await cal.locator('select[name=type]').selectOption('verification');
    await cal.locator('input[name=date]').fill(yesterday);
    await cal.locator('input[name=certificate]').fill(wrong);
    await cal.locator('input[name=procedure]').fill('ĐLVN 16:2009');
    await cal.locator('select[name=channel]').selectOption('gross');
    await cal.locator('input[name="nominal-0"]').fill('20');
    await cal.locator('input[name="asFound-0"]').fill('0,004');
    await cal.locator('input[name="U-0"]').fill('0,002');
    await cal.locator('input[name=references]').fill('REF-M1-20KG');
    let before = await logged(page);
    await cal.locator('button[type=submit]').click();
    expect(await answer(page, 'form-cal', before)).toEqual({ form: 'form-cal', text: `Đã lưu giấy chứng nhận ${wrong}.`, state: 'ok' });
    const first = (await recordsOf(id)).find((r) => r.certificate === wrong)!;
    expect(first).toMatchObject({ type: 'verification', lab: 'ttkt-tdc', status: 'valid', author: 'kiemdinh', results: [{ nominal: 20, asFound: 0.004 }] });

    // The page reloads with the certificate listed, valid, and the lab's "Thay thế" beside it.
    const supersede = page.locator(`button[data-supersede="${wrong}"]`);
    await supersede.waitFor({ timeout: 30_000 });
    await supersede.click();
    const form = page.locator('#form-supersede');
    await form.waitFor();
    expect(await form.locator('h2').textContent()).toBe(`Thay thế giấy chứng nhận ${wrong}`);
    // Type and date come from the record corrected.
    expect(await form.locator('select[name=type]').inputValue()).toBe('verification');
    expect(await form.locator('input[name=date]').inputValue()).toBe(yesterday);
    await form.locator('input[name=reason]').fill(reason);
    await form.locator('input[name=certificate]').fill(corrected);
    await form.locator('input[name=procedure]').fill('ĐLVN 16:2009');
    await form.locator('select[name=channel]').selectOption('gross');
    await form.locator('input[name="nominal-0"]').fill('20');
    await form.locator('input[name="asFound-0"]').fill('0,002');
    await form.locator('input[name="U-0"]').fill('0,002');
    await form.locator('input[name=references]').fill('REF-M1-20KG');
    before = await logged(page);
    await form.locator('button[type=submit]').click();
    expect(await answer(page, 'form-supersede', before)).toEqual({ form: 'form-supersede', text: `Đã lưu giấy chứng nhận ${corrected}.`, state: 'ok' });

    // The API: the old record superseded by the new one, by the lab's user, with the reason; the new one valid.
    const records = await recordsOf(id);
    const old = records.find((r) => r.certificate === wrong)!;
    const now = records.find((r) => r.certificate === corrected)!;
    expect(old).toMatchObject({ status: 'superseded', supersededBy: now.id, statusBy: 'kiemdinh', statusReason: reason, results: [{ asFound: 0.004 }] });
    expect(now).toMatchObject({ status: 'valid', supersedes: old.id, type: 'verification', author: 'kiemdinh', results: [{ nominal: 20, asFound: 0.002 }] });

    // The certificate list after the reload: the old one marked (who, when, why, replaced by which), the new one valid.
    const oldRow = page.locator(`tr[data-certificate="${wrong}"][data-status="superseded"]`);
    await oldRow.waitFor({ timeout: 30_000 });
    const status = oldRow.locator('td').last();
    expect(await status.locator('.status-superseded').textContent()).toBe('Đã được thay thế');
    expect(await status.locator('.muted').textContent()).toBe(`kiemdinh, ngày ${viDate(old.statusAt!)}: ${reason}`);
    expect(await status.locator(`[data-superseded-by="${corrected}"]`).textContent()).toBe(`Thay bằng giấy chứng nhận ${corrected}`);
    expect(await oldRow.locator('button[data-supersede], button[data-void]').count()).toBe(0);
    const newRow = page.locator(`tr[data-certificate="${corrected}"][data-status="valid"]`);
    expect(await newRow.locator('.status-valid').textContent()).toBe('Còn hiệu lực');
    expect(await newRow.locator(`button[data-supersede="${corrected}"]`).count()).toBe(1);
    await context.close();
  });

  it('refuses a check and a verification dated tomorrow with the server’s Vietnamese words, and stores nothing', async () => {
    const id = 'SC-0005';
    const { context, page } = await labSignedIn();
    const refusals: Array<{ lang: string | undefined; status: number; code: string; message: string }> = [];
    page.on('response', async (r) => {
      if (r.request().method() !== 'POST' || r.status() < 400) return;
      const b = (await r.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
      refusals.push({ lang: r.request().headers()['accept-language'], status: r.status(), code: b?.error?.code ?? '', message: b?.error?.message ?? '' });
    });
    const checksBefore = (await checksOf(id)).length;
    const recordsBefore = (await recordsOf(id)).length;
    await go(page, `#/instruments/${id}`);

    // A check dated tomorrow, same time of day.
    const check = page.locator('#form-check');
    await check.waitFor();
    const tomorrowTs = Date.now() + DAY;
    const tomorrow = vnMinute(tomorrowTs);
    await check.locator('select[name=channel]').selectOption('gross');
    await check.locator('input[name=ts]').fill(tomorrow);
    await check.locator('select[name=reference]').selectOption('REF-M1-20KG');
    await check.locator('input[name=indicated]').fill('20,001');
    let before = await logged(page);
    await check.locator('button[type=submit]').click();
    const refusedCheck = await answer(page, 'form-check', before);
    expect(refusedCheck.state).toBe('error');
    expect(refusedCheck.text).toMatch(
      new RegExp(
        `^Chưa lưu được: Ngày giờ ${vnMinute(tomorrowTs)} \\(giờ Việt Nam\\) ở tương lai: hồ sơ chỉ được ghi ngày giờ muộn hơn đồng hồ máy chủ \\(.+\\) tối đa 5 phút\\.$`,
      ),
    );
    expect(refusedCheck.text).not.toMatch(/Đã lưu/);
    await waitFor(() => refusals.length === 1, 'the refusal of the check');
    expect(refusals[0]).toEqual({ lang: 'vi', status: 400, code: 'E_RECORD_IN_FUTURE', message: refusedCheck.text.replace(/^Chưa lưu được: /, '') });

    // A verification dated tomorrow.
    const cal = page.locator('#form-cal');
    await cal.locator('select[name=type]').selectOption('verification');
    await cal.locator('input[name=date]').fill(vnDay(Date.now() + DAY));
    await cal.locator('input[name=certificate]').fill('KĐ-E2E-FUTURE');
    await cal.locator('select[name=channel]').selectOption('gross');
    await cal.locator('input[name="nominal-0"]').fill('20');
    await cal.locator('input[name="asFound-0"]').fill('0,002');
    await cal.locator('input[name="U-0"]').fill('0,002');
    await cal.locator('input[name=references]').fill('REF-M1-20KG');
    before = await logged(page);
    await cal.locator('button[type=submit]').click();
    const refusedRecord = await answer(page, 'form-cal', before);
    expect(refusedRecord.state).toBe('error');
    expect(refusedRecord.text).toMatch(/^Chưa lưu được: Ngày giờ .+ \(giờ Việt Nam\) ở tương lai: .* tối đa 5 phút\.$/);
    expect(refusedRecord.text).not.toMatch(/Đã lưu/);
    await waitFor(() => refusals.length === 2, 'the refusal of the verification');
    expect(refusals[1]).toMatchObject({ lang: 'vi', status: 400, code: 'E_RECORD_IN_FUTURE' });

    // Nothing stored: neither check nor certificate, and no answer ever said "Đã lưu".
    expect((await checksOf(id)).length).toBe(checksBefore);
    const records = await recordsOf(id);
    expect(records.length).toBe(recordsBefore);
    expect(records.some((r) => r.certificate === 'KĐ-E2E-FUTURE')).toBe(false);
    const shown = (await page.evaluate('globalThis.__shown')) as Shown[];
    expect(shown.filter((s) => /Đã lưu/.test(s.text))).toEqual([]);
    // The forms stay as filled (no reload), for the date to be put right.
    expect(await check.locator('input[name=ts]').inputValue()).toBe(tomorrow);
    await context.close();
  });
  it('the authority reassigns an instrument id from its page: asked to confirm, a refusal shown in Vietnamese, then done; the lab has no such form', async () => {
    const id = 'SC-0101'; // the La Gi factory's platform scale
    expect(stack.registry.getInstrument(id)?.org).toBe('thuy-san-la-gi');
    // The lab sees the page without the form.
    const lab = await labSignedIn();
    await go(lab.page, `#/instruments/${id}`);
    await lab.page.locator('#sec-cals, p.error:not(#login-error)').first().waitFor();
    expect(await lab.page.locator('#form-reassign').count()).toBe(0);
    await lab.context.close();

    const { context, page } = await signedIn('authority');
    const dialogs: string[] = [];
    let accept = false;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void (accept ? d.accept() : d.dismiss());
    });
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith(`/api/v1/instruments/${id}/reassign`) && posts.push(r.postData() ?? ''));
    await go(page, `#/instruments/${id}`);
    const form = page.locator('#form-reassign');
    await form.waitFor({ state: 'attached' });
    await page.locator('details:has(#form-reassign) > summary', { hasText: 'Chuyển mã phương tiện đo cho tổ chức khác' }).click();

    // Not confirmed: nothing sent.
    await form.locator('input[name=org]').fill('cho-phan-thiet');
    let before = await logged(page);
    await form.locator('button[type=submit]').click();
    expect(await answer(page, 'form-reassign', before)).toEqual({ form: 'form-reassign', text: 'Chưa chuyển: bạn đã không xác nhận.', state: 'ok' });
    expect(dialogs).toEqual(['Chuyển mã SC-0101 từ thuy-san-la-gi sang cho-phan-thiet? Đăng ký hiện tại kết thúc; lịch sử không chuyển sang tổ chức mới.']);
    expect(posts).toEqual([]);

    // Confirmed, to a lab: the server refuses, in Vietnamese; the id stays where it was.
    accept = true;
    await form.locator('input[name=org]').fill('ttkt-tdc');
    before = await logged(page);
    await form.locator('button[type=submit]').click();
    expect(await answer(page, 'form-reassign', before)).toEqual({
      form: 'form-reassign',
      text: 'Chưa lưu được: tổ chức "ttkt-tdc" không phải doanh nghiệp đã đăng ký',
      state: 'error',
    });
    expect(stack.registry.getInstrument(id)?.org).toBe('thuy-san-la-gi');

    // Confirmed, to the market: done; the id starts again for it, unregistered, with empty history.
    await form.locator('input[name=org]').fill('cho-phan-thiet');
    before = await logged(page);
    await form.locator('button[type=submit]').click();
    expect(await answer(page, 'form-reassign', before)).toEqual({
      form: 'form-reassign',
      text: 'Đã chuyển mã SC-0101 cho Ban quản lý chợ Phan Thiết.',
      state: 'ok',
    });
    expect(posts.map((p) => JSON.parse(p))).toEqual([{ org: 'ttkt-tdc' }, { org: 'cho-phan-thiet' }]);
    expect(stack.registry.getInstrument(id)).toMatchObject({ org: 'cho-phan-thiet', registration: 'unregistered' });
    expect((await recordsOf(id)).length).toBe(0);
    await context.close();
  });
});
