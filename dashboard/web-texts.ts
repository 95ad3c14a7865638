import type { FastifyPluginAsync } from 'fastify';
import { webTexts } from '../analytics/alert-catalogue.js';

/**
 * The web UI's alert texts (titles, sentences, their words) as an ES module generated from the
 * alert catalogue, so the wording exists once (analytics/alert-catalogue.ts). Public like the
 * rest of the web UI's files: it holds no data, only wording.
 */
export const webTextRoutes: FastifyPluginAsync = async (app) => {
  const body = `// Generated from analytics/alert-catalogue.ts.\nexport default ${JSON.stringify(webTexts())};\n`;
  app.get('/alert-texts.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(body),
  );
};
