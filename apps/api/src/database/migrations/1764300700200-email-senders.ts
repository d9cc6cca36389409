import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/** Per-site email identities a `send_email` node chooses (from name and address, reply-to). */
export class EmailSenders1764300700200 implements MigrationInterface {
  name = 'EmailSenders1764300700200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_senders (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        from_name text NOT NULL,
        from_address text NOT NULL,
        reply_to text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await distributedTable(q, 'email_senders');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_senders`);
  }
}
