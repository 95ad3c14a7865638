/**
 * `npm run bench:gateway` (issue 3): polls per second against local Modbus TCP simulators, the
 * gateway (poll, decode, spool with fsync, publish QoS 1) next to a bare modbus-serial read loop
 * over the same connections; the gateway's CPU and memory at two published point rates; and
 * Modbus RTU at 9600 baud against what the line rate allows. Options: --seconds N (default 10).
 * Simulators and the broker run in this process; each measured side runs in a child process.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { start as startBroker } from '../broker/index.js';
import { defaultProfilesDir, loadProfiles, type ModbusRtuTransport } from '../core/index.js';
import { RtuLine } from '../gateway/drivers/index.js';
import { planRequests } from '../gateway/index.js';
import { startPtyPair, startRtuBus, startSimulator } from '../simulators/index.js';

const run = promisify(execFile);
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const profiles = loadProfiles([defaultProfilesDir(), join(import.meta.dirname, 'profiles')]);
const PROFILE = 'bench-60-points';
const profile = profiles.get(PROFILE)!;
const valuePoints = profile.points.filter((p) => (p.role ?? 'value') === 'value').length;
// The bare loop issues exactly the gateway's request plan for this profile (one request).
const [request] = planRequests(profile);
const span = request!.length;

async function child(job: object): Promise<{ polls: number; published: number; cpuMs: number; rssMax: number; seconds: number; backlog?: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'gateway-child.ts'), JSON.stringify(job)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const MOSQUITTO = '/usr/sbin/mosquitto';
const brokerName = existsSync(MOSQUITTO) ? 'Mosquitto (own process)' : "embedded aedes (in the simulators' process)";

/**
 * The broker runs in its own process when Mosquitto is installed: sharing an event loop with
 * hundreds of simulators, aedes answers PUBACKs late and the gateway's publish rate measures the
 * broker instead of the gateway.
 */
async function startBenchBroker(): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(MOSQUITTO)) return startBroker({ host: '127.0.0.1', port: 0 });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(MOSQUITTO, ['-p', String(port)], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { url: `mqtt://127.0.0.1:${port}`, close: async () => void proc.kill() };
}

async function scenario(devices: number, pollMs: number) {
  const sims = await Promise.all(Array.from({ length: devices }, (_, i) => startSimulator({ profile, seed: i + 1 })));
  const broker = await startBenchBroker();
  const stateDir = await mkdtemp(join(tmpdir(), 'metronet-bench-'));
  const job = { ports: sims.map((s) => s.port), seconds, profile: PROFILE, table: request!.table, length: span, brokerUrl: broker.url, stateDir, pollMs };
  const bare = await child({ ...job, mode: 'bare' });
  const paced = await child({ ...job, mode: 'paced' });
  const gw = await child({ ...job, mode: 'gateway' });
  await broker.close();
  await Promise.all(sims.map((s) => s.close()));
  await rm(stateDir, { recursive: true, force: true });
  return { devices, pollMs, target: (devices * 1000) / pollMs, bare, paced, gw };
}

/** RTU at 9600 8N1: each character is 10 bits; a transaction is request + answer + 3.5-character gaps (Modbus over Serial Line V1.02 §2.5.1.1). */
async function rtu() {
  const pty = await startPtyPair();
  const p = profiles.get('weighing-indicator-rtu')!;
  const bus = await startRtuBus({ path: pty.device, slaves: [{ unitId: 1, profile: p }], emulateBaud: 9600 });
  const t: ModbusRtuTransport = { kind: 'modbus-rtu', path: pty.host, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1, unitId: 1, timeoutMs: 1000 };
  const line = new RtuLine('bench', t, { connectPauseMs: 0, requestPauseMs: 0 });
  const length = 8;
  const charMs = 10_000 / 9600;
  const transactionMs = (8 + 5 + 2 * length + 7) * charMs;
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < deadline) {
    await line.read(1, 'holding', 0, length, 1000);
    n++;
  }
  await line.close();
  await bus.close();
  await pty.close();
  return { polls: n / seconds, allowed: 1000 / transactionMs };
}

// 10 000 and 100 000 points/s: devices × 20 Hz × value points per poll.
const results = [await scenario(Math.ceil(10_000 / 20 / valuePoints), 50), await scenario(Math.ceil(100_000 / 20 / valuePoints), 50)];
const r = await rtu();
const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, Node ${process.version}; ${seconds} s per run; profile ${PROFILE} (${valuePoints} value points, one ${span}-register request per poll); broker: ${brokerName}.`,
  '',
  '| target points/s (devices × 20 Hz) | bare loop, back to back: polls/s | bare loop at 20 Hz: polls/s | gateway: polls/s | gateway ÷ bare at 20 Hz | gateway points/s published | gateway CPU | gateway peak RSS |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(({ devices, target, bare, paced, gw }) => {
    const rate = (x: { polls: number; seconds: number }) => x.polls / x.seconds;
    return `| ${Math.round(target * valuePoints)} (${devices}) | ${Math.round(rate(bare))} | ${Math.round(rate(paced))} | ${Math.round(rate(gw))} | ${Math.round((100 * rate(gw)) / rate(paced))} % | ${Math.round(gw.published / gw.seconds)} | ${Math.round((100 * gw.cpuMs) / (gw.seconds * 1000))} % of one core | ${mb(gw.rssMax)} |`;
  }),
  '',
  `Modbus RTU at 9600 baud (simulated line timing): ${r.polls.toFixed(1)} polls/s of an 8-register read, ${Math.round((100 * r.polls) / r.allowed)} % of the ${r.allowed.toFixed(1)} the line rate allows.`,
];
process.stdout.write(`${lines.join('\n')}\n`);
