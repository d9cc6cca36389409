import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { AfterCommit } from './webhooks/after-commit';

/**
 * A graceful stop, in order, before anything closes Redis, the queues or the pools (all of which
 * happens in `onApplicationShutdown`): the BullMQ workers stop taking jobs and finish the running
 * ones, then the after-commit callbacks of those jobs' transactions (the follow-up enqueues) finish.
 * Without this the workers and the Redis connections closed at the same time, and committed
 * follow-ups failed with "Connection is closed" (left for the reconciler and the re-queue pass).
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerDrain.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly afterCommit: AfterCommit,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((w) => w.instance as unknown)
      .filter((i): i is WorkerHost => i instanceof WorkerHost);
    const t0 = Date.now();
    // close() waits for the active jobs; BullMQ's own shutdown hook calls it again (same promise).
    await Promise.all(hosts.map((h) => h.worker.close()));
    await this.afterCommit.idle();
    this.logger.log({ workers: hosts.length, ms: Date.now() - t0 }, 'workers drained');
  }
}
