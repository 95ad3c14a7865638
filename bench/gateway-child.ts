/**
 * The measured process of `npm run bench:gateway`: either a bare modbus-serial read loop or the
 * gateway (polling, decoding, spooling, publishing). Runs alone so that its CPU and memory are
 * its own; prints one JSON line with the counts.
 */
import ModbusSerial from 'modbus-serial';
import { join } from 'node:path';
import { defaultProfilesDir, loadProfiles, silentLogger } from '../core/index.js';
import { start } from '../gateway/index.js';

interface Job {
  /** bare: back to back; paced: a bare loop on the gateway's cadence (pollMs per connection). */
  mode: 'bare' | 'paced' | 'gateway';
  ports: number[];
  seconds: number;
  profile: string;
  table: 'holding' | 'input';
  length: number;
  brokerUrl: string;
  stateDir: string;
  pollMs: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const cpu0 = process.cpuUsage();
let rssMax = 0;
const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
let polls = 0;
let published = 0;
const t0 = Date.now();

if (job.mode !== 'gateway') {
  const deadline = t0 + job.seconds * 1000;
  await Promise.all(
    job.ports.map(async (port) => {
      const c = new ModbusSerial.default();
      await c.connectTCP('127.0.0.1', { port });
      c.setID(1);
      c.setTimeout(2000);
      while (Date.now() < deadline) {
        const started = Date.now();
        await (job.table === 'input' ? c.readInputRegisters(0, job.length) : c.readHoldingRegisters(0, job.length));
        polls++;
        const wait = started + job.pollMs - Date.now();
        if (job.mode === 'paced' && wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      c.close(() => undefined);
    }),
  );
} else {
  const gw = await start({
    id: 'gw-bench',
    org: 'org-bench',
    mqtt: { url: job.brokerUrl },
    publishMs: 100,
    maxBatch: 5000,
    stateDir: job.stateDir,
    spool: {
      maxReadings: 5_000_000,
      whenFull: 'drop-oldest',
      flushMs: 100,
      drainPerSecond: 1_000_000,
      ...(process.env.BENCH_REPLAY_MS ? { replayMs: Number(process.env.BENCH_REPLAY_MS) } : {}),
    },
    profiles: loadProfiles([defaultProfilesDir(), join(import.meta.dirname, 'profiles')]),
    logger: silentLogger,
    devices: job.ports.map((port, i) => ({
      name: `d${i}`,
      instrument: `B-${i}`,
      profile: job.profile,
      transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 2000 },
      pollMs: job.pollMs,
    })),
  });
  await new Promise((r) => setTimeout(r, 1000)); // warm-up: connections, first plan, parameters
  const warm = gw.stats();
  const p0 = warm.devices.reduce((n, d) => n + d.polls, 0);
  const pub0 = warm.published;
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, job.seconds * 1000));
  const s = gw.stats();
  polls = s.devices.reduce((n, d) => n + d.polls, 0) - p0;
  published = s.published - pub0;
  const cpu = process.cpuUsage(c0);
  await gw.close();
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ polls, published, backlog: s.buffered, seconds: job.seconds, cpuMs: (cpu.user + cpu.system) / 1000, rssMax })}\n`);
  process.exit(0);
}
clearInterval(sampler);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ polls, published, seconds: (Date.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000, rssMax })}\n`);
process.exit(0);
