import type { GatewayDevice, ModbusRtuTcpTransport, ModbusRtuTransport } from '../../core/index.js';
import type { DeviceDriver } from './driver.js';
import { createModbusTcpDriver } from './modbus-tcp.js';
import { RtuLine, lineKey, lineName } from './rtu-line.js';

export * from './driver.js';
export { RtuLine } from './rtu-line.js';

/**
 * Builds each Modbus device's driver. RTU devices naming the same serial port (or serial server)
 * share one RtuLine, which serialises their transactions; Modbus TCP devices each get their own
 * connection, as a TCP server handles its clients independently.
 */
export class Drivers {
  readonly lines = new Map<string, RtuLine>();

  for(device: GatewayDevice, requestPauseMs: number): DeviceDriver {
    const t = device.transport;
    const pauses = { connectPauseMs: device.connectPauseMs ?? 0, requestPauseMs };
    if (t.kind === 'modbus-tcp') return createModbusTcpDriver(t, pauses);
    if (t.kind === 'serial-ascii' || t.kind === 'file-import') throw new Error(`${t.kind} devices have no Modbus driver`);
    const line = this.line(t, pauses);
    line.users++;
    return {
      read: (table, start, length) => line.read(t.unitId, table, start, length, t.timeoutMs),
      // The line stays open for the other devices on it; a failed link is reopened by the line itself.
      close: async () => undefined,
    };
  }

  private line(t: ModbusRtuTransport | ModbusRtuTcpTransport, pauses: { connectPauseMs: number; requestPauseMs: number }): RtuLine {
    const key = lineKey(t);
    let line = this.lines.get(key);
    if (!line) {
      line = new RtuLine(lineName(t), t, pauses);
      this.lines.set(key, line);
    }
    return line;
  }

  async close(): Promise<void> {
    await Promise.all([...this.lines.values()].map((l) => l.close()));
  }
}
