import { DynamicModule, Module, Type } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { FlowRefsProvider } from './flow-refs.provider';
import { FlowsController, FlowTemplatesController } from './flows.controller';
import { FlowsCoreModule } from './flows-core.module';
import { FlowsService } from './flows.service';

/**
 * Flows API: drafts with optimistic concurrency, immutable published versions, flows as code. The
 * modules that provide `FlowLiveRuns` and `FlowRunTotals` (`flow-activity.ts`: the runtime's and
 * analytics') are handed in where the modules are put together, as they depend on flows.
 */
@Module({})
export class FlowsModule {
  static withActivity(activity: Type<unknown>[]): DynamicModule {
    return {
      module: FlowsModule,
      imports: [CoreModule, FlowsCoreModule, ...activity],
      controllers: [FlowsController, FlowTemplatesController],
      providers: [FlowRefsProvider, FlowsService],
    };
  }
}
