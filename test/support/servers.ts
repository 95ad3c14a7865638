import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, listensOn } from './net.js';
import { waitFor } from './wait.js';

export { freePort } from './net.js';

/**
 * Real servers for the tests and the benchmark, started on free loopback ports with temporary
 * data folders and stopped afterwards. Nothing is assumed to be running: CI starts from a fresh
 * machine where scripts/install-test-deps.sh installed Debian's `influxdb` and `mosquitto`.
 */

function findBinary(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export const INFLUXD = findBinary('influxd');
export const MOSQUITTO = findBinary('mosquitto');
export const MOSQUITTO_PASSWD = findBinary('mosquitto_passwd');

/**
 * Starts an external server that must be told its port(s) up front and waits until `ready`
 * holds, which must check that the child itself listens (net.ts listensOn): freePort() releases
 * a port before the server binds it, and another process (a second suite on the same machine)
 * may take it in between — then a probe by connection would reach that process, while ours
 * fails with "address already in use" and is started again on fresh ports.
 */
async function startOnFreePorts<T>(
  what: string,
  start: (attempt: number) => Promise<{ child: ChildProcess; log: () => string; ready: () => Promise<boolean>; value: T }>,
  timeoutMs: number,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const s = await start(attempt);
    const closed = new Promise<void>((r) => s.child.once('close', () => r()));
    const exited = () =>
      s.child.exitCode !== null || s.child.signalCode !== null ? `${what} exited with ${s.child.exitCode ?? s.child.signalCode}: ${s.log()}` : undefined;
    try {
      await waitFor(s.ready, { message: `${what} to accept connections`, timeout: timeoutMs, interval: 50, abortIf: exited });
      return s.value;
    } catch (err) {
      await stopChild(s.child);
      await closed; // its last words on stderr are read
      if (attempt < 3 && /address already in use/i.test(s.log())) continue;
      throw err;
    }
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// InfluxDB 1.x (Debian `influxdb` 1.6.7) and the v2-write forwarder

export interface InfluxServer {
  /** The v1 server itself: `/write?db=`, `/query`, `/ping`. */
  v1Url: string;
  /** The forwarder that stands in for InfluxDB 2.x's `/api/v2/write` (see startForwarder); proxies everything else. */
  url: string;
  /** Forwarder fault injection: while set, every write gets this answer instead of reaching InfluxDB. */
  fault: { status: number; body: string; headers?: Record<string, string> } | undefined;
  /** Requests seen by the forwarder on /api/v2/write, with the time they arrived. */
  writes: { at: number; status: number }[];
  createDb(name: string): Promise<void>;
  /**
   * kill -9 of influxd (unreachable: connections refused); `start()` brings it back on the same
   * data, on the same ports unless another process took one meanwhile (then on fresh ones:
   * clients use `url`, the forwarder, which stays; read `v1Url` after a restart).
   */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startInflux(): Promise<InfluxServer> {
  if (!INFLUXD) throw new Error('influxd not found: run scripts/install-test-deps.sh (Debian package influxdb)');
  const dir = mkdtempSync(join(tmpdir(), 'metronet-influx-'));
  const conf = join(dir, 'influxdb.conf');
  let ports = { http: 0, rpc: 0 };
  const v1Url = () => `http://127.0.0.1:${ports.http}`;
  let child: ChildProcess | undefined;
  let stderr = '';
  /** influxd on the current ports, or on fresh ones (keepPorts false); ready once it listens on both and answers /ping. */
  const launch = (keepPorts: boolean) =>
    startOnFreePorts(
      'influxd',
      async (attempt) => {
        if (!keepPorts || attempt > 1) ports = { http: await freePort(), rpc: await freePort() };
        writeFileSync(conf, influxConfig(dir, ports.http, ports.rpc));
        stderr = '';
        const c = spawn(INFLUXD as string, ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
        child = c;
        c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        const { http, rpc } = ports;
        const ready = async () => listensOn(c.pid, http) && listensOn(c.pid, rpc) && (await fetch(`http://127.0.0.1:${http}/ping`)).status === 204;
        return { child: c, log: () => stderr, ready, value: undefined };
      },
      20_000,
    );
  await launch(false);
  const fwd = await startForwarder(v1Url);
  return {
    get v1Url() {
      return v1Url();
    },
    url: fwd.url,
    get fault() {
      return fwd.fault;
    },
    set fault(f) {
      fwd.fault = f;
    },
    writes: fwd.writes,
    async createDb(name) {
      // InfluxQL answers 200 with the statement's error in the body; a database is there once
      // SHOW DATABASES lists it (the next request, through the forwarder, must find it).
      const res = await fetch(`${v1Url()}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${name}"` }) });
      const body = await res.text();
      if (!res.ok || /"error"/.test(body)) throw new Error(`CREATE DATABASE ${name}: ${res.status} ${body}`);
      await waitFor(
        async () => {
          const list = await fetch(`${fwd.url}/query?${new URLSearchParams({ q: 'SHOW DATABASES' })}`).then((r) => r.text());
          return list.includes(`["${name}"]`);
        },
        { message: `database ${name} listed by InfluxDB`, interval: 50 },
      );
    },
    async kill() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    },
    start: () => launch(true),
    async close() {
      await fwd.close();
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function influxConfig(dir: string, httpPort: number, rpcPort: number): string {
  return [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${dir}/meta"`,
    '  logging-enabled = false',
    '[data]',
    `  dir = "${dir}/data"`,
    `  wal-dir = "${dir}/wal"`,
    '  wal-fsync-delay = "0s"', // fsync before answering 204: "durably accepted"
    '  query-log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    '  log-enabled = false',
    '  max-body-size = 0',
    '[logging]',
    '  level = "error"',
    '  suppress-logo = true',
    '[continuous_queries]',
    '  enabled = false',
    '',
  ].join('\n');
}

/**
 * A thin test-only forwarder that stands in for InfluxDB 2.x's write API: Debian ships InfluxDB
 * 1.6.7, which has no `/api/v2/write` (1.8 added it), so `/api/v2/write?bucket=B&precision=P` is
 * passed to 1.6.7's `/write?db=B&precision=P` with the same body (gzip included) and the answer
 * comes back unchanged. Everything else (`/query`, `/ping`) is proxied as is. The round trip is
 * therefore a real one through a real InfluxDB; only the URL is rewritten. It can also answer
 * writes itself (`fault`), e.g. 429 with Retry-After, the way InfluxDB Cloud throttles.
 */
export async function startForwarder(
  target: string | (() => string),
): Promise<{ url: string; fault: InfluxServer['fault']; writes: InfluxServer['writes']; close(): Promise<void> }> {
  const targetUrl = () => new URL(typeof target === 'string' ? target : target());
  const state: { fault: InfluxServer['fault']; writes: InfluxServer['writes'] } = { fault: undefined, writes: [] };
  const server: Server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = `${url.pathname}${url.search}`;
    if (url.pathname === '/api/v2/write') {
      const f = state.fault;
      if (f) {
        state.writes.push({ at: Date.now(), status: f.status });
        req.resume();
        res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers }).end(f.body);
        return;
      }
      const q = new URLSearchParams({ db: url.searchParams.get('bucket') ?? '', precision: url.searchParams.get('precision') ?? 'ns' });
      path = `/write?${q}`;
    }
    const t = targetUrl();
    const headers = { ...req.headers, host: t.host };
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path, headers }, (upRes) => {
      if (url.pathname === '/api/v2/write') state.writes.push({ at: Date.now(), status: upRes.statusCode ?? 0 });
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      // influxd killed in the middle of its answer: cut the client off too, as its own connection
      // to a dead server would be (piping alone would leave the client waiting for the rest).
      upRes.on('error', () => undefined);
      upRes.once('close', () => {
        if (!upRes.complete) req.socket.destroy();
      });
    });
    up.on('error', () => {
      // influxd down: drop the client connection, as an unreachable server would.
      req.socket.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return state.fault;
    },
    set fault(f) {
      state.fault = f;
    },
    writes: state.writes,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Mosquitto 2 with per-client credentials

export interface MosquittoUser {
  username: string;
  password: string;
  /** ACL lines for this user: `topic read|write|readwrite <filter>`. */
  acl: string[];
}

export interface MosquittoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Mosquitto 2 on a free loopback port: anonymous clients refused, a password file made with
 * mosquitto_passwd, an ACL per user, and queue limits raised so that nothing is dropped.
 * Mosquitto's defaults would drop: `max_queued_messages` 1000 per client discards further QoS 1
 * messages for a slow or offline persistent subscriber (seen with a stalled consumer).
 */
export async function startMosquitto(users: MosquittoUser[]): Promise<MosquittoServer> {
  if (!MOSQUITTO || !MOSQUITTO_PASSWD) throw new Error('mosquitto not found: run scripts/install-test-deps.sh (Debian package mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'metronet-mosquitto-'));
  const pw = join(dir, 'passwords');
  writeFileSync(pw, '', { mode: 0o600 });
  for (const u of users) {
    const r = spawnSync(MOSQUITTO_PASSWD, ['-b', pw, u.username, u.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
  }
  const acl = join(dir, 'acl');
  writeFileSync(acl, users.map((u) => [`user ${u.username}`, ...u.acl, ''].join('\n')).join('\n'), { mode: 0o600 });
  return runMosquitto(dir, pw, acl);
}

/** Mosquitto 2 on a free loopback port with given password and ACL files (as `metronet broker export-mosquitto` writes them). */
export async function startMosquittoWithFiles(files: { passwd: string; acl: string }): Promise<MosquittoServer> {
  if (!MOSQUITTO) throw new Error('mosquitto not found: run scripts/install-test-deps.sh (Debian package mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'metronet-mosquitto-'));
  const pw = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  writeFileSync(pw, files.passwd, { mode: 0o600 });
  writeFileSync(acl, files.acl, { mode: 0o600 });
  return runMosquitto(dir, pw, acl);
}

async function runMosquitto(dir: string, passwordFile: string, aclFile: string): Promise<MosquittoServer> {
  const conf = join(dir, 'mosquitto.conf');
  const { child, port } = await startOnFreePorts(
    'mosquitto',
    async () => {
      const port = await freePort();
      writeFileSync(conf, mosquittoConfig({ port, passwordFile, aclFile }));
      let stderr = '';
      const child = spawn(MOSQUITTO as string, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      return { child, log: () => stderr, ready: async () => listensOn(child.pid, port), value: { child, port } };
    },
    10_000,
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async close() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Mosquitto configuration metronet ships (docs/mosquitto.md shows the same lines). */
export function mosquittoConfig(o: { port: number; passwordFile: string; aclFile: string }): string {
  return [
    // Run as whoever started it: as root Mosquitto would switch to user `mosquitto`, which cannot read a private temp folder.
    `user ${userInfo().username}`,
    'per_listener_settings false',
    `listener ${o.port} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${o.passwordFile}`,
    `acl_file ${o.aclFile}`,
    'persistence false',
    'log_dest stderr',
    'log_type error',
    // Never drop QoS 1 messages queued for a slow or offline persistent session (default 1000).
    'max_queued_messages 0',
    'max_queued_bytes 0',
    // Messages in flight to one subscriber before it must acknowledge (default 20): ingest
    // acknowledges after each store commit, so a larger window lets batches span more messages.
    'max_inflight_messages 1000',
    '',
  ].join('\n');
}
