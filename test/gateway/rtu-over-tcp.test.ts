import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../core/index.js';
import { start as startGateway, type GatewayHandle } from '../../gateway/index.js';
import { startRtuBus, type RtuBusHandle } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';
import { freePort } from '../support/net.js';
import { periods, waitFor } from '../support/wait.js';
import { broker, collect } from './support.js';

const profiles = loadProfiles();
const POLL_MS = 100;
const PUBLISH_MS = 50;
const BACKOFF_MAX_MS = 400;

/** A serial server (RS-485 to Ethernet converter) in transparent mode: RTU frames over TCP. */
async function serialServer(port = 0): Promise<{ port: number; buses: RtuBusHandle[]; close(): Promise<void> }> {
  const buses: RtuBusHandle[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    void startRtuBus({ stream: socket, slaves: [{ unitId: 3, profile: profiles.get('weighing-indicator-rtu')! }] }).then((b) => {
      b.setValue(3, 'gross', 12.5);
      buses.push(b);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    buses,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('Modbus RTU over TCP (serial server)', () => {
  let gw: GatewayHandle | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('reads through the serial server and reconnects by itself after the server restarts', async () => {
    let srv = await serialServer(await freePort()); // it restarts on the same port below
    const mqtt = await broker();
    const sub = await collect(mqtt.url);
    const stateDir = await tempDir();
    gw = await startGateway({
      id: 'gw-rtutcp',
      org: 'org-t',
      mqtt: { url: mqtt.url },
      publishMs: PUBLISH_MS,
      maxBatch: 100,
      profiles,
      stateDir,
      backoff: { initialMs: 200, maxMs: BACKOFF_MAX_MS },
      devices: [
        {
          name: 'ind',
          instrument: 'SC-RT',
          profile: 'weighing-indicator-rtu',
          transport: { kind: 'modbus-rtu-tcp', host: '127.0.0.1', port: srv.port, unitId: 3, timeoutMs: 300 },
          pollMs: POLL_MS,
        },
      ],
    });
    const gross = () => sub.readings('SC-RT').filter((r) => r.channel === 'gross');
    await waitFor(() => gross().length >= 3, { message: 'readings through the serial server', timeout: periods(4, POLL_MS + PUBLISH_MS) });
    expect(gross().every((r) => r.value === 12.5)).toBe(true);
    const port = srv.port;
    await srv.close();
    await waitFor(() => gw!.stats().devices[0]!.state === 'backoff', { message: 'the indicator in backoff', timeout: periods(3, POLL_MS + 300) });
    srv = await serialServer(port);
    const t = Date.now();
    await waitFor(() => gross().some((r) => r.ts > t), { message: 'readings after the restart', timeout: periods(3, BACKOFF_MAX_MS + POLL_MS + PUBLISH_MS) });
    await gw.close();
    gw = undefined;
    await srv.close();
    await sub.close();
    await mqtt.close();
    await removeDir(stateDir);
  });
});
