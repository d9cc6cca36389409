import type { AppConfig } from '../config/app-config';
import { QueueName } from './job.types';

/**
 * Jobs that hold a database connection must not outnumber the pool, or they queue for connections
 * and time out under load; so concurrency is derived from WORKER_CONCURRENCY and capped by DB_POOL_SIZE
 * (steps and triggers together stay within the pool minus a few connections for maintenance loops).
 */
export function queueConcurrency(
  queue: QueueName,
  cfg: Pick<AppConfig, 'WORKER_CONCURRENCY' | 'DB_POOL_SIZE'>,
): number {
  const dbBound = Math.max(1, cfg.DB_POOL_SIZE - 4);
  switch (queue) {
    case QueueName.Steps:
      return stepsConcurrency(cfg, dbBound);
    case QueueName.Triggers:
      return Math.max(
        1,
        Math.min(Math.ceil(cfg.WORKER_CONCURRENCY / 4), dbBound - stepsConcurrency(cfg, dbBound)),
      );
    case QueueName.Webhooks:
      // Deliveries spend their time on the network, touching the database only briefly.
      return cfg.WORKER_CONCURRENCY * 2;
    case QueueName.Maintenance:
      return 2;
    case QueueName.Backtests:
      // One replay per worker: CPU-bound, and its slices take turns with other sites' backtests.
      return 1;
  }
}

function stepsConcurrency(cfg: Pick<AppConfig, 'WORKER_CONCURRENCY'>, dbBound: number): number {
  return Math.max(1, Math.min(cfg.WORKER_CONCURRENCY, Math.floor(dbBound * 0.75)));
}
