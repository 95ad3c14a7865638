import { MetronetError } from '../../core/index.js';
import { Engine } from '../../analytics/engine.js';
import type { Instrument } from '../../store/index.js';
import type { DashboardDeps } from '../app.js';

const engines = new WeakMap<object, Engine>();

/**
 * The analytics engine the routes use: the running service's (so API checks raise the same
 * alerts, delivered the same way), or, for a dashboard composed without analytics, a local
 * engine over the same registry that stores alerts without delivering them.
 */
export function analyticsOf(deps: DashboardDeps): Engine {
  if (deps.analytics) return deps.analytics;
  let e = engines.get(deps.registry);
  if (!e) engines.set(deps.registry, (e = new Engine({ registry: deps.registry, now: deps.now })));
  return e;
}

export function mustFindInstrument(deps: DashboardDeps, id: string): Instrument {
  const inst = deps.registry.getInstrument(id);
  if (!inst) throw new MetronetError('E_UNKNOWN_INSTRUMENT', `instrument "${id}" is not known`, { field: 'id', value: id });
  return inst;
}
