import type { Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import { expect } from 'vitest';

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

/** Resource types and their counts (TCP sockets, servers, timers, file requests…). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/**
 * Asserts that nothing opened since `before` is still active. Timers are compared as "no more
 * than before", because vitest owns a test-timeout timer of its own that may come and go. Sockets
 * finish closing a tick after close() resolves at the latest, so this waits briefly for them.
 */
export async function expectNoLeaks(before: Map<string, number>): Promise<void> {
  const leaks = () => {
    const now = activeResources();
    const out: string[] = [];
    for (const [type, n] of now) {
      const allowed = before.get(type) ?? 0;
      if (n > allowed) out.push(`${type} ×${n - allowed}`);
    }
    return out;
  };
  const deadline = Date.now() + 1000;
  while (leaks().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(leaks()).toEqual([]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds or `ms` passes. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
