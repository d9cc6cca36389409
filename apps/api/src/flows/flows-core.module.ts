import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowRepository } from './flow.repository';
import { FlowVersionRepository } from './flow-version.repository';

const exported = [FlowRepository, FlowVersionRepository];

/** The flows' repositories, for the features that read flows (runtime, analytics, backtests, lift). */
@Module({
  imports: [CoreModule],
  providers: exported,
  exports: exported,
})
export class FlowsCoreModule {}
