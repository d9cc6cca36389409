import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/** Per-site SMS provider account (Twilio-compatible) a `send_sms` node sends through; token sealed. */
export class SmsProviders1764300900100 implements MigrationInterface {
  name = 'SmsProviders1764300900100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sms_providers (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        base_url text NOT NULL,
        account_sid text NOT NULL,
        auth_token_sealed text NOT NULL,
        from_number text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id)
      )`);
    await distributedTable(q, 'sms_providers');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sms_providers`);
  }
}
