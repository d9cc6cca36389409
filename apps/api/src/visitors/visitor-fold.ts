import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { IdentityResolver, identityKey, identityKeysOf, visitorKey } from './identity-resolver';
import type { ProfileEvent } from './profile-event';
import {
  loadedJson,
  LoadedJson,
  toState,
  VISITOR_COLUMNS,
  VISITOR_TYPES,
  VisitorColumns,
  VisitorRow,
} from './visitor-fold-columns';
import { eventFacts } from './visitor-facts';
import type { TraitChange } from './visitor-profile';

/** One stored event the fold applies, in order: its profile fields, the visitor it was stored under. */
export interface FoldEvent {
  event: ProfileEvent;
  /** `events.visitor_id` as the write path stored it (an existing visitor or a provisional id). */
  visitorId: string;
  isBot: boolean;
}

/** What an event resolved to: its visitor (and that visitor's user id then) and the traits it changed. */
export interface FoldedEvent {
  visitorId: string;
  userId: string | null;
  changes: TraitChange[];
}

/**
 * The profile part of the fold (ingest's `ProfileFold` calls it inside its per-site transaction,
 * which holds the site's row lock): loads the identities the events name and their visitors
 * (row-locked against the runtime's visitor updates), resolves the events in order with
 * `IdentityResolver` and writes the new and changed visitors, identities and merges. A new visitor
 * takes the id its first event was stored under, unless that id is taken. A plain class (no Nest,
 * no state): the tests drive the fold in-process.
 */
export class VisitorFold {
  async fold(tx: EntityManager, siteId: string, events: FoldEvent[]): Promise<FoldedEvent[]> {
    // Identities the events name, and their visitors plus the ids the events were stored under.
    const keys = new Map<string, [string, string]>();
    for (const { event } of events)
      for (const [, kind, value] of identityKeysOf(siteId, event))
        keys.set(`${kind}|${value}`, [kind, value]);
    const keyList = [...keys.values()];
    const identRows = keyList.length
      ? await queryRows<{ kind: 'anon' | 'user'; value: string; visitor_id: string }>(
          tx,
          `SELECT k.kind, k.value, i.visitor_id
             FROM unnest($2::text[], $3::text[]) AS k(kind, value)
             CROSS JOIN LATERAL (
                  SELECT i.visitor_id FROM visitor_identities i
                   WHERE i.site_id = $1 AND i.kind = k.kind AND i.value = k.value LIMIT 1) i`,
          [siteId, keyList.map((k) => k[0]), keyList.map((k) => k[1])],
        )
      : [];
    const identities = new Map(identRows.map((r) => [identityKey(siteId, r.kind, r.value), r.visitor_id]));
    const visitorIds = [
      ...new Set([...identRows.map((r) => r.visitor_id), ...events.map((o) => o.visitorId)]),
    ].sort();
    const visitorRows = await queryRows<VisitorRow>(
      tx,
      `SELECT v.id, v.anonymous_ids, v.user_id, v.traits, v.first_seen_at, v.last_seen_at, v.session_count,
              v.visit_count, v.event_count, v.last_page_url, v.utm, v.referrer, v.device, v.country, v.is_bot,
              v.merged_into, v.cta_log
         FROM unnest($2::uuid[]) AS k(id)
         CROSS JOIN LATERAL (
              SELECT * FROM visitors v WHERE v.site_id = $1 AND v.id = k.id LIMIT 1 FOR UPDATE) v`,
      [siteId, visitorIds],
    );
    const visitors = new Map(visitorRows.map((r) => [visitorKey(siteId, r.id), toState(siteId, r)]));
    const loaded = new Map([...visitors].map(([key, v]) => [key, loadedJson(v)]));

    // A new visitor takes the id its first event was stored under, unless that id is taken.
    let hint: string = randomUUID();
    const resolver = new IdentityResolver(identities, visitors, () => {
      const id = visitors.has(visitorKey(siteId, hint)) ? randomUUID() : hint;
      hint = randomUUID();
      return id;
    });
    const folded: FoldedEvent[] = [];
    for (const { event, visitorId, isBot } of events) {
      hint = visitorId;
      const facts = { ...eventFacts(event, { userAgent: null, country: null }), isBot };
      const { visitor, changes } = resolver.resolve(siteId, event, facts);
      // The user id as of this event (a later one may change the profile's).
      folded.push({ visitorId: visitor.id, userId: visitor.userId, changes });
    }

    await this.writeProfiles(tx, siteId, resolver, loaded, new Date());
    return folded;
  }

  /**
   * Changed visitors are found by key, then updated by the row address that probe returned (the rows
   * are locked since the load, so it stays put): a join on `id` let the planner, believing the site
   * small (statistics from earlier, or none yet), compare every changed row with every visitor of the
   * site (4.97 M comparisons, 0.73–1.6 s a pass with 2,000 changes on 4,900 visitors in the fold bench;
   * 32 ms this way).
   */
  private async writeProfiles(
    tx: EntityManager,
    siteId: string,
    resolver: IdentityResolver,
    loaded: Map<string, LoadedJson>,
    now: Date,
  ): Promise<void> {
    const dirty = [...resolver.dirty.values()].sort((a, b) => a.id.localeCompare(b.id));
    const created = new VisitorColumns();
    const changed = new VisitorColumns();
    for (const v of dirty) {
      if (v.isNew) created.push(v);
      else changed.push(v, loaded.get(visitorKey(v.siteId, v.id)));
    }
    const idWrites = [...resolver.identityWrites.values()];
    const vcols = (o: number) =>
      Array.from({ length: VisitorColumns.WIDTH }, (_, i) => `$${o + i + 1}${VISITOR_TYPES[i]}`).join(', ');
    const W = VisitorColumns.WIDTH;
    const idOffset = 2 + 2 * W;
    await queryRows(
      tx,
      `WITH nv AS (
         INSERT INTO visitors (site_id, ${VISITOR_COLUMNS})
         SELECT $1::uuid, r.id, ARRAY(SELECT jsonb_array_elements_text(r.anonymous_ids)), r.user_id, r.traits,
                r.first_seen_at, r.last_seen_at, r.session_count, r.visit_count, r.event_count, r.last_page_url,
                r.utm, r.referrer, r.device, r.country, r.is_bot, r.merged_into, r.cta_log
           FROM unnest(${vcols(2)}) AS r(${VISITOR_COLUMNS})),
       uv AS (
         UPDATE visitors v SET
           anonymous_ids = CASE WHEN r.anonymous_ids IS NULL THEN v.anonymous_ids
                                ELSE ARRAY(SELECT jsonb_array_elements_text(r.anonymous_ids)) END,
           user_id = r.user_id, traits = coalesce(r.traits, v.traits), first_seen_at = r.first_seen_at,
           last_seen_at = r.last_seen_at, session_count = r.session_count, visit_count = r.visit_count,
           event_count = r.event_count, last_page_url = r.last_page_url, utm = coalesce(r.utm, v.utm),
           referrer = r.referrer, device = coalesce(r.device, v.device), country = r.country,
           is_bot = r.is_bot, merged_into = r.merged_into, cta_log = coalesce(r.cta_log, v.cta_log),
           updated_at = $2::timestamptz
           FROM (SELECT r.*, x.ctid AS tid
                   FROM unnest(${vcols(2 + W)}) AS r(${VISITOR_COLUMNS})
                   CROSS JOIN LATERAL (
                        SELECT ctid FROM visitors x WHERE x.site_id = $1::uuid AND x.id = r.id LIMIT 1) x) r
          WHERE v.site_id = $1::uuid AND v.ctid = r.tid)
       INSERT INTO visitor_identities (site_id, kind, value, visitor_id)
       SELECT $1::uuid, w.kind, w.value, w.visitor_id
         FROM unnest($${idOffset + 1}::text[], $${idOffset + 2}::text[], $${idOffset + 3}::uuid[]) AS w(kind, value, visitor_id)
       ON CONFLICT (site_id, kind, value) DO UPDATE SET visitor_id = EXCLUDED.visitor_id`,
      [
        siteId,
        now.toISOString(),
        ...created.cols,
        ...changed.cols,
        idWrites.map((w) => w.kind),
        idWrites.map((w) => w.value),
        idWrites.map((w) => w.visitorId),
      ],
    );
    if (resolver.merges.length) {
      // Keep merges one level deep: whatever was merged into `from`, and every identity still naming
      // it (a user id aliased into it earlier), now points at the profile it finally went into. The
      // identities are found per merge by `(site_id, visitor_id)` and updated by row address (only the
      // fold writes them, under the site's lock): joined, they were compared with every identity of
      // the site (230,560 comparisons for 20 merges in the fold bench). `OFFSET 0` keeps the lookup a
      // probe per merge: without it the planner flattened the lateral and, believing the site small,
      // materialised a scan of all the site's identities (17,452 read, 401,396 comparisons, 28 ms a
      // pass with 23 merges; 1.1 ms as probes).
      const into = new Map(resolver.merges.map((m) => [m.from, m.into]));
      const last = (id: string) => {
        for (let hop = 0; hop < resolver.merges.length; hop++) {
          const next = into.get(id);
          if (!next) break;
          id = next;
        }
        return id;
      };
      await queryRows(
        tx,
        `WITH m AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS m(from_id, into_id)),
         relinked AS (
           UPDATE visitor_identities i SET visitor_id = m.into_id
             FROM (SELECT m.into_id, x.ctid AS tid FROM m
                     CROSS JOIN LATERAL (
                          SELECT ctid FROM visitor_identities x
                           WHERE x.site_id = $1::uuid AND x.visitor_id = m.from_id OFFSET 0) x) m
            WHERE i.site_id = $1::uuid AND i.ctid = m.tid)
         UPDATE visitors v SET merged_into = m.into_id, updated_at = $4::timestamptz
           FROM m WHERE v.site_id = $1::uuid AND v.merged_into = m.from_id`,
        [
          siteId,
          resolver.merges.map((m) => m.from),
          resolver.merges.map((m) => last(m.into)),
          now.toISOString(),
        ],
      );
    }
  }
}
