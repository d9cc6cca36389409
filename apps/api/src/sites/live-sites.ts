import type { DataSource } from 'typeorm';
import { queryRows, Queryable } from '../database/sql';

/**
 * Every live site, for maintenance passes that walk them all (ingest's retention and dedupe sealing):
 * cluster-wide reads on Citus, opted out of strict mode explicitly (listed in database/README.md).
 * Plain functions (no Nest): the tests and benchmarks drive those passes in-process.
 */
async function everySite<T>(db: DataSource, sql: string): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL citus.multi_task_query_log_level TO 'off'`);
    return queryRows<T>(tx, sql);
  });
}

/** The live sites' ids, in id order. */
export async function liveSiteIds(db: DataSource): Promise<string[]> {
  const rows = await everySite<{ id: string }>(
    db,
    `SELECT id FROM sites WHERE deleted_at IS NULL ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

/** The live sites' retention (days of events kept). */
export function liveSiteRetentions(db: DataSource): Promise<{ id: string; retention_days: number }[]> {
  return everySite(db, `SELECT id, retention_days FROM sites WHERE deleted_at IS NULL`);
}

/** Whether the site exists and is not deleted (the import tool's check). */
export async function siteIsLive(db: DataSource, siteId: string): Promise<boolean> {
  const rows = await queryRows(db, `SELECT id FROM sites WHERE id = $1 AND deleted_at IS NULL`, [siteId]);
  return rows.length > 0;
}

/**
 * Every site's id with the shard of `sites` holding it on Citus (`''` on plain PostgreSQL), in shard
 * then id order: the analytics rollup pass groups sites by it so each group's statements stay on one
 * shard. Read from `account_sites`, a reference table: no fan-out.
 */
export function siteShards(db: Queryable, citus: boolean): Promise<{ site_id: string; shard: string }[]> {
  return queryRows(
    db,
    citus
      ? `SELECT site_id, get_shard_id_for_distribution_column('sites', site_id)::text AS shard
           FROM account_sites ORDER BY 2, 1`
      : `SELECT site_id, '' AS shard FROM account_sites ORDER BY 1`,
  );
}
