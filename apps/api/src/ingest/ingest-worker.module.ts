import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { EventPartitionRepository } from './event-partition.repository';
import { EventsMaintenance } from './events-maintenance.handler';

/** Worker side of ingestion: partition creation and retention. */
@Module({
  imports: [CoreModule],
  providers: [EventPartitionRepository, EventsMaintenance],
})
export class IngestWorkerModule {}
