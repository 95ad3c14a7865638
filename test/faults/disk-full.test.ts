import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periods, waitFor } from '../support/wait.js';
import { CYCLE_MS, FLUSH_MS, PUBLISH_MS, startStack, type Stack } from './stack.js';

/**
 * A full disk under the gateway spool, for real: the spool lives on a small tmpfs, and a filler
 * file takes every free byte while readings flow. This needs `mount -t tmpfs` (root with
 * CAP_SYS_ADMIN); where the machine refuses it, the test says so and is skipped rather than
 * replaced by something that is not a full disk.
 *
 * Expected: SQLite answers SQLITE_FULL; the gateway keeps running, keeps the refused readings in
 * memory up to its bound (here maxBuffer 1000) and counts what it then drops; its status (spool
 * full, dropped) reaches the registry through ingest; when space returns the spool recovers by
 * itself and every reading the broker acknowledged is stored once.
 */
let base = '';
let mnt = '';
let mounted = false;
let stack: Stack | undefined;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'metronet-diskfull-'));
  mnt = join(base, 'spool');
  mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
  mounted = mount.status === 0;
  if (!mounted) console.log(`[faults] full disk: skipped, mount -t tmpfs refused here (${(mount.stderr || mount.error?.message || '').trim()})`);
});
afterAll(async () => {
  await stack?.close();
  if (mounted) spawnSync('umount', [mnt]);
  rmSync(base, { recursive: true, force: true });
});

/** Writes a file until the file system refuses (ENOSPC); returns its path. */
function fillDisk(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // The last partial chunk too, byte by byte in 4 KiB steps.
  const fd2 = openSync(file, 'a');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(4096, 1));
  } catch {
    // full
  } finally {
    closeSync(fd2);
  }
  return file;
}

describe('gateway spool on a full disk', () => {
  it('keeps running, counts and reports what it could not spool, recovers when space returns', { timeout: 120_000 }, async (ctx) => {
    if (!mounted) return ctx.skip();
    stack = await startStack({ devices: 6, stateDir: mnt, gateway: { maxBuffer: 1000 } });
    const gw = stack.gateway;
    await waitFor(() => gw.stats().published > 0, { message: 'readings flowing', timeout: periods(5, CYCLE_MS) });
    const filler = fillDisk(mnt);
    const fullAt = Date.now();
    // The first refused write may be an acknowledgement's; the spool reads as full from the next flush on.
    await waitFor(() => gw.stats().spoolWriteErrors > 0 && gw.stats().spoolFull, { message: 'SQLITE_FULL, and the spool full', timeout: periods(5, FLUSH_MS) });
    // 6 devices fill the in-memory bound of 1000 readings within a few dozen polls.
    await waitFor(() => gw.stats().dropped > 0, { message: 'readings dropped beyond the in-memory bound', timeout: periods(50, CYCLE_MS) });
    // The status with spool.full and dropped reaches the registry through the broker and ingest.
    await waitFor(() => (stack!.registry.getGateway('gw-faults')?.spool?.dropped ?? 0) > 0, {
      message: 'status with the loss recorded',
      timeout: periods(5, CYCLE_MS),
    });
    expect(stack.registry.getGateway('gw-faults')?.spool).toMatchObject({ full: true });
    // Logged once per episode, by whichever write met the full disk first (a flush or an acknowledgement).
    expect(stack.gwLog.lines.some((l) => l.level === 50 && l.code === 'SQLITE_FULL' && l.msg.startsWith('spool'))).toBe(true);

    rmSync(filler); // space returns
    const freedAt = Date.now();
    await waitFor(() => stack!.gwLog.lines.some((l) => l.msg === 'spool writes succeed again'), {
      message: 'spool writes again',
      timeout: periods(5, FLUSH_MS),
    });
    const recovery = Date.now() - freedAt;
    await waitFor(() => !gw.stats().spoolFull, { message: 'spool no longer full', timeout: periods(5, PUBLISH_MS) });
    await waitFor(() => stack!.registry.getGateway('gw-faults')?.spool?.full === false, { message: 'status: spool not full', timeout: periods(5, CYCLE_MS) });
    const { dropped, spoolWriteErrors } = gw.stats();
    const r = await stack.settle();
    console.log(
      `[faults] full disk (tmpfs) for ${((freedAt - fullAt) / 1000).toFixed(1)} s: ${spoolWriteErrors} refused writes, dropped ${dropped} (counted, in the status), ` +
        `spool writing again ${recovery} ms after space returned; acknowledged ${r.acknowledged}, stored ${r.stored} (rows ${r.rows}), lost ${r.lost.length}, duplicates ${r.rows - r.stored}`,
    );
    expect(r.lost.slice(0, 5)).toEqual([]);
    expect(r.rows).toBe(r.stored);
    expect(r.acknowledged).toBeGreaterThan(100);
  });
});
