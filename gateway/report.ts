import type { Reading, ReportConfig } from '../core/index.js';

/**
 * Which readings of a poll are reported (issue 3, "Reporting"): every poll (`poll`, the default),
 * only when a value moves by more than its deadband or its status changes (`change`), or on
 * change and at least every periodMs (`both`). Per device, with per-channel overrides. The
 * comparison is with the last *reported* value, so a slow creep below the deadband per poll is
 * still reported once it adds up (as IEC 61850 deadbanded values and OPC UA's deadband filter do).
 */
export type ReportFilter = (readings: Reading[]) => Reading[];

export function createReportFilter(config: ReportConfig | undefined): ReportFilter {
  if (!config || ((config.mode ?? 'poll') === 'poll' && !config.channels)) return (r) => r;
  const last = new Map<string, { value: number; status: string; ts: number }>();
  return (readings) =>
    readings.filter((r) => {
      const rule = { ...config, ...config.channels?.[r.channel] };
      const mode = rule.mode ?? 'poll';
      if (mode === 'poll') return true;
      const prev = last.get(r.channel);
      const changed = !prev || prev.status !== r.status || Math.abs(r.value - prev.value) > (rule.deadband ?? 0);
      const due = mode === 'both' && (!prev || r.ts - prev.ts >= (rule.periodMs ?? 60_000));
      if (!changed && !due) return false;
      last.set(r.channel, { value: r.value, status: r.status, ts: r.ts });
      return true;
    });
}
