import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client, type AuthenticateError } from 'aedes';
import type { Registry as MetricsRegistry } from 'prom-client';
import { BROKER_DEFAULTS, isInstance, silentLogger, type BrokerConfig, type Logger, type Service } from '../core/index.js';
import { SignInAttempts } from '../core/attempts.js';
import { brokerMetrics, type BrokerStats } from './metrics.js';
import { GatedSocket, SerialByKey, TokenBuckets, type GateRefusal } from './limits.js';

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
  stats: BrokerStats;
  /** Prometheus counters of `stats` (metronet_mqtt_refusals_total{kind}), for a /metrics endpoint. */
  metrics: MetricsRegistry;
}

/** The limits of issue 16 (broker/limits.ts); each defaults to BROKER_DEFAULTS. */
type LimitKey =
  | 'maxPacketBytes'
  | 'maxConnections'
  | 'connectTimeoutMs'
  | 'maxConnectBytes'
  | 'maxConnectionsPerLogin'
  | 'publishesPerSecond'
  | 'publishBurst'
  | 'authAttemptsPerLogin'
  | 'authAttemptsPerAddress';

export interface BrokerOptions extends Omit<BrokerConfig, LimitKey>, Partial<Pick<BrokerConfig, LimitKey>> {
  logger?: Logger;
  auth?: BrokerAuth;
}

/** A CONNACK refusal with an MQTT 3.1.1 return code (3 server unavailable, 4 bad user name or password). */
const refusal = (message: string, returnCode: 3 | 4) => Object.assign(new Error(message), { returnCode }) as AuthenticateError;

const principals = new WeakMap<Client, Principal>();

export async function start(opts: BrokerOptions): Promise<BrokerHandle> {
  const log = (opts.logger ?? silentLogger).child({ svc: 'broker' });
  const limits = { ...BROKER_DEFAULTS, ...definedOf(opts) };
  const stats: BrokerStats = {
    connects: 0,
    refusedConnects: 0,
    refusedPublishes: 0,
    refusedSubscribes: 0,
    throttledConnects: 0,
    refusedConnectionsPerLogin: 0,
    refusedPackets: 0,
    refusedUnauthenticated: 0,
    refusedPublishRate: 0,
  };
  const auth = opts.auth;
  // Failed sign-ins (issue 16, item 1): counted as they start, per (login, address) and per address,
  // delays doubling from 1 s up to 15 minutes (core/attempts.ts).
  const attempts = new SignInAttempts({ perUserAddress: limits.authAttemptsPerLogin, perAddress: limits.authAttemptsPerAddress, maxDelayMs: 15 * 60_000 });
  const turns = new SerialByKey();
  const connectionsOf = new Map<string, Set<Client>>();
  const publishes = new TokenBuckets(limits.publishesPerSecond, limits.publishBurst);
  const gateOf = (client: Client) => (isInstance(client.conn, GatedSocket) ? client.conn : undefined);

  /** Signs in: throttle, password, connections per login; then the gate lifts its pre-sign-in limits. */
  const signIn = async (client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> => {
    const gate = gateOf(client);
    const address = gate?.remoteAddress ?? 'unknown';
    if (!auth) {
      if (gate) gate.scanner.signedIn = true;
      return null;
    }
    const login = username ?? '';
    const p = await turns.run(address, async () => {
      if (client.closed) return undefined; // gave up (or was closed) while waiting its turn: nothing to count
      const throttled = attempts.begin(login, address);
      if (throttled) {
        stats.throttledConnects++;
        log.warn({ clientId: client.id, username, address, retryAfterS: Math.ceil(throttled.waitMs / 1000) }, 'MQTT connect refused: sign-in throttled');
        return refusal('too many sign-in attempts; wait', 3);
      }
      const principal = await auth.authenticate(client.id, username, password);
      if (principal) attempts.succeeded(login, address);
      return principal;
    });
    if (p === undefined) return refusal('connection closed while signing in', 3);
    if (isInstance(p, Error)) return p;
    if (!p) {
      stats.refusedConnects++;
      log.warn({ clientId: client.id, username, address }, 'MQTT connect refused: bad credentials');
      return refusal('bad user name or password', 4);
    }
    const open = connectionsOf.get(login) ?? new Set<Client>();
    if (open.size >= limits.maxConnectionsPerLogin) {
      stats.refusedConnectionsPerLogin++;
      log.warn({ clientId: client.id, username, address, open: open.size }, 'MQTT connect refused: connections per login reached');
      return refusal('too many connections for this login', 3);
    }
    open.add(client);
    connectionsOf.set(login, open);
    (gate ?? client.conn).once('close', () => {
      open.delete(client);
      if (open.size === 0 && connectionsOf.get(login) === open) connectionsOf.delete(login);
    });
    principals.set(client, p);
    if (gate) gate.scanner.signedIn = true;
    return null;
  };

  const aedes = await Aedes.createBroker({
    // aedes's own timer runs until CONNECT has arrived; ours (onSocket) until the client is signed in.
    connectTimeout: limits.connectTimeoutMs,
    authenticate: (client, username, password, done) => {
      signIn(client, username, password).then(
        (err) => (err ? done(err, false) : done(null, true)),
        (err: Error) => done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, false),
      );
    },
    authorizePublish: (client, packet, done) => {
      if (!auth || !client) return done(null);
      const p = principals.get(client);
      if (p?.kind === 'gateway' && !publishes.take(`${p.kind}:${p.id}`)) {
        stats.refusedPublishRate++;
        log.warn({ clientId: client.id, principal: `${p.kind}:${p.id}` }, 'MQTT publish refused: publish rate exceeded; disconnecting');
        return done(new Error('publish rate exceeded'));
      }
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
    const address = socket.remoteAddress;
    const gate = new GatedSocket(socket, limits, (why: GateRefusal) => {
      if (why === 'packet_size' || why === 'malformed') stats.refusedPackets++;
      else stats.refusedUnauthenticated++;
      log.warn({ address, reason: why, maxPacketBytes: limits.maxPacketBytes }, 'MQTT connection closed: packet refused before it was read');
    });
    // Signed in within connectTimeoutMs, or closed (a slow CONNECT, or none at all).
    const timer = setTimeout(() => {
      if (gate.scanner.signedIn) return;
      stats.refusedUnauthenticated++;
      log.warn({ address, timeoutMs: limits.connectTimeoutMs }, 'MQTT connection closed: not signed in in time');
      gate.destroy();
    }, limits.connectTimeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      sockets.delete(socket);
    });
    aedes.handle(gate);
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
  server.maxConnections = limits.maxConnections;
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

/** The options that are set (an explicit undefined does not hide a default). */
function definedOf(o: BrokerOptions): Partial<BrokerConfig> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<BrokerConfig>;
}
