import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { withActor } from '../core/actor.js';
import { mqttTls } from '../core/tls-files.js';
import {
  LIMITS,
  MetronetError,
  parseTopic,
  preview,
  silentLogger,
  subscriptions,
  topics,
  validateCheck,
  type Alert,
  type AnalyticsConfig,
  type Check,
  type Logger,
  type MqttConnection,
  type Service,
} from '../core/index.js';
import { isTransientStoreError, type AlertChange, type ReadingsStore, type Registry, type RejectRecord } from '../store/index.js';
import { Engine } from './engine.js';
import { StationMonitor } from './station-monitor.js';
import { WebhookDeliverer, queueWebhooks } from './webhooks.js';
import { analyticsMetrics } from './metrics.js';
import type { Registry as MetricsRegistry } from 'prom-client';

export { Engine } from './engine.js';
export type { CalibrationInput, CheckResult, CheckSubmission, DriftView, DriftChannel } from './engine.js';
export { toAlertMessage } from './message.js';
export { queueWebhooks } from './webhooks.js';
export { analyticsMetrics, type AnalyticsCounts } from './metrics.js';
export { StationMonitor, type StationSummary, type StationParameter, type StationState } from './station-monitor.js';
export * from './stations.js';
import { toAlertMessage } from './message.js';

/**
 * The analytics service: checks from `metronet/v1/+/+/checks` (each PUBACK only after the
 * checks are committed, like ingest), the engine's decisions, the periodic evaluation, and
 * alert delivery on MQTT (owner and lab topics) and webhooks (owner, lab, authorities).
 */
export interface AnalyticsOptions {
  mqtt: MqttConnection;
  analytics: AnalyticsConfig;
  registry: Registry;
  logger?: Logger;
  now?: () => number;
  /** Subscribe to the checks topic (default true). */
  subscribe?: boolean;
  /** Readings store: with it, environmental stations are watched (gaps, exceedances; issue 8). */
  readings?: ReadingsStore;
  /** Longest wait between two station evaluations (default 30 s); a gap deadline wakes it sooner. */
  stationsEveryMs?: number;
  /** Another process decides on the same registry (a dashboard taking API checks): see EngineOptions.sharedRegistry. */
  sharedRegistry?: boolean;
}

export interface AnalyticsHandle extends Service {
  engine: Engine;
  /** Station monitor, when a readings store was given. */
  stations?: StationMonitor;
  /** Runs the periodic evaluation now. */
  evaluateNow(): void;
  /** Sends due webhook deliveries now. */
  flushWebhooks(): Promise<void>;
  stats(): { checksReceived: number; checksStored: number; checksRejected: number; alertsPublished: number };
  /** Prometheus metrics: checks, alert deliveries, webhook queue (analytics/metrics.ts). */
  metrics: MetricsRegistry;
  /** Connected to the broker (or not subscribing at all): for readiness. */
  connected(): boolean;
}

/**
 * SUBSCRIBE, again after each reconnect until a SUBACK comes. A persistent session's backlog is
 * delivered right after CONNACK and judged synchronously; on a slow machine that can hold the
 * event loop past the keepalive, the connection drops before the SUBACK, and mqtt.js rejects the
 * subscription with "Connection closed". That is no reason to exit: the reconnect resumes the
 * session (test/faults/analytics-kill.test.ts).
 */
async function subscribeThroughReconnects(client: MqttClient, subs: Record<string, { qos: 1 }>, log: Logger) {
  for (;;) {
    try {
      return await client.subscribeAsync(subs);
    } catch (err) {
      if (client.disconnecting) throw err;
      log.warn({ err: (err as Error).message }, 'subscription interrupted by a lost connection; subscribing again after the reconnect');
      if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    }
  }
}

export async function start(o: AnalyticsOptions): Promise<AnalyticsHandle> {
  const log = (o.logger ?? silentLogger).child({ svc: 'analytics' });
  const now = o.now ?? Date.now;
  const cfg = o.analytics;
  const stats = { checksReceived: 0, checksStored: 0, checksRejected: 0, alertsPublished: 0 };
  const delivery = { mqttDelivered: 0, mqttFailed: 0, evaluations: 0 };
  let client: MqttClient | undefined;

  const deliver = (change: AlertChange) => {
    const msg: Alert = toAlertMessage(change);
    const body = JSON.stringify(msg);
    const a = change.alert;
    try {
      queueWebhooks(o.registry, change, body);
    } catch (err) {
      log.error({ err, alert: a.id }, 'could not queue webhook deliveries');
    }
    const targets = [a.org && a.org !== a.lab ? topics.orgAlerts(a.org) : null, a.lab ? topics.labAlerts(a.lab) : null].filter((t): t is string => !!t);
    if (client?.connected) {
      for (const t of targets) {
        client.publish(t, body, { qos: 1 }, (err) => {
          if (!err) return void delivery.mqttDelivered++;
          delivery.mqttFailed++;
          log.warn({ err: err.message, topic: t }, 'alert publish failed');
        });
      }
      stats.alertsPublished++;
    } else if (client) delivery.mqttFailed += targets.length;
    log.info({ alert: a.id, kind: a.kind, event: change.event, subject: a.subject, channel: a.channel }, a.message);
  };

  const engine = new Engine({ registry: o.registry, config: cfg, now, onAlert: deliver, logger: log, sharedRegistry: o.sharedRegistry });
  // Retries run on the wall clock, whatever clock decisions use.
  const webhooks = new WebhookDeliverer({ store: o.registry.analytics, log, now: Date.now, maxAttempts: cfg.webhookMaxAttempts, backoffMs: cfg.webhookBackoffMs, timeoutMs: cfg.webhookTimeoutMs });

  const handleChecks = (topic: string, payload: Buffer): void => {
    stats.checksReceived++;
    const t = parseTopic(topic);
    const base = { ts: now(), org: t && 'org' in t ? t.org : null, gateway: t && 'gateway' in t ? t.gateway : null };
    const reject = (r: Omit<RejectRecord, 'ts' | 'org' | 'gateway'>) => {
      stats.checksRejected++;
      o.registry.recordRejects([{ ...base, ...r }]);
    };
    if (!t || t.kind !== 'checks') return reject({ code: 'E_TOPIC_INVALID', field: '(topic)', value: topic.slice(0, 200), message: `analytics takes only checks topics, got "${topic}"` });
    if (payload.length > LIMITS.maxMessageBytes) return reject({ code: 'E_PAYLOAD_TOO_LARGE', field: '(payload)', value: payload.length, message: `payload is ${payload.length} bytes; the limit is ${LIMITS.maxMessageBytes}` });
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch (err) {
      return reject({ code: 'E_MALFORMED_JSON', field: '(payload)', value: preview(payload.toString(), 40), message: `checks payload is not valid JSON: ${(err as Error).message}` });
    }
    const env = json as { v?: unknown; gateway?: unknown; checks?: unknown };
    if (env?.v !== 1 || !Array.isArray(env.checks)) return reject({ code: 'E_SCHEMA', field: '(payload)', message: 'a checks batch is {"v":1,"gateway","checks":[…]}' });
    if (env.gateway !== t.gateway) return reject({ code: 'E_GATEWAY_MISMATCH', field: 'gateway', value: preview(env.gateway), message: `gateway "${String(env.gateway)}" differs from the topic gateway "${t.gateway}"` });
    const valid: Check[] = [];
    env.checks.slice(0, LIMITS.maxChecksPerBatch).forEach((c: unknown, i: number) => {
      if (validateCheck(c)) valid.push(c);
      else for (const issue of validateCheck.issues(c, `checks[${i}]`)) reject(issue);
    });
    // The gateway is the actor of the checks it sends (audit trail, issue 6).
    const result = withActor(`gateway:${t.gateway}`, () => engine.submitChecks({ checks: valid, source: 'mqtt', org: t.org, by: t.gateway }));
    stats.checksStored += result.stored.length;
    for (const r of result.rejects) reject({ ...r, field: `checks[${r.index}].${r.field ?? ''}`, instrument: valid[r.index]?.instrument ?? null });
  };

  if (o.subscribe !== false) {
    client = connect(o.mqtt.url, { clientId: cfg.clientId, clean: false, protocolVersion: 4, username: o.mqtt.username, password: o.mqtt.password, reconnectPeriod: 1000, ...mqttTls(o.mqtt) });
    // Checks are few (ARCHITECTURE.md: ~12/s for a country) and SQLite commits synchronously, so
    // the simple correct path serves: mqtt.js sends the PUBACK when this callback returns without
    // error, which is after the commit. An unavailable store withholds it: the broker redelivers.
    client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => {
      try {
        handleChecks(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
        callback();
      } catch (err) {
        if (isTransientStoreError(err)) {
          log.error({ err: (err as Error).message, topic: packet.topic }, 'registry unavailable; checks not acknowledged, the broker delivers them again');
          callback(err as Error);
          return;
        }
        log.error({ err, topic: packet.topic }, 'analytics failed on a checks message; acknowledged so it cannot block the broker');
        callback();
      }
    };
    client.on('error', (err) => log.warn({ err: err.message }, 'MQTT client error'));
    await new Promise<void>((resolve, reject) => {
      client!.once('connect', () => resolve());
      client!.once('error', (err: Error & { code?: unknown }) => {
        if (typeof err.code === 'number') reject(new MetronetError('E_UNAUTHORIZED', `MQTT broker ${o.mqtt.url} refused analytics: ${err.message}`));
      });
    });
    const granted = await subscribeThroughReconnects(client, { [subscriptions.allChecks]: { qos: 1 } }, log);
    if (granted.some((g) => g.qos === 128)) throw new MetronetError('E_FORBIDDEN', `MQTT broker refused analytics' subscription to ${subscriptions.allChecks}`);
    log.info({ topic: subscriptions.allChecks }, 'analytics subscribed');
  }

  const evaluateNow = () => {
    try {
      const r = engine.evaluatePeriodic();
      delivery.evaluations++;
      log.debug({ instruments: r.instruments, changes: r.changes.length }, 'periodic evaluation');
    } catch (err) {
      log.error({ err }, 'periodic evaluation failed; retried at the next period');
    }
  };
  evaluateNow();
  const timer = setInterval(evaluateNow, cfg.evaluateEveryMs);
  webhooks.start();

  // Stations: evaluated every stationsEveryMs, and exactly when the earliest station would go
  // quiet (last record + interval + tolerance), so a gap is alerted without waiting a period.
  const stations = o.readings ? new StationMonitor({ registry: o.registry, readings: o.readings, now, notify: (c) => engine.notify(c) }) : undefined;
  let stationTimer: NodeJS.Timeout | undefined;
  let stationRun: Promise<void> | undefined;
  let stopped = false;
  const evaluateStations = async (): Promise<void> => {
    if (!stations || stopped) return;
    let next: number | null = null;
    try {
      next = (await stations.evaluate()).nextDeadline;
    } catch (err) {
      log.error({ err }, 'station evaluation failed; retried at the next period');
    }
    if (stopped) return;
    const every = o.stationsEveryMs ?? 30_000;
    const wait = next === null ? every : Math.max(50, Math.min(every, next - now()));
    stationTimer = setTimeout(() => void (stationRun = evaluateStations()), wait);
  };
  stationRun = evaluateStations();

  let closing: Promise<void> | undefined;
  return {
    engine,
    stations,
    evaluateNow,
    flushWebhooks: () => webhooks.tick(),
    stats: () => ({ ...stats }),
    metrics: analyticsMetrics(
      () => ({ ...stats, ...delivery, webhooksDelivered: webhooks.counts.delivered, webhooksFailed: webhooks.counts.failed, webhooksGaveUp: webhooks.counts.gaveUp }),
      () => o.registry.analytics.pendingDeliveries(),
    ),
    connected: () => o.subscribe === false || client?.connected === true,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        stopped = true;
        clearTimeout(stationTimer);
        await stationRun;
        await webhooks.close();
        if (client) {
          await client.endAsync();
          client.removeAllListeners();
        }
      })();
      return closing;
    },
  };
}
