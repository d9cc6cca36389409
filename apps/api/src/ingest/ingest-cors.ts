import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { allowAnyOrigin } from '../common/public-cors';

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
    allowAnyOrigin(fastify, INGEST_PATHS, {
      methods: 'POST, OPTIONS',
      headers: 'authorization, content-type',
    });
  }
}
