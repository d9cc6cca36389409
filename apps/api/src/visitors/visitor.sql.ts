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

/** Joins an event's visitor as `v` (for `v.is_bot`: the profile's bot flag). */
export const visitorOfEventJoin = (event: string): string =>
  `LEFT JOIN visitors v ON v.site_id = ${event}.site_id AND v.id = ${event}.visitor_id`;
