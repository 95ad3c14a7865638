/**
 * The fixed levels of the MQTT contract (ARCHITECTURE.md, "MQTT contract"). core/topics.ts builds
 * every topic from them and core/ids.ts refuses each of them as an id, so an id level can never
 * be read as one of these words (issue 16). Kept apart from both so neither imports the other's
 * module state at load time.
 */
export const TOPIC_WORD = {
  root: 'metronet',
  version: 'v1',
  labs: 'labs',
  alerts: 'alerts',
  readings: 'readings',
  checks: 'checks',
  status: 'status',
  rejects: 'rejects',
  /** End-to-end receipts, ingest → gateway (ARCHITECTURE.md); reserved before it is built. */
  receipts: 'receipts',
  audit: 'audit',
  checkpoint: 'checkpoint',
  /** A station's air-quality index (VN_AQI), analytics → the station's organisation (issue 17). */
  aqi: 'aqi',
} as const;

/** Every fixed topic level, for the reserved words of the id grammar. */
export const TOPIC_WORDS: readonly string[] = Object.values(TOPIC_WORD);
