/**
 * Reads of the runtime ledger (`runs`, `run_steps`) that the analytics rollup pass embeds where it
 * aggregates flow activity in SQL (analytics/rollup-*.ts), so each of its statements stays one round
 * trip (one single-shard statement on Citus) while the runtime owns what is read of its rows. The
 * columns read: `runs` site_id, id, flow_id, flow_version, status, created_at, ended_at; `run_steps`
 * site_id, run_id, flow_id, node_id, created_at. `sites` is a uuid[] expression, `site`, `from` and
 * `to` SQL expressions of the embedding statement. A FROM item ends with its site and stamp
 * conditions, which the statement may continue with `AND …`; a join ends with its ON clause, likewise.
 */

/** A ledger row's stamp: when a step was written, when a run entered, when it ended. */
export type RunStamp = 'created_at' | 'ended_at';

/** The ledger rows (steps) of `sites` written in [from, to), aliased `alias`. */
export const runStepsWrittenSql = (alias: string, sites: string, from: string, to: string): string =>
  `run_steps ${alias} WHERE ${alias}.site_id = ANY(${sites}) AND ${alias}.created_at >= ${from} AND ${alias}.created_at < ${to}`;

/** The runs of `sites` entered (`created_at`) or ended (`ended_at`) in [from, to), aliased `alias`. */
export const runsStampedSql = (
  alias: string,
  stamp: RunStamp,
  sites: string,
  from: string,
  to: string,
): string =>
  `runs ${alias} WHERE ${alias}.site_id = ANY(${sites}) AND ${alias}.${stamp} >= ${from} AND ${alias}.${stamp} < ${to}`;

/** The ledger rows as `step`, each joined to its run as `run` (for its flow version). */
export const runStepsWithRunSql = (step: string, run: string): string =>
  `run_steps ${step} ${stepRunJoin(step, run)}`;

/** Joins the run of the ledger row `step` as `run`. */
export const stepRunJoin = (step: string, run: string): string =>
  `JOIN runs ${run} ON ${run}.site_id = ${step}.site_id AND ${run}.id = ${step}.run_id`;

/** Joins the ledger rows of `site` as `alias`; the statement continues the ON clause. */
export const siteRunStepsJoin = (alias: string, site: string): string =>
  `JOIN run_steps ${alias} ON ${alias}.site_id = ${site}`;

/** Joins the runs of `site` as `alias`; the statement continues the ON clause. */
export const siteRunsJoin = (alias: string, site: string): string =>
  `JOIN runs ${alias} ON ${alias}.site_id = ${site}`;
