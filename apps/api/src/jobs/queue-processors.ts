import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Type } from '@nestjs/common';
import { Job } from 'bullmq';
import { JobRegistry } from './job-registry';
import { JobName, QueueName } from './job.types';

/** One BullMQ worker per queue; each job is routed by name to its `@OnJob` handler. */
function queueProcessor(queue: QueueName, concurrency: number): Type<WorkerHost> {
  @Processor(queue, { concurrency })
  @Injectable()
  class QueueProcessor extends WorkerHost {
    constructor(readonly registry: JobRegistry) {
      super();
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

export const QUEUE_PROCESSORS = [
  queueProcessor(QueueName.Triggers, 20),
  queueProcessor(QueueName.Steps, 50),
  queueProcessor(QueueName.Webhooks, 50),
  queueProcessor(QueueName.Maintenance, 2),
];
