import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GatewayConfig, loadConfig, loadProfiles } from '../../core/index.js';
import { checkGateway } from '../../gateway/check.js';
import { startSimulator } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';

const profiles = loadProfiles();
const run = promisify(execFile);

describe('gateway configuration for serial devices', () => {
  const file = async (yaml: string) => {
    const dir = await tempDir('metronet-cfg-');
    await writeFile(join(dir, 'gateway.yaml'), yaml);
    return { dir, path: join(dir, 'gateway.yaml') };
  };

  it('names file, path and rule of a wrong RTU transport field, not every transport kind', async () => {
    const { dir, path } = await file(
      `id: gw-1\norg: org-1\nmqtt: {}\ndevices:\n  - { name: ind, instrument: SC-1, profile: weighing-indicator-rtu, transport: { kind: modbus-rtu, path: /dev/ttyUSB0, unitId: 248, parity: mark } }\n`,
    );
    try {
      let message = '';
      try {
        loadConfig(GatewayConfig, { file: path });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(`${path}: /devices/0/transport/unitId must be <= 247 (maximum), got 248`);
      expect(message).toContain(`${path}: /devices/0/transport/parity must be one of none, even, odd (enum), got "mark"`);
      expect(message.split('\n')).toHaveLength(3); // the header and one line per fault, nothing about other transport kinds
    } finally {
      await removeDir(dir);
    }
  });

  it('fills serial defaults (9600 8N1, 1 s timeout) and the spool policy', async () => {
    const { dir, path } = await file(
      `id: gw-1\norg: org-1\nmqtt: {}\ndevices:\n  - { name: ind, instrument: SC-1, profile: weighing-indicator-rtu, transport: { kind: modbus-rtu, path: /dev/ttyUSB0 } }\n`,
    );
    try {
      const c = loadConfig(GatewayConfig, { file: path });
      expect(c.devices[0]!.transport).toEqual({
        kind: 'modbus-rtu',
        path: '/dev/ttyUSB0',
        baudRate: 9600,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        unitId: 1,
        timeoutMs: 1000,
      });
      expect(c.spool).toEqual({
        maxReadings: 5_000_000,
        whenFull: 'drop-oldest',
        flushMs: 100,
        drainPerSecond: 20_000,
        replayMs: 120_000,
        replayReadings: 100_000,
        replayDelayMs: 5000,
      });
    } finally {
      await removeDir(dir);
    }
  });

  it('refuses two slaves with one address on a bus, other line settings on the same port, and a transport that does not fit the profile', () => {
    const rtu = (unitId: number, baudRate = 9600) => ({
      kind: 'modbus-rtu',
      path: '/dev/ttyUSB0',
      baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      unitId,
      timeoutMs: 1000,
    });
    const dev = (i: number, transport: object, profile = 'weighing-indicator-rtu') => ({
      name: `d${i}`,
      instrument: `I-${i}`,
      profile,
      transport,
      pollMs: 1000,
    });
    const cfg = (...devices: object[]) => ({ id: 'gw-1', org: 'o', mqtt: {}, publishMs: 1000, maxBatch: 100, devices });
    expect(() => checkGateway(cfg(dev(0, rtu(1)), dev(1, rtu(1))), profiles)).toThrow('devices[1].transport.unitId 1 is already used on /dev/ttyUSB0');
    expect(() => checkGateway(cfg(dev(0, rtu(1)), dev(1, rtu(2, 19200))), profiles)).toThrow(
      'devices[1].transport: /dev/ttyUSB0 is also used by devices[0] with other line settings',
    );
    expect(() => checkGateway(cfg(dev(0, rtu(1), 'scale-ad-serial')), profiles)).toThrow(
      'devices[0].transport.kind modbus-rtu does not fit profile scale-ad-serial',
    );
  });

  it('lists schema faults one per line (real line breaks, not a literal \\n)', () => {
    let message = '';
    try {
      checkGateway({ id: 'gw-1', org: 'o', mqtt: {}, publishMs: 1, maxBatch: 0, devices: [] }, profiles);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('\\n');
    expect(message.split('\n')).toEqual(['invalid gateway configuration:', expect.stringContaining('publishMs'), expect.stringContaining('maxBatch')]);
  });
});

describe('metronet gateway --dry-run', () => {
  it('polls each device once and prints the plan and decoded values, publishing nothing', async () => {
    const sim = await startSimulator({ profile: profiles.get('water-station-tcp')!, seed: 2 });
    const dir = await tempDir('metronet-cfg-');
    sim.setValue('ph', 7.25);
    const path = join(dir, 'gateway.yaml');
    await writeFile(
      path,
      `id: gw-1\norg: org-1\nmqtt: { url: 'mqtt://127.0.0.1:1' }\ndevices:\n  - { name: ws, instrument: WS-1, profile: water-station-tcp, transport: { kind: modbus-tcp, host: 127.0.0.1, port: ${sim.port} } }\n`,
    );
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../cli/main.ts'), 'gateway', '-c', path, '--dry-run'], {
        cwd: join(import.meta.dirname, '../..'),
      });
      const [row] = JSON.parse(stdout) as Array<{ plan: Array<{ fc: number; length: number }>; values: Record<string, number>; errors: string[] }>;
      expect(row!.plan).toMatchObject([{ fc: 4, start: 0, length: 13 }]);
      expect(row!.values.ph).toBe(7.25);
      expect(row!.errors).toEqual([]);
    } finally {
      await sim.close();
      await removeDir(dir);
    }
  });
});
