/**
 * Reads of `sites` that other features' statements embed (the analytics rollup pass and saved
 * funnels: a site's time zone and retention), so each statement stays one round trip while the
 * sites feature owns what is read of its rows. `site` is a uuid SQL expression of the embedding
 * statement (a parameter, a column), `sites` a uuid[] one.
 */

/** `AND`-prefix restricting `alias` to `sites` (keeps a lookup on the group's shard on Citus). */
const among = (alias: string, sites?: string) => (sites ? `${alias}.id = ANY(${sites}) AND ` : '');

/** The site's IANA time zone, as a scalar subquery. */
export const siteTimezoneSql = (site: string, sites?: string): string =>
  `(SELECT s.timezone FROM sites s WHERE ${among('s', sites)}s.id = ${site})`;

/** The site's retention (days of events kept), as a scalar subquery. */
export const siteRetentionDaysSql = (site: string, sites: string): string =>
  `(SELECT s.retention_days FROM sites s WHERE ${among('s', sites)}s.id = ${site})`;

/** The shortest retention (days) of `sites`, as a scalar subquery. */
export const minRetentionDaysSql = (sites: string): string =>
  `(SELECT min(retention_days) FROM sites WHERE id = ANY(${sites}))`;

/** The oldest `ts` the site keeps (now minus its retention), as a scalar subquery. */
export const siteRetainedFromSql = (site: string): string =>
  `(SELECT now() - make_interval(days => s.retention_days) FROM sites s WHERE s.id = ${site})`;

/** Whether `site` is one of `sites` and exists (deleted or not), as a boolean expression. */
export const siteExistsSql = (site: string, sites: string): string =>
  `EXISTS (SELECT 1 FROM sites s WHERE ${among('s', sites)}s.id = ${site})`;

/** Joins the site `site` as `alias` (for its profile columns: `timezone`, `retention_days`). */
export const siteJoin = (alias: string, site: string): string =>
  `JOIN sites ${alias} ON ${alias}.id = ${site}`;
