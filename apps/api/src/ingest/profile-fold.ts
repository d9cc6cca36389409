import { DataSource, EntityManager } from 'typeorm';
import { positiveInt } from '../common/positive-int';
import { joinByKeyOnly, queryRows } from '../database/sql';
import { lockSiteRow } from '../sites/site-row-lock';
import { VisitorFold } from '../visitors/visitor-fold';
import { NormalizedEvent, TRAIT_CHANGED } from './event-normalize';
import { isNarrowRange } from './events.sql';
import { EventRow, OutboxRow, toNormalized, TraitEvents } from './fold-rows';

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
  /** The `ts` bounds (ISO) of its events (trait changes take their cause's); null for legacy rows. */
  ts_range: [string, string] | null;
}

/**
 * Where the fold's hand-offs go (`trigger_handoffs`, the runtime's table), written in the fold's
 * transaction: the runtime provides it (`TriggerHandoffWriter`), so ingest never imports the runtime.
 */
export abstract class FoldHandoffSink {
  abstract insertHandoffs(tx: EntityManager, siteId: string, handoffs: FoldHandoff[]): Promise<void>;
}

/**
 * The fold: the committed events of one site (its `event_outbox` rows, in order) become profiles,
 * identities and trigger hand-offs, in ONE single-shard transaction per site and pass:
 *
 * 1. the site's row lock (sites' `lockSiteRow`: FOR NO KEY UPDATE SKIP LOCKED): one fold per site
 *    at a time, in order, across workers (a second worker skips the site this pass); no cluster-wide lock;
 * 2. claims (deletes) the oldest outbox rows, up to `FOLD_MAX_EVENTS` events;
 * 3. loads their events; the visitors feature (`VisitorFold`) loads the identities they name and those
 *    visitors (row-locked against the runtime's visitor updates), resolves them in order with
 *    `IdentityResolver` (today's rules) and writes visitors, identities and merges; then this writes
 *    the `$trait_changed` events and corrects an event's `visitor_id` where the write path's probe
 *    could not know it (an identity first seen in the same unfolded batch), then
 * 4. hands the runtime its `trigger_handoffs` rows (`FoldHandoffSink`) of consecutive outbox rows, up
 *    to `FOLD_HANDOFF_EVENTS` events each (their non-bot events, then their trait changes).
 * The transaction is the unit: a crash anywhere rolls it back and the rows are folded again; the
 * caller enqueues the hand-offs' jobs after COMMIT and the reconciler re-sends lost ones.
 *
 * No Nest decorator (tests drive it in-process): the worker provides it with `profileFoldProvider`
 * (from `IngestFoldModule`).
 *
 * Outbox rows without `ts_min` come from the previous release's write path (already folded): they
 * are only handed off.
 */
export class ProfileFold {
  constructor(
    private readonly db: DataSource,
    private readonly visitors: VisitorFold,
    private readonly handoffSink: FoldHandoffSink,
  ) {}

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
    // Every row by key, whatever the statistics say while a site is small: each lookup below names its keys.
    await joinByKeyOnly(tx);
    const lock = await lockSiteRow(tx, siteId);
    if (lock !== 'locked') {
      if (lock === 'busy') return { rows: 0, handoffs: [] }; // another worker folds it right now
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
      const range = tsRangeOf(row);
      const last = handoffs.at(-1);
      if (last && last.event_ids.length + ids.length <= FOLD_HANDOFF_EVENTS) {
        last.event_ids.push(...ids);
        last.ts_range = widened(last.ts_range, range);
      } else handoffs.push({ site_id: siteId, id: row.id, event_ids: [...ids], ts_range: range });
    }
    if (handoffs.length) await this.handoffSink.insertHandoffs(tx, siteId, handoffs);
    return { rows: claimed.length, handoffs };
  }

  private async loadEvents(
    tx: EntityManager,
    siteId: string,
    rows: OutboxRow[],
  ): Promise<Map<string, EventRow>> {
    const ids = rows.flatMap((r) => r.event_ids);
    const tsMin = Math.min(...rows.map((r) => (r.ts_min as Date).getTime()));
    const tsMax = Math.max(...rows.map((r) => (r.ts_max as Date).getTime()));
    // Within the partitions of the rows' `ts` range: one scan when it is narrow (the fold right behind
    // live traffic), else a key probe per id (`isNarrowRange`). Asked as one scan, a range that a late
    // event widened read the site's events of all of it (193,296 rows for 500 events, one of them 19
    // hours late, in test/ingest/fold-plans).
    const found = await queryRows<EventRow>(
      tx,
      isNarrowRange(tsMin, tsMax) ? LOAD_NARROW_SQL : LOAD_BY_KEY_SQL,
      [siteId, ids, new Date(tsMin).toISOString(), new Date(tsMax).toISOString()],
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

    const folded = await this.visitors.fold(
      tx,
      siteId,
      ordered.map(({ e, n }) => ({ event: n, visitorId: e.visitor_id, isBot: e.is_bot })),
    );
    const corrections: { id: string; ts: Date; visitorId: string }[] = [];
    const traitEvents = new TraitEvents();
    const live = new Map<string, string[]>(); // outbox row id -> event ids to hand off
    const traitOf = new Map<number, string>(); // trait event index -> outbox row id
    for (let i = 0; i < ordered.length; i++) {
      const { row, e } = ordered[i];
      const { visitorId, userId, changes } = folded[i];
      if (visitorId !== e.visitor_id) corrections.push({ id: e.id, ts: e.ts, visitorId });
      const list = live.get(row.id) ?? [];
      live.set(row.id, list);
      if (!e.is_bot) list.push(e.id);
      for (const c of changes) {
        traitOf.set(traitEvents.count, row.id);
        traitEvents.push(
          e.ts.toISOString(),
          e.received_at.toISOString(),
          `${e.message_id}:trait:${c.key}`,
          visitorId,
          e.anonymous_id,
          e.user_id ?? userId,
          JSON.stringify({ key: c.key, value: c.value, previous: c.previous }),
          JSON.stringify(e.context),
          e.is_bot,
        );
      }
    }

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
}

/**
 * A row's `ts` bounds (an outbox row, a stored hand-off) as a hand-off carries them; null for the
 * previous release's rows, which have none.
 */
export const tsRangeOf = (row: { ts_min: Date | null; ts_max: Date | null }): [string, string] | null =>
  row.ts_min && row.ts_max ? [row.ts_min.toISOString(), row.ts_max.toISOString()] : null;

/** Bounds covering both (a hand-off with a legacy row has none: its events are read without bounds). */
const widened = (a: [string, string] | null, b: [string, string] | null): [string, string] | null =>
  a && b ? [a[0] < b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1]] : null;

/** A slice's events ($1 site, $2 ids, $3 and $4 the `ts` bounds), read as one scan (`loadEvents`). */
const LOAD_COLUMNS = `e.id::text AS id, e.ts, e.received_at, e.message_id, e.type, e.name, e.visitor_id,
       e.anonymous_id, e.user_id, e.properties, e.traits, e.context, e.is_bot`;
const LOAD_NARROW_SQL = `SELECT ${LOAD_COLUMNS}
  FROM events e WHERE e.site_id = $1 AND e.id = ANY ($2::bigint[]) AND e.ts >= $3 AND e.ts <= $4`;
/** The same by a primary-key probe per id. */
const LOAD_BY_KEY_SQL = `SELECT ${LOAD_COLUMNS}
  FROM unnest($2::bigint[]) AS k(id)
  CROSS JOIN LATERAL (
       SELECT * FROM events e WHERE e.site_id = $1 AND e.id = k.id AND e.ts >= $3 AND e.ts <= $4 LIMIT 1) e`;

/** The worker's provider of the fold (over the app's DataSource). */
export const profileFoldProvider = {
  provide: ProfileFold,
  useFactory: (db: DataSource, visitors: VisitorFold, handoffs: FoldHandoffSink) =>
    new ProfileFold(db, visitors, handoffs),
  inject: [DataSource, VisitorFold, FoldHandoffSink],
};
