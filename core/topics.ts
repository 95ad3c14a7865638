import { isId } from './ids.js';

/** Topic names of the MQTT contract (ARCHITECTURE.md). Nothing else in the code spells them. */
export const ROOT = 'metronet/v1';

export type GatewayTopicKind = 'readings' | 'checks' | 'status';

export const topics = {
  readings: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/readings`,
  checks: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/checks`,
  status: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/status`,
  orgAlerts: (org: string) => `${ROOT}/${org}/alerts`,
  labAlerts: (lab: string) => `${ROOT}/labs/${lab}/alerts`,
  /** ingest → one gateway: why its readings were refused (issue 4; an addition to ARCHITECTURE's table). */
  rejects: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/rejects`,
  /** Everything one gateway may publish under. */
  gatewayPrefix: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/`,
  /** analytics → anyone keeping watch: the signed head of the audit chain, retained (core/audit.ts). */
  auditCheckpoint: `${ROOT}/audit/checkpoint`,
} as const;

/** Subscriptions of the services. */
export const subscriptions = {
  allReadings: `${ROOT}/+/+/readings`,
  allChecks: `${ROOT}/+/+/checks`,
  allStatus: `${ROOT}/+/+/status`,
  /** MQTT 5 shared subscription for N ingest workers [MQTT-4.8.2]. */
  sharedReadings: (group = 'metronet-ingest') => `$share/${group}/${ROOT}/+/+/readings`,
} as const;

export type ParsedTopic = { kind: GatewayTopicKind; org: string; gateway: string } | { kind: 'orgAlerts'; org: string } | { kind: 'labAlerts'; lab: string };

/** Parses a concrete (wildcard-free) topic; null when it is not a metronet topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${ROOT}/`)) return null;
  const parts = topic.slice(ROOT.length + 1).split('/');
  if (parts.length === 2 && parts[1] === 'alerts' && isId(parts[0])) return { kind: 'orgAlerts', org: parts[0] };
  if (parts.length === 3 && parts[0] === 'labs' && parts[2] === 'alerts' && isId(parts[1])) return { kind: 'labAlerts', lab: parts[1] };
  if (parts.length === 3) {
    const [org, gateway, kind] = parts;
    if (org !== 'labs' && isId(org) && isId(gateway) && (kind === 'readings' || kind === 'checks' || kind === 'status')) {
      return { kind, org, gateway };
    }
  }
  return null;
}
