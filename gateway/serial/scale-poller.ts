import { SerialPort } from 'serialport';
import { channelOf, MetronetError, type GatewayDevice, type Logger, type Profile, type Reading, type SerialAsciiTransport } from '../../core/index.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions, type DeviceStats } from '../poller.js';
import { DeviceHealth } from '../health.js';
import { Framer } from './framer.js';
import { convertMass, parserFor, type FrameParser, type ScaleFrame } from './parsers.js';

export interface ScalePollerOptions {
  device: GatewayDevice & { transport: SerialAsciiTransport };
  profile: Profile;
  onReadings(readings: Reading[]): void;
  logger: Logger;
  backoff?: BackoffOptions;
}

/**
 * One ASCII scale on its own serial port. Polled scales get the profile's command each poll and
 * one reply is awaited; continuous scales stream and each poll takes the newest frame received
 * since the previous one. The port is opened on first use and reopened with backoff after any
 * failure (a pulled USB-serial adapter closes the port; it comes back under the same path).
 */
export class ScalePoller {
  private port: SerialPort | undefined;
  private readonly framer: Framer;
  private readonly parse: FrameParser;
  private latest: { frame: ScaleFrame; at: number } | undefined;
  private waiter: ((f: ScaleFrame) => void) | undefined;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Frames cut cleanly that the parser refused (garbage, bad checksum). */
  rejected = 0;
  private readonly health = new DeviceHealth();
  private readonly log: Logger;
  private readonly spec;

  constructor(private readonly opts: ScalePollerOptions) {
    this.spec = opts.profile.serial!;
    this.framer = new Framer(this.spec.framing);
    this.parse = parserFor(this.spec);
    this.log = opts.logger.child({ device: opts.device.name, instrument: opts.device.instrument });
  }

  start(): void {
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loopDone;
    await this.closePort();
  }

  stats(): DeviceStats & { rejectedFrames: number; discardedBytes: number } {
    const { name, instrument } = this.opts.device;
    return {
      ...this.health.stats({ name, instrument }),
      rejectedFrames: this.rejected,
      discardedBytes: this.framer.discarded,
    };
  }

  /** One poll: the frame, or an error naming what went wrong. Used by the loop and by --dry-run. */
  async pollOnce(): Promise<{ frame: ScaleFrame; readings: Reading[] }> {
    const port = await this.open();
    const t = this.opts.device.transport;
    const since = Date.now();
    if (this.spec.mode === 'polled') {
      this.latest = undefined;
      port.write(Buffer.from(this.spec.command!, 'latin1'));
    } else if (this.latest && this.latest.at >= since - this.opts.device.pollMs) {
      return this.toReadings(this.latest.frame, this.latest.at);
    }
    const frame = await new Promise<ScaleFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new MetronetError('E_DEVICE_TIMEOUT', `${t.path}: no valid frame within ${t.timeoutMs} ms`));
      }, t.timeoutMs);
      this.waiter = (f) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(f);
      };
    });
    return this.toReadings(frame, Date.now());
  }

  private toReadings(frame: ScaleFrame, ts: number): { frame: ScaleFrame; readings: Reading[] } {
    if (frame.error) throw new MetronetError('E_DEVICE_UNREACHABLE', `${this.opts.device.transport.path}: scale reports ${frame.error}`);
    const readings: Reading[] = [];
    if (this.spec.stableOnly && !frame.stable && !frame.overload) return { frame, readings };
    for (const p of this.opts.profile.points) {
      const raw = p.field === 'tare' ? frame.tare : frame.weight;
      if (raw === undefined || (p.role ?? 'value') === 'status') continue;
      const value = convertMass(raw, frame.unit, p.unit);
      if (value === undefined) {
        this.log.warn({ unit: frame.unit, channelUnit: p.unit }, 'scale unit cannot be converted to the channel unit; frame skipped');
        continue;
      }
      readings.push({
        instrument: this.opts.device.instrument,
        channel: channelOf(p),
        ts,
        value,
        unit: p.unit,
        status: frame.overload ? 'overload' : frame.stable ? 'ok' : 'unstable',
      });
    }
    return { frame, readings };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      let wait: number;
      try {
        this.health.polls++;
        const { readings } = await this.pollOnce();
        this.health.lastOk = Date.now();
        if (this.health.state === 'backoff') this.log.info({ attempts: this.health.downStreak }, 'scale answering again');
        this.health.state = 'ok';
        this.health.downStreak = 0;
        if (readings.length) this.opts.onReadings(readings);
        wait = Math.max(0, started + this.opts.device.pollMs - Date.now());
      } catch (err) {
        if (this.stopped) break;
        this.health.failures++;
        this.health.downStreak++;
        this.health.state = 'backoff';
        this.health.lastError = (err as Error).message;
        this.log.warn({ err: this.health.lastError, attempt: this.health.downStreak }, 'scale not answering; retrying with backoff');
        await this.closePort();
        // One lost reply is common on a serial line: retry at the normal cadence once, then back off.
        wait = this.health.downStreak === 1 ? this.opts.device.pollMs : backoffDelay(this.health.downStreak - 1, { ...DEFAULT_BACKOFF, ...this.opts.backoff });
      }
      await new Promise<void>((r) => {
        this.wake = r;
        this.timer = setTimeout(r, wait);
      });
    }
  }

  /**
   * Garbage in front of a terminator-framed line (noise while a cable is plugged in, a partial
   * frame) lands in the same frame as the good text behind it: try again after each byte that
   * no ASCII scale format contains (controls other than the framing, and bytes above 0x7E).
   */
  private parseAfterNoise(f: Buffer): ScaleFrame | undefined {
    if (this.spec.framing.kind !== 'terminator') return undefined;
    for (let i = f.length - 1; i >= 0; i--) {
      const c = f[i]!;
      if (c < 0x20 || c > 0x7e) return this.parse(f.subarray(i + 1));
    }
    return undefined;
  }

  private async open(): Promise<SerialPort> {
    if (this.port?.isOpen) return this.port;
    const t = this.opts.device.transport;
    const line = this.spec.line ?? {};
    const port = new SerialPort({
      path: t.path,
      baudRate: t.baudRate ?? line.baudRate ?? 9600,
      dataBits: t.dataBits ?? line.dataBits ?? 8,
      parity: t.parity ?? line.parity ?? 'none',
      stopBits: t.stopBits ?? line.stopBits ?? 1,
      autoOpen: false,
    });
    port.on('error', () => undefined);
    port.on('data', (d: Buffer) => {
      for (const f of this.framer.push(d)) {
        const frame = this.parse(f) ?? this.parseAfterNoise(f);
        if (!frame) {
          this.rejected++;
          continue;
        }
        this.latest = { frame, at: Date.now() };
        this.waiter?.(frame);
      }
    });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new MetronetError('E_DEVICE_UNREACHABLE', `cannot open ${t.path}: ${err.message}`)) : resolve())),
    );
    this.port = port;
    return port;
  }

  private async closePort(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (!p?.isOpen) return;
    await new Promise<void>((r) => p.close(() => r()));
  }
}
