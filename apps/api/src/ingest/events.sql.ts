/**
 * Reads of `events` that other features' statements embed where they aggregate events in SQL (a
 * funnel preview), so the statement stays one round trip while ingest owns what is read of its rows.
 * `site`, `from` and `to` are SQL expressions of the embedding statement (parameters).
 */

/**
 * The site's events with `ts` in [from, to) (their daily partitions only), as a subquery to alias;
 * every column of `events`. `humans`: bots' events left out.
 */
export const eventsInRangeSql = (
  site: string,
  from: string,
  to: string,
  opts: { humans?: boolean } = {},
): string =>
  `(SELECT * FROM events
     WHERE site_id = ${site} AND ts >= ${from} AND ts < ${to}${opts.humans ? ' AND NOT is_bot' : ''})`;
