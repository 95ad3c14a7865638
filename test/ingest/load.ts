import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { topics } from '../../core/index.js';
import type { MosquittoUser } from '../support/servers.js';
import { sleep } from '../support/wait.js';

/**
 * Load for ingest tests and the benchmark: simulated gateways publishing readings batches at
 * QoS 1 with their own credentials, and ingest workers run as separate processes
 * (`metronet ingest`) so that they can be killed with SIGKILL.
 */
export interface LoadGateway {
  org: string;
  id: string;
  username?: string;
  password?: string;
}

/** Gateways gw-0001… of org-load, with Mosquitto users and ACLs (publish own prefix, read own rejects). */
export function loadGateways(m: number): { gateways: LoadGateway[]; users: MosquittoUser[] } {
  const gateways = Array.from({ length: m }, (_, i) => ({
    org: 'org-load',
    id: `gw-${String(i + 1).padStart(4, '0')}`,
    username: `gw-${String(i + 1).padStart(4, '0')}`,
    password: `pw-gw-${i + 1}-${Math.random().toString(36).slice(2)}`,
  }));
  const users: MosquittoUser[] = gateways.map((g) => ({
    username: g.username,
    password: g.password,
    acl: [`topic write ${topics.gatewayPrefix(g.org, g.id)}#`, `topic read ${topics.rejects(g.org, g.id)}`],
  }));
  return { gateways, users };
}

/** A service user for ingest workers: reads every gateway topic (shared or not), writes rejects notices. */
export function ingestUser(username: string): MosquittoUser {
  return {
    username,
    password: `pw-${username}-${Math.random().toString(36).slice(2)}`,
    acl: ['topic read metronet/v1/#', 'topic write metronet/v1/+/+/rejects'],
  };
}

export const INSTRUMENTS_PER_GATEWAY = 10;

/** Reading i of a gateway: instrument i mod 10, one reading per instrument per second from t0. */
export function reading(g: LoadGateway, i: number, t0: number) {
  return {
    instrument: `${g.id}-I${i % INSTRUMENTS_PER_GATEWAY}`,
    channel: 'mass',
    ts: t0 + Math.floor(i / INSTRUMENTS_PER_GATEWAY) * 1000,
    value: 20 + (i % 100) / 1000,
    unit: 'kg',
    status: 'ok' as const,
  };
}

export interface PublishResult {
  /** Readings in batches the broker acknowledged (PUBACK to the gateway). */
  acked: number;
  /** Publish time of each batch by `${gateway}/${seq}`, ms since the epoch (for latency). */
  sentAt: Map<string, number>;
  ms: number;
}

export interface PublishOptions {
  url: string;
  gateways: LoadGateway[];
  /** Readings in total, split evenly across gateways. */
  readings: number;
  batch: number;
  t0: number;
  /** Unacknowledged publishes per gateway at once. Default 10. */
  window?: number;
  /** Pause after each acknowledged batch, per publishing slot (a steady load instead of a burst). */
  pauseMs?: number;
  /** Called after each batch is acknowledged by the broker. */
  onAcked?: (gateway: LoadGateway, seq: number, readings: number) => void;
}

/** Every gateway publishes its share as QoS 1 batches; resolves when the broker has acknowledged them all. */
export async function publishLoad(o: PublishOptions): Promise<PublishResult> {
  const per = Math.ceil(o.readings / o.gateways.length);
  const sentAt = new Map<string, number>();
  let acked = 0;
  const t = Date.now();
  const clients: MqttClient[] = [];
  try {
    await Promise.all(
      o.gateways.map(async (g, gi) => {
        const client = await connectAsync(o.url, { clientId: `load-${g.id}`, username: g.username, password: g.password, reconnectPeriod: 500, clean: true });
        clients.push(client);
        const n = Math.min(per, o.readings - gi * per);
        const batches = Math.ceil(n / o.batch);
        let next = 0;
        const worker = async () => {
          for (;;) {
            const seq = next++;
            if (seq >= batches) return;
            const readings = [];
            for (let i = seq * o.batch; i < Math.min(n, (seq + 1) * o.batch); i++) readings.push(reading(g, i, o.t0));
            sentAt.set(`${g.id}/${seq}`, Date.now());
            await client.publishAsync(topics.readings(g.org, g.id), JSON.stringify({ v: 1, gateway: g.id, seq, readings }), { qos: 1 });
            acked += readings.length;
            o.onAcked?.(g, seq, readings.length);
            if (o.pauseMs) await sleep(o.pauseMs); // the load's pace: time is the point
          }
        };
        await Promise.all(Array.from({ length: o.window ?? 10 }, worker));
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
  return { acked, sentAt, ms: Date.now() - t };
}

const BIN = fileURLToPath(new URL('../../bin/metronet.js', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker has subscribed. */
  ready: Promise<void>;
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** The environment without METRONET_LONG_TESTS, which the CLI would read as a config field (`longTests`) and refuse. */
function withoutTestSwitches(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { METRONET_LONG_TESTS: _long, ...rest } = env;
  return rest;
}

/** `metronet ingest -c <config>` in its own process; `config` is written as YAML to `file`. */
export function spawnIngest(file: string, config: Record<string, unknown>, extraArgs: string[] = []): WorkerProcess {
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const child = spawn(process.execPath, [BIN, 'ingest', '-c', file, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...withoutTestSwitches(process.env), METRONET_LOG__LEVEL: 'info' },
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      if (out.includes('"ingest running"')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    void exited.then((code) => reject(new Error(`ingest worker exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  child.stdout?.resume();
  return {
    child,
    ready,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
