import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobQueueService } from './job-queue.service';
import { QueueName } from './job.types';

const queues = Object.values(QueueName).map((name) => ({ name }));

/** Queues (producers) for both processes; the worker adds the processors. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) => ({
        prefix: cfg.QUEUE_PREFIX,
        connection: { url: cfg.REDIS_URL, maxRetriesPerRequest: null },
        defaultJobOptions: { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } },
      }),
    }),
    BullModule.registerQueue(...queues),
  ],
  providers: [JobQueueService],
  exports: [JobQueueService, BullModule],
})
export class JobsModule {}
