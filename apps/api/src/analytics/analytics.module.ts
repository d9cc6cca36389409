import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { ANALYTICS_CONFIG, loadAnalyticsConfig } from './analytics-config';
import { FunnelReportsController, FunnelsController } from './funnels.controller';
import { FunnelRepository } from './funnel.repository';
import { FunnelsService } from './funnels.service';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';
import { RollupHandler } from './rollup.handler';
import { RollupRepository } from './rollup.repository';

const analyticsConfig = { provide: ANALYTICS_CONFIG, useFactory: loadAnalyticsConfig };

/** Reports API (HTTP process): reads rollups only. */
@Module({
  imports: [CoreModule],
  controllers: [ReportsController, FunnelsController, FunnelReportsController],
  providers: [ReportsRepository, ReportsService, FunnelRepository, FunnelsService],
})
export class AnalyticsApiModule {}

/** Rollup maintenance (worker process). */
@Module({
  imports: [CoreModule],
  providers: [analyticsConfig, RollupRepository, RollupHandler],
})
export class AnalyticsWorkerModule {}

export { analyticsSchedules } from './analytics-config';
