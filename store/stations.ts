import type { StationLimit, StationSettings } from '../core/index.js';
import type { AuditLog } from './audit.js';
import type { Db, Migration } from './sqlite.js';

/**
 * Registry migration 3 (issue 8): environmental stations. A station is an `env_station`
 * instrument (its channels are its parameters); this table adds where it stands, what it serves
 * (air, water, emission), how often it records and which limit set applies. `station_limits`
 * overrides single limits of that set per (parameter, period): limits are data, not code.
 */
export const STATIONS_MIGRATION: Migration = {
  id: 3,
  name: 'environmental stations: position, record interval, limit overrides',
  sql: `
    CREATE TABLE stations (
      instrument TEXT PRIMARY KEY REFERENCES instruments (id) ON DELETE CASCADE,
      medium TEXT NOT NULL CHECK (medium IN ('air', 'water', 'emission')),
      latitude REAL NOT NULL,
      longitude REAL NOT NULL,
      interval_ms INTEGER NOT NULL CHECK (interval_ms > 0),
      tolerance_ms INTEGER NOT NULL CHECK (tolerance_ms >= 0),
      limit_set TEXT NOT NULL
    ) STRICT;

    CREATE TABLE station_limits (
      instrument TEXT NOT NULL REFERENCES instruments (id) ON DELETE CASCADE,
      parameter TEXT NOT NULL,
      period TEXT NOT NULL CHECK (period IN ('1h', '8h', '24h')),
      max REAL NOT NULL,
      min REAL,
      unit TEXT NOT NULL,
      source TEXT NOT NULL,
      PRIMARY KEY (instrument, parameter, period)
    ) STRICT, WITHOUT ROWID;
  `,
};

export interface StationRow extends StationSettings {
  instrument: string;
}

type Row = Record<string, unknown>;

const toStation = (r: Row): StationRow => ({
  instrument: r.instrument as string,
  medium: r.medium as StationRow['medium'],
  latitude: r.latitude as number,
  longitude: r.longitude as number,
  intervalMs: r.interval_ms as number,
  toleranceMs: r.tolerance_ms as number,
  limitSet: r.limit_set as string,
});

/** Station facts on the registry's connection; one statement per method. */
export class StationStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly audit?: AuditLog,
  ) {
    this.s = {
      upsert: db.prepare(
        `INSERT INTO stations (instrument, medium, latitude, longitude, interval_ms, tolerance_ms, limit_set)
         VALUES (@instrument, @medium, @latitude, @longitude, @intervalMs, @toleranceMs, @limitSet)
         ON CONFLICT (instrument) DO UPDATE SET medium = excluded.medium, latitude = excluded.latitude, longitude = excluded.longitude,
           interval_ms = excluded.interval_ms, tolerance_ms = excluded.tolerance_ms, limit_set = excluded.limit_set`,
      ),
      get: db.prepare('SELECT * FROM stations WHERE instrument = ?'),
      list: db.prepare('SELECT * FROM stations ORDER BY instrument'),
      setLimit: db.prepare(
        `INSERT INTO station_limits (instrument, parameter, period, max, min, unit, source) VALUES (@instrument, @parameter, @period, @max, @min, @unit, @source)
         ON CONFLICT (instrument, parameter, period) DO UPDATE SET max = excluded.max, min = excluded.min, unit = excluded.unit, source = excluded.source`,
      ),
      limits: db.prepare('SELECT * FROM station_limits WHERE instrument = ? ORDER BY parameter, period'),
      clearLimits: db.prepare('DELETE FROM station_limits WHERE instrument = ?'),
    };
  }

  upsertStation(s: StationRow): void {
    this.s.upsert.run(s);
  }

  /** Changes a station's facts (API, issue 8), audited as `station.update` with before and after. */
  updateStation(s: StationRow): StationRow {
    return this.db
      .transaction(() => {
        const before = this.getStation(s.instrument);
        this.upsertStation(s);
        const after = this.getStation(s.instrument)!;
        if (JSON.stringify(before) !== JSON.stringify(after)) this.audit?.append('station.update', `instrument:${s.instrument}`, before ?? null, after);
        return after;
      })
      .immediate();
  }

  /** Replaces every per-station limit override (API, issue 8), audited as `station.limits`. */
  replaceLimits(instrument: string, limits: readonly StationLimit[]): StationLimit[] {
    return this.db
      .transaction(() => {
        const before = this.limitOverrides(instrument);
        this.s.clearLimits.run(instrument);
        for (const l of limits) this.setLimit(instrument, l);
        const after = this.limitOverrides(instrument);
        if (JSON.stringify(before) !== JSON.stringify(after)) this.audit?.append('station.limits', `instrument:${instrument}`, before, after);
        return after;
      })
      .immediate();
  }

  getStation(instrument: string): StationRow | undefined {
    const r = this.s.get.get(instrument) as Row | undefined;
    return r && toStation(r);
  }

  listStations(): StationRow[] {
    return (this.s.list.all() as Row[]).map(toStation);
  }

  setLimit(instrument: string, l: StationLimit): void {
    this.s.setLimit.run({ instrument, parameter: l.parameter, period: l.period, max: l.max, min: l.min ?? null, unit: l.unit, source: l.source });
  }

  /** Per-station overrides of the station's limit set. */
  limitOverrides(instrument: string): StationLimit[] {
    return (this.s.limits.all(instrument) as Row[]).map((r) => {
      const l: StationLimit = {
        parameter: r.parameter as string,
        period: r.period as StationLimit['period'],
        max: r.max as number,
        unit: r.unit as string,
        source: r.source as string,
      };
      if (r.min !== null) l.min = r.min as number;
      return l;
    });
  }
}
