import { MigrationInterface, QueryRunner } from 'typeorm';

/** Pending messages by due time, for the pass that moves retries due soon into BullMQ. */
export class WebhookDueIndex1764300400100 implements MigrationInterface {
  name = 'WebhookDueIndex1764300400100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at) WHERE status IN ('pending', 'sending')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_messages_due_idx`);
  }
}
