import { withActor } from '../core/actor.js';
import type { Instrument, Registry } from '../store/index.js';

/**
 * In-memory answers to the registry questions ingest asks for every reading: who owns this
 * instrument, which unit has this channel. Without it each reading costs SQLite queries on the
 * hot path. Entries expire after `ttlMs`, so a change made in the registry (an instrument handed
 * to another organisation, a channel's unit corrected at registration) reaches ingest within
 * that time; the maps are bounded, dropping the oldest entry first.
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

  set(key: string, value: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, { value, until: now + this.ttlMs });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

type Owner = Pick<Instrument, 'org' | 'gateway' | 'profile'>;

export class Lookups {
  private readonly instruments: Bounded<Owner>;
  private readonly units: Bounded<Map<string, string>>;
  private readonly gateways: Bounded<string>;

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

  /** The owner of an instrument, creating it `unregistered` for `org` when unknown (registry.ensureInstrument). */
  instrument(org: string, id: string, gateway: string, now: number, profile?: string): Owner {
    const hit = this.instruments.get(id, now);
    // Same org but reported by another gateway or as another profile: let the registry record it.
    if (hit && (hit.org !== org || (hit.gateway === gateway && (profile === undefined || hit.profile === profile)))) return hit;
    // An instrument created here was announced (or first reported) by this gateway: it is the actor of the audit entry (issue 6).
    const inst = withActor(`gateway:${gateway}`, () => this.registry.ensureInstrument(org, id, gateway, now, profile));
    const owner = { org: inst.org, gateway: inst.gateway ?? null, profile: inst.profile ?? null };
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
