import type { DeviceState, DeviceStats } from './poller.js';

/**
 * What every device loop (Modbus poller, serial scale) keeps about its device's health, and the
 * one way it is reported. The loops decide the transitions; this only holds and renders them.
 */
export class DeviceHealth {
  state: DeviceState = 'ok';
  lastError: string | undefined;
  /** When the device last answered, epoch ms. */
  lastOk: number | undefined;
  polls = 0;
  failures = 0;
  /** Consecutive polls in which the device did not answer at all; drives the backoff. */
  downStreak = 0;

  stats(device: { name: string; instrument: string }): DeviceStats {
    return {
      name: device.name,
      instrument: device.instrument,
      state: this.state,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastOk !== undefined ? { lastOk: this.lastOk } : {}),
      polls: this.polls,
      failures: this.failures,
    };
  }
}
