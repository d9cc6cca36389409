import { Module } from '@nestjs/common';
import { EventReplayRepository } from './event-replay.repository';
import { IngestedEventsRepository } from './ingested-events.repository';

/**
 * What other features read of ingested events, through ingest's repositories: the runtime (outbox
 * relay, trigger job), webhooks (system events), onsite (variant counts), visitors (timelines) and
 * backtests (replays).
 */
@Module({
  providers: [IngestedEventsRepository, EventReplayRepository],
  exports: [IngestedEventsRepository, EventReplayRepository],
})
export class IngestEventsModule {}
