import { connectAsync, type MqttClient } from 'mqtt';
import { start as startBroker, type BrokerHandle } from '../../broker/index.js';
import { parseTopic, type Reading, type ReadingsBatch } from '../../core/index.js';

export interface Collector {
  client: MqttClient;
  batches: ReadingsBatch[];
  readings(instrument?: string): Reading[];
  close(): Promise<void>;
}

/** A QoS 1 subscriber to every readings topic, keeping batches in arrival order. */
export async function collect(url: string, id = `collector-${Math.random().toString(16).slice(2)}`): Promise<Collector> {
  const client = await connectAsync(url, { clientId: id, reconnectPeriod: 0 });
  const batches: ReadingsBatch[] = [];
  client.on('message', (topic, payload) => {
    if (parseTopic(topic)?.kind === 'readings') batches.push(JSON.parse(payload.toString()) as ReadingsBatch);
  });
  await client.subscribeAsync('metronet/v1/+/+/readings', { qos: 1 });
  return {
    client,
    batches,
    readings: (instrument) => batches.flatMap((b) => b.readings).filter((r) => !instrument || r.instrument === instrument),
    close: () => client.endAsync().then(() => undefined),
  };
}

export async function broker(port = 0): Promise<BrokerHandle> {
  return startBroker({ host: '127.0.0.1', port });
}
