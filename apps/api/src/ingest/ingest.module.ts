import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { VisitorRepository } from '../visitors/visitor.repository';
import { VisitorsController } from '../visitors/visitors.controller';
import { VisitorsService } from '../visitors/visitors.service';
import { EventStore } from './event-store.repository';
import { IngestController } from './ingest.controller';
import { IngestCors } from './ingest-cors';
import { IngestService } from './ingest.service';

/** HTTP side of ingestion: the tracking API and the marketer's visitor views. */
@Module({
  imports: [CoreModule],
  controllers: [IngestController, VisitorsController],
  providers: [EventStore, IngestService, IngestCors, VisitorRepository, VisitorsService],
  exports: [IngestService],
})
export class IngestModule {}
