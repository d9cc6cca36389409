import { DynamicModule, Module, Type } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { VisitorEventSource } from './visitor-events';
import { VisitorFold } from './visitor-fold';
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

/**
 * The worker's side (import it): the `update_visitor` effect (`VisitorUpdateEffect`), the profile
 * part of ingest's fold (`VisitorFold`) and the profiles' reads (`VisitorRepository`).
 */
@Module({
  imports: [CoreModule],
  providers: [VisitorRepository, VisitorUpdateEffect, VisitorFold],
  exports: [VisitorUpdateEffect, VisitorFold, VisitorRepository],
})
export class VisitorsWorkerModule {}
