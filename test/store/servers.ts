/**
 * Moved to test/support/servers.ts. This re-export is kept only for bench/ingest.ts (outside
 * test/); point that import at ../test/support/servers.js and delete this file.
 */
export * from '../support/servers.js';
