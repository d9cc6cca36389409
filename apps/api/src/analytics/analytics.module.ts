import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowRunTotals } from '../flows/flow-activity';
import { FlowsCoreModule } from '../flows/flows-core.module';
import { SitesCoreModule } from '../sites/sites-core.module';
import { ANALYTICS_CONFIG, loadAnalyticsConfig } from './analytics-config';
import { FunnelReportsController, FunnelsController } from './funnels.controller';
import { FunnelRepository } from './funnel.repository';
import { FunnelsService } from './funnels.service';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';
import { RollupHandler } from './rollup.handler';
import { RollupRepository } from './rollup.repository';

/** The flows list's totals (flows' `FlowRunTotals` port), from the daily run rollups. */
const flowRunTotals = { provide: FlowRunTotals, useExisting: ReportsRepository };

const analyticsConfig = { provide: ANALYTICS_CONFIG, useFactory: loadAnalyticsConfig };

/** Reports API (HTTP process): reads rollups only (a flow's existence through flows, time zones through sites). */
@Module({
  imports: [CoreModule, FlowsCoreModule, SitesCoreModule],
  controllers: [ReportsController, FunnelsController, FunnelReportsController],
  providers: [ReportsRepository, ReportsService, FunnelRepository, FunnelsService, flowRunTotals],
  exports: [flowRunTotals],
})
export class AnalyticsApiModule {}

/** Rollup maintenance (worker process). */
@Module({
  imports: [CoreModule],
  providers: [analyticsConfig, RollupRepository, RollupHandler],
})
export class AnalyticsWorkerModule {}

export { analyticsSchedules } from './analytics-config';
