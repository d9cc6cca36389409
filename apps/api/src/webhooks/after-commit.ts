import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/**
 * Runs a callback once the caller's transaction has committed (or at once without one), so a job is
 * never enqueued for a row a rollback took back. Rolled-back callbacks are dropped.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface {
  private readonly logger = new Logger(AfterCommit.name);
  private readonly pending = new Map<QueryRunner, (() => Promise<void>)[]>();
  /** Callbacks of committed transactions still running (a graceful stop waits for them). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(db: DataSource) {
    db.subscribers.push(this);
  }

  async run(tx: EntityManager | undefined, fn: () => Promise<void>): Promise<void> {
    const runner = tx?.queryRunner;
    if (!runner || !runner.isTransactionActive) return fn();
    this.pending.set(runner, [...(this.pending.get(runner) ?? []), fn]);
  }

  async afterTransactionCommit(event: { queryRunner: QueryRunner }): Promise<void> {
    if (event.queryRunner.isTransactionActive) return; // a savepoint was released; the outer tx goes on
    const fns = this.pending.get(event.queryRunner);
    if (!fns) return;
    this.pending.delete(event.queryRunner);
    // Started together, so the enqueues of one transaction share a round trip (and jobs).
    const settled = Promise.allSettled(fns.map(async (fn) => fn()));
    this.running.add(settled);
    const results = await settled.finally(() => this.running.delete(settled));
    for (const r of results)
      if (r.status === 'rejected')
        this.logger.error({ err: r.reason as unknown }, 'after-commit callback failed');
  }

  /** Resolves when every callback of a committed transaction has run (those started meanwhile too). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
