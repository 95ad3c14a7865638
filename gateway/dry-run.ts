import { isMetronetError, silentLogger, type Logger, type Profile } from '../core/index.js';
import { checkGateway } from './check.js';
import { createDeviceDecoder } from './decode.js';
import { Drivers, isBusy } from './drivers/index.js';
import { describePlan } from './plan.js';
import { planDevices } from './devices.js';
import { ScalePoller } from './serial/scale-poller.js';

export interface DryRunDevice {
  device: string;
  instrument: string;
  profile: string;
  plan: ReturnType<typeof describePlan> | { serial: string } | { files: string };
  /** Decoded points by name (Modbus) or the parsed frame (serial). */
  values?: Record<string, unknown>;
  readings?: number;
  errors: string[];
}

/**
 * `metronet gateway --dry-run`: polls every device once, prints the request plan and what was
 * decoded, and publishes nothing (no broker, no spool). For commissioning a site: wrong word
 * order, address base or unit id show up here as absurd values or named exceptions.
 */
export async function dryRun(raw: unknown, profiles: Map<string, Profile>, logger: Logger = silentLogger): Promise<DryRunDevice[]> {
  const config = checkGateway(raw, profiles);
  const devices = planDevices(config, profiles, undefined, logger);
  const drivers = new Drivers();
  const out: DryRunDevice[] = [];
  try {
    for (const { device, profile, requests } of devices) {
      const row: DryRunDevice = { device: device.name, instrument: device.instrument, profile: profile.id, plan: describePlan(requests), errors: [] };
      out.push(row);
      if (device.transport.kind === 'file-import') {
        row.plan = { files: `${device.transport.dir} (${device.transport.pattern})` };
        continue;
      }
      if (device.transport.kind === 'serial-ascii') {
        row.plan = { serial: `${profile.serial!.mode} ${profile.serial!.parser} on ${device.transport.path}` };
        const scale = new ScalePoller({ device: { ...device, transport: device.transport }, profile, onReadings: () => undefined, logger });
        try {
          const { frame, readings } = await scale.pollOnce();
          row.values = { ...frame };
          row.readings = readings.length;
        } catch (err) {
          row.errors.push((err as Error).message);
        } finally {
          await scale.stop();
        }
        continue;
      }
      const driver = drivers.for(device, device.requestPauseMs ?? profile.modbus?.requestPauseMs ?? 0);
      const results = [];
      for (const request of requests) {
        for (let attempt = 0; ; attempt++) {
          try {
            results.push({ request, registers: await driver.read(request.table, request.start, request.length), ts: Date.now() });
            break;
          } catch (err) {
            if (isMetronetError(err) && isBusy(err) && attempt < (device.busyRetries ?? 3)) continue; // as the poller does
            row.errors.push(isMetronetError(err) ? err.message : String(err));
            break;
          }
        }
      }
      await driver.close();
      const decoded = createDeviceDecoder(profile, device.instrument, requests, device.wordOrder).decode(results);
      row.values = decoded.values;
      row.readings = decoded.readings.length;
    }
  } finally {
    await drivers.close();
  }
  return out;
}
