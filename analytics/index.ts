import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import { withActor } from '../core/actor.js';
import { mqttTls } from '../core/tls-files.js';
import {
  MetronetError,
  parseChecksMessage,
  parseTopic,
  silentLogger,
  subscriptions,
  topics,
  type Alert,
  type AnalyticsConfig,
  type ItemIssue,
  type Logger,
  type MqttConnection,
  type Service,
} from '../core/index.js';
import type { AuditCheckpoint } from '../core/audit.js';
import { appendCheckpoint, isTransientStoreError, lastCheckpoint, type AlertChange, type ReadingsStore, type Registry } from '../store/index.js';
import { Engine } from './engine.js';
import { StationMonitor } from './station-monitor.js';
import { WebhookDeliverer, queueWebhooks } from './webhooks.js';
import { webhookPolicy } from './webhook-target.js';
import { analyticsMetrics } from './metrics.js';
import type { Registry as MetricsRegistry } from 'prom-client';

export { Engine } from './engine.js';
export type { CalibrationInput, CheckResult, CheckSubmission, DriftView, DriftChannel } from './engine.js';
export { toAlertMessage } from './message.js';
export { queueWebhooks } from './webhooks.js';
export { DELIVERY_REASONS, resolveTarget, webhookPolicy, type DeliveryReason, type WebhookPolicy } from './webhook-target.js';
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
  /**
   * Signed heads of the audit chain (store/audit.ts), appended to `file` when the chain moved and
   * published retained on `topics.auditCheckpoint`, every `everyMs` and at close. Absent: none.
   */
  auditCheckpoints?: { file: string; everyMs: number };
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

type CheckCounts = ReturnType<AnalyticsHandle['stats']>;
interface DeliveryCounts {
  mqttDelivered: number;
  mqttFailed: number;
  evaluations: number;
}

/**
 * Starts analytics: the engine with its alert delivery, the checks subscription, the periodic
 * evaluation, webhook deliveries and, with a readings store, the station loop. `close()` stops
 * them all and leaves nothing running.
 */
export async function start(o: AnalyticsOptions): Promise<AnalyticsHandle> {
  const log = (o.logger ?? silentLogger).child({ svc: 'analytics' });
  const now = o.now ?? Date.now;
  const cfg = o.analytics;
  const stats: CheckCounts = { checksReceived: 0, checksStored: 0, checksRejected: 0, alertsPublished: 0 };
  const delivery: DeliveryCounts = { mqttDelivered: 0, mqttFailed: 0, evaluations: 0 };
  let client: MqttClient | undefined;

  const deliver = alertDelivery({ registry: o.registry, log, stats, delivery, client: () => client });
  const engine = new Engine({ registry: o.registry, config: cfg, now, onAlert: deliver, logger: log, sharedRegistry: o.sharedRegistry });
  // Retries run on the wall clock, whatever clock decisions use.
  const webhooks = new WebhookDeliverer({
    store: o.registry.analytics,
    log,
    now: Date.now,
    maxAttempts: cfg.webhookMaxAttempts,
    backoffMs: cfg.webhookBackoffMs,
    timeoutMs: cfg.webhookTimeoutMs,
    // Where webhooks may go (issue 16): public addresses, and what the operator allowlists.
    policy: webhookPolicy(cfg.webhooks),
  });

  if (o.subscribe !== false) {
    // Set before connecting: checks of a persistent session's backlog may raise alerts before the SUBACK.
    client = checksClient(o, cfg.clientId, checksHandler({ registry: o.registry, engine, now, stats }), log);
    try {
      await subscribeToChecks(client, o.mqtt.url, log);
    } catch (err) {
      client.end(true); // refused: leave nothing reconnecting behind
      throw err;
    }
  }

  const evaluateNow = periodicEvaluation(engine, delivery, log);
  evaluateNow();
  const timer = setInterval(evaluateNow, cfg.evaluateEveryMs);
  webhooks.start();

  const stations = o.readings
    ? new StationMonitor({
        registry: o.registry,
        readings: o.readings,
        now,
        notify: (c) => engine.notify(c),
        publish: (topic, payload, p) =>
          void client?.publishAsync(topic, payload, { qos: 1, retain: p.retain }).catch((err) => log.warn({ err, topic }, 'AQI not published')),
      })
    : undefined;
  const stationLoop = stations ? startStationLoop(stations, o.stationsEveryMs ?? 30_000, now, log) : undefined;
  const checkpoints = o.auditCheckpoints ? startAuditCheckpoints(o, o.auditCheckpoints, log) : undefined;

  let closing: Promise<void> | undefined;
  return {
    engine,
    stations,
    evaluateNow,
    flushWebhooks: () => webhooks.tick(),
    stats: () => ({ ...stats }),
    metrics: analyticsMetrics(
      () => ({
        ...stats,
        ...delivery,
        webhooksDelivered: webhooks.counts.delivered,
        webhooksFailed: webhooks.counts.failed,
        webhooksGaveUp: webhooks.counts.gaveUp,
      }),
      () => o.registry.analytics.pendingDeliveries(),
    ),
    connected: () => o.subscribe === false || client?.connected === true,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await checkpoints?.stop(); // the last one records the head as this service leaves it
        await stationLoop?.stop();
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

/**
 * Delivers one alert change: webhook deliveries queued (owner, lab, authorities), the alert
 * published on the owner's and the lab's alert topics, and a log line.
 */
function alertDelivery(o: { registry: Registry; log: Logger; stats: CheckCounts; delivery: DeliveryCounts; client: () => MqttClient | undefined }) {
  const { log, stats, delivery } = o;
  return (change: AlertChange) => {
    const msg: Alert = toAlertMessage(change);
    const body = JSON.stringify(msg);
    const a = change.alert;
    try {
      queueWebhooks(o.registry, change, body);
    } catch (err) {
      log.error({ err, alert: a.id }, 'could not queue webhook deliveries');
    }
    const targets = [a.org && a.org !== a.lab ? topics.orgAlerts(a.org) : null, a.lab ? topics.labAlerts(a.lab) : null].filter((t): t is string => !!t);
    const client = o.client();
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
}

/**
 * One checks message (`metronet/v1/{org}/{gateway}/checks`): core's parseChecksMessage (the
 * envelope, then each check against the ChecksBatch schema), then the engine on the valid checks.
 * Every refusal becomes a reject record naming `checks[i].field`, the position in the message.
 */
function checksHandler(o: { registry: Registry; engine: Engine; now: () => number; stats: CheckCounts }) {
  return (topic: string, payload: Buffer): void => {
    o.stats.checksReceived++;
    const t = parseTopic(topic);
    const base = { ts: o.now(), org: t && 'org' in t ? t.org : null, gateway: t && 'gateway' in t ? t.gateway : null };
    const reject = ({ index: _index, instrument, ...issue }: ItemIssue) => {
      o.stats.checksRejected++;
      o.registry.recordRejects([{ ...base, ...issue, instrument: instrument ?? null }]);
    };
    if (t?.kind !== 'checks')
      return reject({
        code: 'E_TOPIC_INVALID',
        field: '(topic)',
        rule: 'topic',
        value: topic.slice(0, 200),
        message: `analytics takes only checks topics, got "${topic}"`,
      });
    const parsed = parseChecksMessage(payload, { gateway: t.gateway });
    parsed.rejects.forEach(reject);
    if (parsed.accepted.length === 0) return;
    // The gateway is the actor of the checks it sends (audit trail, issue 6).
    // A gateway names only its organisation's standards (entry-rules.ts standardUseIssue); a repeated message under its idempotencyKey changes nothing.
    const result = withActor(`gateway:${t.gateway}`, () =>
      o.engine.submitChecks({
        checks: parsed.accepted,
        source: 'mqtt',
        org: t.org,
        by: t.gateway,
        caller: { role: 'gateway', org: t.org },
        ...(parsed.batch?.idempotencyKey !== undefined ? { idempotencyKey: parsed.batch.idempotencyKey } : {}),
      }),
    );
    if (result.conflict) return reject({ ...result.conflict, index: 0 });
    o.stats.checksStored += result.stored.length;
    for (const r of result.rejects) {
      const at = `checks[${parsed.acceptedIndex[r.index] ?? r.index}]`;
      reject({ ...r, field: `${at}.${r.field ?? ''}`, instrument: parsed.accepted[r.index]?.instrument });
    }
  };
}

/**
 * The MQTT client of the checks subscription: a persistent session (clean: false) under the fixed
 * client id. Checks are few (ARCHITECTURE.md: ~12/s for a country) and SQLite commits
 * synchronously, so the simple correct path serves: mqtt.js sends the PUBACK when handleMessage
 * returns without error, which is after the commit. An unavailable store withholds it: the broker
 * redelivers.
 */
function checksClient(o: AnalyticsOptions, clientId: string, handleChecks: (topic: string, payload: Buffer) => void, log: Logger): MqttClient {
  const client = connect(o.mqtt.url, {
    clientId,
    clean: false,
    protocolVersion: 4,
    username: o.mqtt.username,
    password: o.mqtt.password,
    reconnectPeriod: 1000,
    ...mqttTls(o.mqtt),
  });
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
  return client;
}

/** Waits for the first CONNACK, then subscribes to every gateway's checks; a refusal of either throws. */
async function subscribeToChecks(client: MqttClient, url: string, log: Logger): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err: Error & { code?: unknown }) => {
      if (typeof err.code === 'number') reject(new MetronetError('E_UNAUTHORIZED', `MQTT broker ${url} refused analytics: ${err.message}`));
    });
  });
  const granted = await subscribeThroughReconnects(client, { [subscriptions.allChecks]: { qos: 1 } }, log);
  if (granted.some((g) => g.qos === 128)) throw new MetronetError('E_FORBIDDEN', `MQTT broker refused analytics' subscription to ${subscriptions.allChecks}`);
  log.info({ topic: subscriptions.allChecks }, 'analytics subscribed');
}

/** The time-based evaluation (due dates, expiry, offline); a failure waits for the next period. */
function periodicEvaluation(engine: Engine, delivery: DeliveryCounts, log: Logger) {
  return () => {
    try {
      const r = engine.evaluatePeriodic();
      delivery.evaluations++;
      log.debug({ instruments: r.instruments, changes: r.changes.length }, 'periodic evaluation');
    } catch (err) {
      log.error({ err }, 'periodic evaluation failed; retried at the next period');
    }
  };
}

/**
 * Audit checkpoints: every `everyMs`, a signed head of the chain, appended to the file when the
 * head moved since the last one there, and published retained (QoS 1) on the checkpoint topic.
 * On a connection of its own (client id `{clientId}-audit`): a broker that refuses the publish
 * (a service login not named `analytics`, broker/acl.ts) then drops that one, not the checks
 * session. `stop()` takes a last checkpoint and waits for its PUBACK (bounded) before closing.
 */
function startAuditCheckpoints(o: AnalyticsOptions, cfg: { file: string; everyMs: number }, log: Logger): { stop(): Promise<void> } {
  let latest: AuditCheckpoint | undefined;
  try {
    latest = lastCheckpoint(cfg.file);
  } catch (err) {
    log.warn({ err: (err as Error).message, file: cfg.file }, 'cannot read the audit checkpoint file; a new checkpoint is appended');
  }
  const client = connect(o.mqtt.url, {
    clientId: `${o.analytics.clientId}-audit`,
    clean: true,
    protocolVersion: 4,
    username: o.mqtt.username,
    password: o.mqtt.password,
    reconnectPeriod: 1000,
    ...mqttTls(o.mqtt),
  });
  client.on('error', (err) => log.warn({ err: err.message }, 'MQTT client error (audit checkpoints)'));
  const take = (): AuditCheckpoint | undefined => {
    try {
      const cp = o.registry.audit.checkpoint();
      if (latest?.headId !== cp.headId || latest.head !== cp.head) {
        appendCheckpoint(cfg.file, cp);
        latest = cp;
        log.debug({ entries: cp.entries, head: cp.head }, 'audit checkpoint');
      }
    } catch (err) {
      log.error({ err }, 'audit checkpoint failed; tried again at the next period');
    }
    return latest;
  };
  const publish = (cp: AuditCheckpoint) =>
    new Promise<void>((resolve) => {
      if (!client.connected) return resolve();
      const timeout = setTimeout(resolve, 2000);
      client.publish(topics.auditCheckpoint, JSON.stringify(cp), { qos: 1, retain: true }, (err) => {
        clearTimeout(timeout);
        if (err) log.warn({ err: err.message, topic: topics.auditCheckpoint }, 'audit checkpoint publish failed');
        resolve();
      });
    });
  const tick = async () => {
    const cp = take();
    if (cp) await publish(cp);
  };
  void tick(); // the file at once, the topic once connected
  client.on('connect', () => void tick()); // and after each reconnect: the retained copy is there again
  const timer = setInterval(() => void tick(), cfg.everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await tick();
      await client.endAsync();
      client.removeAllListeners();
    },
  };
}

/**
 * Stations: evaluated every `everyMs`, and exactly when the earliest station would go quiet (last
 * record + interval + tolerance), so a gap is alerted without waiting a period. `stop()` waits for
 * a running evaluation.
 */
function startStationLoop(stations: StationMonitor, everyMs: number, now: () => number, log: Logger): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let run: Promise<void> | undefined;
  let stopped = false;
  const evaluate = async (): Promise<void> => {
    if (stopped) return;
    let next: number | null = null;
    try {
      next = (await stations.evaluate()).nextDeadline;
    } catch (err) {
      log.error({ err }, 'station evaluation failed; retried at the next period');
    }
    if (stopped) return;
    const wait = next === null ? everyMs : Math.max(50, Math.min(everyMs, next - now()));
    timer = setTimeout(() => void (run = evaluate()), wait);
  };
  run = evaluate();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await run;
    },
  };
}
