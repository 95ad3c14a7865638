import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { start, type BrokerAuth, type BrokerHandle } from '../../broker/index.js';
import { waitFor } from '../support/wait.js';

let broker: BrokerHandle | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const once = (client: mqtt.MqttClient) =>
  new Promise<{ topic: string; payload: string }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));

describe('embedded broker', () => {
  it('relays QoS 1 messages and keeps retained ones, on an ephemeral loopback port', async () => {
    broker = await start({ host: '127.0.0.1', port: 0 });
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'pub', reconnectPeriod: 0 });
    await pub.publishAsync('metronet/v1/o/g/status', '{"state":"online"}', { qos: 1, retain: true });
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'sub', reconnectPeriod: 0 });
    const retained = once(sub);
    await sub.subscribeAsync('metronet/v1/#', { qos: 1 });
    expect(await retained).toEqual({ topic: 'metronet/v1/o/g/status', payload: '{"state":"online"}' });
    const live = once(sub);
    await pub.publishAsync('metronet/v1/o/g/readings', 'x', { qos: 1 });
    expect((await live).topic).toBe('metronet/v1/o/g/readings');
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  });

  it('refuses bad credentials and enforces the ACL hooks, counting refusals', async () => {
    const auth: BrokerAuth = {
      authenticate: async (_id, username, password) =>
        username === 'gw-1' && password?.toString() === 'right' ? { kind: 'gateway', id: 'gw-1', org: 'o1' } : null,
      canPublish: (p, topic) => topic.startsWith(`metronet/v1/${p.org}/${p.id}/`),
      canSubscribe: () => false,
    };
    broker = await start({ host: '127.0.0.1', port: 0, auth });
    await expect(mqtt.connectAsync(broker.url, { username: 'gw-1', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    expect(broker.stats.refusedConnects).toBe(1);

    const gw = await mqtt.connectAsync(broker.url, { username: 'gw-1', password: 'right', reconnectPeriod: 0 });
    // SUBACK 0x80 for the refused filter [MQTT-3.9.3]; mqtt.js reports it as an error.
    await expect(gw.subscribeAsync('metronet/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(broker.stats.refusedSubscribes).toBe(1);
    await gw.publishAsync('metronet/v1/o1/gw-1/readings', '{}', { qos: 1 });
    // An MQTT 3.1.1 broker has no way to NACK a QoS 1 publish; aedes closes the connection.
    await gw.publishAsync('metronet/v1/o2/gw-9/readings', '{}', { qos: 0 }).catch(() => undefined);
    await waitFor(() => broker!.stats.refusedPublishes > 0, 'the refused publish counted');
    expect(broker.stats.refusedPublishes).toBe(1);
    await gw.endAsync(true);
  });
});
