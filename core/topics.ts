import { isTopicId } from './ids.js';
import { TOPIC_WORD } from './topic-words.js';

export { TOPIC_WORDS, TOPIC_WORD } from './topic-words.js';

/** Topic names of the MQTT contract (ARCHITECTURE.md). Nothing else in the code spells them. */
export const ROOT = `${TOPIC_WORD.root}/${TOPIC_WORD.version}`;

export type GatewayTopicKind = 'readings' | 'checks' | 'status';

/*
 * Every id level below is an id of the grammar (core/ids.ts): it is never a topic word, `+`, `#`
 * or `/`, so no id can make a topic read as another kind of topic (issue 16).
 */
export const topics = {
  readings: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/${TOPIC_WORD.readings}`,
  checks: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/${TOPIC_WORD.checks}`,
  status: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/${TOPIC_WORD.status}`,
  orgAlerts: (org: string) => `${ROOT}/${org}/${TOPIC_WORD.alerts}`,
  labAlerts: (lab: string) => `${ROOT}/${TOPIC_WORD.labs}/${lab}/${TOPIC_WORD.alerts}`,
  /** ingest → one gateway: why its readings were refused (issue 4; an addition to ARCHITECTURE's table). */
  rejects: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/${TOPIC_WORD.rejects}`,
  /** analytics → the station's organisation: its VN_AQI, hourly (retained) and daily (issue 17; docs/stations.md). */
  stationAqi: (org: string, station: string) => `${ROOT}/${org}/${TOPIC_WORD.aqi}/${station}`,
  /** Everything one gateway may publish under. */
  gatewayPrefix: (org: string, gateway: string) => `${ROOT}/${org}/${gateway}/`,
  /** analytics → anyone keeping watch: the signed head of the audit chain, retained (core/audit.ts). */
  auditCheckpoint: `${ROOT}/${TOPIC_WORD.audit}/${TOPIC_WORD.checkpoint}`,
} as const;

/** Subscriptions of the services. */
export const subscriptions = {
  allReadings: `${ROOT}/+/+/${TOPIC_WORD.readings}`,
  allChecks: `${ROOT}/+/+/${TOPIC_WORD.checks}`,
  allStatus: `${ROOT}/+/+/${TOPIC_WORD.status}`,
  /** MQTT 5 shared subscription for N ingest workers [MQTT-4.8.2]. */
  sharedReadings: (group = 'metronet-ingest') => `$share/${group}/${ROOT}/+/+/${TOPIC_WORD.readings}`,
} as const;

export type ParsedTopic = { kind: GatewayTopicKind; org: string; gateway: string } | { kind: 'orgAlerts'; org: string } | { kind: 'labAlerts'; lab: string };

const GATEWAY_KINDS: readonly string[] = [TOPIC_WORD.readings, TOPIC_WORD.checks, TOPIC_WORD.status];

/**
 * Parses a concrete (wildcard-free) topic; null when it is not a metronet topic. Id levels must
 * follow the id grammar, so an id stored before it (say an organisation `labs`) never makes a
 * topic ambiguous: its topics are not metronet topics.
 */
export function parseTopic(topic: string): ParsedTopic | null {
  if (!topic.startsWith(`${ROOT}/`)) return null;
  const parts = topic.slice(ROOT.length + 1).split('/');
  if (parts.length === 2 && parts[1] === TOPIC_WORD.alerts && isTopicId(parts[0])) return { kind: 'orgAlerts', org: parts[0] };
  if (parts.length === 3 && parts[0] === TOPIC_WORD.labs && parts[2] === TOPIC_WORD.alerts && isTopicId(parts[1])) return { kind: 'labAlerts', lab: parts[1] };
  if (parts.length === 3) {
    const [org, gateway, kind] = parts;
    if (isTopicId(org) && isTopicId(gateway) && kind !== undefined && GATEWAY_KINDS.includes(kind)) {
      return { kind: kind as GatewayTopicKind, org, gateway };
    }
  }
  return null;
}
