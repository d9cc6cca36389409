/**
 * Reads of `events` that other features' statements embed where they aggregate events in SQL (a
 * funnel preview, the analytics rollup pass), so the statement stays one round trip while ingest owns
 * what is read of its rows. `site`, `from` and `to` are SQL expressions of the embedding statement
 * (parameters, columns).
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

/**
 * The rollup pass's reads (analytics/rollup-*.ts): `events` as a FROM item aliased `alias` with the
 * site condition first, which the embedding statement continues with `AND …` (its own conditions on
 * `ts`, `received_at`, `name`, `is_bot`, `visitor_id`, `properties`, `context`). `sites` is a uuid[]
 * expression, `site` a uuid one.
 */

/** `AND`-prefix restricting `alias` to the events of `sites` (none without `sites`). */
const among = (alias: string, sites?: string): string =>
  sites ? `${alias}.site_id = ANY(${sites}) AND ` : '';

/**
 * The events received in [from, to) of `sites` (without `sites`: of every site; the embedding
 * statement then restricts the sites otherwise). BRIN over `received_at` per daily partition.
 */
export const eventsReceivedSql = (alias: string, from: string, to: string, sites?: string): string =>
  `events ${alias} WHERE ${among(alias, sites)}${alias}.received_at >= ${from} AND ${alias}.received_at < ${to}`;

/** The events of `site` (and of `sites`, which keeps a probe on the group's shard on Citus). */
export const siteEventsSql = (alias: string, site: string, sites?: string): string =>
  `events ${alias} WHERE ${among(alias, sites)}${alias}.site_id = ${site}`;

/** Joins the events of `site` as `alias`; the statement continues the ON clause (`AND alias.ts …`). */
export const siteEventsJoin = (alias: string, site: string): string =>
  `JOIN events ${alias} ON ${alias}.site_id = ${site}`;
