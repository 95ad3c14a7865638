import { Counter, Gauge, Registry } from 'prom-client';
import { scrapedCounter } from '../core/metrics.js';

/** What the analytics service counts since start (AnalyticsHandle.stats plus its webhook deliverer). */
export interface AnalyticsCounts {
  checksReceived: number;
  checksStored: number;
  checksRejected: number;
  evaluations: number;
  /** Alert messages the broker acknowledged, per topic (owner and lab count apart). */
  mqttDelivered: number;
  /** Alert messages that could not be published (not connected, or the publish failed). */
  mqttFailed: number;
  webhooksDelivered: number;
  /** Failed attempts that will be retried. */
  webhooksFailed: number;
  /** Deliveries failed for good after their last attempt. */
  webhooksGaveUp: number;
}

/**
 * Prometheus metrics of the analytics service (issue 9), read from its counters at scrape time
 * as ingest's are (ingest/metrics.ts). No default collectors: a process collects those once, in
 * its ops listener or in the ingest worker's registry of the in-process stack.
 *
 * `increase(metronet_alert_deliveries_total{outcome="gave_up"}[1h]) > 0` finds a webhook receiver
 * that has been down for the whole retry schedule; `metronet_webhook_queue_depth` growing means
 * deliveries are slower than alerts.
 */
export function analyticsMetrics(counts: () => AnalyticsCounts, pendingWebhooks: () => number): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, pick: (c: AnalyticsCounts) => number) => scrapedCounter(registry, name, help, () => pick(counts()));
  counter('metronet_analytics_checks_received_total', 'check measurements received on the checks topic (messages)', (c) => c.checksReceived);
  counter('metronet_analytics_checks_evaluated_total', 'checks stored and evaluated (drift state, conformity, alerts)', (c) => c.checksStored);
  counter('metronet_analytics_checks_rejected_total', 'checks refused with a reason (unknown instrument, schema…)', (c) => c.checksRejected);
  counter('metronet_analytics_evaluations_total', 'periodic evaluations run (due dates, expiry, offline instruments)', (c) => c.evaluations);
  new Counter({
    name: 'metronet_alert_deliveries_total',
    help: 'alert deliveries by channel (mqtt, webhook) and outcome (success, failure: retried, gave_up: webhook failed for good)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
    collect() {
      const c = counts();
      this.reset();
      this.inc({ channel: 'mqtt', outcome: 'success' }, c.mqttDelivered);
      this.inc({ channel: 'mqtt', outcome: 'failure' }, c.mqttFailed);
      this.inc({ channel: 'webhook', outcome: 'success' }, c.webhooksDelivered);
      this.inc({ channel: 'webhook', outcome: 'failure' }, c.webhooksFailed);
      this.inc({ channel: 'webhook', outcome: 'gave_up' }, c.webhooksGaveUp);
    },
  });
  new Gauge({
    name: 'metronet_webhook_queue_depth',
    help: 'webhook deliveries waiting to be sent (first attempt or retry), kept in the registry',
    registers: [registry],
    collect() {
      this.set(pendingWebhooks());
    },
  });
  return registry;
}
