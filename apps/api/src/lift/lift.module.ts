import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowsModule } from '../flows/flows.module';
import { LiftController } from './lift.controller';
import { LiftRepository } from './lift.repository';
import { LiftService } from './lift.service';

/** A flow's holdout lift report (HTTP). */
@Module({
  imports: [CoreModule, FlowsModule],
  controllers: [LiftController],
  providers: [LiftRepository, LiftService],
})
export class LiftModule {}
