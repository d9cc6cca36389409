import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Outbox batches relayed to the `triggers` queue but not yet matched. The relay moves a row here
 * from `event_outbox` in the transaction that enqueues its job; the trigger job deletes it when it
 * commits its runs; the reconciler re-enqueues any left behind (Redis lost the job).
 */
export class RuntimeHandoffs1764300300100 implements MigrationInterface {
  name = 'RuntimeHandoffs1764300300100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE trigger_handoffs (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id bigint NOT NULL,
        event_ids bigint[] NOT NULL,
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await q.query(`CREATE INDEX trigger_handoffs_enqueued_idx ON trigger_handoffs (enqueued_at)`);
    await distributedTable(q, 'trigger_handoffs');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS trigger_handoffs`);
  }
}
