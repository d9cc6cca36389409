/**
 * Reads of `flows` that other features' statements embed, so a maintenance statement keeps its one
 * round trip while the flows feature owns what is read of its rows. `site` is an SQL expression of the
 * embedding statement (a parameter, a column).
 */

/**
 * The flows archived with "exit runs" (their active runs are to be exited), as a subquery to alias:
 * `site_id`, `id`. Without `site`: every site's (a cross-shard read, named as such by the caller).
 */
export const flowsExitingRunsSql = (site?: string): string =>
  `(SELECT site_id, id FROM flows
     WHERE ${site ? `site_id = ${site} AND ` : ''}status = 'archived' AND archived_exit_runs)`;
