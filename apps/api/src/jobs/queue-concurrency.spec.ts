import fc from 'fast-check';
import { QueueName } from './job.types';
import { queueConcurrency } from './queue-concurrency';

describe('queue concurrency', () => {
  it('never lets database-bound queues together outnumber the pool', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 8, max: 200 }),
        (WORKER_CONCURRENCY, DB_POOL_SIZE) => {
          const cfg = { WORKER_CONCURRENCY, DB_POOL_SIZE };
          const steps = queueConcurrency(QueueName.Steps, cfg);
          const triggers = queueConcurrency(QueueName.Triggers, cfg);
          expect(steps).toBeGreaterThanOrEqual(1);
          expect(triggers).toBeGreaterThanOrEqual(1);
          expect(steps + triggers).toBeLessThanOrEqual(DB_POOL_SIZE - 4);
          expect(steps).toBeLessThanOrEqual(WORKER_CONCURRENCY);
        },
      ),
    );
  });

  it('runs maintenance two at a time', () => {
    expect(queueConcurrency(QueueName.Maintenance, { WORKER_CONCURRENCY: 50, DB_POOL_SIZE: 24 })).toBe(2);
  });
});
