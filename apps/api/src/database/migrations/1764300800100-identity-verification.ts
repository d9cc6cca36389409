import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity verification per site (issue #25): browser requests (write key) must prove a `userId` with
 * `HMAC-SHA256(identity secret, userId)`. Sites that exist keep today's behaviour (off) until an owner
 * turns it on; sites created from now on have it on. The secret is sealed (SecretBox, like webhook
 * secrets) and made on first use; a rotation keeps the previous one valid until `..._previous_until`.
 */
export class IdentityVerification1764300800100 implements MigrationInterface {
  name = 'IdentityVerification1764300800100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sites ADD COLUMN identity_verification boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE sites ALTER COLUMN identity_verification SET DEFAULT true`);
    await q.query(`ALTER TABLE sites ADD COLUMN identity_secret text`);
    await q.query(`ALTER TABLE sites ADD COLUMN identity_secret_previous text`);
    await q.query(`ALTER TABLE sites ADD COLUMN identity_secret_previous_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sites DROP COLUMN identity_secret_previous_until`);
    await q.query(`ALTER TABLE sites DROP COLUMN identity_secret_previous`);
    await q.query(`ALTER TABLE sites DROP COLUMN identity_secret`);
    await q.query(`ALTER TABLE sites DROP COLUMN identity_verification`);
  }
}
