import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { effectiveTolerance, toleranceProblems } from '../../analytics/tolerance.js';
import { ID_PATTERN, MAX_MAGNITUDE, MetronetError, Nullable, ToleranceSpec } from '../../core/index.js';
import type { DashboardDeps } from '../app.js';
import { mustFindInstrument } from '../lookups.js';

/** The schemas of this resource (STYLE.md 4: one schema, in the route's folder). */
export const ChannelParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }), channel: Type.String({ pattern: ID_PATTERN }) });

export const ChannelMetrologyIn = Type.Object(
  {
    tolerance: Nullable(ToleranceSpec),
    repeatability: Nullable(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_MAGNITUDE,
        description: 'σ of the channel error, in the channel unit; null = estimated from the checks (moving range / 1.128)',
      }),
    ),
    analyser: Type.Optional(Type.Boolean({ description: 'gas analyser channel: zero and span drift judged by the EPA out-of-control rule; default false' })),
  },
  { additionalProperties: false, description: 'the explicit per-channel override of the kind default tolerance, and the repeatability' },
);
export type ChannelMetrologyIn = Static<typeof ChannelMetrologyIn>;

export const ChannelMetrologyView = Type.Object({
  instrument: Type.String(),
  channel: Type.String(),
  tolerance: Nullable(ToleranceSpec),
  repeatability: Nullable(Type.Number()),
  analyser: Type.Boolean(),
  effectiveTolerance: Nullable(ToleranceSpec),
  toleranceSource: Type.Union([Type.Literal('channel'), Type.Literal('kind'), Type.Literal('none')]),
});

/**
 * A channel's metrology settings: tolerance override, repeatability, analyser flag. A change
 * makes the engine rebuild the channel's running state on its next check (σ and MPE change the
 * standardised errors already summed).
 */
export const metrologyRoutes: FastifyPluginAsync<DashboardDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { engine } = fastify;
  const store = deps.registry.analytics;
  const target = (id: string, channel: string) => {
    const inst = mustFindInstrument(deps.registry, id);
    if (!deps.registry.getChannel(inst.id, channel)) {
      throw new MetronetError('E_UNKNOWN_CHANNEL', `instrument ${inst.id} has no channel "${channel}"`, { field: 'channel', value: channel });
    }
    return inst;
  };
  const view = (id: string, channel: string) => {
    const inst = deps.registry.getInstrument(id)!;
    const m = store.getChannelMetrology(id, channel);
    const kindDefault = effectiveTolerance(null, inst.kind);
    const tolerance = m?.tolerance ?? null;
    return {
      instrument: id,
      channel,
      tolerance,
      repeatability: m?.repeatability ?? null,
      analyser: m?.analyser ?? false,
      effectiveTolerance: tolerance ?? kindDefault,
      toleranceSource: tolerance ? ('channel' as const) : kindDefault ? ('kind' as const) : ('none' as const),
    };
  };
  const responses = { 200: ChannelMetrologyView, 400: { $ref: 'Error#' }, 404: { $ref: 'Error#' } };

  app.get(
    '/instruments/:id/channels/:channel/metrology',
    {
      schema: {
        tags: ['analytics'],
        summary: "A channel's tolerance (override and effective), repeatability and analyser flag",
        params: ChannelParams,
        response: responses,
      },
    },
    async (req) => view(target(req.params.id, req.params.channel).id, req.params.channel),
  );

  app.put(
    '/instruments/:id/channels/:channel/metrology',
    {
      schema: {
        tags: ['analytics'],
        summary: "Set a channel's tolerance override (null = the kind default), repeatability (null = estimated) and analyser flag",
        params: ChannelParams,
        body: ChannelMetrologyIn,
        response: responses,
      },
    },
    async (req) => {
      const inst = target(req.params.id, req.params.channel);
      const { tolerance, repeatability, analyser } = req.body;
      if (analyser && tolerance?.model !== 'analyser') {
        throw new MetronetError('E_BAD_REQUEST', 'an analyser channel needs a tolerance of model "analyser" (its span)', {
          field: 'tolerance',
          value: tolerance,
        });
      }
      // What the schema cannot say: e₁ < e₂ < …, Max₁ < Max₂ < …, Min < Max, E_min not below the MMQ's (analytics/tolerance.ts).
      const problems = tolerance ? toleranceProblems(tolerance) : [];
      if (problems.length > 0) {
        throw new MetronetError('E_BAD_REQUEST', `tolerance: ${problems.join('; ')}`, { field: 'tolerance', rule: 'tolerance-consistent', value: tolerance });
      }
      engine.setChannelMetrology({ instrument: inst.id, channel: req.params.channel, tolerance, repeatability, analyser: analyser ?? false });
      return view(inst.id, req.params.channel);
    },
  );
};
