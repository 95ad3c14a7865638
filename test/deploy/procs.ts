import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { waitFor } from '../support/wait.js';

/**
 * `metronet …` commands as real child processes for the deployment tests: the same entry point
 * an operator runs (`bin/metronet.js`, TypeScript through tsx on a fresh clone), configuration by
 * YAML file and environment, JSON log lines parsed as they come.
 */
export const BIN = fileURLToPath(new URL('../../bin/metronet.js', import.meta.url));

/** Waits that involve metronet processes (node + tsx, several at once) starting and talking on a busy machine. */
export const SERVICES_MS = 30_000;

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface MetronetProcess {
  name: string;
  child: ChildProcess;
  /** Every JSON log line so far (stdout), in order. */
  lines: LogLine[];
  /** Raw stdout and stderr so far (bounded), for failure messages. */
  output(): string;
  /** Resolves with the first log line that matches; rejects if the process exits first or after timeoutMs. */
  waitForLine(match: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the first match of `re` in the plain output (lines that are not JSON logs). */
  waitForText(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code (SIGKILL after killAfterMs, and the code is then null). */
  stop(killAfterMs?: number): Promise<number | null>;
}

/** Writes `config` (if any) as YAML to `file` and runs `metronet <args> [-c file]`. */
export function spawnMetronet(
  name: string,
  args: string[],
  o: { config?: Record<string, unknown>; file?: string; env?: Record<string, string> } = {},
): MetronetProcess {
  if (o.config && o.file) writeFileSync(o.file, stringify(o.config), { mode: 0o600 });
  const argv = [BIN, ...args, ...(o.file ? ['-c', o.file] : [])];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, METRONET_LOG__LEVEL: 'info', ...o.env } });
  const lines: LogLine[] = [];
  let raw = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    raw = (raw + text).slice(-40_000);
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (!p.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (raw = (raw + d.toString()).slice(-40_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let closed = false; // exited, and its output read to the end
  child.once('close', () => (closed = true));
  const output = () => raw;
  /** Resolves with the first defined value of probe; rejects when the process ends first or after timeoutMs, with its output. */
  const waitUntil = <T>(probe: () => T | undefined, what: string, timeoutMs: number) =>
    waitFor(probe, {
      message: `${name}: "${what}"`,
      timeout: timeoutMs,
      abortIf: () => closed && `${name} exited (${child.exitCode ?? child.signalCode})`,
    }).catch((err: Error) => {
      throw new Error(`${err.message}:\n${raw.slice(-4000)}`);
    }) as Promise<T>;
  return {
    name,
    child,
    lines,
    output,
    exited,
    waitForLine(match, what, timeoutMs = 120_000) {
      return waitUntil(() => lines.find(match), what, timeoutMs);
    },
    waitForText(re, timeoutMs = 120_000) {
      return waitUntil(() => raw.match(re) ?? undefined, String(re), timeoutMs);
    },
    async stop(killAfterMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a `metronet` command to completion (admin commands) and returns its stdout; throws on a non-zero exit. */
export function runMetronet(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`metronet ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The value of a sample in a Prometheus text exposition (sum over matching label sets), or undefined if absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    found = true;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return found ? sum : undefined;
}

/** Runs a `metronet` command to completion without blocking the event loop; resolves with stdout, rejects on a non-zero exit. */
export function runMetronetAsync(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`metronet ${args.join(' ')} exited ${code}: ${err}${out}`))));
  });
}
