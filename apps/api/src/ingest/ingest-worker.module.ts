import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { DedupeWindowSealHandler } from './dedupe-window-seal.handler';
import { EventPartitionRepository } from './event-partition.repository';
import { EventsMaintenance } from './events-maintenance.handler';

/** Worker side of ingestion: partition creation, retention and the dedupe window's sealing. */
@Module({
  imports: [CoreModule],
  providers: [EventPartitionRepository, EventsMaintenance, DedupeWindowSealHandler],
})
export class IngestWorkerModule {}
