import { MetronetError, unknownInstrument } from '../core/index.js';
import type { Instrument, Registry } from '../store/index.js';

/** The instrument a route names, or E_UNKNOWN_INSTRUMENT (404). */
export function mustFindInstrument(registry: Registry, id: string): Instrument {
  const inst = registry.getInstrument(id);
  if (!inst) throw MetronetError.fromIssue(unknownInstrument(id));
  return inst;
}
