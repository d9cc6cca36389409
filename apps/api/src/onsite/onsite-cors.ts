import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { allowAnyOrigin } from '../common/public-cors';

export const ONSITE_PATHS = ['/v1/decide', '/v1/live'];

/** The embed calls decide and opens the live stream from any site: `*` on every answer, preflights too. */
@Injectable()
export class OnsiteCors implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    allowAnyOrigin(fastify, ONSITE_PATHS, { methods: 'GET, POST, OPTIONS', headers: 'content-type' });
  }
}
