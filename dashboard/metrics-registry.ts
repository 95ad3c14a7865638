import { Registry } from 'prom-client';

/**
 * The dashboard's own counters (login refusals, caps, webhook refusals), joined to whatever
 * exposition `/metrics` serves (routes/metrics.ts). One registry per process: counters add up
 * across the apps a process builds, so tests read differences, not absolute values.
 */
export const dashboardMetrics = new Registry();
