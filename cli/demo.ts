import type { GatewayConfig, Profile, Service } from '../core/index.js';
import { channelOf, getProfile } from '../core/index.js';
import { startSimulator, type SimulatorHandle } from '../simulators/index.js';
import type { Registry } from '../store/types.js';
import { DEMO_HISTORY, DEMO_LAB, DEMO_STANDARDS, type DemoProvince } from './province.js';
import { Engine } from '../analytics/engine.js';

/**
 * Registers the province's organisations, gateways, instruments and channels, then its
 * metrology history (standards, verifications, months of checks) — idempotent.
 */
export function seedRegistry(registry: Registry, province: DemoProvince, profiles: Map<string, Profile>): void {
  seedInstruments(registry, province, profiles);
  // Through an engine on the same registry: the alerts the history raises are stored like any
  // other; the running analytics service evaluates the time-based ones once seeding is done.
  seedAnalyticsHistory(registry, new Engine({ registry }));
}

function seedInstruments(registry: Registry, province: DemoProvince, profiles: Map<string, Profile>): void {
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

/**
 * Seeds months of check and calibration history through the analytics engine (the path API
 * checks take), once per data folder: standards, the lab's service, verifications and checks.
 */
export function seedAnalyticsHistory(registry: Registry, engine: Engine, now = Date.now(), seed = 996): void {
  const a = registry.analytics;
  if (a.listCalibrations(DEMO_HISTORY[0]!.instrument).length > 0) return; // seeded on an earlier start
  const day = 86_400_000;
  for (const s of DEMO_STANDARDS) {
    const calibratedOn = now - s.calibratedDaysAgo * day;
    a.upsertReference({ id: s.id, lab: DEMO_LAB, quantity: s.quantity, unit: s.unit, nominal: s.nominal, value: s.value, U: s.U, k: 2, class: s.class, certificate: `CERT-${s.id}`, calibratedOn, due: calibratedOn + s.validDays * day, parent: s.parent });
  }
  let rnd = seed;
  const noise = () => {
    // Deterministic standard normal (Box–Muller on a small LCG): the demo looks the same every time.
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    const u1 = (rnd + 1) / (2 ** 31 + 1);
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    const u2 = rnd / 2 ** 31;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  for (const h of DEMO_HISTORY) {
    if (!registry.getInstrument(h.instrument)) continue;
    a.setService({ instrument: h.instrument, lab: DEMO_LAB, intervalDays: null });
    a.setChannelMetrology({ instrument: h.instrument, channel: h.channel, tolerance: h.tolerance, repeatability: h.repeatability, analyser: h.analyser ?? false });
    const std = DEMO_STANDARDS.find((s) => s.id === h.reference)!;
    const verified = now - h.verifiedDaysAgo * day;
    const goodRef = DEMO_STANDARDS.find((s) => s.quantity === std.quantity && s.nominal === std.nominal && s.calibratedDaysAgo + 0 < s.validDays && s.id !== 'REF-M1-20KG-B') ?? std;
    engine.recordCalibration(h.instrument, {
      type: 'verification',
      date: verified,
      certificate: `KĐ-${new Date(verified).getUTCFullYear()}-${h.instrument}`,
      procedure: h.tolerance.model === 'oiml-r117' ? 'ĐLVN 10:2017' : h.tolerance.model === 'oiml-r76' ? 'ĐLVN 16:2009' : 'QCVN 41:2011/BTNMT',
      conditions: { temperatureC: 27, humidityPct: 72 },
      results: [{ channel: h.channel, unit: std.unit, nominal: std.nominal, reference: goodRef.value, asFound: h.repeatability, asLeft: 0, U: 2 * h.repeatability }],
      references: [goodRef.id],
      authorisedBy: 'Trần Thị Lan (trưởng phòng kiểm định)',
    });
    const checks = [];
    for (let d = h.everyDays; d <= h.verifiedDaysAgo - 1; d += h.everyDays) {
      const ts = verified + d * day;
      let error = noise() * h.repeatability;
      if (h.scenario === 'drifting') error += (h.driftPerDay ?? 0) * d;
      checks.push({ instrument: h.instrument, channel: h.channel, ts, reference: h.reference, indicated: std.value + error });
    }
    if (h.scenario === 'out_of_tolerance' && checks.length > 0) checks[checks.length - 1]!.indicated = std.value + (h.finalError ?? 0);
    if (h.scenario === 'expired_standard') {
      // Good checks with the valid 20 kg weight, then one against the expired spare weight.
      const last = checks.pop()!;
      for (const c of checks) c.reference = 'REF-M1-20KG';
      checks.push(last);
    }
    engine.submitChecks({ checks: checks.map((c) => ({ ...c, indicated: Math.round(c.indicated * 1e6) / 1e6 })), source: 'api', by: 'demo-seed' });
  }
}
