import { SPOOL_DEFAULTS, VERSION, isInstance, silentLogger, type GatewayConfig, type Logger, type Profile, type Reading, type Service } from '../core/index.js';
import { join } from 'node:path';
import { createDeviceDecoder } from './decode.js';
import { Drivers } from './drivers/index.js';
import type { PlanOptions } from './plan.js';
import { planDevices } from './devices.js';
import { DEFAULT_BACKOFF, DevicePoller, type BackoffOptions, type DeviceStats } from './poller.js';
import { Publisher } from './publisher.js';
import { createReportFilter } from './report.js';
import { checkGateway } from './check.js';
import { ScalePoller } from './serial/scale-poller.js';
import { openSeqStore } from './seq.js';
import { Spool } from './spool.js';
import { FileImporter } from './file-import.js';

export { planRequests, describePlan, MAX_READ_REGISTERS, DEFAULT_MAX_HOLE, type ReadRequest, type PlanOptions } from './plan.js';
export { createDeviceDecoder, decoderFor, type DeviceDecoder, type ReadResult } from './decode.js';
export { backoffDelay, type BackoffOptions, type DeviceStats, type DeviceState } from './poller.js';
export { exceptionName, MODBUS_EXCEPTIONS } from './drivers/driver.js';
export { Spool } from './spool.js';
export { dryRun } from './dry-run.js';
export { planDevices } from './devices.js';
export { FileImporter } from './file-import.js';

export type GatewayOptions = GatewayConfig & {
  logger?: Logger;
  /** Device profiles by id (core `loadProfiles()`). */
  profiles: Map<string, Profile>;
  /** Where the batch counter survives restarts. */
  stateDir: string;
  /** Reported in the online status; default the package version. */
  version?: string;
  /** Retry delays for a device that stopped answering; default 1 s doubling to 60 s. */
  backoff?: Partial<BackoffOptions>;
  /** Request coalescing; default hole 8, 125 registers. */
  plan?: PlanOptions;
  /** Readings held in the spool at most; overrides spool.maxReadings (tests). */
  maxBuffer?: number;
};

export interface GatewayStats {
  devices: DeviceStats[];
  /** Readings acknowledged by the broker. */
  published: number;
  batches: number;
  /** Readings dropped because the spool was full. */
  dropped: number;
  /** The spool is full and its policy is dropping readings. */
  spoolFull: boolean;
  /** Acknowledged readings sent again after a reconnect (replay window), since start. */
  replayed: number;
  /** Spool writes SQLite refused (locked, disk full), since start; each is retried. */
  spoolWriteErrors: number;
  /** Last batch number handed out (−1 before the first, ever). */
  seq: number;
  /** Readings in the spool, waiting for the broker's acknowledgement. */
  buffered: number;
  connected: boolean;
}

export interface GatewayHandle extends Service {
  stats(): GatewayStats;
  /** Device time of the oldest reading in the spool not yet acknowledged (undefined when empty): its age is on /metrics. */
  spoolOldestTs(): number | undefined;
}

/**
 * Starts an edge gateway: checks the config, plans each Modbus device's reads once (and logs the
 * plan), opens the spool, then runs one independent poller per device and one publisher.
 */
export async function start(options: GatewayOptions): Promise<GatewayHandle> {
  const { logger, profiles, stateDir, version, backoff, plan, maxBuffer, ...rest } = options;
  const config = checkGateway(rest, profiles);
  const log = (logger ?? silentLogger).child({ svc: 'gateway', gateway: config.id });
  const devices = planDevices(config, profiles, plan, log);

  const seq = await openSeqStore(stateDir, config.id, log);
  const spoolConfig = { ...SPOOL_DEFAULTS, ...config.spool };
  const spool = new Spool({ file: join(stateDir, `${config.id}.spool.db`), ...spoolConfig, maxReadings: maxBuffer ?? spoolConfig.maxReadings, logger: log });
  log.info({ file: join(stateDir, `${config.id}.spool.db`), ...spoolConfig, fsync: 'every flush (synchronous=FULL)' }, 'spool opened');
  let publisher: Publisher;
  try {
    publisher = new Publisher({
      gatewayId: config.id,
      org: config.org,
      mqtt: config.mqtt,
      publishMs: config.publishMs,
      maxBatch: config.maxBatch,
      instruments: devices.map(({ device }) => ({ instrument: device.instrument, profile: device.profile })),
      version: version ?? VERSION,
      seq,
      spool,
      drainPerSecond: spoolConfig.drainPerSecond,
      replayDelayMs: spoolConfig.replayDelayMs,
      logger: log,
    });
  } catch (err) {
    spool.close(); // e.g. an unreadable TLS file: leave nothing open
    throw err;
  }
  const drivers = new Drivers();
  const pollers = devices.map(({ device, profile, requests }) => {
    const report = createReportFilter(device.report);
    const onReadings = (readings: Reading[]) => {
      const kept = report(readings);
      if (kept.length) publisher.push(kept);
    };
    if (device.transport.kind === 'file-import') {
      return new FileImporter({ device: { ...device, transport: device.transport }, onReadings, logger: log });
    }
    if (device.transport.kind === 'serial-ascii') {
      return new ScalePoller({
        device: { ...device, transport: device.transport },
        profile,
        onReadings,
        logger: log,
        backoff: { ...DEFAULT_BACKOFF, ...backoff },
      });
    }
    return new DevicePoller({
      device,
      requests,
      decoder: createDeviceDecoder(profile, device.instrument, requests, device.wordOrder),
      driver: drivers.for(device, device.requestPauseMs ?? profile.modbus?.requestPauseMs ?? 0),
      onReadings,
      logger: log,
      backoff: { ...DEFAULT_BACKOFF, ...backoff },
      ...(profile.records ? { records: { profile, cursorFile: join(stateDir, `${config.id}.${device.name}.records`) } } : {}),
    });
  });
  // A record cursor is saved once the spool has the record's readings on disk (gateway/records.ts).
  spool.onFlush = () => {
    for (const p of pollers) if (isInstance(p, DevicePoller)) p.committed();
  };
  for (const p of pollers) p.start();
  log.info({ devices: pollers.length, org: config.org, lines: [...drivers.lines.keys()] }, 'gateway started');

  let closing: Promise<void> | undefined;
  return {
    stats() {
      const { published, batches, dropped, spoolFull, replayed, spoolWriteErrors, seq: last, buffered, connected } = publisher.stats();
      return { devices: pollers.map((p) => p.stats()), published, batches, dropped, spoolFull, replayed, spoolWriteErrors, seq: last, buffered, connected };
    },
    spoolOldestTs: () => spool.oldestTs(),
    close() {
      // Pollers first, so that nothing new arrives while the publisher sends the rest.
      closing ??= (async () => {
        await Promise.all(pollers.map((p) => p.stop()));
        await drivers.close();
        await publisher.close();
        spool.close();
        log.info('gateway stopped');
      })();
      return closing;
    },
  };
}
