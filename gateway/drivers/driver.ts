import { MetronetError, type ModbusTable } from '../../core/index.js';

/** What the poller needs from any Modbus transport. */
export interface DeviceDriver {
  /** Reads `length` registers (or bits, as 0/1) from wire address `start`; throws a MetronetError with a device code. */
  read(table: ModbusTable, start: number, length: number): Promise<number[]>;
  /** Drops the connection (the next read reconnects); resolves once it has closed. */
  close(): Promise<void>;
}

/** Exception codes by name (Modbus Application Protocol V1.1b3 §7, "MODBUS Exception Codes"). */
export const MODBUS_EXCEPTIONS: Record<number, string> = {
  1: 'ILLEGAL FUNCTION',
  2: 'ILLEGAL DATA ADDRESS',
  3: 'ILLEGAL DATA VALUE',
  4: 'SLAVE DEVICE FAILURE',
  5: 'ACKNOWLEDGE',
  6: 'SLAVE DEVICE BUSY',
  8: 'MEMORY PARITY ERROR',
  10: 'GATEWAY PATH UNAVAILABLE',
  11: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

export function exceptionName(code: number): string {
  return MODBUS_EXCEPTIONS[code] ?? `UNKNOWN EXCEPTION ${code}`;
}

/** Did the device answer (an exception) rather than the link fail? Then the connection is still good. */
export function isDeviceAnswer(err: MetronetError): boolean {
  return err.code === 'E_MODBUS_EXCEPTION';
}

/** 5 ACKNOWLEDGE and 6 SLAVE DEVICE BUSY mean "ask again later" (§7); Telegraf retries them too. */
export function isBusy(err: MetronetError): boolean {
  const code = (err.details as { exception?: number } | undefined)?.exception;
  return err.code === 'E_MODBUS_EXCEPTION' && (code === 5 || code === 6);
}

export function exceptionError(where: string, code: number, fc: number, start: number, length: number): MetronetError {
  const name = exceptionName(code);
  return new MetronetError('E_MODBUS_EXCEPTION', `${where} answered exception ${code} ${name} to FC${fc} start ${start} length ${length}`, {
    exception: code,
    name,
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
