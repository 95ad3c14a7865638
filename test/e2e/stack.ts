import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadProfiles, MetronetConfig, silentLogger } from '../../core/index.js';
import type { SimulatorHandle } from '../../simulators/index.js';
import { startStack, type Stack } from '../../cli/stack.js';
import { seedRegistry, seedStationHistory, startProvinceDevices } from '../../cli/demo.js';
import { DEMO_PROVINCE } from '../../cli/province.js';
import { credentialGateways, seedDemoUsers, type DemoLogin } from '../../cli/access.js';
import { METRICS_TOKEN } from '../support/metrics-auth.js';
export { METRICS_AUTH, METRICS_TOKEN } from '../support/metrics-auth.js';

/** The demo stack's periods in tests: device polls and gateway publishes (both overridable), ingest flushes. */
export const DEMO_POLL_MS = 200;
export const DEMO_PUBLISH_MS = 200;
export const DEMO_FLUSH_MS = 50;

export interface DemoStack extends Stack {
  simulators: Map<string, SimulatorHandle>;
  dataDir: string;
  /** The demo's sign-ins, one per role. */
  logins: DemoLogin[];
  /** An API token of the demo's authority user (sees the whole network). */
  token: string;
  /** fetch on the dashboard with that token. */
  api: (path: string, init?: RequestInit) => Promise<Response>;
  /** A reading's way from a device to the API: one poll, one publish, one ingest flush (ms). */
  cycleMs: number;
}

/** The demo's exact composition on ephemeral ports and a temporary data folder. */
export async function startDemoStack(opts: { pollMs?: number; publishMs?: number } = {}): Promise<DemoStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'metronet-e2e-'));
  const config = loadConfig(MetronetConfig, {
    overrides: { dataDir, 'broker.port': 0, 'dashboard.port': 0, 'ingest.flushMs': DEMO_FLUSH_MS, 'dashboard.metricsToken': METRICS_TOKEN },
  });
  const profiles = loadProfiles();
  let simulators = new Map<string, SimulatorHandle>();
  let logins: DemoLogin[] = [];
  const stack = await startStack({
    config,
    profiles,
    logger: silentLogger,
    beforeGateways: async ({ registry, readings }) => {
      seedRegistry(registry, DEMO_PROVINCE, profiles);
      await seedStationHistory(registry, readings, DEMO_PROVINCE, profiles);
      logins = await seedDemoUsers(registry);
      const devices = await startProvinceDevices(DEMO_PROVINCE, profiles, {
        pollMs: opts.pollMs ?? DEMO_POLL_MS,
        publishMs: opts.publishMs ?? DEMO_PUBLISH_MS,
      });
      await credentialGateways(registry, devices.gateways);
      simulators = devices.simulators;
      return devices;
    },
  });
  const token = stack.registry.identity.issueToken({ kind: 'api', user: 'chicuc', ttlMs: 3_600_000 }).secret;
  return {
    ...stack,
    simulators,
    dataDir,
    logins,
    token,
    cycleMs: (opts.pollMs ?? DEMO_POLL_MS) + (opts.publishMs ?? DEMO_PUBLISH_MS) + DEMO_FLUSH_MS,
    api: (path, init = {}) =>
      fetch(new URL(path, stack.dashboardUrl), {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
      }),
    close: async () => {
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const DEMO_INSTRUMENTS = DEMO_PROVINCE.sites.flatMap((s) => s.instruments.map((i) => ({ ...i, org: s.org, gateway: s.gateway })));
