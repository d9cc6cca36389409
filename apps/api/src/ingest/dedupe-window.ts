/**
 * The messageId dedupe window (48 hours, per site), in ONE place: the ingest write statement
 * (`EventStore`) embeds the CTE this module returns and knows nothing else about the storage behind it.
 *
 * Storage (migration `1764300850000-dedupe-window`), an 8-byte hash of the messageId (`messageHash`)
 * and the hour it was received (whole hours since the Unix epoch):
 * - `event_dedupe_recent (site_id, hash, hour)`: one row per hash of the current generation of
 *   `DEDUPE_GEN_HOURS` hours (and of the previous one until it is sealed and cleaned). Its primary key
 *   settles concurrent writers: two statements inserting one hash at once, only one returns it.
 * - `event_dedupe_sealed (site_id, gen_hour, lo, hashes[], hours[])`: each ended generation, written
 *   once by the sealing job (`DedupeWindowSealer`) as runs of up to `DEDUPE_RUN_IDS` sorted hashes, the
 *   run's first hash as key (`lo`) and each hash's hour as an offset from `gen_hour`. The runs of one
 *   generation do not overlap, so the run with the greatest `lo <= hash` is the only one that can hold
 *   a hash: one index probe per generation of the window.
 * A hash is a duplicate when the site received it at an hour `>= now - DEDUPE_WINDOW_HOURS` (so at
 * least 48 hours, at most 49); older, it is fresh again, whatever the sealing job has dropped yet.
 */

/** The window: a hash received at hour `a` is a duplicate at hour `h` while `a >= h - DEDUPE_WINDOW_HOURS`. */
export const DEDUPE_WINDOW_HOURS = 48;
/** Hours per generation: the recent tier holds one to two of them, each lookup probes one run per sealed one. */
export const DEDUPE_GEN_HOURS = 8;
/** Hashes per sealed run (~10 bytes each, inline): a lookup scans one run per generation, so runs stay short. */
export const DEDUPE_RUN_IDS = 64;

/** Whole hours since the Unix epoch. */
export const dedupeHour = (now = Date.now()): number => Math.floor(now / 3_600_000);

/** First hour of the generation holding `hour`. */
export const dedupeGen = (hour: number): number => Math.floor(hour / DEDUPE_GEN_HOURS) * DEDUPE_GEN_HOURS;

/** The partitions (or other storage) the window needs for a write received on `day`: none, its tables are plain. */
export const dedupePartitionsFor = (_day: string): { parent: string; day: string }[] => [];

export interface DedupeParams {
  /** Parameter number of the site (`uuid`, one constant site: the statement is single-shard on Citus). */
  site: number;
  /** Parameter number of the candidate hashes (`bigint[]`, distinct within the statement). */
  hashes: number;
  /** Parameter number of the write's hour (`integer`, the value of `dedupeToday()`). */
  today: number;
}

/** The value bound to `DedupeParams.today` for a write now: the hour of receipt (`dedupeHour`). */
export const dedupeToday = (now = Date.now()): number => dedupeHour(now);

/**
 * A CTE body (without its name) that records the candidate hashes for the site and returns the fresh
 * ones as rows of one column `hash` (bigint): those the site has not received within the window.
 * A candidate found in a sealed run of the window is left out; the others are inserted into the recent
 * tier, where a row of the window (`ON CONFLICT`, which waits for a concurrent writer's commit) makes
 * it a duplicate and a row older than the window is taken over (fresh again).
 * Use: `WITH fresh AS (${dedupeFreshCte(p)}) ... SELECT hash FROM fresh`.
 */
export function dedupeFreshCte(p: DedupeParams): string {
  const site = `$${p.site}::uuid`;
  const hour = `$${p.today}::integer`;
  return `INSERT INTO event_dedupe_recent AS r (site_id, hash, hour)
          SELECT ${site}, c.hash, ${hour}
            FROM unnest($${p.hashes}::bigint[]) AS c(hash)
           WHERE NOT EXISTS (
                 SELECT 1
                   FROM generate_series((${hour} - ${DEDUPE_WINDOW_HOURS}) / ${DEDUPE_GEN_HOURS} * ${DEDUPE_GEN_HOURS},
                                        ${hour} / ${DEDUPE_GEN_HOURS} * ${DEDUPE_GEN_HOURS} - ${DEDUPE_GEN_HOURS},
                                        ${DEDUPE_GEN_HOURS}) AS g(gen_hour)
                  CROSS JOIN LATERAL (
                        SELECT s.gen_hour, s.hashes, s.hours FROM event_dedupe_sealed s
                         WHERE s.site_id = ${site} AND s.gen_hour = g.gen_hour AND s.lo <= c.hash
                         ORDER BY s.lo DESC LIMIT 1) s
                  WHERE s.gen_hour + s.hours[array_position(s.hashes, c.hash)] >= ${hour} - ${DEDUPE_WINDOW_HOURS})
          ON CONFLICT (site_id, hash) DO UPDATE SET hour = EXCLUDED.hour
           WHERE r.hour < EXCLUDED.hour - ${DEDUPE_WINDOW_HOURS}
          RETURNING hash`;
}
