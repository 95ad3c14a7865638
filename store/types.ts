import type { InstrumentKind, Issue, Reading, ReadingStatus } from '../core/index.js';
import type { AnalyticsStore } from './analytics.js';
import type { AuditLog } from './audit.js';
import type { IdentityStore } from './identity.js';
import type { StationStore } from './stations.js';
import type { AdmissionRefusal, Tombstone, UnregisteredBounds } from './instrument-history.js';
import type { RecordsStore } from './records.js';
import type { InspectionStore } from './inspections.js';

/**
 * The store contracts. Registry: relational facts (organisations, gateways, instruments,
 * channels, rejects). Readings: the time series, with one interface and several implementations
 * that pass one shared contract test suite.
 */
export type OrgKind = 'enterprise' | 'lab' | 'authority';

export interface Org {
  id: string;
  name: string;
  kind: OrgKind;
  /**
   * History: the district (quận/huyện) entered before the two-level administration of
   * 1 July 2025. Readable and shown as such ("trước 01/07/2025"), never used for grouping.
   */
  district?: string | null;
  /** Province code (2 digits) of the list in force since 1 July 2025 (core/admin-units.ts). */
  province?: string | null;
  /** Commune, ward or special zone code (5 digits), inside `province`. */
  commune?: string | null;
}

export type GatewayState = 'online' | 'offline' | 'unknown';

export interface GatewayRecord {
  id: string;
  org: string;
  name?: string | null;
  state: GatewayState;
  lastSeen?: number | null;
  version?: string | null;
  /** The spool as the gateway last reported it in its status (issue 7); null when never reported. */
  spool?: GatewaySpool | null;
}

export interface GatewaySpool {
  depth: number;
  full: boolean;
  dropped: number;
}

/** `unregistered`: announced by a gateway or seen in readings, waiting for its organisation to complete it. */
export type Registration = 'registered' | 'unregistered';

export interface Instrument {
  id: string;
  org: string;
  registration: Registration;
  kind?: InstrumentKind | null;
  name?: string | null;
  serial?: string | null;
  gateway?: string | null;
  profile?: string | null;
  /** Site or address shown to people, e.g. "Chợ Phan Thiết, sạp 12". */
  site?: string | null;
  /**
   * Where the instrument or station stands (core/admin-units.ts codes): reports group by it,
   * falling back to its organisation's location when unset.
   */
  province?: string | null;
  commune?: string | null;
  createdAt: number;
  lastSeen?: number | null;
  /**
   * Set when the id was removed or reassigned before (registry migration 10): this registration's
   * history begins here (epoch ms, server clock); records of the id from before belong to an
   * earlier registration and are not this instrument's.
   */
  historySince?: number;
}

export interface Channel {
  instrument: string;
  channel: string;
  unit: string;
  lastTs?: number | null;
  lastValue?: number | null;
  lastStatus?: ReadingStatus | null;
}

export interface InstrumentFilter {
  org?: string;
  /** Only instruments this lab serves (tenant scope of a lab, issue 6). */
  servedBy?: string;
  /** Only instruments of the organisations this inspector has visits at (tenant scope of an inspector, issue 18). */
  inspectedBy?: string;
  kind?: InstrumentKind;
  registration?: Registration;
  /** Substring of id, name, serial or site. */
  q?: string;
  /** Only instruments in this province / commune: where they stand, else where their organisation is (codes, core/admin-units.ts). */
  province?: string;
  commune?: string;
  /** Only these instruments (a page of a list filtered elsewhere). */
  ids?: string[];
  limit?: number;
  offset?: number;
}

/** A refused reading or message, kept so people and gateways can learn why. */
export interface RejectRecord extends Issue {
  ts: number;
  org?: string | null;
  gateway?: string | null;
  instrument?: string | null;
}

export interface Registry {
  upsertOrg(org: Org): void;
  getOrg(id: string): Org | undefined;
  listOrgs(): Org[];

  upsertGateway(gw: Omit<GatewayRecord, 'state'> & { state?: GatewayState }): void;
  getGateway(id: string): GatewayRecord | undefined;
  listGateways(org?: string): GatewayRecord[];
  setGatewayState(id: string, state: GatewayState, ts: number, version?: string, spool?: GatewaySpool): void;

  /** Creates or replaces the registered facts of an instrument (keeps createdAt and lastSeen). */
  upsertInstrument(inst: Omit<Instrument, 'createdAt' | 'lastSeen'> & { createdAt?: number }): Instrument;
  getInstrument(id: string): Instrument | undefined;
  listInstruments(filter?: InstrumentFilter): { items: Instrument[]; total: number };
  /** Province and commune of every instrument that has its own (migration 12), in one query: what reports and the overview group by. */
  instrumentLocations(): Map<string, { province: string | null; commune: string | null }>;
  /**
   * The instrument, created as `unregistered` for `org` when unknown. An instrument of another
   * organisation is returned unchanged (never moved); the caller checks `org`. For an instrument
   * of `org`, a different non-null gateway or profile is recorded (it was re-wired).
   */
  ensureInstrument(org: string, id: string, gateway: string | null, now: number, profile?: string | null): Instrument;

  /** What still belongs to an organisation: instruments, users, gateways, instruments served and standards (a lab's). */
  orgUsage(id: string): { instruments: number; users: number; gateways: number; served: number; references: number };
  /**
   * Deletes an organisation and its lab/org MQTT logins, audited; E_CONFLICT while anything of
   * orgUsage remains. False when unknown.
   */
  deleteOrg(id: string): boolean;
  /** Deletes a gateway and its MQTT login, audited; its instruments stay. False when unknown. */
  deleteGateway(id: string): boolean;
  /**
   * Deletes an instrument with its channels and station facts, audited, leaving a tombstone
   * (migration 10): its live alerts are cleared, its drift state and channel settings dropped;
   * checks, calibrations, alerts and readings stay as history of that registration. The id takes
   * no readings until registered again, which starts a new registration with empty history.
   */
  deleteInstrument(id: string): boolean;
  /**
   * The authority hands an id to another organisation: the current registration is retired
   * (tombstone, audited `instrument.reassign`) and the id starts again for `org`, unregistered,
   * without facts, channels or history. E_UNKNOWN_INSTRUMENT when unknown.
   */
  reassignInstrument(id: string, org: string, now?: number): Instrument;
  /** Former registrations of an id (removed or reassigned), newest first. */
  instrumentTombstones(id: string): Tombstone[];
  /** Moves on every removal, reassignment and change of owner or registration (ingest drops its cache when it moved). */
  identityRev(): number;
  /**
   * Whether a gateway may have `id` (ingest asks before ensureInstrument): known, or unknown and
   * creatable (never removed, the gateway within its bounds on unregistered instruments), or the
   * bound it breaks. Workers sharing a registry may each pass a bound at the same instant: it is
   * exceeded by at most one message per worker.
   */
  instrumentAdmission(id: string, gateway: string, now: number, bounds: UnregisteredBounds): { known: boolean } | { refused: AdmissionRefusal };

  /** Channels of one instrument (several with `instrumentIds`), with their latest value. */
  listChannels(instrument: string): Channel[];
  /** Channels of many instruments in one query; every requested id has an entry (maybe empty). */
  listChannelsOf(instruments: string[]): Map<string, Channel[]>;
  getChannel(instrument: string, channel: string): Channel | undefined;
  /**
   * Instruments changed (created, newly seen, registration, kind or owner changed) after the
   * change counter `after`, oldest change first, and the counter to ask from next (migration 6).
   */
  changedInstruments(after: number, limit?: number): { items: Instrument[]; rev: number };
  /** The instruments change counter now: where a reader starts. */
  instrumentsRev(): number;
  /** Instruments last seen in [from, to): those that went offline in a time window. */
  instrumentsSeenBetween(from: number, to: number): Instrument[];
  /** Declares a channel with its unit; a channel's unit, once set, does not change here. */
  ensureChannel(instrument: string, channel: string, unit: string): Channel;
  /**
   * Moves each channel's latest value forward (never backward) and the instruments' lastSeen, in
   * one transaction. Channels must exist (ensureChannel); readings of unknown channels are skipped.
   */
  updateLatest(readings: Reading[]): void;

  /** Keeps the newest 10 000 (configurable), pruning older ones in the same transaction. */
  recordRejects(rejects: RejectRecord[]): void;
  /** Newest first; default limit 100. */
  listRejects(filter?: { org?: string; gateway?: string; limit?: number }): RejectRecord[];

  /** Reference standards, checks, calibrations, drift state, alerts, webhooks (analytics, issue 5). */
  readonly analytics: AnalyticsStore;
  /** Environmental stations: position, record interval, limit overrides (issue 8). */
  readonly stations: StationStore;
  /** Users, tokens, sessions and MQTT credentials (issue 6). */
  readonly identity: IdentityStore;
  /** Append-only, hash-chained audit trail (issue 6). */
  readonly audit: AuditLog;
  /** Designations, corrections, seal register, traceability anchors (migration 8). */
  readonly records: RecordsStore;
  readonly inspections: InspectionStore;

  close(): void;
}

/** A reading as stored: the wire reading plus the organisation that owns the instrument. */
export interface StoredReading extends Reading {
  org: string;
}

/**
 * A readings query. Series come one per channel that has points in range (channels without
 * points are left out), points in ascending ts.
 */
export interface ReadingsQuery {
  instrument: string;
  channel?: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /**
   * Bucket width in ms; when set, points are per-bucket mean with min, max and count. Buckets
   * are aligned on `from` (bucket k covers [from + k·every, from + (k+1)·every), its ts is its
   * start), so a caller picks calendar alignment by its `from` (e.g. local midnight for days).
   * Empty buckets are left out.
   */
  every?: number;
  /** Most points per channel (raw queries); newest are dropped beyond it. No limit when unset. */
  limit?: number;
  /**
   * Only readings stored for this organisation (both stores tag each reading with its owner): the
   * instrument's current owner, so that an id reassigned or registered again by another
   * organisation never shows the earlier owner's readings (registry migration 10).
   */
  org?: string;
}

export interface ReadingPoint {
  ts: number;
  value: number;
  status?: ReadingStatus;
  min?: number;
  max?: number;
  count?: number;
}

export interface Series {
  channel: string;
  points: ReadingPoint[];
}

/** A reading the store refused for good (e.g. an InfluxDB field-type conflict): retrying cannot store it. */
export interface RefusedReading {
  /** The very object given to write(), so the caller can tell which message it came from. */
  reading: StoredReading;
  reason: string;
}

/** What a write did beyond storing: readings refused for good go to rejects, never to a retry loop. */
export interface WriteResult {
  refused: RefusedReading[];
}

export interface ReadingsStore {
  /**
   * Durably stores the readings; a reading already stored (instrument, channel, ts) is kept once.
   * Resolves once they are durable; rejects when nothing can be said (retry it, it is idempotent);
   * may resolve with readings refused for good, everything else being stored.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a store that refuses nothing resolves with nothing
  write(readings: StoredReading[]): Promise<WriteResult | void>;
  query(q: ReadingsQuery): Promise<Series[]>;
  /** Count of stored readings (for tests and metrics), optionally of one instrument. */
  count(instrument?: string): Promise<number>;
  close(): Promise<void>;
}
