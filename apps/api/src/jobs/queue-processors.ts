import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationBootstrap, Type } from '@nestjs/common';
import { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobRegistry } from './job-registry';
import { JobName, QueueName } from './job.types';
import { queueConcurrency } from './queue-concurrency';

/** One BullMQ worker per queue; each job is routed by name to its `@OnJob` handler. */
function queueProcessor(queue: QueueName): Type<WorkerHost> {
  @Processor(queue)
  @Injectable()
  class QueueProcessor extends WorkerHost implements OnApplicationBootstrap {
    constructor(
      readonly registry: JobRegistry,
      @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    ) {
      super();
    }

    onApplicationBootstrap(): void {
      this.worker.concurrency = queueConcurrency(queue, this.cfg);
    }

    process(job: Job): Promise<unknown> {
      return this.registry.dispatch(job.name as JobName, job.data as never, {
        jobId: job.id,
        attemptsMade: job.attemptsMade,
        queue,
      });
    }
  }
  Object.defineProperty(QueueProcessor, 'name', {
    value: `${queue[0].toUpperCase()}${queue.slice(1)}Processor`,
  });
  return QueueProcessor;
}

export const QUEUE_PROCESSORS = Object.values(QueueName).map(queueProcessor);
