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
