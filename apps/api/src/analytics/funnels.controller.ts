import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SiteRole } from '../auth/principal';
import { ApiZodBody, idParam, parseWith, zodPipe } from '../common/zod-pipe';
import {
  createFunnelSchema,
  CreateFunnelInput,
  funnelReportQuerySchema,
  previewFunnelSchema,
  PreviewFunnelInput,
  updateFunnelSchema,
  UpdateFunnelInput,
} from './funnel.schemas';
import { FunnelsService } from './funnels.service';

/** Saved funnel definitions: viewers read, editors write. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/sites/:siteId/funnels')
export class FunnelsController {
  constructor(private readonly funnels: FunnelsService) {}

  @Get()
  @SiteRole('viewer')
  list(@Param('siteId') siteId: string) {
    return this.funnels.list(siteId);
  }

  @Post()
  @SiteRole('editor')
  @ApiZodBody(createFunnelSchema)
  create(@Param('siteId') siteId: string, @Body(zodPipe(createFunnelSchema)) body: CreateFunnelInput) {
    return this.funnels.create(siteId, body);
  }

  @Get(':funnelId')
  @SiteRole('viewer')
  get(@Param('siteId') siteId: string, @Param('funnelId', idParam('funnel')) id: string) {
    return this.funnels.get(siteId, id);
  }

  @Put(':funnelId')
  @SiteRole('editor')
  @ApiZodBody(updateFunnelSchema)
  update(
    @Param('siteId') siteId: string,
    @Param('funnelId', idParam('funnel')) id: string,
    @Body(zodPipe(updateFunnelSchema)) body: UpdateFunnelInput,
  ) {
    return this.funnels.update(siteId, id, body);
  }

  @Delete(':funnelId')
  @HttpCode(204)
  @SiteRole('editor')
  async remove(@Param('siteId') siteId: string, @Param('funnelId', idParam('funnel')) id: string) {
    await this.funnels.remove(siteId, id);
  }
}

/** Funnel reports: saved funnels from their day rows; `preview` runs an unsaved one over raw events. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/sites/:siteId/reports/funnels')
export class FunnelReportsController {
  constructor(private readonly funnels: FunnelsService) {}

  @Post('preview')
  @HttpCode(200)
  @SiteRole('viewer')
  @ApiZodBody(previewFunnelSchema)
  preview(@Param('siteId') siteId: string, @Body(zodPipe(previewFunnelSchema)) body: PreviewFunnelInput) {
    return this.funnels.preview(siteId, body);
  }

  @Get(':funnelId')
  @SiteRole('viewer')
  report(
    @Param('siteId') siteId: string,
    @Param('funnelId', idParam('funnel')) id: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.funnels.report(siteId, id, parseWith(funnelReportQuerySchema, query));
  }

  @Get(':funnelId/export')
  @SiteRole('viewer')
  async reportCsv(
    @Param('siteId') siteId: string,
    @Param('funnelId', idParam('funnel')) id: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // Headers only once the report exists: an error before that is JSON, not a CSV download.
    const csv = await this.funnels.reportCsv(siteId, id, parseWith(funnelReportQuerySchema, query));
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', 'attachment; filename="funnel.csv"');
    return csv;
  }
}
