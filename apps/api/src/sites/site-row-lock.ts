import { queryRows, type Queryable } from '../database/sql';

/**
 * The site's row lock in the caller's transaction (FOR NO KEY UPDATE SKIP LOCKED: inserts' foreign-key
 * checks, FOR KEY SHARE, are not blocked): one holder per site at a time (ingest's fold). `busy`:
 * another transaction holds it; `gone`: no such site (a soft-deleted one is still locked).
 * A plain function (no Nest): the tests drive the fold in-process.
 */
export async function lockSiteRow(tx: Queryable, siteId: string): Promise<'locked' | 'busy' | 'gone'> {
  const locked = await queryRows(tx, `SELECT 1 FROM sites WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`, [
    siteId,
  ]);
  if (locked.length > 0) return 'locked';
  const exists = await queryRows(tx, `SELECT 1 FROM sites WHERE id = $1`, [siteId]);
  return exists.length > 0 ? 'busy' : 'gone';
}
