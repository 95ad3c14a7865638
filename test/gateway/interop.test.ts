import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProfilesDir, loadProfiles } from '../../core/index.js';
import { dryRun } from '../../gateway/index.js';
import { startPtyPair, startRtuBus, startSimulator } from '../../simulators/index.js';
import { freePort, listensOn } from '../support/net.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures');
const profiles = loadProfiles([defaultProfilesDir(), join(FIXTURES, 'profiles')]);

/** Interop with Modbus implementations that are not ours (Debian python3-pymodbus and mbpoll). */
describe('gateway reads a pymodbus server', () => {
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    // The port is chosen before the server binds it; should another process take it in between,
    // the server exits and is started again on a fresh port.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      server = spawn('/usr/bin/python3', [join(FIXTURES, 'pymodbus_server.py'), String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
      const exited = () =>
        server.exitCode !== null ? `pymodbus server exited with ${server.exitCode}; is python3-pymodbus installed (scripts/install-test-deps.sh)?` : undefined;
      try {
        // "ready" is printed just before it listens: wait until it listens on the port itself.
        await waitFor(() => listensOn(server.pid, port), { message: `the pymodbus server on port ${port}`, interval: 50, abortIf: exited });
        return;
      } catch (err) {
        server.kill();
        if (attempt === 3 || !exited()) throw err;
      }
    }
  });
  afterAll(() => {
    server?.kill();
  });

  it('decodes every type and word order, bits, strings, coils and discrete inputs, with address base 1', async () => {
    const [row] = await dryRun(
      {
        id: 'gw-interop',
        org: 'org-t',
        mqtt: {},
        devices: [{ name: 'py', instrument: 'PY-1', profile: 'interop-all-types', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port } }],
      },
      profiles,
    );
    expect(row!.errors).toEqual([]);
    expect(row!.values).toEqual({
      i16: -1234,
      u16: 54321,
      i32: -123456789,
      u32_cdab: 3000000000,
      f32_abcd: 20.004,
      f32_cdab: 20.004,
      f32_badc: 20.004,
      f32_dcba: 20.004,
      i64: -1234567890123,
      u64_cdab: 9007199254740991,
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: the exact double the device encodes, not π
      f64: 3.141592653589793,
      f64_dcba: -2.5e-7,
      bit1: 1,
      bit2: 0,
      bit3: 1,
      label: 'PYMB-01',
      scaled: 123.45,
      u16_ba: 0x3412,
      in_f32: 7.25,
      coil0: 1,
      coil1: 0,
      coil2: 1,
      di0: 0,
      di1: 1,
    });
  });
});

describe('mbpoll reads our simulators', () => {
  it('Modbus TCP: the weighing indicator floats in CDAB (mbpoll reads float low word first)', async () => {
    const sim = await startSimulator({ profile: profiles.get('weighing-indicator-tcp')!, seed: 3 });
    try {
      sim.setValue('gross', 20.004);
      sim.setValue('net', 19.504);
      const { stdout } = await run('mbpoll', ['-m', 'tcp', '-p', String(sim.port), '-a', '1', '-0', '-r', '0', '-c', '2', '-t', '4:float', '-1', '127.0.0.1']);
      expect(stdout).toMatch(/\[0\]:\s+20\.004/);
      expect(stdout).toMatch(/\[2\]:\s+19\.504/);
    } finally {
      await sim.close();
    }
  });

  it('Modbus RTU over a pty: the RTU indicator int32 in CDAB, registers numbered from 1 as its manual does', async () => {
    const pty = await startPtyPair();
    const bus = await startRtuBus({ path: pty.device, slaves: [{ unitId: 7, profile: profiles.get('weighing-indicator-rtu')! }] });
    try {
      bus.setValue(7, 'gross', 20.004);
      bus.setValue(7, 'capacity', 30);
      const args = ['-m', 'rtu', '-b', '9600', '-d', '8', '-P', 'none', '-s', '1', '-a', '7', '-1', '-o', '1'];
      const gross = await run('mbpoll', [...args, '-r', '1', '-c', '1', '-t', '4:int', pty.host]);
      expect(gross.stdout).toMatch(/\[1\]:\s+20004/);
      const capacity = await run('mbpoll', [...args, '-r', '7', '-c', '1', '-t', '4:int', pty.host]);
      expect(capacity.stdout).toMatch(/\[7\]:\s+30000/);
    } finally {
      await bus.close();
      await pty.close();
    }
  });
});
