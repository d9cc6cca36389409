import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A delivery's log counts every real HTTP try: a claim counts a send of the message's current
 * attempt before it goes out (`webhook_messages.sends`), and the attempt row keeps that count
 * (`webhook_attempts.tries`), so a re-send after a crash mid-send (same attempt, same webhook-id)
 * shows as a second try of that attempt.
 */
export class WebhookAttemptTries1764300660000 implements MigrationInterface {
  name = 'WebhookAttemptTries1764300660000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_messages ADD COLUMN sends int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE webhook_attempts ADD COLUMN tries int NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_attempts DROP COLUMN tries`);
    await q.query(`ALTER TABLE webhook_messages DROP COLUMN sends`);
  }
}
