import { parseTopic, type GatewayTopicKind } from '../core/index.js';
import type { Registry, RejectRecord, StoredReading } from '../store/index.js';
import type { Lookups } from './lookups.js';
import { handleReadings } from './readings.js';
import { handleStatus } from './status.js';

/** What one message comes to: readings to store, reasons for what was refused. */
export interface Verdict {
  readings: StoredReading[];
  rejects: RejectRecord[];
  /** Readings the message carried, valid or not. */
  readingsIn: number;
  seq?: number | undefined;
}

export interface HandlerContext {
  registry: Registry;
  lookups: Lookups;
  now: number;
  maxFutureMs: number;
  /** Gateway clock skew beyond which a live status is recorded as E_CLOCK_SKEW. */
  maxClockSkewMs?: number;
  /** The message is a retained one delivered at subscription, not sent just now [MQTT-3.3.1-8, -9]. */
  retained?: boolean;
  /** Bounds on unregistered instruments created from MQTT (config ingest.maxUnregistered…, admission.ts); none when absent. */
  unregistered?: { perMessage: number; perGateway: number; perGatewayPerHour: number };
}

export interface GatewayTopic {
  kind: GatewayTopicKind;
  org: string;
  gateway: string;
}

export type TopicHandler = (ctx: HandlerContext, topic: GatewayTopic, payload: Buffer) => Verdict;

/** One handler per topic kind ingest subscribes to (STYLE.md #5); checks go to analytics. */
export const HANDLERS: Partial<Record<GatewayTopicKind, TopicHandler>> = {
  readings: handleReadings,
  status: handleStatus,
};

/** Judges one message. Throws only on a bug or an unavailable registry; the caller decides which. */
export function judge(ctx: HandlerContext, topic: string, payload: Buffer): Verdict {
  const parsed = parseTopic(topic);
  const handler = parsed && 'gateway' in parsed ? HANDLERS[parsed.kind] : undefined;
  if (!parsed || !('gateway' in parsed) || !handler) {
    const message =
      parsed && 'gateway' in parsed
        ? `ingest does not take "${parsed.kind}" messages (topic ${topic})`
        : `topic "${topic}" does not follow metronet/v1/{org}/{gateway}/{readings|status}`;
    const org = parsed && 'org' in parsed ? parsed.org : null;
    return {
      readings: [],
      readingsIn: 0,
      rejects: [{ ts: ctx.now, org, gateway: null, code: 'E_TOPIC_INVALID', field: '(topic)', rule: 'topic', value: topic.slice(0, 200), message }],
    };
  }
  return handler(ctx, parsed, payload);
}
