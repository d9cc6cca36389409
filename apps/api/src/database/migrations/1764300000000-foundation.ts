import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable, referenceTable } from '../citus';

export class Foundation1764300000000 implements MigrationInterface {
  name = 'Foundation1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await referenceTable(q, 'accounts');
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_lower CHECK (email = lower(email))
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await referenceTable(q, 'users');
    await q.query(`
      CREATE TABLE memberships (
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user_idx ON memberships (user_id)`);
    await referenceTable(q, 'memberships');
    await q.query(`
      CREATE TABLE user_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX user_sessions_token_key ON user_sessions (token_hash)`);
    await q.query(`CREATE INDEX user_sessions_expiry_idx ON user_sessions (expires_at)`);
    await referenceTable(q, 'user_sessions');

    await q.query(`
      CREATE TABLE sites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id),
        name text NOT NULL,
        domain text NOT NULL,
        timezone text NOT NULL DEFAULT 'UTC',
        retention_days integer NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX sites_account_idx ON sites (account_id)`);
    await distributedTable(q, 'sites');
    await q.query(`
      CREATE TABLE site_keys (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('write', 'secret')),
        name text NOT NULL,
        token_hash bytea NOT NULL,
        public_token text,
        last4 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        PRIMARY KEY (site_id, id),
        CONSTRAINT site_keys_token_key UNIQUE (site_id, token_hash),
        CONSTRAINT site_keys_public_only_write CHECK (public_token IS NULL OR kind = 'write')
      )`);
    await distributedTable(q, 'site_keys');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE site_keys`);
    await q.query(`DROP TABLE sites`);
    await q.query(`DROP TABLE user_sessions`);
    await q.query(`DROP TABLE memberships`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE accounts`);
  }
}
