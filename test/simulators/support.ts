import type { Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';

export type ModbusClient = InstanceType<typeof ModbusSerial.default>;

/** A plain modbus-serial client, as any third-party master would use it. */
export async function connectClient(port: number, opts: { unitId?: number; timeoutMs?: number } = {}): Promise<ModbusClient> {
  const c = new ModbusSerial.default();
  c.on('error', () => undefined);
  await c.connectTCP('127.0.0.1', { port });
  c.setID(opts.unitId ?? 1);
  c.setTimeout(opts.timeoutMs ?? 1000);
  return c;
}

/** Destroys the client and waits until its socket has really closed. */
export async function closeClient(c: ModbusClient): Promise<void> {
  const socket = (c as unknown as { _port?: { _client?: Socket } })._port?._client;
  await new Promise<void>((resolve) => c.destroy(() => resolve()));
  if (socket && !socket.closed) await new Promise((resolve) => socket.once('close', resolve));
}
