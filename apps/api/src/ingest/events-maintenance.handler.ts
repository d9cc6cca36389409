import { Injectable, Logger } from '@nestjs/common';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobName } from '../jobs/job.types';
import { DEDUPE_DAYS_KEPT, EventPartitionRepository } from './event-partition.repository';

const DAY_MS = 86_400_000;
const DELETE_BATCH = 50_000;

/**
 * EventsPartitionsEnsure: creates the next days' event partitions (and dedupe buckets), drops dedupe
 * buckets past the 48-hour window, and applies retention: a day partition is dropped whole once it
 * is older than the longest retention of any live site; shorter-retention sites are trimmed by
 * DELETE. The API also creates a missing partition on demand, so a late job never loses an event.
 */
@Injectable()
export class EventsMaintenance {
  private readonly logger = new Logger(EventsMaintenance.name);

  constructor(private readonly partitions: EventPartitionRepository) {}

  @OnJob(JobName.EventsPartitionsEnsure)
  async run(): Promise<{ created: number; dropped: string[]; deleted: number }> {
    const created = await this.partitions.ensureAhead();
    const dropped: string[] = [];
    const today = Date.parse(new Date().toISOString().slice(0, 10));

    for (const p of await this.partitions.partitions('event_dedupe')) {
      if (Date.parse(p.day) < today - DEDUPE_DAYS_KEPT * DAY_MS) {
        await this.partitions.drop(p.name);
        dropped.push(p.name);
      }
    }

    const policy = await this.partitions.retentionPolicy();
    let deleted = 0;
    if (policy.maxDays > 0) {
      const cutoff = Date.now() - policy.maxDays * DAY_MS;
      for (const p of await this.partitions.partitions('events')) {
        if (Date.parse(p.day) + DAY_MS <= cutoff) {
          await this.partitions.drop(p.name);
          dropped.push(p.name);
        }
      }
      for (const s of policy.sites) {
        if (s.days < policy.maxDays)
          deleted += await this.partitions.deleteOlderThan(s.siteId, s.days, DELETE_BATCH);
      }
    }
    if (created || dropped.length || deleted)
      this.logger.log({ created, dropped, deleted }, 'event partitions');
    return { created, dropped, deleted };
  }
}
