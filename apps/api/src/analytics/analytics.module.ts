import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { ANALYTICS_CONFIG, loadAnalyticsConfig } from './analytics-config';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';
import { RollupHandler } from './rollup.handler';
import { RollupRepository } from './rollup.repository';

const analyticsConfig = { provide: ANALYTICS_CONFIG, useFactory: loadAnalyticsConfig };

/** Reports API (HTTP process): reads rollups only. */
@Module({
  imports: [CoreModule],
  controllers: [ReportsController],
  providers: [ReportsRepository, ReportsService],
})
export class AnalyticsApiModule {}

/** Rollup maintenance (worker process). */
@Module({
  imports: [CoreModule],
  providers: [analyticsConfig, RollupRepository, RollupHandler],
})
export class AnalyticsWorkerModule {}

export { analyticsSchedules } from './analytics-config';
