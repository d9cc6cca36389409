import { Global, Module } from '@nestjs/common';
import { FoldLagRepository } from '../ingest/fold-lag.repository';
import { FoldLagMetrics } from './fold-lag.metrics';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  providers: [MetricsService, FoldLagRepository, FoldLagMetrics],
  controllers: [MetricsController],
  exports: [MetricsService],
})
export class MetricsModule {}
