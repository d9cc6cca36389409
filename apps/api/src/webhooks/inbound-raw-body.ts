import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppError } from '../common/app-error';
import { INBOUND_MAX_BYTES } from './inbound-hooks.service';

export const INBOUND_PREFIX = '/v1/hooks/';
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Standard Webhooks signatures cover the exact bytes received, so inbound hook requests keep their
 * raw body (bounded by the event size limit) before Fastify parses the JSON. Other routes untouched.
 */
@Injectable()
export class InboundRawBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addHook('preParsing', async (req: RawBodyRequest, _reply, payload) => {
      if (!req.url.startsWith(INBOUND_PREFIX)) return payload;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        size += (chunk as Buffer).length;
        if (size > INBOUND_MAX_BYTES)
          throw new AppError(413, 'PAYLOAD_TOO_LARGE', `body: larger than ${INBOUND_MAX_BYTES} bytes`);
        chunks.push(chunk as Buffer);
      }
      req.rawBody = Buffer.concat(chunks);
      const replay = Readable.from([req.rawBody]) as Readable & { receivedEncodedLength?: number };
      replay.receivedEncodedLength = req.rawBody.length;
      return replay;
    });
  }
}
