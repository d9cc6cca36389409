import { Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AnalyticsWorkerModule, analyticsSchedules } from './analytics/analytics.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { IngestWorkerModule } from './ingest/ingest-worker.module';
import { JobQueueService } from './jobs/job-queue.service';
import { JobRegistry } from './jobs/job-registry';
import { JobName, QueueName } from './jobs/job.types';
import { QUEUE_PROCESSORS } from './jobs/queue-processors';
import { OnsiteWorkerModule } from './onsite/onsite.module';
import { RuntimeWorkerModule, runtimeSchedules } from './runtime/runtime.module';
import { SessionMaintenance } from './maintenance.handlers';
import { WebhooksWorkerModule } from './webhooks/webhooks-worker.module';

/** Repeatable maintenance jobs; upserting is idempotent, so every worker replica may do it at start. */
const SCHEDULES: { id: string; name: JobName; everyMs: number }[] = [
  { id: 'sessions-purge', name: JobName.SessionsPurgeExpired, everyMs: 3_600_000 },
  { id: 'events-partitions', name: JobName.EventsPartitionsEnsure, everyMs: 3_600_000 },
  { id: 'webhooks-queue-due', name: JobName.WebhookMessagesQueueDue, everyMs: 60_000 },
  ...runtimeSchedules(),
  ...analyticsSchedules(),
];

/** The worker process: BullMQ processors only, no HTTP. */
@Module({
  imports: [
    CoreModule,
    DiscoveryModule,
    IngestWorkerModule,
    WebhooksWorkerModule,
    RuntimeWorkerModule,
    OnsiteWorkerModule,
    AnalyticsWorkerModule,
  ],
  providers: [JobRegistry, ...QUEUE_PROCESSORS, SessionMaintenance],
})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: JobQueueService,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.cfg.SCHEDULE_MAINTENANCE) return;
    const maintenance = this.queues.queue(QueueName.Maintenance);
    for (const s of SCHEDULES) {
      await maintenance.upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: {} });
    }
  }
}
