/**
 * Reads of `memberships` (auth's reference table) that the sites feature's access statements embed,
 * so a site and the caller's role on it stay one round trip. `account` and `user` are SQL
 * expressions of the embedding statement.
 */

/** Joins the user's membership of the account as `m` (for `m.role`); no row when not a member. */
export const membershipJoin = (account: string, user: string): string =>
  `JOIN memberships m ON m.account_id = ${account} AND m.user_id = ${user}`;
