import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowsCoreModule } from '../flows/flows-core.module';
import { IngestEventsModule } from '../ingest/ingest-events.module';
import { OnsiteWorkerModule } from '../onsite/onsite.module';
import { SitesCoreModule } from '../sites/sites-core.module';
import { VisitorsWorkerModule } from '../visitors/visitors.module';
import { BacktestHandler } from './backtest.handler';
import { BacktestRepository } from './backtest.repository';
import { BacktestService } from './backtest.service';
import { BacktestsController } from './backtests.controller';

/** Backtests API (HTTP process). */
@Module({
  imports: [CoreModule, FlowsCoreModule],
  controllers: [BacktestsController],
  providers: [BacktestRepository, BacktestService],
})
export class BacktestModule {}

/** The backtest replay job (worker process): the window's events, profiles and CTA caps from their owners. */
@Module({
  imports: [CoreModule, IngestEventsModule, VisitorsWorkerModule, OnsiteWorkerModule, SitesCoreModule],
  providers: [BacktestRepository, BacktestHandler],
})
export class BacktestWorkerModule {}
