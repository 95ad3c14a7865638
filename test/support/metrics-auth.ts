/** dashboard.metricsToken of the test stacks: /metrics on the public port answers only a request bearing it (issue 16). */
export const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef';
/** Request options carrying that token (fetch init or fastify inject options). */
export const METRICS_AUTH = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };
