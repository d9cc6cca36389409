import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Type } from '@nestjs/common';
import { Job, WorkerOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobRegistry } from './job-registry';
import { JobName, QueueName } from './job.types';
import { queueConcurrency } from './queue-concurrency';

/**
 * A worker's lock on its job lasts QUEUE_LOCK_MS (renewed at half of it while the job runs), and the
 * stalled-job check runs as often: a job whose worker died runs again within about twice that.
 */
export function queueWorkerOptions(
  queue: QueueName,
  cfg: Pick<AppConfig, 'QUEUE_LOCK_MS' | 'WORKER_CONCURRENCY' | 'DB_POOL_SIZE'>,
): Partial<WorkerOptions> {
  return {
    concurrency: queueConcurrency(queue, cfg),
    lockDuration: cfg.QUEUE_LOCK_MS,
    stalledInterval: cfg.QUEUE_LOCK_MS,
  };
}

/** One BullMQ worker per queue; each job is routed by name to its `@OnJob` handler. */
function queueProcessor(queue: QueueName): Type<WorkerHost> {
  // `@Processor` keeps this object; the explorer reads it when it creates the worker (module init),
  // after the constructor below has filled it from the configuration.
  const workerOptions: Partial<WorkerOptions> = {};

  @Processor(queue, workerOptions)
  @Injectable()
  class QueueProcessor extends WorkerHost {
    constructor(
      readonly registry: JobRegistry,
      @Inject(APP_CONFIG) cfg: AppConfig,
    ) {
      super();
      Object.assign(workerOptions, queueWorkerOptions(queue, cfg));
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
