import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowRefsProvider } from './flow-refs.provider';
import { FlowRepository } from './flow.repository';
import { FlowVersionRepository } from './flow-version.repository';
import { FlowsController, FlowTemplatesController } from './flows.controller';
import { FlowsService } from './flows.service';

/** Flows API: drafts with optimistic concurrency, immutable published versions, flows as code. */
@Module({
  imports: [CoreModule],
  controllers: [FlowsController, FlowTemplatesController],
  providers: [FlowRepository, FlowVersionRepository, FlowRefsProvider, FlowsService],
  exports: [FlowRepository, FlowVersionRepository],
})
export class FlowsModule {}
