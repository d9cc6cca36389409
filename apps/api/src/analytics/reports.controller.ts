import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SiteRole } from '../auth/principal';
import { idParam, parseWith } from '../common/zod-pipe';
import { ctaReportQuerySchema, reportQuerySchema } from './reports.schemas';
import { ReportsService } from './reports.service';

function csv(reply: FastifyReply, name: string, body: string): string {
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', `attachment; filename="${name}.csv"`);
  return body;
}

/** Reports over the rollups. `…/export` returns the same report as CSV. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/sites/:siteId/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('traffic')
  @SiteRole('viewer')
  traffic(@Param('siteId') siteId: string, @Query() query: Record<string, unknown>) {
    return this.reports.traffic(siteId, parseWith(reportQuerySchema, query));
  }

  @Get('traffic/export')
  @SiteRole('viewer')
  async trafficCsv(
    @Param('siteId') siteId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return csv(reply, 'traffic', await this.reports.trafficCsv(siteId, parseWith(reportQuerySchema, query)));
  }

  @Get('ctas')
  @SiteRole('viewer')
  ctas(@Param('siteId') siteId: string, @Query() query: Record<string, unknown>) {
    return this.reports.ctas(siteId, parseWith(ctaReportQuerySchema, query));
  }

  @Get('ctas/export')
  @SiteRole('viewer')
  async ctasCsv(
    @Param('siteId') siteId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return csv(reply, 'ctas', await this.reports.ctasCsv(siteId, parseWith(ctaReportQuerySchema, query)));
  }

  @Get('flows/:flowId')
  @SiteRole('viewer')
  flow(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.reports.flow(siteId, flowId, parseWith(reportQuerySchema, query));
  }

  @Get('flows/:flowId/export')
  @SiteRole('viewer')
  async flowCsv(
    @Param('siteId') siteId: string,
    @Param('flowId', idParam('flow')) flowId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return csv(
      reply,
      'flow',
      await this.reports.flowCsv(siteId, flowId, parseWith(reportQuerySchema, query)),
    );
  }

  @Get('realtime')
  @SiteRole('viewer')
  realtime(@Param('siteId') siteId: string) {
    return this.reports.realtime(siteId);
  }

  @Get('realtime/export')
  @SiteRole('viewer')
  async realtimeCsv(@Param('siteId') siteId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return csv(reply, 'realtime', await this.reports.realtimeCsv(siteId));
  }
}
