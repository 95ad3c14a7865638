import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client, type AuthenticateError } from 'aedes';
import type { Registry as MetricsRegistry } from 'prom-client';
import { silentLogger, type BrokerConfig, type Logger, type Service } from '../core/index.js';
import { brokerMetrics } from './metrics.js';

/**
 * The embedded MQTT broker (aedes) for single-process deployments and tests. It listens on
 * loopback unless configured otherwise. Access control plugs in through `BrokerAuth`; without
 * it every client on the listening address is trusted, which is why the default address is
 * 127.0.0.1.
 */
export interface Principal {
  kind: 'gateway' | 'lab' | 'org' | 'service';
  id: string;
  org?: string;
}

export { registryAuth, canPublish, canSubscribe, rulesFor } from './acl.js';
export { mosquittoFiles, mosquittoConf } from './mosquitto.js';
export { brokerMetrics } from './metrics.js';

export interface BrokerAuth {
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | null>;
  canPublish(principal: Principal, topic: string): boolean;
  canSubscribe(principal: Principal, topicFilter: string): boolean;
}

export interface BrokerHandle extends Service {
  port: number;
  url: string;
  aedes: Aedes;
  /** Refusals since start, by kind. */
  stats: { connects: number; refusedConnects: number; refusedPublishes: number; refusedSubscribes: number };
  /** Prometheus counters of `stats` (metronet_mqtt_refusals_total{kind}), for a /metrics endpoint. */
  metrics: MetricsRegistry;
}

export interface BrokerOptions extends BrokerConfig {
  logger?: Logger;
  auth?: BrokerAuth;
}

const principals = new WeakMap<Client, Principal>();

export async function start(opts: BrokerOptions): Promise<BrokerHandle> {
  const log = (opts.logger ?? silentLogger).child({ svc: 'broker' });
  const stats = { connects: 0, refusedConnects: 0, refusedPublishes: 0, refusedSubscribes: 0 };
  const auth = opts.auth;
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (!auth) return done(null, true);
      auth.authenticate(client.id, username, password).then(
        (p) => {
          if (!p) {
            stats.refusedConnects++;
            log.warn({ clientId: client.id, username }, 'MQTT connect refused: bad credentials');
            const err = new Error('bad user name or password') as AuthenticateError;
            err.returnCode = 4;
            return done(err, false);
          }
          principals.set(client, p);
          done(null, true);
        },
        (err: Error) => done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      if (!auth || !client) return done(null);
      const p = principals.get(client);
      if (p && auth.canPublish(p, packet.topic)) return done(null);
      stats.refusedPublishes++;
      log.warn({ clientId: client.id, principal: p && `${p.kind}:${p.id}`, topic: packet.topic }, 'MQTT publish refused by ACL');
      done(new Error(`publish to ${packet.topic} not allowed`));
    },
    authorizeSubscribe: (client, sub, done) => {
      if (!auth) return done(null, sub);
      const p = principals.get(client);
      if (p && auth.canSubscribe(p, sub.topic)) return done(null, sub);
      stats.refusedSubscribes++;
      log.warn({ clientId: client.id, principal: p && `${p.kind}:${p.id}`, topic: sub.topic }, 'MQTT subscribe refused by ACL');
      done(null, null); // SUBACK 0x80 for this filter; the connection stays up
    },
  });
  aedes.on('client', () => stats.connects++);
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));

  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  // TLS by certificate paths (issue 6): the same broker behind a TLS listener, mqtts://.
  const server: Server = opts.tls
    ? createTlsServer(
        {
          cert: readFileSync(opts.tls.cert),
          key: readFileSync(opts.tls.key),
          ...(opts.tls.ca ? { ca: readFileSync(opts.tls.ca), requestCert: true, rejectUnauthorized: false } : {}),
        },
        onSocket,
      )
    : createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${opts.tls ? 'mqtts' : 'mqtt'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  log.info({ url }, 'embedded MQTT broker listening');

  return {
    port,
    url,
    aedes,
    stats,
    metrics: brokerMetrics(() => stats, aedes),
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
