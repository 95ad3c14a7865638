import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import { MetronetError, READ_FC, isMetronetError, type ModbusTable, type ModbusTcpTransport } from '../../core/index.js';
import { exceptionError, isDeviceAnswer, sleep, type DeviceDriver } from './driver.js';

type Table = ModbusTable;

export { MODBUS_EXCEPTIONS, exceptionName, isDeviceAnswer, type DeviceDriver } from './driver.js';

type Client = InstanceType<typeof ModbusSerial.default>;

/**
 * One modbus-serial client per device, connected on first use. Any link failure (timeout, reset,
 * refused) destroys the client and its socket: modbus-serial leaves a timed-out socket open and
 * would match a late answer against the next request, so a fresh connection is the safe state.
 */
export function createModbusTcpDriver(transport: ModbusTcpTransport, opts: { connectPauseMs?: number; requestPauseMs?: number } = {}): DeviceDriver {
  const where = `${transport.host}:${transport.port} unit ${transport.unitId}`;
  let client: Client | undefined;
  let connecting: Promise<Client> | undefined;

  const connect = async (): Promise<Client> => {
    const c = new ModbusSerial.default();
    // modbus-serial relays port errors as 'error' events; unhandled, they would crash the process.
    c.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.connectTCP(transport.host, { port: transport.port }),
        new Promise((_, reject) => {
          // TCP connect has no timeout of its own (a black-holed address waits minutes).
          timer = setTimeout(
            () => reject(new MetronetError('E_DEVICE_TIMEOUT', `connect to ${where} timed out after ${transport.timeoutMs} ms`)),
            transport.timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await destroy(c);
      throw isMetronetError(err) ? err : new MetronetError('E_DEVICE_UNREACHABLE', `cannot connect to ${where}: ${reason(err)}`);
    } finally {
      clearTimeout(timer);
    }
    c.setID(transport.unitId);
    c.setTimeout(transport.timeoutMs);
    // Some devices (and serial servers) drop the first request that follows a connect too closely.
    if (opts.connectPauseMs) await sleep(opts.connectPauseMs);
    return c;
  };

  const current = async (): Promise<Client> => {
    if (client?.isOpen) return client;
    if (client) await drop();
    connecting ??= connect().finally(() => (connecting = undefined));
    client = await connecting;
    return client;
  };

  const drop = async () => {
    const c = client;
    client = undefined;
    if (c) await destroy(c);
  };

  return {
    async read(table, start, length) {
      const c = await current();
      let timer: NodeJS.Timeout | undefined;
      let onClose: (() => void) | undefined;
      try {
        const res = await Promise.race([
          readTable(c, table, start, length),
          new Promise<never>((_, reject) => {
            // A reset connection fails the request at once instead of after the full timeout.
            onClose = () => reject(new MetronetError('E_DEVICE_UNREACHABLE', `${where} closed the connection`));
            events(c).once('close', onClose);
            // Guard against a request the library never settles (its own timeout normally fires first).
            timer = setTimeout(() => reject(timeoutError(where, transport.timeoutMs)), transport.timeoutMs + 250);
          }),
        ]);
        return res.data.map(Number); // coils come back as booleans
      } catch (err) {
        const e = toDeviceError(err, where, transport.timeoutMs, table, start, length);
        if (!isDeviceAnswer(e)) await drop();
        throw e;
      } finally {
        clearTimeout(timer);
        if (onClose) events(c).off('close', onClose);
        if (opts.requestPauseMs) await sleep(opts.requestPauseMs);
      }
    },
    close: drop,
  };
}

function readTable(c: Client, table: Table, start: number, length: number): Promise<{ data: Array<number | boolean> }> {
  switch (table) {
    case 'holding':
      return c.readHoldingRegisters(start, length);
    case 'input':
      return c.readInputRegisters(start, length);
    case 'coil':
      return c.readCoils(start, length);
    case 'discrete':
      return c.readDiscreteInputs(start, length);
  }
}

/** The client is an EventEmitter at runtime; its typings declare only `on`. */
const events = (c: Client) => c as unknown as EventEmitter;

function timeoutError(where: string, timeoutMs: number): MetronetError {
  return new MetronetError('E_DEVICE_TIMEOUT', `${where} did not answer within ${timeoutMs} ms`);
}

/** Maps modbus-serial's error shapes onto the core catalogue, with a message a person can act on. */
export function toDeviceError(err: unknown, where: string, timeoutMs: number, table: Table, start: number, length: number): MetronetError {
  if (isMetronetError(err)) return err;
  const e = (err ?? {}) as { modbusCode?: number; name?: string; errno?: string; code?: string; message?: string };
  const fc = READ_FC[table];
  if (typeof e.modbusCode === 'number') return exceptionError(where, e.modbusCode, fc, start, length);
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') return timeoutError(where, timeoutMs);
  return new MetronetError('E_DEVICE_UNREACHABLE', `${where}: ${reason(err)}`);
}

function reason(err: unknown): string {
  const e = (err ?? {}) as { code?: string; errno?: string; message?: string };
  return e.code ?? (typeof e.errno === 'string' ? e.errno : undefined) ?? e.message ?? String(err);
}

/** Destroys a client's socket and waits for it to close, so close() leaves no handle behind. */
async function destroy(c: Client): Promise<void> {
  // modbus-serial keeps the net.Socket at _port._client; destroy() alone returns before it closes.
  const socket = (c as unknown as { _port?: { _client?: Socket } })._port?._client;
  await new Promise<void>((resolve) => c.destroy(() => resolve()));
  if (socket && !socket.closed) {
    socket.destroy();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
