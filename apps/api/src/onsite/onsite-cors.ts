import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

export const ONSITE_PATHS = ['/v1/decide', '/v1/live'];

/** The embed calls decide and opens the live stream from any site: `*` on every answer, preflights too. */
@Injectable()
export class OnsiteCors implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?', 1)[0];
      if (!ONSITE_PATHS.includes(path)) return;
      void reply.header('access-control-allow-origin', '*');
      if (req.method === 'OPTIONS') {
        return reply
          .header('access-control-allow-methods', 'GET, POST, OPTIONS')
          .header('access-control-allow-headers', 'content-type')
          .header('access-control-max-age', '86400')
          .status(204)
          .send();
      }
    });
  }
}
