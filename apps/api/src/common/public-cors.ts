import type { FastifyInstance } from 'fastify';

/**
 * Public browser endpoints (ingest, decide, live) are called from any customer site: every answer on
 * those paths, errors included, carries `Access-Control-Allow-Origin: *` (no credentials), and
 * OPTIONS preflights are answered before routing.
 */
export function allowAnyOrigin(
  fastify: FastifyInstance,
  paths: readonly string[],
  preflight: { methods: string; headers: string },
): void {
  fastify.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0];
    if (!paths.includes(path)) return;
    void reply.header('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      return reply
        .header('access-control-allow-methods', preflight.methods)
        .header('access-control-allow-headers', preflight.headers)
        .header('access-control-max-age', '86400')
        .status(204)
        .send();
    }
  });
}
