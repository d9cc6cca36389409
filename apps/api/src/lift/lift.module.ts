import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowsCoreModule } from '../flows/flows-core.module';
import { RuntimeApiModule } from '../runtime/runtime.module';
import { LiftController } from './lift.controller';
import { LiftService } from './lift.service';

/** A flow's holdout lift report (HTTP): runs read through the runtime, versions through flows. */
@Module({
  imports: [CoreModule, FlowsCoreModule, RuntimeApiModule],
  controllers: [LiftController],
  providers: [LiftService],
})
export class LiftModule {}
