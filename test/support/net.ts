import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/**
 * Loopback ports for tests. Everything listens on 127.0.0.1; a server that can, binds port 0 and
 * reports its port. `freePort` is for servers that must be told a port before they start (an
 * external binary) and for those that stop and come back on the same port (a broker or device
 * "restarting"). It picks a port below the kernel's ephemeral range (ip_local_port_range), where
 * no port-0 listener and no outgoing connection of any process is ever placed: a port let go for
 * a while cannot be taken by a second copy of the suite's sockets in the meantime, which a port
 * from the ephemeral range often is (Linux hands recently freed ports out again). The port is
 * checked free when chosen; two callers picking the same one at once (1 in ~10 000) is caught
 * by the launchers, which check that their own process listens (listensOn) and try another.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = 20_000;
  if (low - from >= 1000) {
    for (let i = 0; i < 50; i++) {
      const port = from + Math.floor(Math.random() * (low - from));
      if (await canBind(port)) return port;
    }
  }
  return bindAndRelease(0); // no room below the range: an ephemeral port, as before
}

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    // not Linux
  }
  return [32_768, 60_999];
}

async function canBind(port: number): Promise<boolean> {
  return bindAndRelease(port).then(
    () => true,
    () => false,
  );
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
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
