import { DynamicModule, Module, Type } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { VisitorEventSource } from './visitor-events';
import { VisitorUpdateEffect } from './visitor-update.effect';
import { VisitorRepository } from './visitor.repository';
import { VisitorsController } from './visitors.controller';
import { VisitorsService } from './visitors.service';

/**
 * The marketer's visitor views (HTTP process). A visitor's events belong to ingest, which depends on
 * this feature (its fold applies the profile rules), so the events' source is handed in where the
 * modules are put together: `VisitorsModule.forApi(IngestedEventsRepository)`.
 */
@Module({})
export class VisitorsModule {
  static forApi(events: Type<VisitorEventSource>): DynamicModule {
    return {
      module: VisitorsModule,
      imports: [CoreModule],
      controllers: [VisitorsController],
      providers: [VisitorRepository, VisitorsService, { provide: VisitorEventSource, useClass: events }],
    };
  }
}

/** The `update_visitor` effect (worker process): import it and inject `VisitorUpdateEffect`. */
@Module({
  imports: [CoreModule],
  providers: [VisitorRepository, VisitorUpdateEffect],
  exports: [VisitorUpdateEffect],
})
export class VisitorsWorkerModule {}
