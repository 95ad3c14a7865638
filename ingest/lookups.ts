import { withActor } from '../core/actor.js';
import type { AdmissionRefusal, Instrument, Registry } from '../store/index.js';

/**
 * In-memory answers to the registry questions ingest asks for every reading: who owns this
 * instrument, which unit has this channel. Without it each reading costs SQLite queries on the
 * hot path. Entries expire after `ttlMs`, so a change made in the registry (an instrument handed
 * to another organisation, a channel's unit corrected at registration) reaches ingest within
 * that time; the maps are bounded, dropping the oldest entry first.
 *
 * A change of identity (an instrument removed, reassigned to another organisation, registered)
 * must not wait for the TTL (issue 15, section 7: the old owner's readings once landed in the new
 * instrument for a minute): `sync()`, called once per message, reads the registry's identity
 * counter (one indexed row) and drops the instrument and channel maps when it moved.
 */
export interface LookupOptions {
  maxEntries?: number;
  ttlMs?: number;
}

class Bounded<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get(key: string, now: number): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.until < now) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  clear(): void {
    this.map.clear();
  }

  set(key: string, value: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, { value, until: now + this.ttlMs });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

type Owner = Pick<Instrument, 'org' | 'gateway' | 'profile' | 'historySince'>;

/** What one message may still create: unregistered instruments are bounded per message, per gateway and per hour. */
export interface MessageBudget {
  /** Unknown ids this message may still create as unregistered instruments. */
  left: number;
  perGateway: number;
  perGatewayPerHour: number;
  /** Ids already refused in this message (a batch of one removed instrument asks the registry once). */
  refused: Map<string, AdmissionRefusal>;
}

export type OwnerOrRefusal = Owner | { refused: AdmissionRefusal };

const unbounded = (): MessageBudget => ({
  left: Number.POSITIVE_INFINITY,
  perGateway: Number.POSITIVE_INFINITY,
  perGatewayPerHour: Number.POSITIVE_INFINITY,
  refused: new Map(),
});

export class Lookups {
  private readonly instruments: Bounded<Owner>;
  private readonly units: Bounded<Map<string, string>>;
  private readonly gateways: Bounded<string>;
  private identityRev: number | undefined;

  constructor(
    private readonly registry: Registry,
    opts: LookupOptions = {},
  ) {
    const max = opts.maxEntries ?? 100_000;
    const ttl = opts.ttlMs ?? 60_000;
    this.instruments = new Bounded(max, ttl);
    this.units = new Bounded(max, ttl);
    this.gateways = new Bounded(Math.max(1, Math.floor(max / 10)), ttl);
  }

  /** Drops the cached owners and channels when an identity changed in the registry since the last call (once per message). */
  sync(): void {
    const rev = this.registry.identityRev();
    if (rev !== this.identityRev) {
      this.identityRev = rev;
      this.instruments.clear();
      this.units.clear();
    }
  }

  /**
   * The owner of an instrument, creating it `unregistered` for `org` when unknown and within the
   * message's budget (registry.admitInstrument); or why it was not created (a removed id, a bound).
   */
  instrument(org: string, id: string, gateway: string, now: number, profile?: string, budget: MessageBudget = unbounded()): OwnerOrRefusal {
    const hit = this.instruments.get(id, now);
    // Same org but reported by another gateway or as another profile: let the registry record it.
    if (hit && (hit.org !== org || (hit.gateway === gateway && (profile === undefined || hit.profile === profile)))) return hit;
    const known = budget.refused.get(id);
    if (known) return { refused: known };
    const admission = this.registry.instrumentAdmission(id, gateway, now, {
      perGateway: budget.perGateway,
      perGatewayPerHour: budget.perGatewayPerHour,
      messageHasRoom: budget.left > 0,
    });
    if ('refused' in admission) {
      budget.refused.set(id, admission.refused);
      return admission;
    }
    if (!admission.known) budget.left--;
    // An instrument created here was announced (or first reported) by this gateway: it is the actor of the audit entry (issue 6).
    const inst = withActor(`gateway:${gateway}`, () => this.registry.ensureInstrument(org, id, gateway, now, profile));
    const owner = { org: inst.org, gateway: inst.gateway ?? null, profile: inst.profile ?? null, historySince: inst.historySince ?? 0 };
    this.instruments.set(id, owner, now);
    return owner;
  }

  /** The unit of a channel: the registered one, or `unit` when this is the channel's first sight. */
  unit(instrument: string, channel: string, unit: string, now: number): string {
    // Channels per instrument (no key strings built per reading); an instrument's channels
    // expire together, at the latest ttlMs after the first of them was looked up.
    let channels = this.units.get(instrument, now);
    const hit = channels?.get(channel);
    if (hit !== undefined) return hit;
    const known = this.registry.getChannel(instrument, channel) ?? this.registry.ensureChannel(instrument, channel, unit);
    if (!channels) this.units.set(instrument, (channels = new Map()), now);
    channels.set(channel, known.unit);
    return known.unit;
  }

  /** Makes sure the gateway has a record (for `org`), without touching its state; returns its org. */
  gateway(org: string, id: string, now: number): string {
    const hit = this.gateways.get(id, now);
    if (hit !== undefined) return hit;
    let gw = this.registry.getGateway(id);
    if (!gw) {
      this.registry.upsertGateway({ id, org });
      gw = { id, org, state: 'unknown' };
    }
    this.gateways.set(id, gw.org, now);
    return gw.org;
  }
}
