/**
 * Load on the dashboard API (`npm run bench:api`): the real `dashboard.start` on a large province
 * (bench/large-province.ts: 10 000 instruments, 90 days of checks, months of readings), in a
 * process of its own, under autocannon with concurrent clients, per route and per role.
 *
 *   npm run bench:api -- [--data DIR] [--instruments 10000] [--duration 5] [--connections 10,50]
 *                        [--roles authority,enterprise] [--routes list,one,readings,drift,overview] [--json FILE]
 *
 * The province is seeded once into DIR (default {tmp}/metronet-large-province-{instruments}) and
 * reused while its options match. Loopback only; each route runs `--duration` seconds per
 * connection count, after a one-request check that it answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { VERSION } from '../core/index.js';
import * as dashboard from '../dashboard/index.js';
import { Engine } from '../analytics/engine.js';
import { openRegistry, openSqliteReadings } from '../store/index.js';
import { seedLargeProvince, type LargeProvince } from './large-province.js';

const SELF = fileURLToPath(import.meta.url);

/** The server side: the dashboard alone in this process, on the seeded stores. */
async function serve(registryPath: string, readingsPath: string): Promise<void> {
  const registry = openRegistry(registryPath);
  const readings = openSqliteReadings(readingsPath);
  const web = await dashboard.start({ host: '127.0.0.1', port: 0, registry, readings, version: VERSION, analytics: new Engine({ registry }) });
  process.stdout.write(`LISTENING ${web.url}\n`);
  const stop = async () => {
    await web.close();
    await readings.close();
    registry.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop()); // the bench went away
  process.stdin.resume();
}

interface Row {
  route: string;
  role: string;
  connections: number;
  path: string;
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  bytesPerResponse: number;
}

function routesFor(p: LargeProvince, org: string): Record<string, string> {
  const mine = p.withReadings.filter((w) => w.org === org);
  const w = mine[0] ?? p.withReadings[0]!;
  const from = p.to - 90 * 86_400_000;
  return {
    list: '/api/v1/instruments?limit=100&offset=0',
    'list-filtered': `/api/v1/instruments?kind=fuel_dispenser&q=${encodeURIComponent('Bắc Bình')}&limit=50`,
    'list-page-50': '/api/v1/instruments?limit=100&offset=5000',
    one: `/api/v1/instruments/${w.id}`,
    'readings-90d-1d': `/api/v1/instruments/${w.id}/readings?channel=${w.channel}&from=${from}&to=${p.to}&every=1d`,
    'readings-90d-1h': `/api/v1/instruments/${w.id}/readings?channel=${w.channel}&from=${from}&to=${p.to}&every=1h`,
    'readings-7d-raw': `/api/v1/instruments/${w.id}/readings?channel=${w.channel}&from=${p.to - 7 * 86_400_000}&to=${p.to}`,
    drift: `/api/v1/instruments/${w.id}/drift`,
    overview: '/api/v1/overview',
    'overview-counts': '/api/v1/overview?items=false',
  };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      data: { type: 'string' },
      instruments: { type: 'string', default: '10000' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10,50' },
      roles: { type: 'string', default: 'authority,enterprise' },
      routes: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const instruments = Number(a.instruments);
  const dataDir = a.data ?? join(tmpdir(), `metronet-large-province-${instruments}`);
  console.log(`seeding (or reusing) ${dataDir} …`);
  const p = await seedLargeProvince({ dataDir, instruments, log: (m) => console.log(`  ${m}`) });
  console.log(
    `province: ${p.counts.instruments} instruments, ${p.counts.checks} checks, ${p.counts.readings} readings${p.seconds ? ` (seeded in ${p.seconds} s)` : ' (reused)'}`,
  );

  // Tokens per role, issued in the store as `metronet admin token` would.
  const registry = openRegistry(p.registryPath);
  const roles = a.roles!.split(',');
  const tokens = new Map<string, { token: string; org: string | null }>();
  for (const role of roles) {
    const login = p.logins.find((l) => l.role === role);
    if (!login) throw new Error(`no ${role} login in the province`);
    tokens.set(role, {
      token: registry.identity.issueToken({ kind: 'api', user: login.username, name: 'bench:api', ttlMs: 86_400_000 }).secret,
      org: login.org,
    });
  }
  registry.close();

  const server = await startServer(p);
  const rows: Row[] = [];
  try {
    for (const role of roles) {
      const { token, org } = tokens.get(role)!;
      const all = routesFor(p, role === 'enterprise' ? org! : p.orgs.enterprises[0]!);
      const chosen = a.routes ? Object.entries(all).filter(([k]) => a.routes!.split(',').some((r) => k === r || k.startsWith(`${r}-`))) : Object.entries(all);
      for (const [route, path] of chosen) {
        const headers = { authorization: `Bearer ${token}` };
        const first = await fetch(server.url + path.slice(1), { headers });
        const body = await first.text();
        if (first.status !== 200) throw new Error(`${role} ${path}: ${first.status} ${body.slice(0, 200)}`);
        for (const connections of a.connections!.split(',').map(Number)) {
          const r = await autocannon({ url: server.url + path.slice(1), connections, duration: Number(a.duration), headers });
          // Requests still queued in the server when the run ends would slow the next run down:
          // wait until it answers a cheap request promptly again.
          await idle(server.url);
          rows.push({
            route,
            role,
            connections,
            path,
            p50: r.latency.p50,
            p99: r.latency.p99,
            rps: Math.round(r.requests.average),
            requests: r.requests.total,
            non2xx: r.non2xx,
            errors: r.errors + r.timeouts,
            bytesPerResponse: body.length,
          });
          const x = rows.at(-1)!;
          if (x.requests === 0) x.p50 = x.p99 = Number.NaN; // saturated: no answer within the run
          console.log(
            `${role.padEnd(10)} ${route.padEnd(16)} c=${String(connections).padStart(3)}  p50 ${String(x.p50).padStart(5)} ms  p99 ${String(x.p99).padStart(5)} ms  ${String(x.rps).padStart(5)} req/s  ${x.non2xx ? `non-2xx ${x.non2xx} ` : ''}${x.errors ? `errors ${x.errors} ` : ''}(${x.bytesPerResponse} B)`,
          );
        }
      }
    }
  } finally {
    await server.close();
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
  console.log(`\nmachine: ${machine}\n`);
  console.log('| route | role | clients | p50 ms | p99 ms | req/s | response |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.route} | ${r.role} | ${r.connections} | ${r.requests ? r.p50 : 'saturated'} | ${r.requests ? r.p99 : '–'} | ${r.rps} | ${(r.bytesPerResponse / 1024).toFixed(1)} KiB${r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ''} |`,
    );
  if (a.json) writeFileSync(a.json, JSON.stringify({ at: new Date().toISOString(), machine, province: p.counts, duration: Number(a.duration), rows }, null, 2));
}

/** Resolves once GET /api/v1/health answers within 100 ms (at most 120 s). */
async function idle(base: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const t = Date.now();
    await fetch(`${base}api/v1/health`)
      .then((r) => r.text())
      .catch(() => undefined);
    if (Date.now() - t < 100) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startServer(p: LargeProvince): Promise<{ url: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', p.registryPath, p.readingsPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`dashboard process exited (${code}) before listening`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

if (process.argv[2] === '--serve') void serve(process.argv[3]!, process.argv[4]!);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
