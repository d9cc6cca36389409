import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowsModule } from '../flows/flows.module';
import { BacktestHandler } from './backtest.handler';
import { BacktestRepository } from './backtest.repository';
import { BacktestService } from './backtest.service';
import { BacktestsController } from './backtests.controller';

/** Backtests API (HTTP process). */
@Module({
  imports: [CoreModule, FlowsModule],
  controllers: [BacktestsController],
  providers: [BacktestRepository, BacktestService],
})
export class BacktestModule {}

/** The backtest replay job (worker process). */
@Module({
  imports: [CoreModule],
  providers: [BacktestRepository, BacktestHandler],
})
export class BacktestWorkerModule {}
