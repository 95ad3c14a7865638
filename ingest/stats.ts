import { ERRORS, type ErrorCode, type Logger } from '../core/index.js';
import type { RejectRecord } from '../store/index.js';

export interface IngestStats {
  /** MQTT messages received (every topic). */
  received: number;
  /** Readings carried by those messages, valid or not. */
  readingsIn: number;
  /** Readings committed to the readings store (a duplicate of a stored reading counts: it is safe). */
  stored: number;
  /** Reasons for refusals, by code: one per issue (a reading breaking two rules counts twice). */
  rejected: Record<ErrorCode, number>;
  /** Readings waiting for the store (queued plus being written). */
  pending: number;
  /** Messages acknowledged to the broker. */
  acked: number;
  /** Failed store commits (each is retried). */
  storeErrors: number;
  /** Times intake paused because `pending` exceeded its bound (the broker holds the rest). */
  paused: number;
}

/** Per-message log lines about rejects stop here; the rest is summarised (a broken gateway can send thousands a second). */
const LOGGED_PER_MESSAGE = 10;
const RECENT = 1000;

export class Counters {
  received = 0;
  readingsIn = 0;
  stored = 0;
  acked = 0;
  storeErrors = 0;
  paused = 0;
  readonly rejected = Object.fromEntries(Object.keys(ERRORS).map((c) => [c, 0])) as Record<ErrorCode, number>;
  private readonly recent: RejectRecord[] = [];

  constructor(private readonly log: Logger) {}

  /** Counts, logs (warn: who, which field, which value — never the payload) and remembers rejects. */
  noteRejects(rejects: RejectRecord[], seq?: number): void {
    rejects.forEach((r, i) => {
      this.rejected[r.code]++;
      if (i < LOGGED_PER_MESSAGE) {
        this.log.warn(
          { code: r.code, org: r.org, gateway: r.gateway, seq, instrument: r.instrument ?? undefined, field: r.field, value: r.value },
          `rejected: ${r.message}`,
        );
      }
      this.recent.push(r);
    });
    if (rejects.length > LOGGED_PER_MESSAGE) {
      this.log.warn(
        { gateway: rejects[0]?.gateway, seq, more: rejects.length - LOGGED_PER_MESSAGE },
        'more rejects in the same message, not logged one by one',
      );
    }
    if (this.recent.length > RECENT) this.recent.splice(0, this.recent.length - RECENT);
  }

  recentRejects(limit = 100): RejectRecord[] {
    return limit > 0 ? this.recent.slice(-limit).reverse() : [];
  }

  snapshot(pending: number): IngestStats {
    const { received, readingsIn, stored, acked, storeErrors, paused } = this;
    return { received, readingsIn, stored, rejected: { ...this.rejected }, pending, acked, storeErrors, paused };
  }
}
