import { Counter } from 'prom-client';
import { DashboardConfig, MetronetError, isMetronetError } from '../core/index.js';
import { dashboardMetrics } from './metrics-registry.js';

/**
 * Caps on what one user may pile up (issue 16, item 9): live-event streams held open and active
 * API tokens. Past a cap the request is refused with 429 E_LIMIT_REACHED naming the limit (its
 * configuration key), the user and the cap, and counted in `metronet_limit_refusals_total{limit}`
 * (an alert on its increase catches a script gone wrong or someone trying to exhaust the
 * server). The token count itself is the store's, in the transaction that issues the token.
 */
export type LimitName = 'streams_per_user' | 'tokens_per_user';

export interface Limits {
  streamsPerUser: number;
  tokensPerUser: number;
}

const refusals = new Counter({
  name: 'metronet_limit_refusals_total',
  help: 'requests refused at a per-user cap: streams_per_user (dashboard.maxStreamsPerUser), tokens_per_user (dashboard.maxTokensPerUser)',
  labelNames: ['limit'],
  registers: [dashboardMetrics],
});
for (const limit of ['streams_per_user', 'tokens_per_user'] satisfies LimitName[]) refusals.inc({ limit }, 0);

/** The configured caps, or the configuration's defaults (core/config.ts) when the dashboard is built without them. */
export function limitsOf(deps: { maxStreamsPerUser?: number; maxTokensPerUser?: number }): Limits {
  return {
    streamsPerUser: deps.maxStreamsPerUser ?? DashboardConfig.properties.maxStreamsPerUser.default,
    tokensPerUser: deps.maxTokensPerUser ?? DashboardConfig.properties.maxTokensPerUser.default,
  };
}

/** Counts a refusal at a cap; returns the error so the caller can throw it. */
function counted(limit: LimitName, err: MetronetError): MetronetError {
  refusals.inc({ limit });
  return err;
}

/** Runs what may be refused at a cap elsewhere (the store's token count), counting an E_LIMIT_REACHED it throws. */
export function refusalsCounted<T>(limit: LimitName, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw isMetronetError(err) && err.code === 'E_LIMIT_REACHED' ? counted(limit, err) : err;
  }
}

/** The refusal of one stream too many, counted. */
export function streamLimit(user: string, max: number): MetronetError {
  return counted(
    'streams_per_user',
    new MetronetError(
      'E_LIMIT_REACHED',
      {
        en: `user ${user} already has ${max} live event streams open, the limit (dashboard.maxStreamsPerUser); close a page first`,
        vi: `người dùng ${user} đã mở ${max} luồng sự kiện trực tiếp, mức tối đa (dashboard.maxStreamsPerUser); hãy đóng bớt một trang`,
      },
      { field: 'user', value: user, rule: 'dashboard.maxStreamsPerUser', max },
    ),
  );
}
