import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { SitesCoreModule } from '../sites/sites-core.module';
import { EventStore } from './event-store.repository';
import { IngestController } from './ingest.controller';
import { IngestCors } from './ingest-cors';
import { IngestService } from './ingest.service';

/** HTTP side of ingestion: the tracking API (the visitor views are `VisitorsModule`'s). */
@Module({
  imports: [CoreModule, SitesCoreModule], // the site key check
  controllers: [IngestController],
  providers: [EventStore, IngestService, IngestCors],
  exports: [IngestService],
})
export class IngestModule {}
