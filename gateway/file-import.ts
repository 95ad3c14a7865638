import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEVICE_DEFAULTS,
  FILE_IMPORT_DEFAULTS,
  parseStationFile,
  type FileImportTransport,
  type GatewayDevice,
  type Logger,
  type Reading,
} from '../core/index.js';
import type { DeviceStats } from './poller.js';

/**
 * A device that writes files instead of answering Modbus (issue 8): stations whose datalogger
 * only drops text files in a folder (Circular 10/2021/TT-BTNMT exchange files) join the network
 * through the gateway like any other device. Every `pollMs` the folder is listed; each file
 * matching `pattern` and unchanged for `settleMs` is parsed by its template (core/station-file.ts),
 * its records are handed to the publisher as readings of the device's instrument (the spool makes
 * them durable), and the file is moved to `.imported/` — or to `.rejected/` when no line could be
 * read. Lines that break the template are logged with file and line and skipped.
 *
 * The gateway knows no station model: the template and the parameter → channel map are config.
 */
export interface FileImporterOptions {
  device: GatewayDevice & { transport: FileImportTransport };
  onReadings(readings: Reading[]): void;
  logger: Logger;
  now?: () => number;
}

export class FileImporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly st: DeviceStats & { files: number; rejectedFiles: number; rejectedLines: number };
  private readonly pattern: RegExp;

  constructor(private readonly o: FileImporterOptions) {
    this.st = { name: o.device.name, instrument: o.device.instrument, state: 'ok', polls: 0, failures: 0, files: 0, rejectedFiles: 0, rejectedLines: 0 };
    this.pattern = new RegExp(o.device.transport.pattern ?? FILE_IMPORT_DEFAULTS.pattern);
  }

  start(): void {
    const tick = () => {
      this.scan();
      this.timer = setTimeout(tick, this.o.device.pollMs ?? DEVICE_DEFAULTS.pollMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  stats(): DeviceStats & { files: number; rejectedFiles: number; rejectedLines: number } {
    return { ...this.st };
  }

  /** Imports what is ready now; returns the number of readings handed over. */
  scan(): number {
    const t = this.o.device.transport;
    const now = (this.o.now ?? Date.now)();
    this.st.polls++;
    let names: string[];
    try {
      names = readdirSync(t.dir)
        .filter((n) => this.pattern.test(n))
        .sort();
    } catch (err) {
      this.fail(`cannot list ${t.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 0;
    }
    let n = 0;
    for (const name of names) {
      const file = join(t.dir, name);
      try {
        const st = statSync(file);
        const settle = t.settleMs ?? FILE_IMPORT_DEFAULTS.settleMs;
        if (!st.isFile() || (settle > 0 && now - st.mtimeMs < settle)) continue;
        const { records, issues } = parseStationFile(readFileSync(file, 'utf8'), name, t.template ?? {});
        for (const i of issues) this.o.logger.warn({ device: this.o.device.name, file: name, field: i.field, value: i.value }, i.message);
        this.st.rejectedLines += issues.length;
        if (records.length) {
          this.o.onReadings(
            records.map((r) => ({ instrument: this.o.device.instrument, channel: r.channel, ts: r.ts, value: r.value, unit: r.unit, status: r.status })),
          );
          n += records.length;
          this.st.files++;
        } else this.st.rejectedFiles++;
        this.moveTo(records.length ? '.imported' : '.rejected', name);
        this.st.lastOk = now;
        this.st.state = 'ok';
        delete this.st.lastError;
      } catch (err) {
        this.fail(`${name}: ${(err as Error).message}`);
      }
    }
    return n;
  }

  private moveTo(sub: string, name: string): void {
    const dir = join(this.o.device.transport.dir, sub);
    mkdirSync(dir, { recursive: true });
    renameSync(join(this.o.device.transport.dir, name), join(dir, name));
  }

  private fail(message: string): void {
    this.st.failures++;
    this.st.state = 'failing';
    this.st.lastError = message;
    this.o.logger.warn({ device: this.o.device.name }, message);
  }
}
