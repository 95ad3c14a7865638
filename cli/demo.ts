import type { GatewayConfig, Profile, Service } from '../core/index.js';
import { channelOf, getProfile } from '../core/index.js';
import { startSimulator, type SimulatorHandle } from '../simulators/index.js';
import type { Registry } from '../store/types.js';
import type { DemoProvince } from './province.js';

/** Registers the province's organisations, gateways, instruments and channels (idempotent). */
export function seedRegistry(registry: Registry, province: DemoProvince, profiles: Map<string, Profile>): void {
  for (const org of province.orgs) registry.upsertOrg(org);
  for (const site of province.sites) {
    registry.upsertGateway({ id: site.gateway, org: site.org, name: site.site });
    for (const inst of site.instruments) {
      const profile = getProfile(profiles, inst.profile);
      registry.upsertInstrument({
        id: inst.id,
        org: site.org,
        registration: 'registered',
        kind: inst.kind,
        name: inst.name,
        serial: inst.serial,
        gateway: site.gateway,
        profile: inst.profile,
        site: site.site,
      });
      for (const p of profile.points) {
        if ((p.role ?? 'value') !== 'status') registry.ensureChannel(inst.id, channelOf(p), p.unit);
      }
    }
  }
}

/** Starts one Modbus TCP simulator per instrument and returns the gateway configs that poll them. */
export async function startProvinceDevices(
  province: DemoProvince,
  profiles: Map<string, Profile>,
  opts: { seed?: number; pollMs?: number; publishMs?: number } = {},
): Promise<{ gateways: GatewayConfig[]; services: Service[]; simulators: Map<string, SimulatorHandle> }> {
  const services: Service[] = [];
  const simulators = new Map<string, SimulatorHandle>();
  const gateways: GatewayConfig[] = [];
  let n = 0;
  try {
    for (const site of province.sites) {
      const devices: GatewayConfig['devices'] = [];
      for (const inst of site.instruments) {
        const sim = await startSimulator({
          profile: getProfile(profiles, inst.profile),
          port: 0,
          seed: (opts.seed ?? 996) + n++,
          drift: inst.driftPerDay ? { kind: 'linear', perDay: inst.driftPerDay } : undefined,
        });
        services.push(sim);
        simulators.set(inst.id, sim);
        devices.push({
          name: inst.id.toLowerCase(),
          instrument: inst.id,
          profile: inst.profile,
          transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 1000 },
          pollMs: opts.pollMs ?? 1000,
        });
      }
      gateways.push({ id: site.gateway, org: site.org, mqtt: { url: 'mqtt://127.0.0.1:1883' }, publishMs: opts.publishMs ?? 1000, maxBatch: 1000, devices });
    }
  } catch (err) {
    for (const s of services.reverse()) await s.close();
    throw err;
  }
  return { gateways, services, simulators };
}
