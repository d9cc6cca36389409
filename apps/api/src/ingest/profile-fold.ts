import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { IdentityResolver, identityKey, identityKeysOf, visitorKey } from '../visitors/identity-resolver';
import { eventFacts } from '../visitors/visitor-facts';
import { NormalizedEvent, TRAIT_CHANGED } from './event-normalize';
import {
  loadedJson,
  LoadedJson,
  TraitEvents,
  VISITOR_COLUMNS,
  VISITOR_TYPES,
  VisitorColumns,
} from './fold-columns';
import { EventRow, OutboxRow, toNormalized, toState, VisitorRow } from './fold-rows';

const positiveInt = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/** Most events one fold of one site takes (at least one outbox row): a burst cannot starve other sites. */
export const FOLD_MAX_EVENTS = positiveInt(process.env.FOLD_MAX_EVENTS, 2000);

/**
 * Most events one trigger hand-off (one job) carries: consecutive outbox rows are merged up to it (a
 * larger row stays whole). A site holds at most its trigger slots at once, so this bounds how long
 * another site's job can wait for a slot.
 */
export const FOLD_HANDOFF_EVENTS = positiveInt(process.env.FOLD_HANDOFF_EVENTS, 500);

/** A trigger hand-off the fold committed; the caller enqueues its job after the commit. */
export interface FoldHandoff {
  site_id: string;
  id: string;
  event_ids: string[];
}

/**
 * The fold: the committed events of one site (its `event_outbox` rows, in order) become profiles,
 * identities and trigger hand-offs, in ONE single-shard transaction per site and pass:
 *
 * 1. the site's row lock (`sites`, FOR NO KEY UPDATE SKIP LOCKED): one fold per site at a time, in
 *    order, across workers (a second worker skips the site this pass); no cluster-wide lock;
 * 2. claims (deletes) the oldest outbox rows, up to `FOLD_MAX_EVENTS` events;
 * 3. loads their events, the identities they name and those visitors (row-locked against the
 *    runtime's visitor updates), resolves them in order with `IdentityResolver` (today's rules),
 *    writes visitors, identities, merges, `$trait_changed` events and corrects an event's
 *    `visitor_id` where the write path's probe could not know it (an identity first seen in the
 *    same unfolded batch), then
 * 4. inserts `trigger_handoffs` rows of consecutive outbox rows, up to `FOLD_HANDOFF_EVENTS` events
 *    each (their non-bot events, then their trait changes).
 * The transaction is the unit: a crash anywhere rolls it back and the rows are folded again; the
 * caller enqueues the hand-offs' jobs after COMMIT and the reconciler re-sends lost ones.
 *
 * No Nest decorator (tests drive it in-process): the worker provides it with `profileFoldProvider`.
 *
 * Outbox rows without `ts_min` come from the previous release's write path (already folded): they
 * are only handed off.
 */
export class ProfileFold {
  constructor(private readonly db: DataSource) {}

  async foldSite(
    siteId: string,
    maxEvents = FOLD_MAX_EVENTS,
  ): Promise<{ rows: number; handoffs: FoldHandoff[] }> {
    return this.db.transaction((tx) => this.fold(tx, siteId, maxEvents));
  }

  private async fold(
    tx: EntityManager,
    siteId: string,
    maxEvents: number,
  ): Promise<{ rows: number; handoffs: FoldHandoff[] }> {
    // Every row by key (no hash or merge join over a sequential scan, whatever the statistics say
    // while a site is small): each lookup below names its keys.
    await tx.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    const locked = await queryRows(tx, `SELECT 1 FROM sites WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED`, [
      siteId,
    ]);
    if (locked.length === 0) {
      const exists = await queryRows(tx, `SELECT 1 FROM sites WHERE id = $1`, [siteId]);
      if (exists.length > 0) return { rows: 0, handoffs: [] }; // another worker folds it right now
      // A deleted site's events are gone (cascade); its queue goes too.
      const gone = await queryRows(tx, `DELETE FROM event_outbox WHERE site_id = $1 RETURNING 1`, [siteId]);
      return { rows: gone.length, handoffs: [] };
    }
    const claimed = await queryRows<OutboxRow>(
      tx,
      `DELETE FROM event_outbox o
        WHERE o.site_id = $1 AND o.id IN (
              SELECT id FROM (
                SELECT id, sum(cardinality(event_ids)) OVER (ORDER BY id) - cardinality(event_ids) AS before
                  FROM event_outbox WHERE site_id = $1 ORDER BY id LIMIT 500) c
               WHERE c.before < $2)
        RETURNING o.id::text AS id, o.event_ids::text[] AS event_ids, o.ts_min, o.ts_max`,
      [siteId, maxEvents],
    );
    if (claimed.length === 0) return { rows: 0, handoffs: [] };
    claimed.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));

    const fresh = claimed.filter((r) => r.ts_min !== null);
    const events = fresh.length ? await this.loadEvents(tx, siteId, fresh) : new Map<string, EventRow>();
    const result = fresh.length ? await this.resolve(tx, siteId, fresh, events) : new Map<string, string[]>();

    // Consecutive outbox rows share a hand-off (named by its first row: unique, as rows are claimed
    // once) up to FOLD_HANDOFF_EVENTS events: one trigger job then serves many small group commits of
    // the API (a job per group cost the worker and PostgreSQL twice the CPU per event), while no job
    // grows past what a site's trigger slots should hold at a time (another site's job waits for one).
    const handoffs: FoldHandoff[] = [];
    for (const row of claimed) {
      const ids = row.ts_min === null ? row.event_ids : (result.get(row.id) ?? []);
      if (!ids.length) continue;
      const last = handoffs.at(-1);
      if (last && last.event_ids.length + ids.length <= FOLD_HANDOFF_EVENTS) last.event_ids.push(...ids);
      else handoffs.push({ site_id: siteId, id: row.id, event_ids: [...ids] });
    }
    if (handoffs.length) {
      await queryRows(
        tx,
        `INSERT INTO trigger_handoffs (site_id, id, event_ids)
         SELECT $1::uuid, h.id, h.event_ids::bigint[] FROM unnest($2::bigint[], $3::text[]) AS h(id, event_ids)
         ON CONFLICT (site_id, id) DO NOTHING`,
        [siteId, handoffs.map((h) => h.id), handoffs.map((h) => `{${h.event_ids.join(',')}}`)],
      );
    }
    return { rows: claimed.length, handoffs };
  }

  private async loadEvents(
    tx: EntityManager,
    siteId: string,
    rows: OutboxRow[],
  ): Promise<Map<string, EventRow>> {
    const ids = rows.flatMap((r) => r.event_ids);
    const tsMin = new Date(Math.min(...rows.map((r) => (r.ts_min as Date).getTime())));
    const tsMax = new Date(Math.max(...rows.map((r) => (r.ts_max as Date).getTime())));
    const found = await queryRows<EventRow>(
      tx,
      `SELECT id::text AS id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
              properties, traits, context, is_bot
         FROM events WHERE site_id = $1 AND id = ANY ($2::bigint[]) AND ts >= $3 AND ts <= $4`,
      [siteId, ids, tsMin.toISOString(), tsMax.toISOString()],
    );
    return new Map(found.map((e) => [e.id, e]));
  }

  /** Resolves the rows' events in order and writes the profiles; per outbox row, the ids to hand off. */
  private async resolve(
    tx: EntityManager,
    siteId: string,
    rows: OutboxRow[],
    events: Map<string, EventRow>,
  ): Promise<Map<string, string[]>> {
    const ordered: { row: OutboxRow; e: EventRow; n: NormalizedEvent }[] = [];
    for (const row of rows)
      for (const id of [...row.event_ids].sort((a, b) => Number(BigInt(a) - BigInt(b)))) {
        const e = events.get(id);
        if (e) ordered.push({ row, e, n: toNormalized(e) }); // gone: dropped by retention meanwhile
      }

    // Identities the events name, and their visitors plus the ids the events were stored under.
    const keys = new Map<string, [string, string]>();
    for (const { n } of ordered)
      for (const [, kind, value] of identityKeysOf(siteId, n)) keys.set(`${kind}|${value}`, [kind, value]);
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
      ...new Set([...identRows.map((r) => r.visitor_id), ...ordered.map((o) => o.e.visitor_id)]),
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
    const corrections: { id: string; ts: Date; visitorId: string }[] = [];
    const traitEvents = new TraitEvents();
    const live = new Map<string, string[]>(); // outbox row id -> event ids to hand off
    const traitOf = new Map<number, string>(); // trait event index -> outbox row id
    for (const { row, e, n } of ordered) {
      hint = e.visitor_id;
      const facts = { ...eventFacts(n, { userAgent: null, country: null }), isBot: e.is_bot };
      const { visitor, changes } = resolver.resolve(siteId, n, facts);
      if (visitor.id !== e.visitor_id) corrections.push({ id: e.id, ts: e.ts, visitorId: visitor.id });
      const list = live.get(row.id) ?? [];
      live.set(row.id, list);
      if (!e.is_bot) list.push(e.id);
      for (const c of changes) {
        traitOf.set(traitEvents.count, row.id);
        traitEvents.push(
          e.ts.toISOString(),
          e.received_at.toISOString(),
          `${e.message_id}:trait:${c.key}`,
          visitor.id,
          e.anonymous_id,
          e.user_id ?? visitor.userId,
          JSON.stringify({ key: c.key, value: c.value, previous: c.previous }),
          JSON.stringify(e.context),
          e.is_bot,
        );
      }
    }

    await this.writeProfiles(tx, siteId, resolver, loaded, new Date());
    if (corrections.length)
      await queryRows(
        tx,
        `UPDATE events e SET visitor_id = c.visitor_id
           FROM unnest($2::bigint[], $3::timestamptz[], $4::uuid[]) AS c(id, ts, visitor_id)
          WHERE e.site_id = $1 AND e.id = c.id AND e.ts = c.ts`,
        [
          siteId,
          corrections.map((c) => c.id),
          corrections.map((c) => c.ts.toISOString()),
          corrections.map((c) => c.visitorId),
        ],
      );
    if (traitEvents.count) {
      const inserted = await queryRows<{ id: string; n: number }>(
        tx,
        `INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
                             properties, traits, context, is_bot)
         SELECT $1::uuid, t.ts, t.received_at, t.message_id, 'track', '${TRAIT_CHANGED}', t.visitor_id,
                t.anonymous_id, t.user_id, t.properties, '{}', t.context, t.is_bot
           FROM unnest($2::timestamptz[], $3::timestamptz[], $4::text[], $5::uuid[], $6::text[], $7::text[],
                       $8::jsonb[], $9::jsonb[], $10::boolean[]) WITH ORDINALITY
                AS t(ts, received_at, message_id, visitor_id, anonymous_id, user_id, properties, context, is_bot, n)
          ORDER BY t.n
         RETURNING id::text AS id, is_bot, message_id`,
        [siteId, ...traitEvents.cols],
      );
      // RETURNING gives no ordinality: match by messageId (unique per source event and key).
      const byMessage = new Map(traitEvents.cols[2].map((m, i) => [m as string, i]));
      for (const r of inserted as unknown as { id: string; is_bot: boolean; message_id: string }[]) {
        if (r.is_bot) continue;
        const rowId = traitOf.get(byMessage.get(r.message_id) as number) as string;
        live.get(rowId)?.push(r.id);
      }
    }
    return live;
  }

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
           FROM unnest(${vcols(2 + W)}) AS r(${VISITOR_COLUMNS})
          WHERE v.site_id = $1::uuid AND v.id = r.id)
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
      // it (a user id aliased into it earlier), now points at the profile it finally went into.
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
             FROM m WHERE i.site_id = $1::uuid AND i.visitor_id = m.from_id)
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

/** The worker's provider of the fold (over the app's DataSource). */
export const profileFoldProvider = {
  provide: ProfileFold,
  useFactory: (db: DataSource) => new ProfileFold(db),
  inject: [DataSource],
};
