/**
 * npm run bench:drift — detection quality and cost of analytics (issue 5).
 *
 * Feeds ../shared/bench/drift-cases.json through the public path (POST /api/v1/instruments/{id}/checks
 * over real HTTP, one check per request, in time order) and reports what the cases' README asks:
 * false alarms on stable cases, detection delay on steps next to tabular CUSUM (k = 0.5, h = 5),
 * error and lead time of the predicted out-of-tolerance date on linear drifts, OOT caught on the
 * check. Then the cost: periodic re-evaluation of 100 000 instruments, in-memory drift
 * re-evaluation of 100 000 channels, and memory per instrument.
 *
 * Usage: npm run bench:drift [-- --cases PATH] [--instruments 100000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../dashboard/app.js';
import { openRegistry, openSqliteReadings } from '../store/index.js';
import { Engine } from '../analytics/engine.js';
import { addToMean, cusumRun, cusumStep, recursiveResidual, runningMean } from '../analytics/cusum.js';
import { addCheck, defaultSettings, evaluate, newAcc } from '../analytics/channel.js';
import { DAY } from '../core/time.js';

interface Case {
  id: string;
  unit: string;
  reference: number;
  referenceU: number;
  mpe: number;
  repeatability: number;
  every_days: number;
  checks: Array<{ ts: number; indicated: number }>;
  truth: { kind: 'stable' | 'step' | 'linear' | 'oot'; onset_index?: number; shift_sigma?: number; direction?: number; crossing_ts?: number };
}

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
};
const CASES = resolve(arg('cases', join(import.meta.dirname, '..', '..', 'shared', 'bench', 'drift-cases.json')));
const N_INSTRUMENTS = Number(arg('instruments', '100000'));
const DRIFT_KINDS = new Set(['out_of_tolerance', 'near_limit', 'predicted_out_of_tolerance', 'shift_detected']);

let authorization = '';

async function quality() {
  const { cases } = JSON.parse(readFileSync(CASES, 'utf8')) as { cases: Case[] };
  const dir = mkdtempSync(join(tmpdir(), 'metronet-bench-drift-'));
  const registry = openRegistry(join(dir, 'registry.db'));
  const readings = openSqliteReadings(join(dir, 'readings.db'));
  const lastTs = Math.max(...cases.flatMap((c) => c.checks.map((k) => k.ts)));
  const app = await buildApp({ registry, readings, now: () => lastTs + DAY, analytics: new Engine({ registry, now: () => lastTs + DAY }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
  registry.upsertOrg({ id: 'bench', name: 'bench', kind: 'enterprise' });
  // The lab serving the bench instruments does this work, with its own API token (issue 6).
  registry.upsertOrg({ id: 'bench-lab', name: 'bench lab', kind: 'lab' });
  await registry.identity.createUser({ id: 'bench-lab', role: 'lab', org: 'bench-lab', password: 'bench-lab-password' });
  authorization = `Bearer ${registry.identity.issueToken({ kind: 'api', user: 'bench-lab', ttlMs: 86_400_000 }).secret}`;
  const rows: Array<Record<string, unknown>> = [];
  let requests = 0;
  const t0 = performance.now();
  for (const c of cases) {
    const inst = `B-${c.id}`;
    registry.upsertInstrument({ id: inst, org: 'bench', registration: 'registered', kind: 'other', name: c.id });
    registry.ensureChannel(inst, 'value', c.unit);
    registry.analytics.setService({ instrument: inst, lab: 'bench-lab', intervalDays: null });
    // Channel MPE and repeatability, and the standard, through the API (no interval set: the kind
    // `other` has none, so a prediction is judged against one year from the check, as before).
    await put(`${base}/instruments/${inst}/channels/value/metrology`, {
      tolerance: { model: 'absolute', mpe: c.mpe },
      repeatability: c.repeatability,
      analyser: false,
    });
    await put(`${base}/references/R-${c.id}`, {
      lab: 'bench-lab',
      quantity: 'q',
      unit: c.unit,
      nominal: c.reference,
      value: c.reference,
      U: c.referenceU,
      k: 2,
      due: lastTs + 365 * DAY,
      // A root standard is traceable only when anchored (analytics/traceability.ts).
      anchor: { kind: 'accredited_certificate', issuer: 'bench calibration laboratory', certificate: `BENCH-${c.id}`, date: null },
    });
    const first = new Map<string, { index: number; ts: number; predictedTs?: number }>();
    for (const [index, k] of c.checks.entries()) {
      const res = await fetch(`${base}/instruments/${inst}/checks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ checks: [{ channel: 'value', ts: k.ts, reference: `R-${c.id}`, indicated: k.indicated }] }),
      });
      requests++;
      const body = (await res.json()) as { alerts: Array<{ id: number; kind: string; event: string }> };
      for (const a of body.alerts) {
        if (a.event !== 'opened' || first.has(a.kind)) continue;
        const alert = registry.analytics.getAlert(a.id)!;
        first.set(a.kind, { index, ts: k.ts, predictedTs: alert.details.predictedTs as number | undefined });
      }
    }
    rows.push(score(c, first));
  }
  const elapsed = performance.now() - t0;
  await app.close();
  await readings.close();
  registry.close();
  rmSync(dir, { recursive: true, force: true });
  return { rows, requests, elapsed };
}

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${url} → ${res.status} ${await res.text()}`);
}

/**
 * The shift detector alone, as implemented (channel.ts addCheck, σ stated), on simulated N(0, σ) errors
 * with an unknown constant bias — the situation the case file samples 12 times. Reports the
 * probability of a false signal within 100 checks and the detection delay of a step after
 * `tau` in-control checks, next to the reference tabular CUSUM that knows μ₀. Seeded, so runs
 * repeat; this is the evidence that does not depend on the 12 stable cases.
 */
function monteCarlo(runs = 4000) {
  let seed = 12345;
  // mulberry32: an LCG's consecutive pairs are correlated, which Box–Muller turns into non-normal noise.
  const unif = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif());
  const settings = defaultSettings({ tolerance: { model: 'absolute', mpe: 1e9 }, repeatability: 1 });
  const firstSignal = (errors: number[], prior: { mean: number; u: number } | null = null): number | null => {
    const acc = newAcc(0, prior);
    for (let i = 0; i < errors.length; i++) {
      addCheck(acc, settings, { ts: i * DAY, error: errors[i]!, referenceValue: 0, referenceU: 0 });
      if (acc.lastSignal) return acc.lastSignal.index;
    }
    return null;
  };
  let bias = 0;
  const series = (n: number, tau: number, delta: number) => {
    bias = 3 * (unif() - 0.5);
    return Array.from({ length: n }, (_, i) => bias + gauss() + (i >= tau ? delta : 0));
  };
  // A lab that states μ₀: the last calibration's as-left error, measured as the mean of 10
  // repeated readings (u = σ/√10), enters as a prior (changepoint.ts). Its own noise stream, so
  // the other columns draw the same numbers as without it.
  let seed2 = 777;
  const unif2 = () => {
    seed2 = (seed2 + 0x6d2b79f5) | 0;
    let t = Math.imul(seed2 ^ (seed2 >>> 15), 1 | seed2);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const U_ASLEFT = 1 / Math.sqrt(10);
  const asLeft = () => ({ mean: bias + U_ASLEFT * Math.sqrt(-2 * Math.log(unif2())) * Math.cos(2 * Math.PI * unif2()), u: U_ASLEFT });
  // The scheme it replaced (the "before" of BENCHMARKS.md): the self-starting CUSUM of Hawkins
  // (1987), each error judged against the mean of all checks before it (cusum.ts).
  const estimated = (errors: number[]): number | null => {
    const m = runningMean(null, 1);
    let st = { hi: 0, lo: 0 };
    for (let i = 0; i < errors.length; i++) {
      const z = recursiveResidual(m, errors[i]!, 1);
      addToMean(m, errors[i]!);
      if (z === null) continue;
      const step = cusumStep(st, z);
      if (step.signal) return i;
      st = step;
    }
    return null;
  };
  let fa = 0;
  let faRef = 0;
  let faOld = 0;
  let faAnchored = 0;
  for (let r = 0; r < runs; r++) {
    const x = series(100, 100, 0);
    if (firstSignal(x) !== null) fa++;
    if (firstSignal(x, asLeft()) !== null) faAnchored++;
    if (cusumRun(series(100, 100, 0).map(() => gauss())).signals.length > 0) faRef++;
    if (estimated(series(100, 100, 0)) !== null) faOld++;
  }
  const delays: Array<{ delta: number; tau: number; ours: number; reference: number; old: number; anchored: number }> = [];
  for (const delta of [0.5, 1, 2, 3]) {
    for (const tau of [35, 50]) {
      let sum = 0;
      let sumRef = 0;
      let sumOld = 0;
      let sumAnchored = 0;
      let nAnchored = 0;
      let n = 0;
      let nOld = 0;
      for (let r = 0; r < runs / 4; r++) {
        const x = series(tau + 300, tau, delta);
        const j = estimated(x);
        if (j === null || j >= tau) {
          sumOld += j === null ? 301 : j - tau + 1;
          nOld++;
        }
        const a = firstSignal(x, asLeft());
        if (a === null || a >= tau) {
          sumAnchored += a === null ? 301 : a - tau + 1;
          nAnchored++;
        }
        const i = firstSignal(x);
        if (i !== null && i < tau) continue; // a false alarm before the step: not a delay
        sum += i === null ? 301 : i - tau + 1;
        const sig = cusumRun(Array.from({ length: 300 }, () => gauss() + delta)).signals[0];
        sumRef += sig ? sig.index + 1 : 301;
        n++;
      }
      delays.push({ delta, tau, ours: sum / n, reference: sumRef / n, old: sumOld / nOld, anchored: sumAnchored / nAnchored });
    }
  }
  // What the stable-case measure compares: a case of n checks; the reference CUSUM is centred on
  // the mean of all n errors (hindsight), which lowers its false alarms below the nominal rate.
  const caseLength = [80, 120].map((n) => {
    let ours = 0;
    let ref = 0;
    let old = 0;
    for (let r = 0; r < runs / 2; r++) {
      const x = series(n, n, 0);
      const mu = x.reduce((a, b) => a + b, 0) / n;
      if (firstSignal(x) !== null) ours++;
      if (estimated(x) !== null) old++;
      if (cusumRun(x.map((e) => e - mu)).signals.length > 0) ref++;
    }
    return { n, ours: ours / (runs / 2), ref: ref / (runs / 2), old: old / (runs / 2) };
  });
  return { runs, fa: fa / runs, faRef: faRef / runs, faOld: faOld / runs, faAnchored: faAnchored / runs, delays, caseLength };
}

function score(c: Case, first: Map<string, { index: number; ts: number; predictedTs?: number }>): Record<string, unknown> {
  const onset = c.truth.onset_index ?? c.checks.length;
  const alarms = [...first.entries()].filter(([k]) => DRIFT_KINDS.has(k));
  const earliest = alarms.length ? Math.min(...alarms.map(([, v]) => v.index)) : null;
  const errors = c.checks.map((k) => k.indicated - c.reference);
  const out: Record<string, unknown> = { id: c.id, kind: c.truth.kind, n: c.checks.length, kinds: alarms.map(([k, v]) => `${k}@${v.index}`).join(' ') };
  if (c.truth.kind === 'stable') {
    out.falseAlarm = earliest !== null;
    // The reference CUSUM on the same series, in-control mean known (mean of all its errors).
    const mu = errors.reduce((a, b) => a + b, 0) / errors.length;
    out.cusumFalse = cusumRun(errors.map((e) => (e - mu) / c.repeatability)).signals.length > 0;
  }
  if (c.truth.kind === 'step') {
    out.shift = c.truth.shift_sigma;
    out.falseAlarm = earliest !== null && earliest < onset;
    const after = alarms.filter(([, v]) => v.index >= onset).map(([, v]) => v.index);
    out.delay = after.length ? Math.min(...after) - onset + 1 : null;
    // Reference tabular CUSUM with the in-control mean known (mean of the pre-onset errors) and σ = repeatability.
    const mu = errors.slice(0, onset).reduce((a, b) => a + b, 0) / onset;
    const z = errors.slice(onset).map((e) => (e - mu) / c.repeatability);
    const sig = cusumRun(z).signals[0];
    out.cusumDelay = sig ? sig.index + 1 : null;
    // The same CUSUM run from the first check, as metronet runs (not only from the onset): its
    // first signal, before the onset (a false alarm it would also raise) or after.
    const all = cusumRun(errors.map((e) => (e - mu) / c.repeatability)).signals[0];
    out.cusumFromStart = all ? (all.index < onset ? `false alarm @${all.index}` : String(all.index - onset + 1)) : 'no signal';
  }
  if (c.truth.kind === 'linear') {
    const crossing = c.truth.crossing_ts!;
    const p = first.get('predicted_out_of_tolerance');
    out.falseAlarm = earliest !== null && earliest < onset && first.get('predicted_out_of_tolerance')?.index !== earliest;
    out.crossingAfterLast = crossing > c.checks[c.checks.length - 1]!.ts;
    if (p) {
      out.leadDays = (crossing - p.ts) / DAY;
      out.dateErrorFraction = p.predictedTs !== undefined ? (p.predictedTs - crossing) / (crossing - p.ts) : null;
      out.warnedBefore = p.ts < crossing;
    } else out.warnedBefore = false;
  }
  if (c.truth.kind === 'oot') {
    const o = first.get('out_of_tolerance');
    out.caughtOnCheck = o?.index === onset;
    out.falseAlarm = earliest !== null && earliest < onset;
  }
  return out;
}

function cost(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-bench-cost-'));
  const registry = openRegistry(join(dir, 'registry.db'));
  const now = Date.UTC(2026, 10, 1);
  registry.upsertOrg({ id: 'org', name: 'org', kind: 'enterprise' });
  const tSeed = performance.now();
  registry.analytics.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = `I-${i}`;
      registry.upsertInstrument({ id, org: 'org', registration: 'registered', kind: 'scale', gateway: 'gw' });
      registry.analytics.insertCalibration({
        instrument: id,
        type: 'verification',
        date: now - (i % 400) * DAY,
        lab: 'lab',
        certificate: `C-${i}`,
        procedure: null,
        conditions: null,
        results: [{ channel: 'gross', unit: 'kg', nominal: 20, asFound: 0, U: 0.002 }],
        references: [],
        result: 'pass',
        decisionRule: 'simple',
        statement: null,
        authorisedBy: 'x',
        intervalDays: 365,
        nextDue: now - (i % 400) * DAY + 365 * DAY,
      });
    }
  });
  const seedMs = performance.now() - tSeed;
  const engine = new Engine({ registry, now: () => now });
  const first = performance.now();
  const r1 = engine.evaluatePeriodic(); // opens the alerts (≈ 1/10 overdue, 1/13 due soon)
  const firstMs = performance.now() - first;
  const runs: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    engine.evaluatePeriodic();
    runs.push(performance.now() - t);
  }
  const openAlerts = registry.analytics.listAlerts({ state: 'live', limit: 1 }).total;
  registry.close();
  rmSync(dir, { recursive: true, force: true });

  // In-memory drift state: one channel per instrument, 50 checks each, then re-evaluate all.
  const settings = defaultSettings({ tolerance: { model: 'absolute', mpe: 0.02 }, repeatability: 0.002 });
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const accs = new Array(n);
  for (let i = 0; i < n; i++) {
    const acc = newAcc(now - 400 * DAY, null);
    for (let j = 0; j < 50; j++)
      addCheck(acc, settings, { ts: now - (400 - 7 * j) * DAY, error: 0.0001 * j + ((i * 7 + j * 13) % 10) * 0.0002, referenceValue: 20, referenceU: 0.0016 });
    accs[i] = acc;
  }
  globalThis.gc?.();
  const heapPer = (process.memoryUsage().heapUsed - heap0) / n;
  const evalRuns: number[] = [];
  let predicted = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    predicted = 0;
    for (let i = 0; i < n; i++) if (evaluate(accs[i], settings).trend?.predictedTs) predicted++;
    evalRuns.push(performance.now() - t);
  }
  return { n, seedMs, firstMs, r1: r1.changes.length, runs, openAlerts, heapPer, evalRuns, predicted, gc: typeof globalThis.gc === 'function' };
}

const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ONLY_COST = process.argv.includes('--cost-only');
const q = ONLY_COST ? { rows: [], requests: 0, elapsed: 0 } : await quality();
const by = (k: string) => q.rows.filter((r) => r.kind === k);
const stable = by('stable');
const step = by('step');
const linear = by('linear');
const oot = by('oot');
const checksStable = stable.reduce((n, r) => n + (r.n as number), 0);
if (!ONLY_COST) {
  console.log(`# bench:drift — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  console.log(
    `cases: ${CASES} (${q.rows.length}); ${q.requests} checks posted over HTTP in ${(q.elapsed / 1000).toFixed(1)} s (${((q.elapsed / q.requests) * 1000).toFixed(0)} µs per check, round trip)\n`,
  );
  console.log(`## stable: false alarms`);
  console.log(
    `${stable.filter((r) => r.falseAlarm).length} of ${stable.length} cases raised a drift alert (${checksStable} checks); the reference tabular CUSUM (k = 0.5, h = 5, in-control mean known) signals on ${stable.filter((r) => r.cusumFalse).length} of ${stable.length}`,
  );
  for (const r of stable.filter((x) => x.falseAlarm)) console.log(`  ${r.id}: ${r.kinds}`);
  console.log(`\n## step: detection delay (checks from the onset, onset check = 1)`);
  console.log(
    '| case | shift (σ) | metronet | tabular CUSUM, known μ₀ | DOMAIN ARL h=5 | false alarm before onset | alerts | known-μ₀ CUSUM run from check 0 |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const ARL: Record<string, string> = { '0.5': '38.0', '1': '10.4', '1.5': '5.75', '2': '4.01', '3': '2.57' };
  for (const r of [...step].sort((a, b) => (a.shift as number) - (b.shift as number))) {
    console.log(
      `| ${r.id} | ${r.shift} | ${r.delay ?? 'missed'} | ${r.cusumDelay ?? 'no signal'} | ${ARL[String(r.shift)] ?? '—'} | ${r.falseAlarm ? 'yes' : 'no'} | ${r.kinds} | ${r.cusumFromStart} |`,
    );
  }
  for (const s of [...new Set(step.map((r) => r.shift as number))].sort()) {
    const g = step.filter((r) => r.shift === s);
    const d = g.map((r) => r.delay as number | null).filter((x): x is number => x !== null);
    const cz = g.map((r) => r.cusumDelay as number | null).filter((x): x is number => x !== null);
    console.log(
      `shift ${s}σ: metronet mean delay ${fmt(d.reduce((a, b) => a + b, 0) / d.length)} (${d.length}/${g.length} detected); reference CUSUM ${fmt(cz.reduce((a, b) => a + b, 0) / cz.length)} (${cz.length}/${g.length})`,
    );
  }
  console.log(`\n## linear: predicted out-of-tolerance date`);
  console.log('| case | crossing after last check | first "predicted" alert lead (d) | date error / time to crossing | warned before crossing |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of linear)
    console.log(
      `| ${r.id} | ${r.crossingAfterLast ? 'yes' : 'no'} | ${fmt(r.leadDays as number)} | ${fmt(r.dateErrorFraction as number, 2)} | ${r.warnedBefore ? 'yes' : 'NO'} |`,
    );
  console.log(`warned before the crossing: ${linear.filter((r) => r.warnedBefore).length} of ${linear.length}`);
  console.log(`\n## oot: caught on the check`);
  console.log(`${oot.filter((r) => r.caughtOnCheck).length} of ${oot.length}; false alarms before the OOT check: ${oot.filter((r) => r.falseAlarm).length}`);
  const mc = monteCarlo();
  console.log(`\n## shift detector alone, Monte Carlo (${mc.runs} series, N(0,1) plus an unknown bias in ±1.5σ; seeded)`);
  console.log(
    `false signal within 100 checks: change-point CUSUM ${fmt(mc.fa * 100)} % · tabular CUSUM with μ₀ known ${fmt(mc.faRef * 100)} % · before: self-starting CUSUM ${fmt(mc.faOld * 100)} % · change-point CUSUM with a stated as-left error (u = σ/√10) ${fmt(mc.faAnchored * 100)} %`,
  );
  console.log(
    '| shift (σ) | onset after | change-point CUSUM mean delay | before: self-starting CUSUM | CUSUM, μ₀ known | DOMAIN ARL h=5 | change-point, as-left stated (u = σ/√10) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const d of mc.delays)
    console.log(`| ${d.delta} | ${d.tau} | ${fmt(d.ours)} | ${fmt(d.old)} | ${fmt(d.reference)} | ${ARL[String(d.delta)] ?? '—'} | ${fmt(d.anchored)} |`);
  const stableMix = (f: (x: { n: number; ours: number; ref: number; old: number }) => number) =>
    stable.reduce((sum, r) => sum + f(mc.caseLength.find((x) => x.n === r.n) ?? mc.caseLength[mc.caseLength.length - 1]!), 0);
  console.log(
    `stable-case measure (a false alarm within a case of n checks; reference centred on the case's own mean): ${mc.caseLength.map((x) => `n = ${x.n}: change-point ${fmt(x.ours * 100)} %, reference ${fmt(x.ref * 100)} %, before ${fmt(x.old * 100)} %`).join(' · ')}; expected over these ${stable.length} stable cases: change-point ${fmt(
      stableMix((x) => x.ours),
      2,
    )}, reference ${fmt(
      stableMix((x) => x.ref),
      2,
    )}, before ${fmt(
      stableMix((x) => x.old),
      2,
    )}`,
  );
}
const c = cost(N_INSTRUMENTS);
console.log(`\n## cost, ${c.n} instruments`);
console.log(`registry seeded (instrument + verification each) in ${(c.seedMs / 1000).toFixed(1)} s`);
console.log(
  `periodic re-evaluation (due soon, overdue, offline, standards): first run ${fmt(c.firstMs, 0)} ms (opens ${c.r1} alerts), steady state median ${fmt(median(c.runs), 0)} ms (runs ${c.runs.map((x) => x.toFixed(0)).join(', ')}); live alerts ${c.openAlerts}`,
);
console.log(
  `drift re-evaluation from in-memory state (conformity, trend + predicted date, CUSUM): median ${fmt(median(c.evalRuns), 0)} ms for ${c.n} channels (runs ${c.evalRuns.map((x) => x.toFixed(0)).join(', ')}); ${c.predicted} with a predicted date`,
);
console.log(
  `memory per instrument (one channel's running state): ${fmt(c.heapPer, 0)} bytes${c.gc ? '' : ' (run with node --expose-gc for a cleaner figure)'}`,
);
