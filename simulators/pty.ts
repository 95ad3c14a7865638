import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetronetError } from '../core/index.js';

/**
 * A null-modem cable made of two pseudo-terminals, joined by `socat` (Debian package socat):
 * the simulator opens one end, the gateway the other, and bytes cross as on a real RS-232 or
 * RS-485 line, through the same serialport code a USB adapter uses. `unplug()` kills socat, which
 * closes both ends (a pulled cable); `plug()` makes the pair again under the same paths.
 */
export interface PtyPair {
  /** The end the simulator opens. */
  readonly device: string;
  /** The end the gateway opens. */
  readonly host: string;
  unplug(): Promise<void>;
  plug(): Promise<void>;
  close(): Promise<void>;
}

export async function startPtyPair(): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'metronet-pty-'));
  const device = join(dir, 'device');
  const host = join(dir, 'host');
  let proc: ChildProcess | undefined;

  const plug = async () => {
    const p = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], { stdio: 'ignore' });
    proc = p;
    const failed = new Promise<never>((_, reject) =>
      p.once('error', (err) => reject(new MetronetError('E_INTERNAL', `socat not available (Debian package socat): ${err.message}`))),
    );
    const deadline = Date.now() + 3000;
    while (!(existsSync(device) && existsSync(host))) {
      if (Date.now() > deadline) throw new MetronetError('E_INTERNAL', 'socat did not create the pty pair within 3 s');
      await Promise.race([new Promise((r) => setTimeout(r, 10)), failed]);
    }
  };

  const unplug = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
    // socat removes its links on exit; wait until they are gone so plug() sees fresh ones.
    while (existsSync(device) || existsSync(host)) await new Promise((r) => setTimeout(r, 10));
  };

  await plug();
  return {
    device,
    host,
    unplug,
    plug,
    async close() {
      await unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
