import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import * as broker from '../../broker/index.js';
import * as analytics from '../../analytics/index.js';
import { sign } from '../../analytics/webhooks.js';
import { loadConfig, MetronetConfig, topics, validateAlert, type Alert } from '../../core/index.js';
import type { Registry } from '../../store/index.js';
import { waitFor } from '../support/wait.js';
import { DAY, T0, seededRegistry } from './support.js';

/**
 * The analytics service over a real broker and real HTTP: checks in on the checks topic (PUBACK
 * after commit), alerts out on the owner and lab topics and to HMAC-signed webhooks with retries.
 */
let mq: broker.BrokerHandle;
let svc: analytics.AnalyticsHandle;
let registry: Registry;
let cleanup: () => void;
let watcher: MqttClient;
let hooks: Server;
let hookUrl: string;
const clock = T0 + 10 * DAY;
const received: Array<{ topic: string; alert: Alert }> = [];
const posted: Array<{ signature: string; body: string }> = [];
const SECRET = 'a-webhook-secret-of-some-length';

beforeAll(async () => {
  ({ registry, cleanup } = seededRegistry());
  mq = await broker.start({ host: '127.0.0.1', port: 0 });
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/fail') return res.writeHead(500).end('down');
      posted.push({ signature: String(req.headers['x-metronet-signature']), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  registry.analytics.addWebhook('tdc', `${hookUrl}/ok`, SECRET);
  registry.analytics.addWebhook('lab1', `${hookUrl}/fail`, 'another-secret-0123456789');
  const config = loadConfig(MetronetConfig, {
    overrides: {
      'analytics.webhookBackoffMs': 10,
      'analytics.webhookMaxAttempts': 2,
      'analytics.clientId': 'analytics-test',
      'analytics.webhooks.allow': [new URL(hookUrl).host],
    },
  });
  svc = await analytics.start({ mqtt: { url: mq.url }, analytics: config.analytics, registry, now: () => clock });
  watcher = await mqtt.connectAsync(mq.url, { clientId: 'alert-watcher' });
  watcher.on('message', (topic, payload) => received.push({ topic, alert: JSON.parse(payload.toString()) as Alert }));
  await watcher.subscribeAsync([topics.orgAlerts('cho'), topics.labAlerts('lab1')], { qos: 1 });
});

afterAll(async () => {
  await watcher?.endAsync();
  await svc?.close();
  await mq?.close();
  await new Promise((r) => hooks?.close(r));
  cleanup?.();
});

const publishChecks = async (client: MqttClient, gateway: string, checks: unknown[], org = 'cho') =>
  client.publishAsync(topics.checks(org, gateway), JSON.stringify({ v: 1, gateway, checks }), { qos: 1 });

describe('analytics service', () => {
  it('stores checks from the checks topic and publishes the alert they raise to owner and lab, schema-valid', async () => {
    const gw = await mqtt.connectAsync(mq.url, { clientId: 'gw-1' });
    await publishChecks(gw, 'gw-1', [
      { instrument: 'SC-1', channel: 'gross', ts: T0 + DAY, reference: 'REF-20', indicated: 20.0021 },
      { instrument: 'SC-1', channel: 'gross', ts: T0 + 2 * DAY, reference: 'REF-20', indicated: 20.0351 },
    ]);
    await waitFor(() => registry.analytics.listChecks({ instrument: 'SC-1' }).length === 2, 'the checks to be stored');
    expect(registry.analytics.listChecks({ instrument: 'SC-1' }).map((c) => c.ts)).toEqual([T0 + DAY, T0 + 2 * DAY]);
    const oot = () => received.filter((r) => r.alert.kind === 'out_of_tolerance');
    await waitFor(() => oot().length >= 2, 'the alert on both topics');
    expect(
      oot()
        .map((r) => r.topic)
        .sort(),
    ).toEqual([topics.orgAlerts('cho'), topics.labAlerts('lab1')].sort());
    for (const r of received) {
      expect(validateAlert(r.alert), JSON.stringify(validateAlert.issues(r.alert))).toBe(true);
    }
    for (const r of oot()) expect(r.alert).toMatchObject({ event: 'opened', instrument: 'SC-1', channel: 'gross', org: 'cho', lab: 'lab1' });

    // Refused with reasons, the rest of the batch kept: foreign org, unknown standard.
    await publishChecks(gw, 'gw-1', [{ instrument: 'SC-1', channel: 'gross', ts: T0 + 3 * DAY, reference: 'REF-20', indicated: 20 }], 'other-org');
    await publishChecks(gw, 'gw-1', [
      { instrument: 'SC-1', channel: 'gross', ts: T0 + 4 * DAY, reference: 'NOPE', indicated: 20 },
      { instrument: 'SC-1', channel: 'gross', ts: T0 + 5 * DAY, reference: 'REF-20', indicated: 20.0001 },
    ]);
    await waitFor(() => registry.analytics.listChecks({ instrument: 'SC-1' }).length === 3, 'the valid rest of the batch');
    const codes = registry.listRejects({ gateway: 'gw-1' }).map((r) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['E_FOREIGN_INSTRUMENT', 'E_UNKNOWN_REFERENCE']));
    expect(registry.analytics.listChecks({ instrument: 'SC-1' })).toHaveLength(3);
    await gw.endAsync();
  });

  it('names each refused check by its position in the message, whether the schema or the engine refused it', async () => {
    const gw = await mqtt.connectAsync(mq.url, { clientId: 'gw-9' });
    await publishChecks(gw, 'gw-9', [
      { instrument: 'SC-1', channel: 'gross', ts: T0 + 7 * DAY, reference: 'REF-20', indicated: 'twenty' },
      { instrument: 'SC-1', channel: 'gross', ts: T0 + 7 * DAY, reference: 'NOPE', indicated: 20 },
    ]);
    await gw.publishAsync(topics.checks('cho', 'gw-9'), JSON.stringify({ v: 2, gateway: 'gw-9', checks: [] }), { qos: 1 });
    const rejects = await waitFor(() => {
      const r = registry.listRejects({ gateway: 'gw-9' });
      return r.length >= 3 && r;
    }, 'the rejects of gw-9');
    expect(rejects.map((r) => [r.code, r.field, r.instrument]).sort()).toEqual([
      ['E_SCHEMA', 'checks[0].indicated', 'SC-1'],
      ['E_UNKNOWN_REFERENCE', 'checks[1].reference', 'SC-1'],
      ['E_UNSUPPORTED_VERSION', 'v', null],
    ]);
    await gw.endAsync();
  });

  it('delivers HMAC-signed webhooks to the authority, retries a failing one and records it as failed', async () => {
    await waitFor(async () => {
      await svc.flushWebhooks();
      return posted.some((p) => p.body.includes('out_of_tolerance'));
    }, 'a webhook delivery');
    const { signature, body } = posted.find((p) => p.body.includes('out_of_tolerance'))!;
    const ts = Number(/t=(\d+)/.exec(signature)![1]);
    expect(signature).toBe(sign(SECRET, ts, body));
    expect(JSON.parse(body)).toMatchObject({ v: 1, kind: 'out_of_tolerance' });
    const failing = registry.analytics.listWebhooks('lab1')[0]!;
    const failed = await waitFor(async () => {
      await svc.flushWebhooks();
      const d = registry.analytics.listDeliveries({ webhook: failing.id, state: 'failed' });
      return d.length > 0 && d;
    }, 'the failing webhook to give up');
    expect(failed[0]).toMatchObject({ attempts: 2, lastStatus: 500, lastError: 'http-error' }); // the reason class; the status stays the operator's
  });

  it('keeps a persistent session: checks published while analytics is down are stored when it is back', async () => {
    await svc.close();
    const gw = await mqtt.connectAsync(mq.url, { clientId: 'gw-2' });
    await publishChecks(gw, 'gw-1', [{ instrument: 'SC-2', channel: 'gross', ts: T0 + 6 * DAY, reference: 'REF-20', indicated: 20.0002 }]);
    await gw.endAsync();
    expect(registry.analytics.listChecks({ instrument: 'SC-2' })).toHaveLength(0);
    const config = loadConfig(MetronetConfig, {
      overrides: {
        'analytics.webhookBackoffMs': 10,
        'analytics.webhookMaxAttempts': 2,
        'analytics.clientId': 'analytics-test',
        'analytics.webhooks.allow': [new URL(hookUrl).host],
      },
    });
    svc = await analytics.start({ mqtt: { url: mq.url }, analytics: config.analytics, registry, now: () => clock });
    await waitFor(() => registry.analytics.listChecks({ instrument: 'SC-2' }).length === 1, 'the check queued at the broker');
  });

  it('periodic evaluation: overdue, due soon, expired standard with impact analysis; cleared by a calibration', async () => {
    const cert = (n: number) => ({
      type: 'verification' as const,
      certificate: `KĐ-${n}`,
      results: [{ channel: 'gross', unit: 'kg', nominal: 20, asFound: 0.001, U: 0.002 }],
      references: ['REF-20'],
      authorisedBy: 'A',
    });
    svc.engine.recordCalibration('SC-1', { ...cert(1), date: T0 - 400 * DAY });
    svc.engine.recordCalibration('SC-2', { ...cert(2), date: T0 - 350 * DAY });
    received.length = 0;
    svc.evaluateNow();
    const live = registry.analytics.listAlerts({ state: 'live' }).items;
    expect(live.find((a) => a.kind === 'overdue')).toMatchObject({ instrument: 'SC-1', severity: 'critical' });
    expect(live.find((a) => a.kind === 'due_soon')).toMatchObject({ instrument: 'SC-2', severity: 'warning' });
    expect(live.find((a) => a.kind === 'standard_expired')).toMatchObject({ reference: 'REF-OLD', lab: 'lab1' });
    await waitFor(() => received.some((r) => r.alert.kind === 'overdue'), 'the overdue alert on MQTT');
    // Evaluating again changes nothing: one live alert per (instrument, channel, kind).
    svc.evaluateNow();
    expect(registry.analytics.listAlerts({ state: 'live', kind: 'overdue' }).total).toBe(1);
    svc.engine.recordCalibration('SC-1', { ...cert(3), date: clock });
    expect(registry.analytics.listAlerts({ state: 'live', kind: 'overdue' }).total).toBe(0);
    // Organisation recall lead time: SC-2 is due in 5 days; with a 3-day lead time it is not yet due soon.
    registry.analytics.setRecallLeadDays('cho', 3);
    svc.evaluateNow();
    expect(registry.analytics.listAlerts({ state: 'live', kind: 'due_soon' }).total).toBe(0);
  });
});
