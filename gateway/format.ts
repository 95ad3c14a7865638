import { GatewayStatus, LIMITS, compile, type Reading } from '../core/index.js';

/**
 * The one place that knows what the gateway puts on the wire (ARCHITECTURE.md, MQTT contract).
 * Another output format (Sparkplug B, issue 3 leaves it for later) is another module with these
 * three functions; the publisher, spool and pollers do not change.
 */
const validateStatus = compile(GatewayStatus);

/** Room left in a message for the envelope around the readings array. */
const ENVELOPE_BYTES = 128;

/** A reading as the spool keeps it: its JSON text, which is also what goes on the wire. */
export const readingJson = (r: Reading): string => JSON.stringify(r);

/** How many of the readings (a prefix, as JSON texts) fit one message within the contract's 256 KiB; at least 1. */
export function fittingCount(bodies: string[]): number {
  let bytes = ENVELOPE_BYTES;
  for (let i = 0; i < bodies.length; i++) {
    bytes += Buffer.byteLength(bodies[i]!) + 1;
    if (bytes > LIMITS.maxMessageBytes) return Math.max(1, i);
  }
  return bodies.length;
}

/**
 * The batch around readings already serialised (and schema-checked) when they were spooled:
 * joining their texts gives the same bytes as JSON.stringify of the whole batch, without parsing
 * a backlog of millions of readings back into objects.
 */
export function readingsPayloadFromJson(gateway: string, seq: number, bodies: string[]): string {
  const head = JSON.stringify({ v: 1, gateway, seq, readings: [] }).slice(0, -2); // ends in `"readings":[`
  return `${head}${bodies.join(',')}]}`;
}

export interface StatusExtra {
  version: string;
  instruments: Array<{ instrument: string; profile: string }>;
  spool?: { depth: number; full: boolean; dropped: number };
}

export function statusPayload(gateway: string, state: 'online' | 'offline', extra: StatusExtra): string {
  const status = { v: 1 as const, gateway, state, ts: Date.now(), ...(state === 'online' ? extra : {}) };
  if (!validateStatus(status))
    throw new Error(
      `gateway status breaks its schema: ${validateStatus
        .issues(status)
        .map((i) => i.message)
        .join('; ')}`,
    );
  return JSON.stringify(status);
}
