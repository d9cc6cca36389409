/**
 * Reads of `users` (auth's reference table) that other features' statements embed, so a list shows
 * who did what in one round trip. `user` is an SQL expression of the embedding statement.
 */

/** Left-joins the user `user` names as `alias` (for `alias.name`, `alias.email`); no row when unknown. */
export const userJoin = (alias: string, user: string): string =>
  `LEFT JOIN users ${alias} ON ${alias}.id = ${user}`;
