import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

export const INGEST_PATHS = ['/v1/track', '/v1/page', '/v1/identify', '/v1/alias', '/v1/batch'];

/**
 * Browsers post from any site: every ingest response (errors included) carries
 * `Access-Control-Allow-Origin: *`, and OPTIONS preflights are answered before routing.
 */
@Injectable()
export class IngestCors implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?', 1)[0];
      if (!INGEST_PATHS.includes(path)) return;
      void reply.header('access-control-allow-origin', '*');
      if (req.method === 'OPTIONS') {
        return reply
          .header('access-control-allow-methods', 'POST, OPTIONS')
          .header('access-control-allow-headers', 'authorization, content-type')
          .header('access-control-max-age', '86400')
          .status(204)
          .send();
      }
    });
  }
}
