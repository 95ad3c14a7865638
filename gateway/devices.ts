import { getProfile, type GatewayConfig, type Logger, type Profile } from '../core/index.js';
import { describePlan, planRequests, type PlanOptions } from './plan.js';

/** Each device with its profile and, for Modbus, its request plan (logged: STYLE.md 3). */
export function planDevices(config: GatewayConfig, profiles: Map<string, Profile>, plan: PlanOptions | undefined, log: Logger) {
  return config.devices.map((device) => {
    const profile = getProfile(profiles, device.profile);
    if (device.transport.kind === 'file-import') {
      log.info(
        { device: device.name, instrument: device.instrument, profile: profile.id, files: { dir: device.transport.dir, pattern: device.transport.pattern } },
        'device file-import plan',
      );
      return { device, profile, requests: [] };
    }
    if (device.transport.kind === 'serial-ascii') {
      log.info(
        { device: device.name, instrument: device.instrument, profile: profile.id, serial: { mode: profile.serial!.mode, parser: profile.serial!.parser } },
        'device serial plan',
      );
      return { device, profile, requests: [] };
    }
    const requests = planRequests(profile, {
      ...plan,
      ...(device.maxHole !== undefined ? { maxHole: device.maxHole } : {}),
      ...(device.maxRegisters !== undefined ? { maxRegisters: device.maxRegisters } : {}),
      ...(device.onePerPoint !== undefined ? { onePerPoint: device.onePerPoint } : {}),
    });
    log.info({ device: device.name, instrument: device.instrument, profile: profile.id, requests: describePlan(requests) }, 'device request plan');
    return { device, profile, requests };
  });
}
