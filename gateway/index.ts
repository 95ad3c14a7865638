import { GatewayConfig, MetronetError, VERSION, compile, getProfile, silentLogger, type Logger, type Profile, type Service } from '../core/index.js';
import { createDeviceDecoder } from './decode.js';
import { createModbusTcpDriver } from './drivers/modbus-tcp.js';
import { describePlan, planRequests, type PlanOptions } from './plan.js';
import { DEFAULT_BACKOFF, DevicePoller, type BackoffOptions, type DeviceStats } from './poller.js';
import { Publisher } from './publisher.js';
import { openSeqStore } from './seq.js';

export { planRequests, describePlan, MAX_READ_REGISTERS, DEFAULT_MAX_HOLE, type ReadRequest, type PlanOptions } from './plan.js';
export { createDeviceDecoder, decoderFor, type DeviceDecoder, type ReadResult } from './decode.js';
export { backoffDelay, type BackoffOptions, type DeviceStats, type DeviceState } from './poller.js';
export { exceptionName, MODBUS_EXCEPTIONS } from './drivers/modbus-tcp.js';

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
  /** Readings held in memory while the broker is unreachable; default 100 000. */
  maxBuffer?: number;
};

export interface GatewayStats {
  devices: DeviceStats[];
  /** Readings acknowledged by the broker. */
  published: number;
  batches: number;
  /** Readings dropped because the buffer was full. */
  dropped: number;
  /** Last batch number handed out (−1 before the first, ever). */
  seq: number;
  /** Readings waiting to be published. */
  buffered: number;
  connected: boolean;
}

export interface GatewayHandle extends Service {
  stats(): GatewayStats;
}

const validateConfig = compile(GatewayConfig, { code: 'E_CONFIG_INVALID', config: true });

/**
 * Starts an edge gateway: checks the config, plans each device's reads once (and logs the plan),
 * then runs one independent poller per device and one publisher for the whole gateway.
 */
export async function start(options: GatewayOptions): Promise<GatewayHandle> {
  const { logger, profiles, stateDir, version, backoff, plan, maxBuffer, ...rest } = options;
  const config = check(rest);
  const log = (logger ?? silentLogger).child({ svc: 'gateway', gateway: config.id });

  const devices = config.devices.map((device, i) => {
    let profile: Profile;
    try {
      profile = getProfile(profiles, device.profile);
    } catch (err) {
      throw new MetronetError('E_PROFILE_UNKNOWN', `gateway ${config.id}: devices[${i}].profile: ${(err as Error).message}`);
    }
    const requests = planRequests(profile, plan);
    log.info({ device: device.name, instrument: device.instrument, profile: profile.id, requests: describePlan(requests) }, 'device request plan');
    return { device, profile, requests };
  });

  const seq = await openSeqStore(stateDir, config.id, log);
  const publisher = new Publisher({
    gatewayId: config.id,
    org: config.org,
    mqtt: config.mqtt,
    publishMs: config.publishMs,
    maxBatch: config.maxBatch,
    instruments: devices.map(({ device }) => ({ instrument: device.instrument, profile: device.profile })),
    version: version ?? VERSION,
    seq,
    logger: log,
    ...(maxBuffer !== undefined ? { maxBuffer } : {}),
  });
  const pollers = devices.map(
    ({ device, profile, requests }) =>
      new DevicePoller({
        device,
        requests,
        decoder: createDeviceDecoder(profile, device.instrument, requests),
        driver: createModbusTcpDriver(device.transport),
        onReadings: (readings) => publisher.push(readings),
        logger: log,
        backoff: { ...DEFAULT_BACKOFF, ...backoff },
      }),
  );
  for (const p of pollers) p.start();
  log.info({ devices: pollers.length, org: config.org }, 'gateway started');

  let closing: Promise<void> | undefined;
  return {
    stats() {
      const { published, batches, dropped, seq: last, buffered, connected } = publisher.stats();
      return { devices: pollers.map((p) => p.stats()), published, batches, dropped, seq: last, buffered, connected };
    },
    close() {
      // Pollers first, so that nothing new arrives while the publisher sends the rest.
      closing ??= (async () => {
        await Promise.all(pollers.map((p) => p.stop()));
        await publisher.close();
        log.info('gateway stopped');
      })();
      return closing;
    },
  };
}

/** Fills defaults and checks the rules the schema cannot state; every fault names its field. */
function check(raw: unknown): GatewayConfig {
  const config = structuredClone(raw);
  if (!validateConfig(config)) {
    const issues = validateConfig.issues(config);
    throw new MetronetError('E_CONFIG_INVALID', `invalid gateway configuration:\n${issues.map((i) => `  ${i.message} (${i.rule})`).join('\n')}`, issues);
  }
  if (config.mqtt.password !== undefined && config.mqtt.username === undefined) {
    // MQTT 3.1.1 forbids a password without a user name [MQTT-3.1.2-22]; mqtt.js would retry forever, silently.
    throw new MetronetError('E_CONFIG_INVALID', `gateway ${config.id}: mqtt.password is set but mqtt.username is not; MQTT needs both [MQTT-3.1.2-22]`);
  }
  for (const key of ['name', 'instrument'] as const) {
    const seen = new Map<string, number>();
    config.devices.forEach((d, i) => {
      const first = seen.get(d[key]);
      if (first !== undefined) throw new MetronetError('E_CONFIG_INVALID', `gateway ${config.id}: devices[${i}].${key} "${d[key]}" is already used by devices[${first}]`);
      seen.set(d[key], i);
    });
  }
  return config;
}


