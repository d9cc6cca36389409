/**
 * The messageId dedupe window (48 hours, per site), in ONE place: the ingest write statement
 * (`EventStore`) embeds the CTE this module returns and knows nothing else about the storage behind it.
 *
 * Today: `event_dedupe (site_id, day, hash)`, daily partitions by day of receipt (dropped whole by the
 * maintenance job), an 8-byte hash of the messageId (`messageHash`); a hash is fresh when no row of
 * the site holds it on today or the `DEDUPE_DAYS_BACK` days before (at least 48 hours).
 */

/** Days of receipt checked for a messageId besides today: a window of at least 48 hours. */
export const DEDUPE_DAYS_BACK = 2;

/** The partitions (or other storage) the window needs for a write received on `day` (UTC, YYYY-MM-DD). */
export const dedupePartitionsFor = (day: string): { parent: string; day: string }[] => [
  { parent: 'event_dedupe', day },
];

export interface DedupeParams {
  /** Parameter number of the site (`uuid`, one constant site: the statement is single-shard on Citus). */
  site: number;
  /** Parameter number of the candidate hashes (`bigint[]`, distinct within the statement). */
  hashes: number;
  /** Parameter number of today's UTC date (`date`). */
  today: number;
}

/** The values bound to `DedupeParams.today` for a write now. */
export const dedupeToday = (now = Date.now()): string => new Date(now).toISOString().slice(0, 10);

/**
 * A CTE body (without its name) that records the candidate hashes for the site and returns the fresh
 * ones as rows of one column `hash` (bigint): those not seen for the site within the window. Exactly
 * once under concurrency: two statements inserting one hash at once, only one returns it
 * (`ON CONFLICT DO NOTHING` on the day's unique key waits for the other's commit).
 * Use: `WITH fresh AS (${dedupeFreshCte(p)}) ... SELECT hash FROM fresh`.
 */
export function dedupeFreshCte(p: DedupeParams): string {
  // A probe per hash (LATERAL ... LIMIT 1): never a hash anti-join over the window's partitions,
  // whatever a cached generic plan was built on.
  return `INSERT INTO event_dedupe (site_id, day, hash)
          SELECT $${p.site}::uuid, $${p.today}::date, c.hash
            FROM unnest($${p.hashes}::bigint[]) AS c(hash)
            LEFT JOIN LATERAL (
                 SELECT true AS seen FROM event_dedupe d
                  WHERE d.site_id = $${p.site}::uuid AND d.hash = c.hash
                    AND d.day >= $${p.today}::date - ${DEDUPE_DAYS_BACK}
                  LIMIT 1) s ON true
           WHERE s.seen IS NULL
          ON CONFLICT DO NOTHING
          RETURNING hash`;
}
