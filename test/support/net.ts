import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/**
 * Loopback ports for tests. Everything listens on 127.0.0.1; a server that can, binds port 0 and
 * reports its port. `freePort` is for the few that must be told a port before they start (an
 * external binary, a broker restarted on the same port): bound, then released — so a second
 * suite on the same machine may, rarely, take it first; launchers retry with a fresh one.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now (a probe for waitFor). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });
}

/**
 * Whether process `pid` itself listens on TCP `port` (Linux: its socket inodes in /proc/<pid>/fd
 * against the LISTEN entries of /proc/net/tcp{,6}). A server that must be told its port is ready
 * when this holds — a mere connection could reach whoever took the port first (another copy of
 * the suite), while our process failed to bind it.
 */
export function listensOn(pid: number | undefined, port: number): boolean {
  if (pid === undefined) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      if (Number.parseInt(f[1]!.split(':')[1]!, 16) === port && inodes.has(f[9]!)) return true;
    }
  }
  return false;
}
