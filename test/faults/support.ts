import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { mulberry32 } from '../../simulators/random.js';
import { listensOn } from '../support/net.js';
import { MOSQUITTO } from '../support/servers.js';
import { waitFor } from '../support/wait.js';

/**
 * Shared pieces of the fault-injection suite (RELIABILITY.md, "Faults"): a seeded random source
 * whose seed every test prints, service processes that can be killed with SIGKILL and started
 * again like a supervisor would, and the two sides of the accounting — what the broker
 * acknowledged to the gateway (rows that left its spool after a PUBACK) and what ingest stored.
 */

/** Longer runs: `METRONET_LONG_TESTS=1 npm run test:faults`. */
export const LONG = process.env.METRONET_LONG_TESTS === '1';

/** A seeded generator (the simulators' mulberry32) to place faults; the seed reproduces a run. */
export function seeded(what: string): { seed: number; random: () => number; between: (lo: number, hi: number) => number } {
  const seed = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[faults] ${what}: seed ${seed} (repeat with FAULTS_SEED=${seed})`);
  const random = mulberry32(seed);
  return { seed, random, between: (lo, hi) => lo + (hi - lo) * random() };
}

export interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const TSX = ['--import', 'tsx'];

/** A TypeScript fixture in its own node process; resolves once it writes `ready` on stdout. */
export function spawnScript(script: string, args: string[], ready = 'started'): Promise<Proc> {
  const child = spawn(process.execPath, [...TSX, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
      if (out.includes(ready)) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(procOf(child, exited));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`)));
  });
}

export function procOf(
  child: ChildProcess,
  exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', () => r()))),
): Proc {
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    exited,
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const GATEWAY_CHILD = join(import.meta.dirname, '..', 'gateway', 'fixtures', 'gateway-child.ts');
const BROKER_CHILD = join(import.meta.dirname, 'fixtures', 'broker-child.ts');

/** A gateway (gateway/index.ts `start`) in its own process; options as JSON. */
export const spawnGateway = (options: object) => spawnScript(GATEWAY_CHILD, [JSON.stringify(options)]);

/** A broker process that can be killed and started again on the same port. */
export interface BrokerProcess {
  kind: 'aedes' | 'mosquitto';
  url: string;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded broker (aedes, in-memory) in its own process. */
export function aedesProcess(port: number): BrokerProcess {
  let proc: Proc | undefined;
  return {
    kind: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      proc = await spawnScript(BROKER_CHILD, [String(port)]);
    },
    kill9: async () => proc?.kill9(),
    stop: async () => proc?.stop(),
  };
}

/**
 * Mosquitto 2 with persistence on, as deploy/mosquitto/mosquitto.conf ships it (persistence
 * true, default autosave_interval 1800 s, no queue limits), anonymous on loopback: logins do not
 * change what the broker keeps or loses on a crash.
 */
export function mosquittoProcess(port: number, dir: string): BrokerProcess {
  if (!MOSQUITTO) throw new Error('mosquitto not found: run scripts/install-test-deps.sh (Debian package mosquitto)');
  mkdirSync(join(dir, 'persist'), { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${join(dir, 'persist')}/`,
      'max_queued_messages 0',
      'max_queued_bytes 0',
      'max_inflight_messages 1000',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  let proc: Proc | undefined;
  return {
    kind: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      const child = spawn(MOSQUITTO as string, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.resume();
      proc = procOf(child);
      const exited = () => (child.exitCode !== null ? `mosquitto exited with ${child.exitCode}` : undefined);
      await waitFor(() => listensOn(child.pid, port), { message: `mosquitto listening on ${port}`, timeout: 10_000, interval: 50, abortIf: exited });
    },
    kill9: async () => proc?.kill9(),
    stop: async () => proc?.stop(),
  };
}

const key = (r: { instrument: string; channel: string; ts: number }) => `${r.instrument}|${r.channel}|${r.ts}`;

/**
 * Prepares a gateway's spool file before its first start so that every reading the broker
 * acknowledges is logged in the same transaction (a trigger): that log is exactly "acknowledged
 * to the gateway". gateway/spool.ts ack() moves acknowledged rows into its replay window, and
 * nothing else writes there, so the trigger sits on that insert; with the window off
 * (replayMs 0) acknowledged rows are deleted from the queue instead, and the trigger sits on
 * that delete (then the full policy must not delete rows: keep maxReadings above the run).
 * The spool opens the file with CREATE TABLE IF NOT EXISTS and the same table definitions.
 */
export function prepareSpool(file: string, replayOff = false): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS readings (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS replay (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, acked_at INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS acked_log (body TEXT NOT NULL);`);
  if (replayOff) db.exec('CREATE TRIGGER IF NOT EXISTS log_ack AFTER DELETE ON readings BEGIN INSERT INTO acked_log (body) VALUES (old.body); END;');
  else db.exec('CREATE TRIGGER IF NOT EXISTS log_ack AFTER INSERT ON replay BEGIN INSERT INTO acked_log (body) VALUES (new.body); END;');
  db.close();
}

function readOnly<T>(file: string, read: (db: Database.Database) => T, empty: T): T {
  if (!existsSync(file)) return empty;
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Readings the broker acknowledged to the gateway (each once, by identity). */
export function acknowledged(spoolFile: string): Set<string> {
  return readOnly(
    spoolFile,
    (db) => new Set((db.prepare('SELECT body FROM acked_log').all() as { body: string }[]).map((r) => key(JSON.parse(r.body)))),
    new Set(),
  );
}

/** Readings still queued in the spool (not yet acknowledged). */
export function queued(spoolFile: string): number {
  return readOnly(spoolFile, (db) => (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 0);
}

/** What ingest stored, by identity, and the row count (the table's primary key is the identity). */
export function stored(readingsDb: string): { keys: Set<string>; rows: number } {
  return readOnly(
    readingsDb,
    (db) => {
      const rows = db.prepare('SELECT instrument, channel, ts FROM readings').all() as { instrument: string; channel: string; ts: number }[];
      return { keys: new Set(rows.map(key)), rows: rows.length };
    },
    { keys: new Set<string>(), rows: 0 },
  );
}

export function storedCount(readingsDb: string): number {
  return readOnly(readingsDb, (db) => (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 0);
}
