import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/principal';
import { IngestService } from './ingest.service';

/**
 * Segment-compatible tracking API (write key as Basic username, `writeKey` field, or a secret key).
 * 202 means every accepted event is committed; `rejected` lists invalid batch events by index.
 */
@ApiTags('ingest')
@Controller('v1')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('track')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a custom event (Segment track)' })
  track(@Req() req: FastifyRequest) {
    return this.ingest.handle(req, 'track');
  }

  @Post('page')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Record a page view (Segment page)' })
  page(@Req() req: FastifyRequest) {
    return this.ingest.handle(req, 'page');
  }

  @Post('identify')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Tie a visitor to a user id and merge traits (Segment identify)' })
  identify(@Req() req: FastifyRequest) {
    return this.ingest.handle(req, 'identify');
  }

  @Post('alias')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Merge a previous id into a user id (Segment alias)' })
  alias(@Req() req: FastifyRequest) {
    return this.ingest.handle(req, 'alias');
  }

  @Post('batch')
  @Public()
  @HttpCode(202)
  @ApiOperation({ summary: 'Up to 2,500 events of any type; invalid ones are listed in `rejected`' })
  batch(@Req() req: FastifyRequest) {
    return this.ingest.handle(req, undefined);
  }
}
