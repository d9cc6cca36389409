import { MigrationInterface, QueryRunner } from 'typeorm';
import { referenceTable } from '../citus';

/**
 * Which sites each account has, as a small reference table: a marketer's site list (`/api/sites`,
 * `/api/me`) reads it joined to `memberships` on one node, then loads each site from its own shard;
 * `sites` is distributed by id, so listing an account's sites from it fans out to every shard. Rows
 * are written with the site and removed when the site is deleted.
 */
export class AccountSites1764300650000 implements MigrationInterface {
  name = 'AccountSites1764300650000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account_sites (
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        site_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, site_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX account_sites_site_key ON account_sites (site_id)`);
    await referenceTable(q, 'account_sites');
    await q.query(`
      INSERT INTO account_sites (account_id, site_id, created_at)
      SELECT account_id, id, created_at FROM sites WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE account_sites`);
  }
}
