import { positiveInt } from '../common/positive-int';

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

/**
 * The widest `ts` range (ms) whose events, named by id, are read as one `id = ANY` scan within the
 * range (`EVENTS_NARROW_RANGE_MS`, default 2 s); a wider range is read by a key probe per id. Such a
 * scan reads little more than the ids asked whichever index the planner takes, and costs a quarter of
 * the probes under load (6 against 24 µs an event in the fold bench); but a planner that believes the
 * site small walks the site's events of the whole range through `(site_id, ts)`, which for a range a
 * late event widened to hours is the site's whole day (the fold and the trigger job read this way).
 */
export const NARROW_RANGE_MS = positiveInt(process.env.EVENTS_NARROW_RANGE_MS, 2000);

/** Whether events in [from, to] (ISO strings, or ms since the epoch) are read as one scan. */
export const isNarrowRange = (from: string | number, to: string | number): boolean =>
  new Date(to).getTime() - new Date(from).getTime() <= NARROW_RANGE_MS;
