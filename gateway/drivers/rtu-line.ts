import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import {
  MetronetError,
  READ_FC,
  isInstance,
  readRequest,
  responseLength,
  responseValues,
  scanResponse,
  type ModbusTable,
  type ModbusRtuTcpTransport,
  type ModbusRtuTransport,
} from '../../core/index.js';
import { exceptionError, sleep } from './driver.js';

/**
 * One physical RTU line: an RS-485 bus behind a serial port, or behind a serial server reached
 * over TCP. A bus carries one transaction at a time (Modbus over Serial Line V1.02 §2.1: a single
 * master, one request outstanding), so every device on the line queues here, whatever its
 * poller. The stream opens on first use and after any link failure; a pulled USB cable or a
 * restarted serial server therefore heals by itself on a later transaction.
 */
export class RtuLine {
  private stream: Duplex | undefined;
  private opening: Promise<Duplex> | undefined;
  private rx = Buffer.alloc(0);
  private onData: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Devices using the line; the last to close it closes the port. */
  users = 0;
  /** Transactions run; for tests and logs. */
  transactions = 0;
  /** Timeouts in a row with no answer from anyone on the line. */
  private silentStreak = 0;

  constructor(
    readonly name: string,
    private readonly transport: ModbusRtuTransport | ModbusRtuTcpTransport,
    private readonly opts: { connectPauseMs: number; requestPauseMs: number },
  ) {}

  /** Runs one read on the line, after every transaction queued before it. */
  read(unit: number, table: ModbusTable, start: number, length: number, timeoutMs: number): Promise<number[]> {
    const run = this.queue.then(() => this.transact(unit, table, start, length, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.drop();
  }

  private async transact(unit: number, table: ModbusTable, start: number, length: number, timeoutMs: number): Promise<number[]> {
    if (this.closed) throw new MetronetError('E_DEVICE_UNREACHABLE', `${this.name} is closed`);
    const stream = await this.open();
    const where = `${this.name} unit ${unit}`;
    const fc = READ_FC[table];
    const expected = responseLength(table, length);
    this.rx = Buffer.alloc(0); // stale bytes (a late answer to a timed-out request) must not match this one
    this.transactions++;
    try {
      const frame = await new Promise<Buffer>((resolve, reject) => {
        let crcTimer: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => finish(new MetronetError('E_DEVICE_TIMEOUT', `${where} did not answer within ${timeoutMs} ms`)), timeoutMs);
        const finish = (err: Error | undefined, f?: Buffer) => {
          clearTimeout(timer);
          clearTimeout(crcTimer);
          this.onData = undefined;
          stream.off('close', onClose);
          if (err) reject(err);
          else resolve(f!);
        };
        const onClose = () => finish(new MetronetError('E_DEVICE_UNREACHABLE', `${this.name} closed`));
        stream.once('close', onClose);
        this.onData = () => {
          const scan = scanResponse(this.rx, unit, fc, expected);
          if (scan.kind === 'data') return finish(undefined, scan.frame);
          if (scan.kind === 'exception') return finish(exceptionError(where, scan.code, fc, start, length));
          clearTimeout(crcTimer);
          // A complete frame with a wrong CRC: wait a little for a good one (garbage may have
          // matched the header), then fail this request instead of waiting out the timeout.
          if (scan.kind === 'bad-crc')
            crcTimer = setTimeout(
              () =>
                finish(
                  new MetronetError('E_DEVICE_UNREACHABLE', `${where}: CRC error in the answer to FC${fc} start ${start} length ${length}`, { crc: true }),
                ),
              30,
            );
        };
        stream.write(
          readRequest(unit, table, start, length),
          (err) => err && finish(new MetronetError('E_DEVICE_UNREACHABLE', `${this.name}: write failed: ${err.message}`)),
        );
      });
      this.silentStreak = 0;
      return responseValues(table, frame, length);
    } catch (err) {
      const e = err as MetronetError;
      if (e.code === 'E_MODBUS_EXCEPTION' || (e.details as { crc?: boolean } | undefined)?.crc) this.silentStreak = 0;
      else if (e.code === 'E_DEVICE_TIMEOUT') this.silentStreak++;
      // One silent slave says nothing about the line while others answer. A closed stream does,
      // and so does a line where nobody has answered twice running: a pty or USB adapter that
      // went away can leave an open descriptor that swallows writes, and only reopening the path
      // reaches the new device (the "reconnect after a cable pull" users ask of Modbus gateways).
      if (e.code === 'E_DEVICE_UNREACHABLE' && !(e.details as { crc?: boolean } | undefined)?.crc) await this.drop();
      else if (this.silentStreak >= 2) await this.drop();
      throw e;
    } finally {
      // Inter-frame silence for slow slaves; at least 3.5 characters are needed anyway (§2.5.1.1).
      if (this.opts.requestPauseMs > 0) await sleep(this.opts.requestPauseMs);
    }
  }

  private async open(): Promise<Duplex> {
    if (this.stream && !this.stream.destroyed) return this.stream;
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    this.stream = await this.opening;
    return this.stream;
  }

  private async connect(): Promise<Duplex> {
    const t = this.transport;
    const stream: Duplex =
      t.kind === 'modbus-rtu'
        ? new SerialPort({ path: t.path, baudRate: t.baudRate, dataBits: t.dataBits, parity: t.parity, stopBits: t.stopBits, autoOpen: false })
        : new Socket();
    stream.on('error', () => undefined); // surfaced through the failed transaction instead
    stream.on('data', (d: Buffer) => {
      this.rx = Buffer.concat([this.rx, d]).subarray(-1024);
      this.onData?.();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        const done = (err?: Error | null) => (clearTimeout(timer), err ? reject(err) : resolve());
        if (isInstance(stream, SerialPort)) stream.open(done);
        else (stream as Socket).connect({ host: (t as ModbusRtuTcpTransport).host, port: (t as ModbusRtuTcpTransport).port }, () => done()).once('error', done);
      });
    } catch (err) {
      void dispose(stream);
      throw new MetronetError('E_DEVICE_UNREACHABLE', `cannot open ${this.name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (this.opts.connectPauseMs > 0) await sleep(this.opts.connectPauseMs);
    return stream;
  }

  private async drop(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    if (s) await dispose(s);
  }
}

/**
 * Closes a line's stream for good. A SerialPort stream has no _destroy: destroy() alone leaves
 * its descriptor open and the port locked (flock), and every later open of the path fails with
 * "Cannot lock port" — so it is closed first, and one whose open outlived the connect timeout
 * (a busy machine) is closed as soon as that open completes.
 */
async function dispose(s: Duplex): Promise<void> {
  if (isInstance(s, SerialPort)) {
    if (s.opening) s.once('open', () => s.close());
    else if (s.isOpen) await new Promise<void>((resolve) => s.close(() => resolve()));
    else if (s.closing) await new Promise<void>((resolve) => s.once('close', () => resolve()));
  }
  if (s.destroyed) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 1000);
    s.once('close', () => (clearTimeout(t), resolve()));
    s.destroy();
  });
}

/** The line's identity: devices naming the same port or serial server share one RtuLine. */
export function lineKey(t: ModbusRtuTransport | ModbusRtuTcpTransport): string {
  return t.kind === 'modbus-rtu' ? `serial:${t.path}` : `tcp:${t.host}:${t.port}`;
}

export function lineName(t: ModbusRtuTransport | ModbusRtuTcpTransport): string {
  return t.kind === 'modbus-rtu' ? `${t.path} (${t.baudRate} ${t.dataBits}${t.parity[0]!.toUpperCase()}${t.stopBits})` : `rtu-over-tcp ${t.host}:${t.port}`;
}
