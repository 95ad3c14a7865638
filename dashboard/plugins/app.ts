import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../analytics/engine.js';
import { StationMonitor } from '../../analytics/station-monitor.js';
import type { DashboardDeps } from '../app.js';
import { StateCache } from '../state-cache.js';
import { offlineRuleOf } from '../states.js';
import { ChangeFeed } from '../live/change-feed.js';
import { LiveEvents } from '../live/live-events.js';
import { limitsOf } from '../limits.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The analytics engine of the composing process: every write that changes analytics state goes through it. */
    engine: Engine;
    /** Every instrument's state, kept between requests (state-cache.ts). */
    states: StateCache;
    /** What changed in the registry since a cursor (live/change-feed.ts). */
    changes: ChangeFeed;
    /** Environmental stations: state, completeness, averages, exceedances. */
    stations: StationMonitor;
    /** The live event streams of GET /events (live/live-events.ts). */
    live: LiveEvents;
  }
}

/**
 * The dashboard's application layer (STYLE.md 10; fastify's demo app: plugins/app): the services
 * the routes share, built once per app from its deps, decorated on the root instance so every
 * route plugin sees them, and closed with the app. Routes only translate HTTP to these calls.
 *
 * The engine is the composing process's (cli/stack.ts, cli/services.ts), built with the
 * analytics configuration; there is no default. It is not closed here: its owner closes it.
 */
async function applicationLayer(fastify: FastifyInstance, deps: DashboardDeps): Promise<void> {
  if (!deps.analytics) throw new TypeError('the dashboard needs the analytics engine of its process (DashboardDeps.analytics)');
  const now = deps.now ?? Date.now;
  const offline = offlineRuleOf(deps);
  const states = new StateCache(deps.registry);
  const changes = new ChangeFeed(deps.registry, offline);
  fastify.decorate('engine', deps.analytics);
  fastify.decorate('states', states);
  fastify.decorate('changes', changes);
  fastify.decorate('stations', new StationMonitor({ registry: deps.registry, readings: deps.readings, now: deps.now }));
  fastify.decorate(
    'live',
    new LiveEvents({ registry: deps.registry, states, changes, offline, now, log: fastify.log, maxStreamsPerUser: limitsOf(deps).streamsPerUser }),
  );
  // Open event streams would keep the server from closing (it waits for open connections before
  // the onClose hooks run): they end, and their timers stop, as closing begins.
  fastify.addHook('preClose', async () => fastify.live.close());
}

/** Registered at the root, not encapsulated: its decorations are the whole app's (what fastify-plugin does, without the dependency). */
export default Object.assign(applicationLayer, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'metronet-application-layer',
});
