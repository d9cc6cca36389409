import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueueService } from '../jobs/job-queue.service';
import { QueueName } from '../jobs/job.types';
import { workerSchedules } from '../worker-schedules';

/**
 * Repeatable jobs live in Redis: if Redis loses its data (failover without AOF, FLUSHALL) the
 * reconciler's own schedule is gone and nothing would rescue the runs, re-queue webhooks or advance
 * the rollups. This re-creates every schedule of the worker's one list (`workerSchedules`) that is
 * missing, from every worker.
 */
@Injectable()
export class ScheduleWatchdog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScheduleWatchdog.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly queues: JobQueueService,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.cfg.SCHEDULE_MAINTENANCE) return;
    this.timer = setInterval(() => void this.check(), 2_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(): Promise<void> {
    const maintenance = this.queues.queue(QueueName.Maintenance);
    for (const s of workerSchedules()) {
      try {
        if (await maintenance.getJobScheduler(s.id)) continue;
        await maintenance.upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: {} });
        this.logger.warn({ id: s.id }, 're-created a missing schedule');
      } catch {
        // Redis unavailable: try again on the next tick.
      }
    }
  }
}
