import { MetronetError, isMetronetError, type GatewayDevice, type Logger, type ModbusTable, type Profile, type Reading } from '../core/index.js';
import { createRecordDecoder, type DeviceDecoder, type ReadResult } from './decode.js';
import { isBusy, isDeviceAnswer, sleep, type DeviceDriver } from './drivers/driver.js';
import { describeRecordPlan, planRecords, type ReadRequest } from './plan.js';
import { DeviceHealth } from './health.js';
import { RecordReader, openCursor, type RecordStats } from './records.js';

export interface BackoffOptions {
  /** First retry delay after a device stops answering (default 1 s). */
  initialMs: number;
  /** Longest retry delay (default 60 s). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000 };

/**
 * Delay before retry number `attempt` (1, 2, …): initialMs doubling up to maxMs, then ±20 %
 * jitter so that the devices behind one converter, which fail together, do not retry in lockstep.
 * Worked example, 1 s → 60 s: 1, 2, 4, 8, 16, 32, 60, 60 … s, each ×[0.8, 1.2), capped at 60 s.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(Math.min(opts.maxMs, base * (0.8 + 0.4 * random())));
}

export type DeviceState = 'ok' | 'failing' | 'backoff';

export interface DeviceStats {
  name: string;
  instrument: string;
  /** ok: last poll complete · failing: some requests fail, polling continues · backoff: device not answering, retrying. */
  state: DeviceState;
  lastError?: string;
  /** When a request last succeeded, epoch ms. */
  lastOk?: number;
  polls: number;
  /** Polls in which at least one request failed. */
  failures: number;
  /** Devices with event records (a profile `records` block): what was read and what was lost. */
  records?: RecordStats;
}

export interface PollerOptions {
  device: GatewayDevice;
  requests: ReadRequest[];
  decoder: DeviceDecoder;
  driver: DeviceDriver;
  onReadings(readings: Reading[]): void;
  logger: Logger;
  backoff?: BackoffOptions;
  /** The device keeps event records (profile `records`): read them, keeping the cursor in cursorFile. */
  records?: { profile: Profile; cursorFile: string };
}

type Outcome = 'ok' | 'partial' | 'down';

/**
 * One device's independent poll loop. Requests run one after another on the device's own
 * connection; a slow or dead device only ever delays itself. Polls start on a fixed cadence
 * (every pollMs from the previous start, not from its end) so readings stay evenly spaced.
 */
export class DevicePoller {
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private downSince = 0;
  private readonly health = new DeviceHealth();
  private readonly log: Logger;
  private readonly backoff: BackoffOptions;
  private readonly records: RecordReader | undefined;

  constructor(private readonly opts: PollerOptions) {
    const { device } = opts;
    this.log = opts.logger.child({ device: device.name, instrument: device.instrument });
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    const plan = opts.records && planRecords(opts.records.profile, { maxRegisters: device.maxRegisters, onePerPoint: device.onePerPoint });
    if (opts.records && plan) {
      this.log.info({ records: describeRecordPlan(plan), cursorFile: opts.records.cursorFile }, 'device records plan');
      this.records = new RecordReader({
        plan,
        decoder: createRecordDecoder(opts.records.profile, device.instrument, plan, device.wordOrder),
        cursor: openCursor(opts.records.cursorFile, this.log),
        read: (table, start, length) => this.readRetryingBusy(table, start, length),
        logger: this.log,
      });
    }
  }

  /** The spool has committed every reading handed so far (gateway index: spool.onFlush). */
  committed(): void {
    this.records?.committed();
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Stops polling, drops the connection (failing any request in flight) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.opts.driver.close();
    await this.loopDone;
    await this.opts.driver.close(); // a request in flight may have reconnected meanwhile
  }

  stats(): DeviceStats {
    const stats = this.health.stats(this.opts.device);
    return this.records ? { ...stats, records: { ...this.records.stats } } : stats;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      let outcome: Outcome;
      try {
        outcome = await this.pollOnce();
      } catch (err) {
        // A bug in decoding must not end the loop: report it and treat the poll as failed.
        this.log.error({ err }, 'device poll failed unexpectedly');
        outcome = 'down';
      }
      if (this.stopped) break;
      const wait = outcome === 'down' ? backoffDelay(this.health.downStreak, this.backoff) : Math.max(0, started + this.opts.device.pollMs - Date.now());
      if (outcome === 'down') this.log.debug({ retryInMs: wait, attempt: this.health.downStreak }, 'device retry scheduled');
      await this.sleep(wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private async pollOnce(): Promise<Outcome> {
    this.health.polls++;
    const results: ReadResult[] = [];
    const errors: MetronetError[] = [];
    const failed = (err: unknown) => {
      const e = isMetronetError(err) ? err : new MetronetError('E_INTERNAL', String(err));
      errors.push(e);
      return e;
    };
    for (const request of this.opts.requests) {
      if (this.stopped) break;
      try {
        const registers = await this.readRetryingBusy(request.table, request.start, request.length);
        results.push({ request, registers, ts: Date.now() });
      } catch (err) {
        // The link is down: the remaining requests would only wait out the same timeout.
        if (!isDeviceAnswer(failed(err))) break;
      }
    }
    let records: Awaited<ReturnType<RecordReader['poll']>> | undefined;
    const linkUp = errors.every(isDeviceAnswer);
    if (this.records && linkUp && !this.stopped) {
      try {
        records = await this.records.poll();
      } catch (err) {
        failed(err);
      }
    }
    if (this.stopped) return 'ok'; // errors caused by stop() itself are not device faults
    if (results.length > 0 || records) {
      this.health.lastOk = Date.now();
      const { readings, invalid } = results.length > 0 ? this.opts.decoder.decode(results) : { readings: [] as Reading[], invalid: [] as string[] };
      if (invalid.length) this.log.warn({ points: invalid }, 'device returned non-numeric values (NaN/Infinity); those points are skipped');
      if (records) readings.push(...records.readings);
      if (readings.length) this.opts.onReadings(readings);
      if (records) this.records!.handed(records.cursor);
    }
    if (errors.length === 0) {
      this.recovered();
      return 'ok';
    }
    this.health.failures++;
    const reason = errors.map((e) => e.message).join('; ');
    const code = errors[0]!.code;
    if (results.length > 0 || records) {
      // Some requests answer: keep the normal cadence; only the failed requests' points are lost.
      if (this.health.state !== 'failing' || reason !== this.health.lastError) this.log.warn({ code, reason }, 'device request failed; its points are skipped');
      this.recovered('failing');
      this.health.lastError = reason;
      return 'partial';
    }
    if (this.health.downStreak === 0) this.downSince = Date.now();
    this.health.downStreak++;
    this.health.state = 'backoff';
    this.health.lastError = reason;
    await this.opts.driver.close();
    this.log.warn({ code, reason, attempt: this.health.downStreak }, 'device not answering; reconnecting with backoff');
    return 'down';
  }

  /**
   * 5 ACKNOWLEDGE / 6 SLAVE DEVICE BUSY mean the device is alive but occupied (e.g. an indicator
   * during calibration): ask again a little later, up to busyRetries times (default 3).
   */
  private async readRetryingBusy(table: ModbusTable, start: number, length: number): Promise<number[]> {
    const retries = this.opts.device.busyRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.opts.driver.read(table, start, length);
      } catch (err) {
        if (this.stopped || attempt >= retries || !isMetronetError(err) || !isBusy(err)) throw err;
        this.log.debug({ attempt: attempt + 1, err: err.message }, 'device busy; retrying');
        await sleep(100 * (attempt + 1));
      }
    }
  }

  /** Leaves backoff (logging the recovery) and enters `next`. */
  private recovered(next: DeviceState = 'ok'): void {
    if (this.health.state === 'backoff') {
      this.log.info({ downMs: Date.now() - this.downSince, attempts: this.health.downStreak }, 'device answering again');
    } else if (this.health.state === 'failing' && next === 'ok') {
      this.log.info('device requests succeed again');
    }
    this.health.downStreak = 0;
    this.health.state = next;
    // lastError is kept after recovery: "what went wrong last" is what an operator asks for.
  }
}
