import type { AlertChange, AlertRecord, Registry } from '../store/index.js';
import { alertText } from '../analytics/message.js';

/**
 * An alert as the API shows it: the record plus its text code and params (analytics/message.ts),
 * with the unit of its channel. `units` caches channel units across one list. GET /alerts,
 * GET /alerts/{id}, the ack answer and the live `alert` event all show alerts through it.
 */
export function alertView(registry: Registry, a: AlertRecord, units = new Map<string, string | null>()) {
  let unit: string | null = null;
  if (a.instrument && a.channel) {
    const key = `${a.instrument}\u0000${a.channel}`;
    if (!units.has(key)) units.set(key, registry.getChannel(a.instrument, a.channel)?.unit ?? null);
    unit = units.get(key)!;
  }
  return { ...a, ...alertText(a, unit) };
}

/** An alert change as a write answers it (the alerts a check or a standard's impact analysis raised). */
export function alertRef(c: AlertChange) {
  return { id: c.alert.id, kind: c.alert.kind, event: c.event, severity: c.alert.severity };
}
