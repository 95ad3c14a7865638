// Charts (issue 7) with uPlot, served from node_modules: readings over any range (the server
// downsamples with `every`; drag to zoom fetches finer buckets), and the error-versus-time chart
// with the ±MPE band, the guard band, the fitted trend, its prediction band and the predicted date.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { api, el, t, fmtNum, fmtDate, fmtDateTime, unitLabel, channelLabel, channelRank, TZ, DAY } from '../lib.js';

/** Points per chart width: enough for the eye, few enough for a modest laptop. */
const TARGET_POINTS = 800;
const RANGES = [
  ['1h', 3_600_000],
  ['24h', DAY],
  ['7d', 7 * DAY],
  ['30d', 30 * DAY],
  ['90d', 90 * DAY],
  ['365d', 365 * DAY],
];

const tzDate = (s) => uPlot.tzDate(new Date(s * 1000), TZ);
/** Day, month, year, hour and minute of a time in Vietnam time, two digits each (the year four). */
const PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const partsOf = (ms) => Object.fromEntries(PARTS.formatToParts(ms).map((p) => [p.type, p.value]));
/**
 * Tick labels of a time axis, the same in both languages and never ambiguous: dd/mm, dd/mm/yyyy
 * when the range crosses a year, HH:mm within two days. Written from the parts, because vi-VN
 * writes a day and month alone as "01-06", which reads as either month.
 */
export function timeTicks(splits, minMs, maxMs) {
  const crossesYear = partsOf(minMs).year !== partsOf(maxMs).year;
  return splits.map((s) => {
    const p = partsOf(s * 1000);
    if (maxMs - minMs <= 2 * DAY) return `${p.hour}:${p.minute}`;
    return crossesYear ? `${p.day}/${p.month}/${p.year}` : `${p.day}/${p.month}`;
  });
}
function timeAxis(host) {
  return {
    values: (u, splits) => {
      const ticks = timeTicks(splits, u.scales.x.min * 1000, u.scales.x.max * 1000);
      // What the axis shows, for the page's own checks (the canvas holds no text).
      host.dataset.xTicks = ticks.join(' ');
      return ticks;
    },
  };
}
const sizeOf = (host) => ({ width: Math.max(300, host.clientWidth || 800), height: 280 });

/** Readings of one channel at a time; range buttons, zoom in/out buttons and drag-to-zoom. */
export function readingsChart(instrument) {
  const chs = instrument.channels.filter((c) => !/(^|_)state$/.test(c.channel)).sort((a, b) => channelRank(a.channel) - channelRank(b.channel));
  const host = el('div', { class: 'chart', 'data-chart': 'readings' });
  const status = el('p', { class: 'muted small', 'aria-live': 'polite' });
  let channel = chs[0]?.channel;
  let to = Date.now();
  let from = to - 3_600_000;
  let plot = null;
  const chSelect = el(
    'select',
    { name: 'chart-channel', 'aria-label': t('chart.channel'), onchange: (e) => ((channel = e.target.value), load()) },
    ...chs.map((c) => el('option', { value: c.channel }, channelLabel(c.channel))),
  );
  const rangeButtons = RANGES.map(([key, ms]) =>
    el('button', { type: 'button', 'data-range': key, onclick: () => ((to = Date.now()), (from = to - ms), load()) }, t('range.' + key)),
  );
  const zoom = (factor) => {
    const mid = (from + to) / 2;
    const half = Math.max(60_000, ((to - from) * factor) / 2);
    (from = Math.round(mid - half)), (to = Math.min(Date.now(), Math.round(mid + half)));
    load();
  };
  const controls = el(
    'div',
    { class: 'chart-controls' },
    chSelect,
    ...rangeButtons,
    el('button', { type: 'button', 'data-zoom': 'in', onclick: () => zoom(0.5), 'aria-label': t('chart.zoomIn') }, '+'),
    el('button', { type: 'button', 'data-zoom': 'out', onclick: () => zoom(2), 'aria-label': t('chart.zoomOut') }, '−'),
  );

  async function load() {
    if (!channel) return;
    const every = Math.max(1000, Math.ceil((to - from) / TARGET_POINTS / 1000) * 1000);
    status.textContent = t('chart.loading');
    const r = await api(`/instruments/${encodeURIComponent(instrument.id)}/readings?channel=${channel}&from=${from}&to=${to}&every=${every}ms&limit=100000`);
    const pts = r.series[0]?.points ?? [];
    const unit = unitLabel(r.series[0]?.unit);
    const data = [pts.map((p) => p.ts / 1000), pts.map((p) => p.value), pts.map((p) => p.min ?? p.value), pts.map((p) => p.max ?? p.value)];
    status.textContent = t('chart.status', { n: fmtNum(pts.length, 0), every: fmtNum(every / 1000, 0), from: fmtDateTime(from), to: fmtDateTime(to) });
    host.dataset.points = String(pts.length);
    host.dataset.every = String(every);
    plot?.destroy();
    plot = new uPlot(
      {
        ...sizeOf(host),
        tzDate,
        cursor: { drag: { x: true, y: false, setScale: false } },
        scales: { x: { time: true, min: from / 1000, max: to / 1000 } },
        axes: [timeAxis(host), { label: unit, size: 70, values: (_u, s) => s.map((v) => fmtNum(v)) }],
        series: [
          { label: t('chart.time'), value: (_u, v) => (v === null ? '–' : fmtDateTime(v * 1000)) },
          { label: `${channelLabel(channel)} (${t('chart.mean')})`, stroke: '#0b5cad', width: 1.5, value: (_u, v) => fmtNum(v) },
          { label: t('chart.min'), stroke: '#8fb3d9', width: 1, dash: [4, 3], value: (_u, v) => fmtNum(v) },
          { label: t('chart.max'), stroke: '#8fb3d9', width: 1, dash: [4, 3], value: (_u, v) => fmtNum(v) },
        ],
        // Drag over a stretch: fetch that stretch again in finer buckets (server-side downsampling).
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 5) return;
              const a = u.posToVal(u.select.left, 'x') * 1000;
              const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
              u.setSelect({ width: 0, height: 0 }, false);
              if (b - a > 10_000) (from = Math.round(a)), (to = Math.round(b)), load();
            },
          ],
        },
      },
      data,
      host,
    );
  }
  const wrap = el('div', {}, controls, host, status);
  return { node: wrap, load: () => load().catch((err) => (status.textContent = `${t('loadError')} (${err.message})`)) };
}

/**
 * Error versus time of one channel since the last calibration. Worked example (DOMAIN.md oracle):
 * checks at 0…360 d with errors 0.10…0.85 and MPE 2: the trend line reaches +2 at 900 d, the
 * upper 95 % prediction bound at ≈827 d — the predicted date drawn as a red vertical line.
 */
/** Point colours of the second and further loads of a normalised chart (the first load is drawn dark). */
const LOAD_COLOURS = ['#6a3d9a', '#1b7f5a', '#a15c00', '#5b6776'];
/** Checks outside the MPE (the red of the ±MPE lines and of the "out of tolerance" badge). */
const FAILED = '#b3261e';

export function errorChart(dc, checks, drift, rawUnit) {
  const host = el('div', { class: 'chart', 'data-chart': 'error', 'data-channel': dc.channel });
  const unit = unitLabel(rawUnit) || '';
  // The MPE is the drift API's, from mpeFor at the stage it names (checks: in service, twice the
  // verification MPE a certificate shows for the same load — OIML R76-1 3.5.2); the chart says which.
  const mpe = dc.mpe;
  const stage = dc.mpeStage ?? null;
  const stageShort = stage ? t(`stage.short.${stage}`) : null;
  // Checks at loads with different MPEs (drift API normalised 'mpe-fraction', analytics/channel.ts
  // Normalised): each error is drawn as e ÷ MPE at its load, one point series per load, limits ±1;
  // the trend and its band are in those fractions already. Example: 5 kg (MPE 10 g) +6 g → 0.6;
  // 20 kg (MPE 20 g) +8 g → 0.4. No guard band: MPE − U differs per load.
  const fraction = dc.normalised === 'mpe-fraction' && Array.isArray(dc.mpeByLoad);
  const mpeAt = new Map((dc.mpeByLoad ?? []).map((m) => [m.load, m.mpe]));
  const loads = fraction ? [...new Set(checks.map((c) => c.referenceValue))].filter((l) => mpeAt.get(l) > 0).sort((a, b) => a - b) : [];
  const limit = fraction ? 1 : mpe;
  const guard = !fraction && mpe !== null && dc.U !== null ? Math.max(0, mpe - dc.U) : null;
  const fit = dc.trend?.fit;
  const predicted = dc.trend?.predictedTs ?? null;
  const due = drift.nextDue;
  const t0 = Math.min(...checks.map((c) => c.ts), drift.lastCalibration ?? Infinity);
  const end = Math.max(Date.now(), predicted ?? 0, due ?? 0);
  const t1 = end + (end - t0) * 0.08;
  const grid = Array.from({ length: 121 }, (_, k) => t0 + ((t1 - t0) * k) / 120);
  const xs = [...new Set([...grid, ...checks.map((c) => c.ts)])].sort((a, b) => a - b);
  // A check outside its MPE (|e| > MPE; in fractions |e ÷ MPE| > 1) failed: drawn red as its own
  // series, whose legend says so in words (colour is never the only signal).
  const failed = (y) => limit !== null && y !== null && y !== undefined && Math.abs(y) > limit;
  const errAt = new Map(checks.map((c) => [c.ts, c.error]));
  const fractionAt = loads.map((l) => new Map(checks.filter((c) => c.referenceValue === l).map((c) => [c.ts, c.error / mpeAt.get(l)])));
  const yAt = (x) => (fraction ? (fractionAt.find((m) => m.has(x))?.get(x) ?? null) : (errAt.get(x) ?? null));
  const passing = (y) => (failed(y) ? null : y);
  const failedCount = xs.filter((x) => failed(yAt(x))).length;
  host.dataset.failed = String(failedCount);
  const yhat = (ts) => (fit ? fit.intercept + dc.trend.slopePerDay * ((ts - fit.originTs) / DAY) : null);
  const half = (ts) => (fit ? fit.q * Math.sqrt(1 + 1 / fit.n + ((ts - fit.originTs) / DAY - fit.tMean) ** 2 / fit.sxx) : null);
  const c = (f) => xs.map(f);
  const data = [
    xs.map((x) => x / 1000),
    c((x) => passing(fraction ? (fractionAt[0]?.get(x) ?? null) : (errAt.get(x) ?? null))),
    c(() => limit),
    c(() => (limit === null ? null : -limit)),
    c(() => guard),
    c(() => (guard === null ? null : -guard)),
    c((x) => yhat(x)),
    c((x) => (fit ? yhat(x) + half(x) : null)),
    c((x) => (fit ? yhat(x) - half(x) : null)),
    ...fractionAt.slice(1).map((m) => c((x) => passing(m.get(x) ?? null))),
    ...(failedCount ? [c((x) => (failed(yAt(x)) ? yAt(x) : null))] : []),
  ];
  const v = (_u, y) => (y === null || y === undefined ? '–' : fmtNum(y));
  const marker = (u, ts, color, label, dash) => {
    const x = u.valToPos(ts / 1000, 'x', true);
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.textAlign = x > u.bbox.left + u.bbox.width * 0.7 ? 'right' : 'left';
    ctx.fillText(label, x + (ctx.textAlign === 'left' ? 4 : -4) * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
    ctx.restore();
  };
  const caption = el(
    'figcaption',
    {},
    el(
      'span',
      { 'data-mpe': mpe === null ? '' : String(mpe), 'data-mpe-stage': stage ?? '' },
      stage
        ? t('err.mpeStage', { stage: t(`stage.${stage}`), mpe: mpe === null ? '–' : `±${fmtNum(mpe)} ${unit}` })
        : t('err.mpe', { mpe: mpe === null ? '–' : `±${fmtNum(mpe)} ${unit}` }),
    ),
    ' · ',
    el('span', {}, t('err.current', { e: `${fmtNum(dc.currentError)} ${unit}` })),
    ' · ',
    fraction ? el('span', { 'data-normalised': 'mpe-fraction' }, t('err.normalised')) : null,
    fraction ? ' · ' : null,
    dc.trend
      ? el(
          'span',
          {},
          fraction ? t('err.slopeFraction', { s: fmtNum(dc.trend.slopePerDay * 30) }) : t('err.slope', { s: `${fmtNum(dc.trend.slopePerDay * 30)} ${unit}` }),
        )
      : null,
    dc.trend ? ' · ' : null,
    predicted
      ? el('span', { class: 'predicted' }, t('err.predicted'), ' ', el('strong', { 'data-predicted': String(predicted) }, fmtDate(predicted)))
      : el('span', {}, t('err.noPrediction')),
    due ? el('span', {}, ' · ', t('err.due', { d: fmtDate(due) })) : null,
  );
  const fig = el('figure', { class: 'error-chart', 'aria-label': t('err.title', { ch: channelLabel(dc.channel) }) }, host, caption);
  const draw = () =>
    new uPlot(
      {
        ...sizeOf(host),
        tzDate,
        scales: { x: { time: true } },
        axes: [timeAxis(host), { label: fraction ? t('err.axisFraction') : t('err.axis', { u: unit }), size: 70, values: (_u, s) => s.map((y) => fmtNum(y)) }],
        series: [
          { label: t('chart.time'), value: (_u, x) => (x === null ? '–' : fmtDate(x * 1000)) },
          {
            label: fraction ? t('err.checksAt', { load: `${fmtNum(loads[0])} ${unit}` }) : t('err.checks'),
            stroke: '#1b2430',
            width: 0,
            points: { show: true, size: 6, fill: '#1b2430' },
            value: v,
          },
          {
            label: fraction
              ? t('err.limitFraction', { sign: '+', stage: stageShort ?? '' })
              : stageShort
                ? t('err.mpeLegend', { sign: '+', stage: stageShort })
                : t('err.mpePlus'),
            stroke: '#b3261e',
            width: 1.5,
            value: v,
          },
          {
            label: fraction
              ? t('err.limitFraction', { sign: '−', stage: stageShort ?? '' })
              : stageShort
                ? t('err.mpeLegend', { sign: '−', stage: stageShort })
                : t('err.mpeMinus'),
            stroke: '#b3261e',
            width: 1.5,
            value: v,
          },
          { label: t('err.guard'), stroke: '#a15c00', width: 1, dash: [6, 4], value: v },
          { label: t('err.guard'), stroke: '#a15c00', width: 1, dash: [6, 4], value: v, show: guard !== null },
          { label: t('err.trend'), stroke: '#0b5cad', width: 2, value: v },
          { label: t('err.band'), stroke: '#8fb3d9', width: 1, value: v },
          { label: t('err.band'), stroke: '#8fb3d9', width: 1, value: v },
          ...loads.slice(1).map((l, i) => {
            const color = LOAD_COLOURS[i % LOAD_COLOURS.length];
            return {
              label: t('err.checksAt', { load: `${fmtNum(l)} ${unit}` }),
              stroke: color,
              width: 0,
              points: { show: true, size: 6, fill: color },
              value: v,
            };
          }),
          ...(failedCount
            ? [{ label: t('err.failed'), stroke: FAILED, width: 0, points: { show: true, size: 9, width: 2, stroke: FAILED, fill: FAILED }, value: v }]
            : []),
        ],
        bands: fit ? [{ series: [7, 8], fill: 'rgba(11, 92, 173, 0.12)' }] : [],
        hooks: {
          draw: [
            (u) => {
              if (due) marker(u, due, '#5b6776', t('err.dueShort', { d: fmtDate(due) }), [4, 4]);
              if (predicted) marker(u, predicted, '#b3261e', t('err.predictedShort', { d: fmtDate(predicted) }), []);
            },
          ],
        },
      },
      data,
      host,
    );
  return { node: fig, draw };
}
