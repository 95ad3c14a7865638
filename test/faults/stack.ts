import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start as startBroker, type BrokerHandle } from '../../broker/index.js';
import { loadProfiles, type Logger } from '../../core/index.js';
import { start as startGateway, type GatewayHandle, type GatewayOptions } from '../../gateway/index.js';
import * as ingest from '../../ingest/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { openRegistry, openSqliteReadings, type ReadingsStore, type Registry } from '../../store/index.js';
import { memoryLogger } from '../support/log.js';
import { freePort } from '../support/net.js';
import { waitFor } from '../support/wait.js';
import { acknowledged, prepareSpool, queued, stored } from './support.js';

/**
 * The reading path in one process — simulators → gateway → embedded broker → ingest → SQLite
 * registry and readings — with real files, for faults that need no process kill (a lock held by
 * another process, a full disk, a wrong clock). Each part can be stopped and started again.
 */
export interface Stack {
  dir: string;
  stateDir: string;
  spoolFile: string;
  readingsDb: string;
  registryDb: string;
  registry: Registry;
  broker: BrokerHandle | undefined;
  gateway: GatewayHandle;
  ingest: ingest.IngestHandle;
  gwLog: ReturnType<typeof memoryLogger>;
  ingestLog: ReturnType<typeof memoryLogger>;
  startBroker(): Promise<void>;
  stopBroker(): Promise<void>;
  /** Devices quiet, spool empty, every acknowledged reading stored (or the deadline): the accounting. */
  settle(ms?: number, refused?: () => Set<string>): Promise<{ acknowledged: number; stored: number; rows: number; lost: string[] }>;
  close(): Promise<void>;
}

export interface StackOptions {
  devices?: number;
  pollMs?: number;
  /** Where the gateway keeps its spool (default inside the stack's temp dir). */
  stateDir?: string;
  gateway?: Partial<GatewayOptions>;
  /** The gateway's clock offset in ms (its readings' ts and status ts); see clock-skew.test.ts. */
  ingestNow?: () => number;
  brokerDown?: boolean;
  gatewayLogger?: Logger;
}

const profiles = loadProfiles();
/** The stack's periods: device polls (default), gateway publishes, ingest flushes. */
export const POLL_MS = 100;
export const PUBLISH_MS = 100;
export const FLUSH_MS = 50;
/** A reading's way from the device into the store. */
export const CYCLE_MS = POLL_MS + PUBLISH_MS + FLUSH_MS;

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-faults-'));
  const sims: SimulatorHandle[] = [];
  for (let i = 0; i < (o.devices ?? 3); i++) sims.push(await startSimulator({ profile: profiles.get('water-station-tcp')!, seed: 11 + i }));
  // A port of its own (freePort): the broker stops and starts again on it.
  let broker: BrokerHandle | undefined = await startBroker({ host: '127.0.0.1', port: await freePort() });
  const port = broker.port;
  const url = broker.url;
  if (o.brokerDown) {
    await broker.close();
    broker = undefined;
  }
  const registryDb = join(dir, 'registry.db');
  const readingsDb = join(dir, 'readings.db');
  const registry = openRegistry(registryDb);
  const readings: ReadingsStore = openSqliteReadings(readingsDb);
  const ingestLog = memoryLogger();
  const ingestHandle = await (async () => {
    // Ingest waits for a broker that is down at its start.
    if (!broker) {
      const early = await startBroker({ host: '127.0.0.1', port });
      const h = await ingest.start({
        mqtt: { url },
        ingest: { batchSize: 1000, flushMs: FLUSH_MS, maxFutureMs: 300_000, clientId: 'ingest-faults' },
        registry,
        readings,
        logger: ingestLog.logger,
        retry: { minMs: 100, maxMs: 1000 },
        ...(o.ingestNow ? { now: o.ingestNow } : {}),
      });
      await early.close();
      return h;
    }
    return ingest.start({
      mqtt: { url },
      ingest: { batchSize: 1000, flushMs: FLUSH_MS, maxFutureMs: 300_000, clientId: 'ingest-faults' },
      registry,
      readings,
      logger: ingestLog.logger,
      retry: { minMs: 100, maxMs: 1000 },
      ...(o.ingestNow ? { now: o.ingestNow } : {}),
    });
  })();
  const stateDir = o.stateDir ?? join(dir, 'gateway');
  const spoolFile = join(stateDir, 'gw-faults.spool.db');
  prepareSpool(spoolFile);
  const gwLog = memoryLogger();
  const gateway = await startGateway({
    id: 'gw-faults',
    org: 'org-faults',
    mqtt: { url },
    publishMs: PUBLISH_MS,
    maxBatch: 500,
    stateDir,
    profiles,
    logger: o.gatewayLogger ?? gwLog.logger,
    spool: { maxReadings: 5_000_000, whenFull: 'drop-oldest', flushMs: 50, drainPerSecond: 20_000, replayDelayMs: 1000 },
    devices: sims.map((s, i) => ({
      name: `ws${i}`,
      instrument: `WS-F${i}`,
      profile: 'water-station-tcp',
      transport: { kind: 'modbus-tcp' as const, host: '127.0.0.1', port: s.port, unitId: 1, timeoutMs: 1000 },
      pollMs: o.pollMs ?? POLL_MS,
    })),
    ...o.gateway,
  });
  const stack: Stack = {
    dir,
    stateDir,
    spoolFile,
    readingsDb,
    registryDb,
    registry,
    broker,
    gateway,
    ingest: ingestHandle,
    gwLog,
    ingestLog,
    async startBroker() {
      stack.broker = await startBroker({ host: '127.0.0.1', port });
    },
    async stopBroker() {
      await stack.broker?.close();
      stack.broker = undefined;
    },
    /** `refused`: identities accounted for by a reject with a reason (they are not lost). */
    async settle(ms = 60_000, refused = () => new Set<string>()) {
      await Promise.all(sims.splice(0).map((s) => s.close()));
      let lost: string[] = [];
      await waitFor(
        () => {
          if (queued(spoolFile) > 0 || gateway.stats().buffered > 0) return false;
          const have = stored(readingsDb).keys;
          const no = refused();
          lost = [...acknowledged(spoolFile)].filter((k) => !have.has(k) && !no.has(k));
          return lost.length === 0;
        },
        { message: 'every acknowledged reading stored', timeout: ms, interval: 250 },
      ).catch(() => undefined); // the caller asserts on `lost`
      const acked = acknowledged(spoolFile);
      const st = stored(readingsDb);
      const no = refused();
      return { acknowledged: acked.size, stored: st.keys.size, rows: st.rows, lost: [...acked].filter((k) => !st.keys.has(k) && !no.has(k)) };
    },
    async close() {
      await gateway.close();
      await ingestHandle.close();
      await stack.broker?.close();
      await Promise.all(sims.map((s) => s.close()));
      await readings.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stack;
}
