import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import { JOB_QUEUE, JobName, JobPayloadMap, QueueName } from './job.types';

/** The only way code enqueues work: typed by job name, routed to its queue. */
@Injectable()
export class JobQueueService {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Triggers) triggers: Queue,
    @InjectQueue(QueueName.Steps) steps: Queue,
    @InjectQueue(QueueName.Webhooks) webhooks: Queue,
    @InjectQueue(QueueName.Maintenance) maintenance: Queue,
    @InjectQueue(QueueName.Backtests) backtests: Queue,
  ) {
    this.queues = {
      [QueueName.Triggers]: triggers,
      [QueueName.Steps]: steps,
      [QueueName.Webhooks]: webhooks,
      [QueueName.Maintenance]: maintenance,
      [QueueName.Backtests]: backtests,
    };
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  all(): Queue[] {
    return Object.values(this.queues);
  }

  async enqueue<N extends JobName>(name: N, data: JobPayloadMap[N], opts?: JobsOptions): Promise<void> {
    await this.queues[JOB_QUEUE[name]].add(name, data, opts);
  }

  async enqueueBulk<N extends JobName>(
    name: N,
    jobs: { data: JobPayloadMap[N]; opts?: JobsOptions }[],
  ): Promise<void> {
    if (jobs.length === 0) return;
    await this.queues[JOB_QUEUE[name]].addBulk(jobs.map((j) => ({ name, data: j.data, opts: j.opts })));
  }
}
