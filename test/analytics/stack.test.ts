import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoStack, type DemoStack } from '../e2e/stack.js';

/** The demo composition (cli/stack.ts): analytics runs, the seeded history shows at once over HTTP. */
let stack: DemoStack;
const api = async <T>(path: string): Promise<T> => (await (await stack.api(`api/v1/${path}`)).json()) as T;

beforeAll(async () => {
  stack = await startDemoStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('analytics in the demo stack', () => {
  it('starts with the five demo situations visible in the API', async () => {
    const { items } = await api<{ items: Array<{ kind: string; subject: string }> }>('alerts?state=live&limit=500');
    const has = (kind: string, subject: string) => items.some((a) => a.kind === kind && a.subject === subject);
    expect(has('predicted_out_of_tolerance', 'SC-0003')).toBe(true);
    expect(has('out_of_tolerance', 'SC-0101')).toBe(true);
    expect(has('overdue', 'FD-0004')).toBe(true);
    expect(has('not_traceable', 'SC-0005')).toBe(true);
    expect(has('standard_expired', 'REF-M1-20KG-B')).toBe(true);
    const drift = await api<{ dueState: string; channels: Array<{ channel: string; trend: { predictedTs: number } | null; conformity: { zone: string } }> }>(
      'instruments/SC-0003/drift',
    );
    expect(drift.channels[0]).toMatchObject({ channel: 'gross', conformity: { zone: 'in' } });
    expect(drift.channels[0]!.trend!.predictedTs).toBeGreaterThan(Date.now());
    const ok = await api<{ dueState: string; channels: Array<{ conformity: { zone: string } }> }>('instruments/SC-0001/drift');
    expect(ok).toMatchObject({ dueState: 'ok', channels: [{ conformity: { zone: 'in' } }] });
    const refs = await api<{ items: Array<{ id: string; traceability: { traceable: boolean } }> }>('references');
    expect(refs.items.find((r) => r.id === 'REF-M1-20KG')!.traceability.traceable).toBe(true);
    expect(stack.analytics.stats()).toMatchObject({ checksRejected: 0 });
  });
});
