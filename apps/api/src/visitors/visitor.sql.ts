/**
 * Reads of the visitors table that other features' statements embed, so a hot path keeps its one
 * round trip while the visitors feature still owns what is read of its rows. `site` and `visitorId`
 * are SQL expressions of the embedding statement (a parameter, a column).
 */

/** The visitor as the engine reads it (`StoredVisitor` in runtime/engine-event.ts), as one JSON value. */
export const visitorSnapshotSql = (site: string, visitorId: string): string =>
  `(SELECT json_build_object('id', v.id, 'anonymous_ids', v.anonymous_ids, 'user_id', v.user_id,
            'traits', v.traits, 'tags', v.tags, 'visit_count', v.visit_count,
            'first_seen_at', v.first_seen_at, 'device', v.device, 'utm', v.utm, 'last_page_url', v.last_page_url)
     FROM visitors v WHERE v.site_id = ${site} AND v.id = ${visitorId})`;

/** The profile's bot flag of the visitor `visitorId` (null when there is none): one primary-key probe. */
export const visitorIsBotSql = (site: string, visitorId: string): string =>
  `(SELECT v.is_bot FROM visitors v WHERE v.site_id = ${site} AND v.id = ${visitorId} LIMIT 1)`;

/** Joins an event's visitor as `v` (for `v.is_bot`: the profile's bot flag). */
export const visitorOfEventJoin = (event: string): string =>
  `LEFT JOIN visitors v ON v.site_id = ${event}.site_id AND v.id = ${event}.visitor_id`;

/**
 * The visitors merged into the ones of `intoIds` (a uuid[] expression), as a subquery to alias
 * (`visitors_merged_idx`): `merged_into`, `traits`, `anonymous_ids`, `user_id`.
 */
export const mergedVisitorsSql = (site: string, intoIds: string): string =>
  `(SELECT v.merged_into, v.traits, v.anonymous_ids, v.user_id
      FROM visitors v WHERE v.site_id = ${site} AND v.merged_into = ANY(${intoIds}))`;

/**
 * The visitor an identity belongs to now, or null: one read-only index probe of `visitor_identities`
 * (the write path's, per event). `value` is an SQL text expression.
 */
export const identityVisitorSql = (site: string, kind: 'user' | 'anon', value: string): string =>
  `(SELECT i.visitor_id FROM visitor_identities i
                      WHERE i.site_id = ${site} AND i.kind = '${kind}' AND i.value = ${value} LIMIT 1)`;

/**
 * The visitor of a user id, else of an anonymous id, or null (the decision API's lookup): one probe
 * of `visitor_identities`. `uid` and `anon` are SQL text expressions.
 */
export const lookupVisitorSql = (site: string, uid: string, anon: string): string =>
  `(SELECT i.visitor_id FROM visitor_identities i
                 WHERE i.site_id = ${site}
                   AND ((i.kind = 'user' AND i.value = ${uid}) OR (i.kind = 'anon' AND i.value = ${anon}))
                 ORDER BY i.kind DESC LIMIT 1)`;

/** Joins the visitor `visitorId` names as `alias` (for its profile columns); no row when there is none. */
export const visitorJoin = (alias: string, site: string, visitorId: string): string =>
  `JOIN visitors ${alias} ON ${alias}.site_id = ${site} AND ${alias}.id = ${visitorId}`;
