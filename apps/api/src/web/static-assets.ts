import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';

const API_PREFIXES = ['/api/', '/v1/', '/health', '/metrics', '/docs', '/admin/', '/demo-shop'];

/**
 * Serves the built builder at `/` (SPA: unknown GET paths get index.html) and the embed script at
 * `/embed.js`, so one port carries the whole product.
 */
export async function mountStaticAssets(app: NestFastifyApplication, cfg: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const builderDir = resolve(cfg.BUILDER_DIST);
  const embedFile = resolve(cfg.EMBED_DIST, 'embed.js');

  fastify.get('/embed.js', async (_req, reply) => {
    if (!existsSync(embedFile)) {
      return reply
        .status(404)
        .send({ statusCode: 404, code: 'EMBED_NOT_BUILT', message: 'embed.js is not built' });
    }
    return reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*')
      .send(readFileSync(embedFile));
  });

  if (!existsSync(resolve(builderDir, 'index.html'))) return;
  await fastify.register(fastifyStatic, {
    root: builderDir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
  });
  const indexHtml = readFileSync(resolve(builderDir, 'index.html'));
  fastify.get('/*', async (req, reply) => {
    if (API_PREFIXES.some((p) => req.url.startsWith(p))) {
      return reply
        .status(404)
        .send({ statusCode: 404, code: 'ROUTE_NOT_FOUND', message: `Cannot GET ${req.url}` });
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(indexHtml);
  });
}
