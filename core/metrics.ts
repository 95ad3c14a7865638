import { Counter, type Registry } from 'prom-client';

/**
 * A Prometheus counter read from a service's own running total at scrape time: the services
 * count in plain numbers (their `stats()`), and the exposition reports the current total. The
 * counter is reset before each read so that it equals the total, never the sum of scrapes.
 *
 *   scrapedCounter(registry, 'metronet_ingest_readings_stored_total', 'readings committed', () => stats().stored);
 */
export function scrapedCounter(registry: Registry, name: string, help: string, total: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(total());
    },
  });
}
