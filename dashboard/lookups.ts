import type { Instrument, Registry } from '../store/index.js';
import { notFound } from './auth/tenant.js';

/** The instrument a route names, or E_UNKNOWN_INSTRUMENT (404). */
export function mustFindInstrument(registry: Registry, id: string): Instrument {
  const inst = registry.getInstrument(id);
  if (!inst) throw notFound('instrument', id);
  return inst;
}
