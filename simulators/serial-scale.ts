import { SerialPort } from 'serialport';
import { silentLogger, type Logger, type Profile } from '../core/index.js';
import { formatFrame, type ScaleState } from './scale-formats.js';

export interface ScaleFaults {
  /** Send random bytes before each of the next n frames. */
  garbage?: number;
  /** Corrupt one byte of each of the next n frames (bad checksum or unparseable). */
  corrupt?: number;
  /** Stop answering / streaming. */
  silent?: boolean;
}

export interface SerialScaleHandle {
  readonly frames: number;
  set(state: Partial<ScaleState>): void;
  setFaults(f: ScaleFaults): void;
  close(): Promise<void>;
}

/**
 * A serial ASCII scale on one end of a pty pair, speaking the profile's format: it answers the
 * profile's command (polled) or streams a frame every intervalMs (continuous).
 */
export async function startSerialScale(opts: {
  path: string;
  profile: Profile;
  state: ScaleState;
  decimals?: number;
  intervalMs?: number;
  logger?: Logger;
}): Promise<SerialScaleHandle> {
  const spec = opts.profile.serial!;
  const log = (opts.logger ?? silentLogger).child({ svc: 'scale-simulator', profile: opts.profile.id });
  const line = spec.line ?? {};
  const port = new SerialPort({ path: opts.path, baudRate: line.baudRate ?? 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', (err) => log.debug({ err: err.message }, 'scale simulator port error'));
  let state = { ...opts.state };
  let faults: ScaleFaults = {};
  let frames = 0;
  let noise = 0x1234;

  const send = () => {
    if (faults.silent || !port.isOpen) return;
    let frame = formatFrame(spec.parser, state, opts.decimals ?? 3, { checksum: spec.checksum ?? false });
    if (faults.corrupt) {
      faults.corrupt--;
      frame = Buffer.from(frame);
      frame[Math.min(frame.length - 3, 6)]! ^= 0x01; // a flipped bit in a digit: checksum or format catches it
    }
    if (faults.garbage) {
      faults.garbage--;
      const junk = Buffer.from(Array.from({ length: 9 }, () => ((noise = (noise * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff));
      frame = Buffer.concat([junk, frame]);
    }
    frames++;
    port.write(frame);
  };

  let timer: NodeJS.Timeout | undefined;
  if (spec.mode === 'continuous') timer = setInterval(send, opts.intervalMs ?? 100);
  else {
    const command = Buffer.from(spec.command!, 'latin1');
    let rx = Buffer.alloc(0);
    port.on('data', (d: Buffer) => {
      rx = Buffer.concat([rx, d]).subarray(-256);
      let at: number;
      while ((at = rx.indexOf(command)) >= 0) {
        rx = rx.subarray(at + command.length);
        send();
      }
    });
  }

  return {
    get frames() {
      return frames;
    },
    set(s) {
      state = { ...state, ...s };
    },
    setFaults(f) {
      faults = { ...f };
    },
    async close() {
      clearInterval(timer);
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    },
  };
}
