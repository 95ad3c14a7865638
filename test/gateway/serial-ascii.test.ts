import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerHandle } from '../../broker/index.js';
import { loadProfiles } from '../../core/index.js';
import { start as startGateway, type GatewayHandle } from '../../gateway/index.js';
import { startPtyPair, startSerialScale, type PtyPair, type SerialScaleHandle } from '../../simulators/index.js';
import { sleep, waitFor } from '../simulators/support.js';
import { broker, collect, removeDir, tempDir, type Collector } from './support.js';

const profiles = loadProfiles();

describe.each([
  ['scale-ad-serial', 'g', 3],
  ['scale-mtsics-serial', 'kg', 3],
  ['scale-toledo-continuous', 'kg', 2],
  ['scale-yaohua-xk3190', 'kg', 1],
] as const)('serial scale %s over a socat pty pair', (profileId, unit, decimals) => {
  let pty: PtyPair;
  let scale: SerialScaleHandle;
  let mqtt: BrokerHandle;
  let sub: Collector;
  let gw: GatewayHandle;
  let stateDir: string;

  afterEach(async () => {
    await gw.close();
    await sub.close();
    await mqtt.close();
    await scale.close();
    await pty.close();
    await removeDir(stateDir);
  });

  it('publishes the weight in the channel unit, with motion and overload as statuses, nothing from garbage or bad frames', async () => {
    const profile = profiles.get(profileId)!;
    pty = await startPtyPair();
    const grams = unit === 'g';
    const weight = grams ? 12345.6 : 20.5;
    scale = await startSerialScale({ path: pty.device, profile, state: { weight, unit, stable: true, tare: 1.5 }, decimals, intervalMs: 40 });
    mqtt = await broker();
    sub = await collect(mqtt.url);
    stateDir = await tempDir();
    gw = await startGateway({
      id: 'gw-scale', org: 'org-t', mqtt: { url: mqtt.url }, publishMs: 50, maxBatch: 500, profiles, stateDir, backoff: { initialMs: 200, maxMs: 400 },
      devices: [{ name: 'scale', instrument: 'SC-S1', profile: profileId, transport: { kind: 'serial-ascii', path: pty.host, timeoutMs: 500 }, pollMs: 100 }],
    });
    const mass = () => sub.readings('SC-S1').filter((r) => r.channel === 'mass');
    await waitFor(() => mass().length >= 3, 5000, 'first weights');
    scale.setFaults({ garbage: 3, corrupt: 3 });
    await sleep(600);
    const n = mass().length;
    await waitFor(() => mass().length >= n + 3, 5000, 'weights after garbage');
    const expected = grams ? 12.3456 : 20.5;
    expect(mass().every((r) => r.value === expected && r.unit === 'kg' && r.status === 'ok')).toBe(true);
    if (profileId === 'scale-toledo-continuous') expect(sub.readings('SC-S1').find((r) => r.channel === 'tare')?.value).toBe(1.5);
    if (profileId !== 'scale-yaohua-xk3190') {
      // The A12 frame carries no motion flag.
      scale.set({ stable: false, weight: grams ? 13000 : 21 });
      await waitFor(() => mass().some((r) => r.status === 'unstable'), 3000, 'an unstable reading');
    }
  });
});
