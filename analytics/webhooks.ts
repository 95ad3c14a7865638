import { createHmac } from 'node:crypto';
import type { Logger } from '../core/index.js';
import type { AlertChange, AnalyticsStore, Registry } from '../store/index.js';

/**
 * Webhook delivery of alerts: each alert change is queued per subscribed organisation in the
 * registry (so a restart loses nothing), POSTed with an HMAC-SHA256 signature, retried with
 * exponential backoff, and left `failed` — visible in `GET /api/v1/webhooks/{id}/deliveries` and
 * in the log — after the last attempt.
 *
 * Signature (Stripe-style, so receivers can reject replays): header
 *   X-Metronet-Signature: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 */
export function sign(secret: string, ts: number, body: string): string {
  return `t=${ts},v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  store: AnalyticsStore;
  log: Logger;
  now: () => number;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** How often due deliveries are looked for. Default 250 ms. */
  pollMs?: number;
}

export class WebhookDeliverer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** Attempts since start: delivered, failed (retried later) and failed for good (/metrics). */
  readonly counts = { delivered: 0, failed: 0, gaveUp: 0 };

  constructor(private readonly o: WebhookOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 250);
  }

  /** Sends what is due now; resolves when done (tests and close() await it). */
  tick(): Promise<void> {
    this.running ??= this.deliverDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    const due = this.o.store.dueDeliveries(this.o.now());
    await Promise.all(due.map((d) => this.deliver(d)));
  }

  private async deliver(d: ReturnType<AnalyticsStore['dueDeliveries']>[number]): Promise<void> {
    const ts = this.o.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-metronet-signature': sign(d.secret, ts, d.payload),
          'x-metronet-event': d.event,
          'x-metronet-delivery': String(d.id),
        },
        body: d.payload,
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.abort.signal]),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const now = this.o.now();
    if (error === null) {
      this.o.store.recordDelivery(d.id, { ok: true, status, error: null, nextAt: null, now });
      this.counts.delivered++;
      return;
    }
    const attempts = d.attempts + 1;
    const last = attempts >= this.o.maxAttempts;
    const nextAt = last ? null : now + this.o.backoffMs * 2 ** (attempts - 1);
    this.o.store.recordDelivery(d.id, { ok: false, status, error, nextAt, now });
    if (last) this.counts.gaveUp++;
    else this.counts.failed++;
    if (last) this.o.log.error({ delivery: d.id, webhook: d.webhook, url: d.url, attempts, error }, 'webhook delivery failed for good');
    else this.o.log.warn({ delivery: d.id, url: d.url, attempts, error, retryInMs: nextAt! - now }, 'webhook delivery failed; retrying');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }
}

/**
 * Queues the webhook deliveries of one alert change in the registry: to the instrument's owner,
 * its lab and every authority. Whichever process decides an alert queues it; the one analytics
 * process sends the queue, so a dashboard on the same registry raises alerts that are delivered
 * too, and none twice.
 */
export function queueWebhooks(registry: Registry, change: AlertChange, body: string, now = Date.now()): void {
  const a = change.alert;
  const authorities = registry
    .listOrgs()
    .filter((g) => g.kind === 'authority')
    .map((g) => g.id);
  const orgs = [...new Set([a.org, a.lab, ...authorities].filter((x): x is string => !!x))];
  registry.analytics.enqueueDeliveries(orgs, a.id, change.event, body, now);
}
