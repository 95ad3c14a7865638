import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { mqttTls } from '../core/tls-files.js';
import { MetronetError, type Logger, type MqttConnection } from '../core/index.js';

/**
 * The MQTT side of ingest: a persistent session (`clean: false`, fixed client id) so QoS 1
 * messages published while ingest is down wait at the broker, and a PUBACK for each message
 * only once the batch writer has committed it.
 *
 * How the PUBACK is held back (mqtt.js 5.16, read in build/lib/handlers/publish.js):
 * - `customHandleAcks` is not usable: mqtt.js honours it only with protocolVersion 5 and
 *   otherwise replaces it with an immediate ack (client.js constructor; mqttjs/MQTT.js#1299,
 *   #1423), and the embedded aedes broker speaks MQTT 3.1.1 only (it refuses a v5 CONNECT).
 * - `client.handleMessage(packet, callback)` is the documented hook on every protocol version:
 *   for QoS 1 mqtt.js sends the PUBACK when the callback is called without an error, and sends
 *   none when it is called with one. But mqtt.js processes incoming packets one at a time and
 *   waits for that callback (and for customHandleAcks') before the next: holding it until the
 *   store commits would mean one message per store write, no batching across messages.
 * - So for QoS 1 the callback is called at once *with* a marker error, which frees mqtt.js to
 *   read on and suppresses its PUBACK, and our own PUBACK is written when the batch commits,
 *   through the client's `_sendPacket` (the method mqtt.js's handlers use to send theirs). It is
 *   internal API: if a release drops it we fall back to holding the callback (correct, slower),
 *   and test/ingest checks that no PUBACK leaves before the write.
 * - A PUBACK is only sent on the connection that delivered the message. After a reconnect the
 *   broker delivers unacknowledged messages again, and the store keeps each reading once.
 * - Backpressure: when too many readings wait for the store, the callback is held until there is
 *   room, which stops mqtt.js reading from the socket; the broker keeps the rest.
 */
export interface Intake {
  /** Judges and queues one message; resolves to the promise of its commit. Rejects: do not acknowledge. */
  accept(topic: string, payload: Buffer, retained: boolean): Promise<{ committed: Promise<unknown> }>;
  /** Undefined while the writer has room, else a promise of room. */
  room(): Promise<void> | undefined;
}

export interface SubscriberOptions {
  mqtt: MqttConnection;
  clientId: string;
  topics: string[];
  intake: Intake;
  log: Logger;
  onAck: () => void;
}

export interface Subscriber {
  /** Acknowledgements are deferred through the client (true) or by holding mqtt.js's callback (false). */
  readonly deferredAcks: boolean;
  /** Connected to the broker now (readiness). */
  readonly connected: boolean;
  /** Takes no more messages: those arriving now stay unacknowledged, for the next session. */
  stop(): void;
  /** Publishes on ingest's own connection (QoS 1, not retained); never throws, failures are logged. */
  publish(topic: string, payload: string): void;
  end(): Promise<void>;
}

type SendPacket = (packet: { cmd: 'puback'; messageId: number }) => void;

/** Passed to mqtt.js's callback: "handled, but send no PUBACK" (publish.js skips it on an error). */
const PUBACK_DEFERRED = new Error('PUBACK deferred until the message is stored');

export async function subscribe(o: SubscriberOptions): Promise<Subscriber> {
  const { log } = o;
  const client: MqttClient = connect(o.mqtt.url, {
    clientId: o.clientId,
    clean: false,
    protocolVersion: 4,
    username: o.mqtt.username,
    password: o.mqtt.password,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...mqttTls(o.mqtt),
  });
  const internal = (client as unknown as { _sendPacket?: unknown })._sendPacket;
  const sendPacket = typeof internal === 'function' ? (internal as SendPacket).bind(client) : undefined;
  if (!sendPacket) log.warn('mqtt.js has no _sendPacket; PUBACKs will hold message processing until each store write (slower, still correct)');

  let generation = 0;
  let stopping = false;

  const puback = (gen: number, messageId: number) => {
    if (gen !== generation || !client.connected) {
      log.debug({ messageId }, 'stored after its connection closed; not acknowledged, the broker delivers it again');
      return;
    }
    sendPacket?.({ cmd: 'puback', messageId });
    o.onAck();
  };

  client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
    if (stopping) return callback(new Error('ingest is closing')); // no PUBACK: the next session gets it
    const gen = generation;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    o.intake.accept(packet.topic, payload, packet.retain).then(
      ({ committed }) => {
        if (packet.qos === 1 && sendPacket) {
          committed.then(
            () => puback(gen, packet.messageId as number),
            () => undefined,
          );
          const room = o.intake.room();
          if (room) void room.then(() => callback(PUBACK_DEFERRED));
          else callback(PUBACK_DEFERRED);
        } else if (packet.qos === 0) {
          // Nothing to acknowledge; only backpressure applies.
          committed.catch(() => undefined);
          const room = o.intake.room();
          if (room) void room.then(() => callback());
          else callback();
        } else {
          // QoS 2 (not used by gateways), or no _sendPacket: mqtt.js acknowledges when called back.
          committed.then(
            () => {
              o.onAck();
              callback();
            },
            (err: Error) => callback(err),
          );
        }
      },
      (err: Error) => callback(err),
    );
  };

  // Synchronously on CONNACK: a persistent session's queued messages follow it at once (mqtt.js
  // handles them on process.nextTick, before any promise continuation could run).
  client.on('connect', (connack) => {
    generation++;
    log.info({ url: o.mqtt.url, sessionPresent: connack.sessionPresent }, 'MQTT connected');
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT client error'));
  client.on('offline', () => log.warn({ url: o.mqtt.url }, 'MQTT connection lost; reconnecting'));

  await new Promise<void>((resolve, reject) => {
    let warned = false;
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (err: Error & { code?: unknown }) => {
      if (typeof err.code !== 'number') {
        if (!warned) log.warn({ url: o.mqtt.url, err: err.message }, 'MQTT broker not reachable yet; retrying every second');
        warned = true;
        return;
      }
      // CONNACK refused: retrying the same credentials will not help.
      client.off('connect', onConnect);
      client.off('error', onError);
      client.end(true);
      const denied = [4, 5, 134, 135].includes(err.code);
      reject(
        new MetronetError(denied ? 'E_UNAUTHORIZED' : 'E_CONFIG_INVALID', `MQTT broker ${o.mqtt.url} refused ingest client "${o.clientId}": ${err.message}`),
      );
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });
  const granted = await client.subscribeAsync(Object.fromEntries(o.topics.map((t) => [t, { qos: 1 as const }])));
  const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
  if (refused.length > 0) {
    await client.endAsync(true);
    throw new MetronetError('E_FORBIDDEN', `MQTT broker refused ingest's subscription to ${refused.join(', ')}`);
  }
  log.info({ url: o.mqtt.url, clientId: o.clientId, topics: o.topics, deferredAcks: !!sendPacket }, 'ingest subscribed');

  return {
    deferredAcks: !!sendPacket,
    get connected() {
      return client.connected;
    },
    stop() {
      stopping = true;
    },
    publish(topic, payload) {
      if (stopping || !client.connected) return;
      client.publish(topic, payload, { qos: 1 }, (err) => {
        if (err) log.warn({ topic, err: err.message }, 'could not publish');
      });
    },
    async end() {
      await client.endAsync();
      client.removeAllListeners();
    },
  };
}
