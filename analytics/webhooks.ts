import { createHmac } from 'node:crypto';
import type { Logger } from '../core/index.js';
import type { AlertChange, AnalyticsStore, Registry } from '../store/index.js';
import { postPinned, resolveTarget, webhookPolicy, type PostOutcome, type WebhookPolicy } from './webhook-target.js';

/**
 * Webhook delivery of alerts: each alert change is queued per subscribed organisation in the
 * registry (so a restart loses nothing), POSTed with an HMAC-SHA256 signature, retried with
 * exponential backoff, and left `failed` — visible in `GET /api/v1/webhooks/{id}/deliveries` and
 * in the log — after the last attempt.
 *
 * Each attempt resolves the URL once, checks every address against the policy (issue 16:
 * analytics.webhooks.allow) and connects to that address only, following no redirect
 * (webhook-target.ts). The registry keeps the reason class of the last failure (what the tenant
 * sees) and the upstream status (the operator's); the log line has the detail.
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
  /** Where webhooks may go (analytics.webhooks); default: public addresses only. */
  policy?: WebhookPolicy;
}

export class WebhookDeliverer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** Attempts since start: delivered, failed (retried later) and failed for good (/metrics). */
  readonly counts = { delivered: 0, failed: 0, gaveUp: 0 };
  private readonly policy: WebhookPolicy;

  constructor(private readonly o: WebhookOptions) {
    this.policy = o.policy ?? webhookPolicy(undefined);
  }

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

  private async attempt(d: ReturnType<AnalyticsStore['dueDeliveries']>[number], ts: number): Promise<PostOutcome & { address?: string }> {
    const target = await resolveTarget(d.url, this.policy);
    if (!target.ok) return { ok: false, reason: target.reason, status: null, detail: target.detail };
    const headers = {
      'content-type': 'application/json',
      'x-metronet-signature': sign(d.secret, ts, d.payload),
      'x-metronet-event': d.event,
      'x-metronet-delivery': String(d.id),
    };
    const out = await postPinned(target, { headers, body: d.payload, timeoutMs: this.o.timeoutMs, signal: this.abort.signal });
    return { ...out, address: target.address };
  }

  private async deliver(d: ReturnType<AnalyticsStore['dueDeliveries']>[number]): Promise<void> {
    const out = await this.attempt(d, this.o.now());
    const now = this.o.now();
    if (out.ok) {
      this.o.store.recordDelivery(d.id, { ok: true, status: out.status, error: null, nextAt: null, now });
      this.counts.delivered++;
      return;
    }
    const { reason } = out;
    const attempts = d.attempts + 1;
    const last = attempts >= this.o.maxAttempts;
    const nextAt = last ? null : now + this.o.backoffMs * 2 ** (attempts - 1);
    // The tenant's view shows `reason` only; status and detail stay with the operator.
    this.o.store.recordDelivery(d.id, { ok: false, status: out.status, error: reason, nextAt, now });
    if (last) this.counts.gaveUp++;
    else this.counts.failed++;
    const line = {
      delivery: d.id,
      webhook: d.webhook,
      url: redactedUrl(d.url),
      address: out.address,
      attempts,
      reason,
      status: out.status,
      detail: out.detail,
    };
    if (last) this.o.log.error(line, 'webhook delivery failed for good');
    else this.o.log.warn({ ...line, retryInMs: nextAt! - now }, 'webhook delivery failed; retrying');
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

/** A URL for the log: user, password and query left out (receivers often carry a token there). */
function redactedUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
