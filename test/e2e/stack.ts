import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadProfiles, MetronetConfig, silentLogger } from '../../core/index.js';
import type { SimulatorHandle } from '../../simulators/index.js';
import { startStack, type Stack } from '../../cli/stack.js';
import { seedRegistry, seedStationHistory, startProvinceDevices } from '../../cli/demo.js';
import { DEMO_PROVINCE } from '../../cli/province.js';
import { credentialGateways, seedDemoUsers, type DemoLogin } from '../../cli/access.js';

export interface DemoStack extends Stack {
  simulators: Map<string, SimulatorHandle>;
  dataDir: string;
  /** The demo's sign-ins, one per role. */
  logins: DemoLogin[];
  /** An API token of the demo's authority user (sees the whole network). */
  token: string;
  /** fetch on the dashboard with that token. */
  api: (path: string, init?: RequestInit) => Promise<Response>;
}

/** The demo's exact composition on ephemeral ports and a temporary data folder. */
export async function startDemoStack(opts: { pollMs?: number; publishMs?: number } = {}): Promise<DemoStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'metronet-e2e-'));
  const config = loadConfig(MetronetConfig, { overrides: { dataDir, 'broker.port': 0, 'dashboard.port': 0, 'ingest.flushMs': 50 } });
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
      const devices = await startProvinceDevices(DEMO_PROVINCE, profiles, { pollMs: opts.pollMs ?? 200, publishMs: opts.publishMs ?? 200 });
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
    api: (path, init = {}) => fetch(new URL(path, stack.dashboardUrl), { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } }),
    close: async () => {
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const DEMO_INSTRUMENTS = DEMO_PROVINCE.sites.flatMap((s) => s.instruments.map((i) => ({ ...i, org: s.org, gateway: s.gateway })));
