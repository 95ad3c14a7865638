import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { calendarDaysUntil } from '../../core/index.js';
import { browserAvailable, signIn, useDemoWithBrowser } from './browser.js';
import type { DemoStack } from './stack.js';

/**
 * The web UI's words, counts, search and charts as a Vietnamese office reads them: no internal
 * ids, state codes or English words on a Vietnamese screen; failed checks red with a word;
 * unambiguous date ticks; accent-free search; one count of open alerts and of "đạt yêu cầu";
 * one day count; the official reports linked. Each test at 1366 × 900 and on a 390 × 844 phone.
 */
let stack: DemoStack;
let browser: Browser;

const VIEWPORTS = [
  { name: 'desktop 1366 × 900', viewport: { width: 1366, height: 900 }, isMobile: false, hasTouch: false },
  { name: 'phone 390 × 844', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
] as const;
type Viewport = (typeof VIEWPORTS)[number];
type Role = 'authority' | 'lab' | 'enterprise';

interface StateRow {
  id: string;
  kind: string | null;
  state: string;
  lab: string | null;
  lastCalibration: number | null;
  nextDue: number | null;
  dueInDays: number | null;
}

const signedIn = (role: Role, vp: Viewport, lang: 'vi' | 'en' = 'vi') =>
  signIn(stack, browser, role, { lang, viewport: vp.viewport, mobile: vp.isMobile, acceptDownloads: true });
/**
 * Opens a page of the app and waits until the router has drawn it: a new view (not the one left)
 * that is no longer busy. Moving on earlier would leave two pages loading at once.
 */
async function go(page: Page, hash: string): Promise<void> {
  // The same address again changes nothing: the page drawn is the one asked for.
  await page
    .evaluate((h) => {
      if (location.hash !== h) document.querySelector('#main .view')?.setAttribute('data-left', '');
    }, hash)
    .catch(() => {});
  await page.goto(new URL(`/${hash}`, stack.dashboardUrl).href);
  await page.waitForFunction(() => {
    const main = document.getElementById('main');
    return !!main?.querySelector(':scope > .view:not([data-left])') && main.getAttribute('aria-busy') !== 'true';
  });
}
const json = async <T>(path: string): Promise<T> => (await stack.api(path)).json() as Promise<T>;
/** What a person reads or hears on the page: visible text, the options of selects, aria labels. */
const readable = (page: Page) =>
  page.evaluate(() =>
    [
      // biome-ignore lint/performance/useDomNodeTextContent: only the rendered text counts (not hidden panels)
      document.body.innerText,
      ...Array.from(document.querySelectorAll('option'), (o) => o.textContent ?? ''),
      ...Array.from(document.querySelectorAll('[aria-label]'), (n) => n.getAttribute('aria-label') ?? ''),
    ].join('\n'),
  );

/** English words that must not appear on a Vietnamese screen (whole words, any case). */
const ENGLISH = [
  'verify',
  'official',
  'against',
  'mass',
  'volume',
  'concentration',
  'overdue',
  'tolerance',
  'traceable',
  'expired',
  'time',
  'undefined',
  'null',
  'NaN',
];
/** Words the glossary (docs/web.md) replaced. */
const REPLACED = ['dẫn xuất', 'thu phát', 'Cân đồng hồ điện tử', 'hiệu chuẩn lại', 'nên hiệu chuẩn', 'Giá trị độ chia e'];

/** Internal codes in a text: organisation ids, snake_case state codes, English words, replaced words. */
function internalCodes(text: string, orgIds: string[]): string[] {
  const found: string[] = [];
  for (const id of orgIds) if (new RegExp(`(?<![\\w-])${id.replace(/[-.]/g, '\\$&')}(?![\\w-])`).test(text)) found.push(id);
  for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) found.push(m[0]);
  for (const w of ENGLISH) if (new RegExp(`\\b${w}\\b`, 'i').test(text)) found.push(w);
  for (const w of REPLACED) if (text.toLowerCase().includes(w.toLowerCase())) found.push(w);
  return found;
}

/** What shows that a page has drawn its data (the route's own element). */
const READY: Record<string, string> = {
  overview: '[data-open-alerts] >> nth=0',
  instruments: 'tr[data-instrument] >> nth=0',
  alerts: '#alerts > *',
  calendar: 'table.month >> nth=0',
  references: '#references',
  gateways: '#gateways',
  reports: 'a[data-report] >> nth=0',
};

/** The state of every instrument a role sees, as the overview gives it. */
async function statesOf(context: BrowserContext): Promise<StateRow[]> {
  const res = await context.request.get(new URL('/api/v1/overview', stack.dashboardUrl).href);
  return ((await res.json()) as { items: StateRow[] }).items;
}

describe.runIf(browserAvailable)("the web UI's words, counts, search and charts", { timeout: 300_000 }, () => {
  useDemoWithBrowser((s, b) => ([stack, browser] = [s, b]));

  for (const vp of VIEWPORTS) {
    describe(vp.name, () => {
      it('walks every app-shell page in Vietnamese as authority, lab and enterprise with no internal code or English word', async () => {
        const orgIds = stack.registry
          .listOrgs()
          .map((o) => o.id)
          .filter((id) => id.includes('-'));
        expect(orgIds).toContain('ttkt-tdc');
        const problems: string[] = [];
        for (const role of ['authority', 'lab', 'enterprise'] as const) {
          const { context, page } = await signedIn(role, vp);
          try {
            await go(page, '#/');
            await page.locator(READY.overview!).waitFor();
            // The menu's pages of this role (a page added later is walked too), then instrument pages of each kind.
            const menu = await page
              .locator('a[data-nav]')
              .evaluateAll((as) =>
                as
                  .filter((a) => !(a.parentElement as HTMLElement).hidden && (a.getAttribute('href') ?? '').startsWith('#'))
                  .map((a) => ({ nav: a.getAttribute('data-nav')!, href: a.getAttribute('href')! })),
              );
            expect(menu.length).toBeGreaterThanOrEqual(5);
            const items = await statesOf(context);
            const kinds = [...new Set(items.map((i) => i.kind))];
            const instruments = kinds.map((k) => items.find((i) => i.kind === k && i.lab !== null) ?? items.find((i) => i.kind === k)!);
            const pages = [
              ...menu,
              { nav: 'alerts', href: '#/alerts?state=all' },
              ...instruments.map((i) => ({ nav: 'instrument', href: `#/instruments/${i.id}` })),
            ];
            for (const p of pages) {
              await go(page, p.href);
              try {
                if (p.nav === 'instrument') {
                  await page.locator('section[aria-labelledby="sec-cals"]').waitFor();
                  await page.locator('[data-chart="readings"][data-points]').waitFor();
                } else if (READY[p.nav]) await page.locator(READY[p.nav]!).first().waitFor();
                else await page.locator('#main h1').waitFor();
              } catch (err) {
                // Say what the page showed instead.
                throw new Error(
                  `${role} ${p.href} (${page.url()}): ${(err as Error).message}\n${((await page.locator('#main').textContent()) ?? '').slice(0, 600)}`,
                );
              }
              for (const code of internalCodes(await readable(page), orgIds)) problems.push(`${role} ${p.href}: ${code}`);
            }
          } finally {
            await context.close();
          }
        }
        expect(problems).toEqual([]);
      });

      it('draws failed checks red on the error chart, with a legend word', async () => {
        const drift = await json<{ lastCalibration: number | null; channels: Array<{ channel: string; mpe: number }> }>('/api/v1/instruments/SC-0101/drift');
        const gross = drift.channels.find((c) => c.channel === 'gross')!;
        const checks = await json<{ items: Array<{ error: number; traceable: boolean; reference: string | null; review: unknown }> }>(
          `/api/v1/instruments/SC-0101/checks?channel=gross&from=${drift.lastCalibration ?? 0}&limit=5000`,
        );
        const failed = checks.items.filter((c) => (c.traceable || c.reference === null) && !c.review && Math.abs(c.error) > gross.mpe).length;
        expect(failed).toBeGreaterThan(0);
        const { context, page } = await signedIn('lab', vp);
        try {
          await go(page, '#/instruments/SC-0101');
          const chart = page.locator('[data-chart="error"][data-channel="gross"]');
          await chart.locator('canvas').waitFor();
          expect(Number(await chart.getAttribute('data-failed'))).toBe(failed);
          const series = chart.locator('.u-legend .u-series', { hasText: 'Không đạt (sai số vượt MPE)' });
          expect(await series.count()).toBe(1);
          const colour = await series.locator('.u-marker').evaluate((m) => getComputedStyle(m).borderColor + getComputedStyle(m).backgroundColor);
          expect(colour).toContain('rgb(179, 38, 30)');
          // A chart without failed checks has no such series.
          await go(page, '#/instruments/SC-0003');
          const calm = page.locator('[data-chart="error"][data-channel="gross"]');
          await calm.locator('canvas').waitFor();
          expect(await calm.getAttribute('data-failed')).toBe('0');
          expect(await calm.locator('.u-legend').textContent()).not.toContain('Không đạt');
        } finally {
          await context.close();
        }
      });

      it('writes chart ticks as dd/mm (dd/mm/yyyy across a year) and HH:mm, in both languages', async () => {
        for (const lang of ['vi', 'en'] as const) {
          const { context, page } = await signedIn('lab', vp, lang);
          try {
            await go(page, '#/instruments/SC-0003');
            const readings = page.locator('[data-chart="readings"]');
            // One hour of readings: times.
            await expect.poll(() => readings.getAttribute('data-x-ticks')).toMatch(/^\d{2}:\d{2}( \d{2}:\d{2})*$/);
            await page.click('button[data-range="30d"]');
            await expect.poll(() => readings.getAttribute('data-x-ticks')).toMatch(/^\d{2}\/\d{2}( \d{2}\/\d{2})*$/);
            // The error chart runs from the last verification past the due date: across a year, so with the year.
            const error = page.locator('[data-chart="error"][data-channel="gross"]');
            await expect.poll(() => error.getAttribute('data-x-ticks')).toMatch(/^\d{2}\/\d{2}\/\d{4}( \d{2}\/\d{2}\/\d{4})*$/);
            expect(await readings.locator('.u-legend').textContent()).toContain(lang === 'vi' ? 'Thời gian' : 'Time');
          } finally {
            await context.close();
          }
        }
      });

      it('finds instruments whatever the accents and case, in the list and in the API', async () => {
        const { context, page } = await signedIn('authority', vp);
        try {
          await go(page, '#/instruments');
          await page.locator(READY.instruments!).waitFor();
          const listed = () => page.locator('tr[data-instrument]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-instrument')!).sort());
          const byApi = async (q: string) =>
            (await json<{ items: Array<{ id: string }> }>(`/api/v1/instruments?limit=500&q=${encodeURIComponent(q)}`)).items.map((i) => i.id).sort();
          const fuel = (await statesOf(context)).filter((i) => i.kind === 'fuel_dispenser').map((i) => i.id);
          const cases: Array<[string, string[]]> = [
            ['xang dau', fuel],
            ['XĂNG DẦU', fuel],
            ['can ban', ['SC-0101']],
            ['Cân Bàn', ['SC-0101']],
            ['can dien tu', ['SC-0001', 'SC-0002', 'SC-0003', 'SC-0004', 'SC-0005']],
          ];
          for (const [q, ids] of cases) {
            await page.fill('#q', q);
            await expect.poll(listed, { message: `list for "${q}"` }).toEqual([...ids].sort());
            expect(await byApi(q), `API for "${q}"`).toEqual([...ids].sort());
          }
          // The list also finds an owner by its name without accents (the API's q is about the instrument).
          await page.fill('#q', 'cho phan thiet');
          await expect.poll(listed).toEqual(['SC-0001', 'SC-0002', 'SC-0003', 'SC-0004', 'SC-0005']);
        } finally {
          await context.close();
        }
      });

      it('counts open alerts once: the menu badge equals the overview, also after a change; the share leaves out instruments never verified', async () => {
        const { context, page } = await signedIn('authority', vp);
        try {
          await go(page, '#/');
          const overviewOpen = () => page.locator('[data-open-alerts]').getAttribute('data-open-alerts');
          const badge = () => page.locator('#nav-alerts-count').textContent();
          const serverOpen = async () => String((await json<{ total: number }>('/api/v1/alerts?state=open&limit=1')).total);
          await expect.poll(async () => [await overviewOpen(), await badge()]).toEqual([await serverOpen(), await serverOpen()]);
          // An acknowledgement elsewhere: both numbers move together, live.
          await page.locator('body[data-live="on"]').waitFor();
          const open = await json<{ items: Array<{ id: number }> }>('/api/v1/alerts?state=open&limit=1');
          expect((await stack.api(`/api/v1/alerts/${open.items[0]!.id}/ack`, { method: 'POST' })).status).toBe(200);
          await expect
            .poll(async () => {
              const n = await serverOpen();
              return [await overviewOpen(), await badge(), n].every((x) => x === n);
            })
            .toBe(true);
          // "Đạt yêu cầu": in tolerance and verified; the stations never verified are said apart.
          const items = await statesOf(context);
          const conforming = items.filter((i) => i.state === 'in_tolerance' && i.lastCalibration !== null).length;
          const never = items.filter((i) => i.state !== 'unregistered' && i.lastCalibration === null).length;
          expect(never).toBeGreaterThan(0);
          const share = page.locator('[data-conforming]');
          expect(Number(await share.getAttribute('data-conforming'))).toBe(conforming);
          const pct = `${Math.round((conforming / items.length) * 100)}%`;
          expect(await share.textContent()).toContain(`${pct} đạt yêu cầu`);
          expect(await share.textContent()).toContain(`${never} phương tiện đo chưa có kết quả kiểm định, hiệu chuẩn`);
        } finally {
          await context.close();
        }
      });

      it('says the same number of days in the alert, the calendar, the list and for an expired standard', async () => {
        const { context, page } = await signedIn('authority', vp);
        try {
          const fd = (await statesOf(context)).find((i) => i.state === 'overdue')!;
          const days = -calendarDaysUntil(fd.nextDue!, Date.now());
          expect(days).toBeGreaterThan(0);
          expect(fd.dueInDays).toBe(-days);
          await go(page, '#/alerts?state=all');
          const alert = page.locator('tr[data-alert]', { has: page.locator(`a[href="#/instruments/${fd.id}"]`) }).locator('[data-code="alert.overdue"]');
          await expect.poll(() => alert.textContent()).toContain(`đã quá hạn ${days} ngày`);
          await go(page, '#/calendar');
          const cal = page.locator('[data-list="overdue"] li', { has: page.locator(`a[data-instrument="${fd.id}"]`) });
          await expect.poll(() => cal.locator('[data-due-days]').getAttribute('data-due-days')).toBe(String(-days));
          expect(await cal.textContent()).toContain(`đã quá hạn ${days} ngày`);
          await go(page, `#/instruments?state=overdue`);
          const row = page.locator(`tr[data-instrument="${fd.id}"] [data-due-days]`);
          await expect.poll(() => row.getAttribute('data-due-days')).toBe(String(-days));
          expect(await row.textContent()).toContain(`đã quá hạn ${days} ngày`);
          // A reference standard's expiry counts the same way.
          const refs = await json<{ items: Array<{ id: string; due: number | null }> }>('/api/v1/references');
          const expired = refs.items.find((r) => r.due !== null && r.due < Date.now())!;
          await go(page, '#/references');
          await expect
            .poll(() => page.locator(`tr[data-reference="${expired.id}"] [data-expiry="expired"]`).textContent())
            .toBe(`đã hết hiệu lực ${-calendarDaysUntil(expired.due!, Date.now())} ngày`);
        } finally {
          await context.close();
        }
      });

      it("uses the glossary's words on screen", async () => {
        const { context, page } = await signedIn('lab', vp);
        try {
          await go(page, '#/instruments/SC-0003');
          await page.locator('[data-table="checks"]').waitFor();
          expect(await page.locator('a[data-nav="gateways"]').textContent()).toBe('Bộ thu thập dữ liệu');
          expect(await page.locator('[data-table="checks"] thead').textContent()).toContain('Liên kết chuẩn');
          expect(await page.locator('.values li[data-channel="division"] .ch').textContent()).toBe('Giá trị độ chia kiểm (e)');
          await expect
            .poll(() => page.locator('[data-code="alert.predicted_out_of_tolerance"]').first().textContent())
            .toContain('đề nghị kiểm định lại trước ngày');
          await go(page, '#/references');
          await page.locator('#references').waitFor();
          const text = await page.locator('#references').textContent();
          expect(text).toContain('khối lượng · Trung tâm');
          expect(text).toContain('nồng độ SO₂');
          expect(text).toContain('Chuỗi liên kết chuẩn');
          await go(page, '#/instruments?q=SC-0001');
          await expect.poll(() => page.locator('tr[data-instrument="SC-0001"] .name').textContent()).toMatch(/^Cân điện tử, /);
          await go(page, '#/alerts?state=all');
          await expect.poll(() => page.locator('[data-code="alert.verification_failed"]').first().textContent()).toContain('Trung tâm Kỹ thuật');
        } finally {
          await context.close();
        }
      });

      it('links the official reports in PDF, XLSX and CSV with their Vietnamese titles, each one downloadable', async () => {
        const { context, page } = await signedIn('authority', vp);
        try {
          await go(page, '#/reports');
          await page.locator(READY.reports!).waitFor();
          const year = await page.locator('#report-year').inputValue();
          const titles: Record<string, string> = {
            'group2-inventory': 'Danh mục phương tiện đo nhóm 2 đang sử dụng',
            'verification-status': 'Báo cáo tình hình kiểm định, hiệu chuẩn phương tiện đo',
            'province-annual': `Báo cáo kết quả hoạt động đo lường năm ${year}`,
            'enterprise-assurance': 'Báo cáo kết quả thực hiện Chương trình đảm bảo đo lường của doanh nghiệp',
          };
          const mime = { pdf: 'application/pdf', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', csv: 'text/csv; charset=utf-8' };
          for (const [name, title] of Object.entries(titles)) {
            expect(await page.locator(`#rep-${name}`).textContent()).toBe(title);
            for (const format of ['pdf', 'xlsx', 'csv'] as const) {
              const link = page.locator(`a[data-report="${name}"][data-format="${format}"]`);
              await expect.poll(() => link.isVisible()).toBe(true);
              const res = await context.request.get(new URL((await link.getAttribute('href'))!, stack.dashboardUrl).href);
              expect(res.status(), `${name} ${format}`).toBe(200);
              expect(res.headers()['content-type']).toBe(mime[format]);
            }
          }
          // A click downloads the file the link names.
          const [pdf] = await Promise.all([page.waitForEvent('download'), page.click('a[data-report="group2-inventory"][data-format="pdf"]')]);
          expect(pdf.suggestedFilename()).toMatch(/^metronet-group2-inventory-.*\.pdf$/);
        } finally {
          await context.close();
        }
      });

      it("gives a gateway's refused readings their reason in Vietnamese, with the field and value, and the server's sentence in English", async () => {
        const gw = 'gw-cho-pt-01';
        const org = stack.registry.getGateway(gw)!.org;
        stack.registry.recordRejects([
          {
            ts: Date.now(),
            org,
            gateway: gw,
            instrument: 'SC-0001',
            code: 'E_UNIT_MISMATCH',
            message: `unit "g" differs from the unit registered for the channel (kg)`,
            field: 'readings[0].unit',
            value: 'g',
          },
        ]);
        const { context, page } = await signedIn('authority', vp);
        try {
          await go(page, '#/gateways');
          await page.locator(`tr[data-gateway="${gw}"] button.link`).click();
          const cell = page.locator('#gateway-rejects tbody tr').first().locator('td').nth(3);
          await expect.poll(() => cell.textContent()).toBe('Đơn vị đo khác với đơn vị đã đăng ký cho kênh đo (readings[0].unit = g)');
          await page.click('button[data-lang="en"]');
          await page.locator(`tr[data-gateway="${gw}"] button.link`).click();
          await expect.poll(() => page.locator('#gateway-rejects tbody tr').first().locator('td').nth(3).textContent()).toMatch(/^unit "g" differs/);
        } finally {
          await context.close();
        }
      });
    });
  }
});
