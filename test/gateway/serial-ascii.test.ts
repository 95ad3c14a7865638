import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerHandle } from '../../broker/index.js';
import { loadProfiles } from '../../core/index.js';
import { start as startGateway, type GatewayHandle } from '../../gateway/index.js';
import { startPtyPair, startSerialScale, type PtyPair, type SerialScaleHandle } from '../../simulators/index.js';
import { removeDir, tempDir } from '../support/files.js';
import { periods, waitFor } from '../support/wait.js';
import { broker, collect, type Collector } from './support.js';

const POLL_MS = 100;
const PUBLISH_MS = 50;
const CYCLE_MS = POLL_MS + PUBLISH_MS;

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
      id: 'gw-scale',
      org: 'org-t',
      mqtt: { url: mqtt.url },
      publishMs: PUBLISH_MS,
      maxBatch: 500,
      profiles,
      stateDir,
      backoff: { initialMs: 200, maxMs: 400 },
      devices: [
        { name: 'scale', instrument: 'SC-S1', profile: profileId, transport: { kind: 'serial-ascii', path: pty.host, timeoutMs: 500 }, pollMs: POLL_MS },
      ],
    });
    const mass = () => sub.readings('SC-S1').filter((r) => r.channel === 'mass');
    await waitFor(() => mass().length >= 3, { message: 'first weights', timeout: periods(4, CYCLE_MS) });
    // The next three frames carry garbage and a flipped bit; readings after them must be good again.
    const sent = scale.frames;
    scale.setFaults({ garbage: 3, corrupt: 3 });
    await waitFor(() => scale.frames >= sent + 3, { message: 'the three bad frames sent', timeout: periods(4, POLL_MS) });
    const n = mass().length;
    await waitFor(() => mass().length >= n + 3, { message: 'weights after garbage', timeout: periods(4, CYCLE_MS) });
    const expected = grams ? 12.3456 : 20.5;
    expect(mass().every((r) => r.value === expected && r.unit === 'kg' && r.status === 'ok')).toBe(true);
    if (profileId === 'scale-toledo-continuous') expect(sub.readings('SC-S1').find((r) => r.channel === 'tare')?.value).toBe(1.5);
    if (profileId !== 'scale-yaohua-xk3190') {
      // The A12 frame carries no motion flag.
      scale.set({ stable: false, weight: grams ? 13000 : 21 });
      await waitFor(() => mass().some((r) => r.status === 'unstable'), { message: 'an unstable reading', timeout: periods(3, CYCLE_MS) });
    }
  });
});
