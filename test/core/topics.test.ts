import { describe, expect, it } from 'vitest';
import { parseTopic, topics, subscriptions } from '../../core/index.js';

describe('topics', () => {
  it('builds and parses every topic of the contract', () => {
    expect(topics.readings('org1', 'gw-bt-01')).toBe('metronet/v1/org1/gw-bt-01/readings');
    expect(parseTopic(topics.readings('org1', 'gw-bt-01'))).toEqual({ kind: 'readings', org: 'org1', gateway: 'gw-bt-01' });
    expect(parseTopic(topics.checks('o', 'g'))).toEqual({ kind: 'checks', org: 'o', gateway: 'g' });
    expect(parseTopic(topics.status('o', 'g'))).toEqual({ kind: 'status', org: 'o', gateway: 'g' });
    expect(parseTopic(topics.orgAlerts('o'))).toEqual({ kind: 'orgAlerts', org: 'o' });
    expect(parseTopic(topics.labAlerts('lab-1'))).toEqual({ kind: 'labAlerts', lab: 'lab-1' });
    expect(subscriptions.sharedReadings()).toBe('$share/metronet-ingest/metronet/v1/+/+/readings');
  });

  it('refuses what is not a metronet topic', () => {
    for (const t of [
      'metronet/v2/o/g/readings',
      'metronet/v1/o/g/other',
      'metronet/v1/o/g/readings/x',
      'metronet/v1/labs/g/readings',
      'metronet/v1/o/+/readings',
      'metronet/v1//g/readings',
    ]) {
      expect(parseTopic(t), t).toBeNull();
    }
  });
});
