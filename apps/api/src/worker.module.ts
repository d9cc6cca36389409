import { Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AnalyticsWorkerModule } from './analytics/analytics.module';
import { AuthCoreModule } from './auth/auth-core.module';
import { BacktestWorkerModule } from './backtest/backtest.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { IngestWorkerModule } from './ingest/ingest-worker.module';
import { JobQueueService } from './jobs/job-queue.service';
import { JobRegistry } from './jobs/job-registry';
import { QueueName } from './jobs/job.types';
import { QUEUE_PROCESSORS } from './jobs/queue-processors';
import { OnsiteWorkerModule } from './onsite/onsite.module';
import { RuntimeWorkerModule } from './runtime/runtime.module';
import { SessionMaintenance } from './maintenance.handlers';
import { WebhooksCoreModule } from './webhooks/webhooks-core.module';
import { WebhooksWorkerModule } from './webhooks/webhooks-worker.module';
import { WorkerDrain } from './worker-drain';
import { workerSchedules } from './worker-schedules';

/** The worker process: BullMQ processors only, no HTTP. */
@Module({
  imports: [
    CoreModule,
    AuthCoreModule, // the session clean-up (`SessionMaintenance`)
    DiscoveryModule,
    IngestWorkerModule,
    WebhooksCoreModule,
    WebhooksWorkerModule,
    RuntimeWorkerModule,
    OnsiteWorkerModule,
    AnalyticsWorkerModule,
    BacktestWorkerModule,
  ],
  providers: [JobRegistry, ...QUEUE_PROCESSORS, SessionMaintenance, WorkerDrain],
})
export class WorkerModule implements OnApplicationBootstrap {
  constructor(
    private readonly queues: JobQueueService,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  /** Upserting is idempotent, so every worker replica does it at start (the watchdog keeps them). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.cfg.SCHEDULE_MAINTENANCE) return;
    const maintenance = this.queues.queue(QueueName.Maintenance);
    for (const s of workerSchedules()) {
      await maintenance.upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: {} });
    }
  }
}
