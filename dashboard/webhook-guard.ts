import { Counter } from 'prom-client';
import { ANALYTICS_DEFAULTS, MetronetError } from '../core/index.js';
import { DELIVERY_REASONS, type DeliveryReason } from '../core/net-guard.js';
import { resolveTarget, webhookPolicy, type TargetReason } from '../analytics/webhook-target.js';
import type { AnalyticsStore, Delivery } from '../store/index.js';
import { dashboardMetrics } from './metrics-registry.js';

/**
 * What `POST /api/v1/webhooks` checks before it stores a subscription (issue 16, items 2 and 9):
 * the organisation holds fewer than `analytics.webhooks.maxPerOrg`, and the URL resolves only to
 * addresses a webhook may reach (the same policy the analytics service applies again at each
 * delivery, analytics/webhook-target.ts). Refusals are counted on /metrics.
 */

const refusals = new Counter({
  name: 'metronet_webhook_refusals_total',
  help: 'webhook subscriptions refused at creation, by reason: limit (analytics.webhooks.maxPerOrg reached), refused-address, dns, invalid-url',
  labelNames: ['reason'],
  registers: [dashboardMetrics],
});

export interface WebhookGuardConfig {
  /** analytics.webhooks.allow */
  allow?: readonly string[];
  /** analytics.webhooks.maxPerOrg */
  maxPerOrg?: number;
}

/** The refusal of a URL, per reason resolveTarget gives (no connection is made at creation). */
const TARGET_TEXT: Record<TargetReason, { en: string; vi: string; rule: string }> = {
  'refused-address': {
    en: 'the webhook URL leads to an address webhooks may not reach (loopback, private, link-local or another non-public address); ask the operator to allowlist it if it is yours',
    vi: 'URL webhook trỏ tới địa chỉ mà webhook không được phép gửi tới (loopback, mạng riêng, link-local hoặc địa chỉ không công khai khác); nếu đó là máy chủ của bạn, hãy đề nghị quản trị viên đưa vào danh sách cho phép',
    rule: 'public-address',
  },
  dns: {
    en: 'the host name of the webhook URL does not resolve',
    vi: 'không phân giải được tên máy chủ trong URL webhook',
    rule: 'resolvable',
  },
  'invalid-url': { en: 'the webhook URL is not a valid http(s) URL', vi: 'URL webhook không phải là URL http(s) hợp lệ', rule: 'url' },
};
for (const reason of ['limit', ...Object.keys(TARGET_TEXT)]) refusals.inc({ reason }, 0);

export function webhookGuard(store: AnalyticsStore, cfg: WebhookGuardConfig = {}) {
  const policy = webhookPolicy(cfg);
  const max = cfg.maxPerOrg ?? ANALYTICS_DEFAULTS.webhooks.maxPerOrg;

  const checkCap = (org: string) => {
    const held = store.listWebhooks(org).length;
    if (held < max) return;
    refusals.inc({ reason: 'limit' });
    throw new MetronetError(
      'E_WEBHOOK_LIMIT',
      {
        en: `organisation ${org} already holds ${held} webhooks, the most it may (analytics.webhooks.maxPerOrg = ${max}); remove one first`,
        vi: `tổ chức ${org} đã có ${held} webhook, bằng số tối đa cho phép (analytics.webhooks.maxPerOrg = ${max}); hãy xóa bớt một webhook trước`,
      },
      { field: 'org', value: org, rule: 'analytics.webhooks.maxPerOrg', max },
    );
  };

  return {
    /** Throws the refusal, or resolves when `url` may be stored for `org`; call `checkCap` again right before storing. */
    async admit(org: string, url: string): Promise<void> {
      checkCap(org);
      const target = await resolveTarget(url, policy);
      if (!target.ok) {
        refusals.inc({ reason: target.reason });
        const t = TARGET_TEXT[target.reason];
        throw new MetronetError('E_WEBHOOK_TARGET', { en: t.en, vi: t.vi }, { field: 'url', value: url, rule: t.rule, reason: target.reason });
      }
    },
    checkCap,
  };
}

/** The reason class of a stored delivery; rows written before reason classes carried free text. */
export function reasonOf(d: Pick<Delivery, 'state' | 'lastError'>): DeliveryReason | null {
  if (d.state === 'delivered' || d.lastError === null) return null;
  if ((DELIVERY_REASONS as readonly string[]).includes(d.lastError)) return d.lastError as DeliveryReason;
  return /^HTTP \d/.test(d.lastError) ? 'http-error' : 'connect';
}
