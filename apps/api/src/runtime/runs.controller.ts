import { Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { SiteRole } from '../auth/principal';
import { idParam, parseWith } from '../common/zod-pipe';
import { deadLetterQuerySchema, listRunsQuerySchema } from './runs.schemas';
import { RunsService } from './runs.service';

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/sites/:siteId')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Get('flows/:flowId/runs')
  @SiteRole('viewer')
  list(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.runs.list(siteId, flowId, parseWith(listRunsQuerySchema, query));
  }

  /** Per-node counters for the builder's live overlay: entered, currently waiting, exited per output. */
  @Get('flows/:flowId/stats')
  @SiteRole('viewer')
  stats(@Param('siteId') siteId: string, @Param('flowId', idParam('flow')) flowId: string) {
    return this.runs.stats(siteId, flowId);
  }

  @Get('runs/dead-letter')
  @SiteRole('viewer')
  deadLetter(@Param('siteId') siteId: string, @Query() query: Record<string, unknown>) {
    return this.runs.deadLetter(siteId, parseWith(deadLetterQuerySchema, query));
  }

  @Get('runs/:runId')
  @SiteRole('viewer')
  get(@Param('siteId') siteId: string, @Param('runId', idParam('run')) runId: string) {
    return this.runs.get(siteId, runId);
  }

  @Post('runs/:runId/cancel')
  @SiteRole('editor')
  cancel(@Param('siteId') siteId: string, @Param('runId', idParam('run')) runId: string) {
    return this.runs.cancel(siteId, runId);
  }

  /** Dead letter: run the failed action again (fresh attempts). */
  @Post('runs/:runId/retry')
  @SiteRole('editor')
  retry(@Param('siteId') siteId: string, @Param('runId', idParam('run')) runId: string) {
    return this.runs.resume(siteId, runId, 'retry');
  }

  /** Dead letter: mark the failed action skipped and continue the run. */
  @Post('runs/:runId/skip')
  @SiteRole('editor')
  skip(@Param('siteId') siteId: string, @Param('runId', idParam('run')) runId: string) {
    return this.runs.resume(siteId, runId, 'skip');
  }
}
