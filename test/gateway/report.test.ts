import { describe, expect, it } from 'vitest';
import type { Reading } from '../../core/index.js';
import { createReportFilter } from '../../gateway/report.js';

const at = (ts: number, value: number, channel = 'mass', status: Reading['status'] = 'ok'): Reading => ({
  instrument: 'SC-1',
  channel,
  ts,
  value,
  unit: 'kg',
  status,
});
const values = (rs: Reading[]) => rs.map((r) => r.value);

describe('reporting: periodic, on change with a deadband, or both', () => {
  it('poll (default) reports every reading', () => {
    const f = createReportFilter(undefined);
    expect(values(f([at(0, 1), at(1000, 1)]))).toEqual([1, 1]);
  });

  it('change: only moves beyond the deadband, compared with the last reported value, and status changes', () => {
    const f = createReportFilter({ mode: 'change', deadband: 0.01 });
    const out = [at(0, 20), at(1, 20.005), at(2, 20.009), at(3, 20.012), at(4, 20.012, 'mass', 'unstable')].flatMap((r) => f([r]));
    // 20.005 and 20.009 stay within 0.01 of 20; 20.012 is beyond it (creep adds up); a status change always reports.
    expect(out.map((r) => [r.value, r.status])).toEqual([
      [20, 'ok'],
      [20.012, 'ok'],
      [20.012, 'unstable'],
    ]);
  });

  it('both: on change, and at least every periodMs; per-channel overrides', () => {
    const f = createReportFilter({ mode: 'both', deadband: 1, periodMs: 10_000, channels: { tare: { mode: 'poll' } } });
    const out = [at(0, 5), at(5000, 5), at(10_000, 5), at(11_000, 7), at(12_000, 1, 'tare'), at(13_000, 1, 'tare')].flatMap((r) => f([r]));
    expect(out.map((r) => [r.ts, r.channel])).toEqual([
      [0, 'mass'],
      [10_000, 'mass'],
      [11_000, 'mass'],
      [12_000, 'tare'],
      [13_000, 'tare'],
    ]);
  });
});
