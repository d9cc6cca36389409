import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/principal';
import { parseKeyToken } from '../sites/key-token';
import { SiteKeyService } from '../sites/site-key.service';
import { DecideService } from './decide.service';
import { LiveHub } from './live-hub';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'access-control-allow-origin': '*',
};

@ApiTags('decide')
@Controller('v1')
export class DecideController {
  constructor(
    private readonly decide: DecideService,
    private readonly hub: LiveHub,
    private readonly keys: SiteKeyService,
  ) {}

  /**
   * Body (text/plain JSON): `{writeKey, anonymousId, userId?, userHash?, url, referrer, context}`.
   * Records nothing. With identity verification on, `userId` counts only with a valid `userHash`.
   */
  @Post('decide')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'CTAs to render for this visitor on this page now, and the live push URL' })
  handle(@Req() req: FastifyRequest) {
    return this.decide.handle(req.body, req.headers['user-agent']);
  }

  /**
   * Server-sent events: `event: cta` with `{ctas}` when a flow shows this visitor a CTA. The URL comes
   * from decide (signed for one anonymous id). Past LIVE_MAX_CONNECTIONS: 503, and the script polls.
   */
  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Live CTA push (SSE) for one visitor' })
  async live(
    @Query('k') writeKey: string | undefined,
    @Query('a') anonymousId: string | undefined,
    @Query('s') signature: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const refuse = (status: number, code: string, message: string) =>
      void reply
        .status(status)
        .header('access-control-allow-origin', '*')
        .header('retry-after', '30')
        .send({ statusCode: status, code, message });
    if (!this.hub.hasRoom()) return refuse(503, 'LIVE_FULL', 'live connections are at capacity; poll decide');
    if (writeKey && parseKeyToken(writeKey)?.kind === 'secret') {
      return refuse(403, 'SECRET_KEY_REFUSED', 'k: a secret key is for servers only; use the write key');
    }
    const key = writeKey ? await this.keys.verify(writeKey) : undefined;
    if (!key || !anonymousId || !signature || !this.decide.verifyLive(key.siteId, anonymousId, signature)) {
      return refuse(401, 'LIVE_UNAUTHORIZED', 'live URL is invalid');
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, SSE_HEADERS);
    res.write('retry: 15000\n\n');
    res.socket?.setNoDelay(true);
    this.hub.add(key.siteId, anonymousId, res);
  }
}
