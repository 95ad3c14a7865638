import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../core/index.js';
import { start as startGateway } from '../../gateway/index.js';
import { startSimulator, type SimulatorHandle } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';
import { periods, waitFor } from '../support/wait.js';

const run = promisify(execFile);
const profiles = loadProfiles();
const POLL_MS = 100;
const PUBLISH_MS = 50;

/** A CA, a broker certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makePki(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=metronet test CA');
  for (const [name, subj, ext] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['client', '/CN=gw-tls', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    await run('sh', ['-c', `printf '%s' '${ext}' > ${name}.ext`], { cwd: dir });
    await ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

describe('broker over TLS with a client certificate', () => {
  let dir: string;
  let sim: SimulatorHandle;

  beforeAll(async () => {
    dir = await tempDir('metronet-tls-');
    await makePki(dir);
    sim = await startSimulator({ profile: profiles.get('weighing-indicator-tcp')!, seed: 4 });
  });
  afterAll(async () => {
    await sim.close();
    await removeDir(dir);
  });

  it('publishes through mqtts:// with the CA, certificate and key named in the config', async () => {
    const aedes = await Aedes.createBroker();
    const peers: string[] = [];
    const readings: unknown[] = [];
    aedes.on('publish', (packet) => {
      if (packet.topic.endsWith('/readings')) readings.push(JSON.parse(packet.payload.toString()));
    });
    const file = (f: string) => readFile(join(dir, f));
    // The broker refuses any client without a certificate signed by the CA.
    const server = createServer(
      { key: await file('server.key'), cert: await file('server.pem'), ca: await file('ca.pem'), requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => {
        peers.push(String(socket.getPeerCertificate().subject?.CN));
        aedes.handle(socket);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const stateDir = await tempDir();
    const gw = await startGateway({
      id: 'gw-tls',
      org: 'org-t',
      publishMs: PUBLISH_MS,
      maxBatch: 100,
      profiles,
      stateDir,
      mqtt: { url: `mqtts://127.0.0.1:${port}`, ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') },
      devices: [
        {
          name: 'ind',
          instrument: 'SC-T1',
          profile: 'weighing-indicator-tcp',
          transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 },
          pollMs: POLL_MS,
        },
      ],
    });
    try {
      await waitFor(() => readings.length >= 2, { message: 'readings over TLS', timeout: periods(4, POLL_MS + PUBLISH_MS) });
      expect(peers).toContain('gw-tls');
      expect(gw.stats().connected).toBe(true);
    } finally {
      await gw.close();
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise((r) => server.close(r));
      await removeDir(stateDir);
    }
  });

  it('names the config field of an unreadable certificate file', async () => {
    const stateDir = await tempDir();
    await expect(
      startGateway({
        id: 'gw-tls',
        org: 'org-t',
        publishMs: 50,
        maxBatch: 100,
        profiles,
        stateDir,
        devices: [],
        mqtt: { url: 'mqtts://127.0.0.1:1', ca: join(dir, 'nope.pem') },
      }),
    ).rejects.toThrow(/mqtt\.ca: cannot read .*nope\.pem: ENOENT/);
    await removeDir(stateDir);
  });
});
