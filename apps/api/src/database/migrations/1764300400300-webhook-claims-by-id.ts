import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery jobs name their messages and claim them by primary key, so nothing reads the index of a
 * site's messages by availability any more; dropping it spares every claim and attempt write one
 * index insert per message.
 */
export class WebhookClaimsById1764300400300 implements MigrationInterface {
  name = 'WebhookClaimsById1764300400300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_messages_available_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX webhook_messages_available_idx ON webhook_messages (site_id, GREATEST(next_attempt_at, claimed_until))
        WHERE status IN ('pending', 'sending')`,
    );
  }
}
