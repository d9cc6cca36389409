import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery claims: a delivery job takes a small batch of its site's due messages at once
 * (`claimed_by` = the job, `claimed_until` = when the claim lapses if the job dies), and finds them
 * through the site's messages ordered by when each is next available.
 */
export class WebhookClaims1764300400200 implements MigrationInterface {
  name = 'WebhookClaims1764300400200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE webhook_messages ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz`,
    );
    await q.query(
      `CREATE INDEX webhook_messages_available_idx ON webhook_messages (site_id, GREATEST(next_attempt_at, claimed_until))
        WHERE status IN ('pending', 'sending')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_messages_available_idx`);
    await q.query(`ALTER TABLE webhook_messages DROP COLUMN claimed_by, DROP COLUMN claimed_until`);
  }
}
