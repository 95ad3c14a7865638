/**
 * npm run bench:web — the web UI on a large registry (issue 7: "fast on a modest laptop with
 * thousands of instruments and charts of hundreds of thousands of points").
 *
 * Seeds a large province (bench/large-province.ts: default 10 000 instruments) plus a year of
 * one-minute readings on the first instruments (≈ 525 600 readings each), serves the dashboard
 * on those stores, and drives Debian's headless Chromium (test/e2e/browser.ts) as the authority:
 *   - overview: time to the state tiles with their counts, and the /overview payload;
 *   - instruments list: time to the first rows, rows in the DOM, and typing a search (time from
 *     the last keystroke to the list showing its one match);
 *   - instrument page: the readings chart over the full year (server downsampling: points sent,
 *     bytes, time) and a zoom-in refetch; the page's JS heap (CDP Performance.getMetrics).
 * Each step is measured `--runs` times (default 3) and the median reported.
 *
 * Usage: npm run bench:web [-- --instruments 10000] [--dir PATH] [--runs 3] [--reading-instruments 2]
 * The seeded folder (default $TMPDIR/metronet-bench-web) is reused by later runs with the same options.
 */
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../dashboard/app.js';
import { Engine } from '../analytics/engine.js';
import { openRegistry, openSqliteReadings } from '../store/index.js';
import { seedLargeProvince } from './large-province.js';
import { launch } from '../test/e2e/browser.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('instruments', '10000'));
const RUNS = Number(arg('runs', '3'));
const DIR = arg('dir', join(tmpdir(), `metronet-bench-web-${N}`));
const READING_INSTRUMENTS = Number(arg('reading-instruments', '2'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x)} ms`;
const kb = (x: number) => `${Math.round(x / 1024)} KiB`;

async function main() {
  const load0 = loadavg()[0]!;
  console.log(`seeding ${N} instruments in ${DIR} (reused when present)…`);
  const province = await seedLargeProvince({
    dataDir: DIR,
    instruments: N,
    days: 365,
    readingEveryMinutes: 1,
    readingInstruments: READING_INSTRUMENTS,
    log: (m) => console.log(`  ${m}`),
  });
  console.log(`  seeded in ${province.seconds} s: ${JSON.stringify(province.counts)}`);
  const registry = openRegistry(province.registryPath);
  const readings = openSqliteReadings(province.readingsPath);
  const app = await buildApp({ registry, readings, analytics: new Engine({ registry }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launch();
  const results: Array<[string, string]> = [];
  const note = (k: string, v: string) => (results.push([k, v]), console.log(`  ${k}: ${v}`));
  try {
    const login = province.logins.find((l) => l.role === 'authority')!;
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'Asia/Ho_Chi_Minh' });
    const res = await context.request.post(`${base}/api/v1/auth/login`, { data: { username: login.username, password: login.password } });
    if (!res.ok()) throw new Error(`login failed: ${res.status()} ${await res.text()}`);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const m = (await cdp.send('Performance.getMetrics')).metrics;
      return m.find((x) => x.name === 'JSHeapUsedSize')!.value;
    };
    const go = (hash: string) => page.goto(`${base}/${hash}`);

    // API payloads the pages read.
    const overviewRes = await context.request.get(`${base}/api/v1/overview`);
    const overviewBody = await overviewRes.body();
    const t0 = performance.now();
    await context.request.get(`${base}/api/v1/overview`);
    note('GET /overview (server + transfer)', `${ms(performance.now() - t0)}, ${kb(overviewBody.length)}`);

    // Overview: tiles with counts.
    const overview: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      await page.goto('about:blank');
      const s = performance.now();
      await go('#/');
      await page.waitForFunction(() => {
        const n = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(
          '.tiles li[data-state="in_tolerance"] .n',
        );
        return n && n.textContent !== '' && n.textContent !== '–';
      });
      overview.push(performance.now() - s);
    }
    note('overview: first meaningful render (tiles with counts)', ms(median(overview)));
    note('overview: JS heap', kb(await heap()));

    // Instruments list: first rows, rows in the DOM, search typing.
    const list: number[] = [];
    const typing: number[] = [];
    let rows = 0;
    const target = province.instrumentIds[Math.floor(province.instrumentIds.length / 2)]!;
    for (let r = 0; r < RUNS; r++) {
      await page.goto('about:blank');
      const s = performance.now();
      await go('#/instruments');
      await page.locator('tr[data-instrument]').first().waitFor({ timeout: 120_000 });
      list.push(performance.now() - s);
      rows = await page.locator('tr[data-instrument]').count();
      await page.locator('#q').click();
      await page.keyboard.type(target.slice(0, -1), { delay: 30 });
      const k = performance.now();
      await page.keyboard.type(target.slice(-1));
      await page.waitForFunction(
        (id) => {
          const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(a: string): string | null }> } }).document;
          const trs = d.querySelectorAll('tr[data-instrument]');
          return trs.length === 1 && trs[0]!.getAttribute('data-instrument') === id;
        },
        target,
        { timeout: 60_000 },
      );
      typing.push(performance.now() - k);
    }
    note('instruments list: first rows shown', ms(median(list)));
    note('instruments list: rows in the DOM', String(rows));
    note(`instruments list: search "${target}" — last keystroke to the one match`, ms(median(typing)));
    note('instruments list: JS heap', kb(await heap()));

    // Instrument page: the readings chart over a year, then a zoom-in.
    const inst = province.withReadings[0]!;
    const count = await readings.count(inst.id);
    const full: number[] = [];
    const zoom: number[] = [];
    let sent = { points: 0, bytes: 0, every: 0 };
    let zoomed = { points: 0, bytes: 0, every: 0 };
    const span = (url: string) => {
      const q = new URL(url).searchParams;
      return Number(q.get('to')) - Number(q.get('from'));
    };
    const readingsResponse = (accept: (spanMs: number) => boolean) =>
      page
        .waitForResponse((r) => r.url().includes('/readings?') && accept(span(r.url())), { timeout: 120_000 })
        .then(async (r) => ({ bytes: (await r.body()).length, json: (await r.json()) as { series: Array<{ points: unknown[] }>; every: number } }));
    for (let r = 0; r < RUNS; r++) {
      await page.goto('about:blank');
      await go(`#/instruments/${encodeURIComponent(inst.id)}`);
      const chart = page.locator('[data-chart="readings"]');
      await chart.waitFor();
      await page.locator('select[name="chart-channel"]').selectOption(inst.channel);
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { document: { querySelector(s: string): { dataset: { points?: string } } | null } }).document.querySelector(
            '[data-chart="readings"]',
          )?.dataset.points !== undefined,
        null,
        { timeout: 120_000 },
      );
      const wait = readingsResponse((x) => x > 300 * 86_400_000);
      const s = performance.now();
      await page.click('button[data-range="365d"]');
      const got = await wait;
      await page.waitForFunction(
        (e) =>
          (globalThis as unknown as { document: { querySelector(s: string): { dataset: { every?: string } } | null } }).document.querySelector(
            '[data-chart="readings"]',
          )?.dataset.every === String(e),
        got.json.every,
        { timeout: 120_000 },
      );
      full.push(performance.now() - s);
      sent = { points: got.json.series[0]?.points.length ?? 0, bytes: got.bytes, every: got.json.every };
      const waitZoom = readingsResponse((x) => x < 300 * 86_400_000);
      const z = performance.now();
      await page.click('button[data-zoom="in"]');
      const gz = await waitZoom;
      await page.waitForFunction(
        (e) =>
          (globalThis as unknown as { document: { querySelector(s: string): { dataset: { every?: string } } | null } }).document.querySelector(
            '[data-chart="readings"]',
          )?.dataset.every === String(e),
        gz.json.every,
        { timeout: 120_000 },
      );
      zoom.push(performance.now() - z);
      zoomed = { points: gz.json.series[0]?.points.length ?? 0, bytes: gz.bytes, every: gz.json.every };
    }
    note(`instrument page: readings stored for ${inst.id}`, count.toLocaleString('en'));
    note('instrument page: 1-year chart, click to drawn', ms(median(full)));
    note('instrument page: 1-year chart, points sent (bucket)', `${sent.points} (${Math.round(sent.every / 60_000)} min), ${kb(sent.bytes)}`);
    note('instrument page: zoom-in refetch, click to drawn', ms(median(zoom)));
    note('instrument page: zoom-in points sent (bucket)', `${zoomed.points} (${Math.round(zoomed.every / 60_000)} min), ${kb(zoomed.bytes)}`);
    note('instrument page: JS heap', kb(await heap()));
    await context.close();
  } finally {
    await browser.close();
    await app.close();
    await readings.close();
    registry.close();
  }
  const load1 = loadavg()[0]!;
  console.log('\n| measure | value |\n| --- | --- |');
  for (const [k, v] of results) console.log(`| ${k} | ${v} |`);
  console.log(
    `\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; 1-min load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after; ${RUNS} runs, medians.`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
