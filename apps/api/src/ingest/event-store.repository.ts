import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { queryRows } from '../database/sql';
import { IdentityResolver, identityKey, identityKeysOf, visitorKey } from '../visitors/identity-resolver';
import type { EventFacts, VisitorState } from '../visitors/visitor-profile';
import { messageHash, NormalizedEvent, TRAIT_CHANGED } from './event-normalize';

export interface IngestItem {
  siteId: string;
  event: NormalizedEvent;
  facts: EventFacts;
  receivedAt: Date;
}

/** Per item: stored (a new row) or a duplicate of a messageId already in the window. */
export type ItemOutcome = 'stored' | 'duplicate';

/** Days of receipt checked for a messageId besides today: a window of at least 48 hours. */
export const DEDUPE_DAYS_BACK = 2;

const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

interface VisitorRow {
  site_id: string;
  id: string;
  anonymous_ids: string[];
  user_id: string | null;
  traits: Record<string, unknown>;
  first_seen_at: Date;
  last_seen_at: Date;
  session_count: number;
  visit_count: number;
  event_count: number;
  last_page_url: string | null;
  utm: Record<string, unknown>;
  referrer: string | null;
  device: Record<string, unknown>;
  country: string | null;
  is_bot: boolean;
  merged_into: string | null;
}

const toState = (r: VisitorRow): VisitorState => ({
  siteId: r.site_id,
  id: r.id,
  isNew: false,
  anonymousIds: r.anonymous_ids,
  userId: r.user_id,
  traits: r.traits,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  sessionCount: r.session_count,
  visitCount: r.visit_count,
  eventCount: r.event_count,
  lastPageUrl: r.last_page_url,
  utm: r.utm,
  referrer: r.referrer,
  device: r.device,
  country: r.country,
  isBot: r.is_bot,
  mergedInto: r.merged_into,
});

/**
 * The durable write of a group of events from many requests, in ONE transaction: dedupe window,
 * visitor profiles and identities, the events and one outbox row per site. Callers answer 2xx
 * only after `commit` resolves (after COMMIT).
 */
@Injectable()
export class EventStore {
  private readonly knownPartitions = new Set<string>();

  constructor(private readonly db: DataSource) {}

  /** Creates the daily partitions these events and today's dedupe bucket need (outside the write). */
  async ensurePartitions(items: IngestItem[]): Promise<void> {
    const wanted = new Set<string>();
    for (const i of items) wanted.add(`events|${utcDay(i.event.ts.getTime())}`);
    wanted.add(`event_dedupe|${utcDay(Date.now())}`);
    for (const key of wanted) {
      if (this.knownPartitions.has(key)) continue;
      const [parent, day] = key.split('|');
      for (let attempt = 0; ; attempt++) {
        try {
          await this.db.query(`SELECT nf_ensure_daily_partitions($1, $2::date, $2::date)`, [parent, day]);
          break;
        } catch (err) {
          // Another process created it at the same moment.
          if (attempt >= 2 || !['42P07', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
        }
      }
      this.knownPartitions.add(key);
    }
  }

  async commit(items: IngestItem[]): Promise<ItemOutcome[]> {
    await this.ensurePartitions(items);
    const qr = this.db.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      const outcomes = await this.write(qr, items);
      await qr.commitTransaction();
      return outcomes;
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
  }

  private async write(qr: QueryRunner, items: IngestItem[]): Promise<ItemOutcome[]> {
    const sites = [...new Set(items.map((i) => i.siteId))].sort();
    // One writer per site at a time (across processes), so visitor resolution sees settled identities.
    await qr.query(`SELECT pg_advisory_xact_lock(hashtextextended(s, 7401)) FROM unnest($1::text[]) s`, [
      sites,
    ]);

    // 1. dedupe: first occurrence in the group, then the window in PostgreSQL (same transaction).
    const outcomes: ItemOutcome[] = items.map(() => 'duplicate');
    const firstByKey = new Map<string, number>();
    const hashes = items.map((i) => messageHash(i.event.messageId));
    items.forEach((i, n) => {
      const k = `${i.siteId}|${hashes[n]}`;
      if (!firstByKey.has(k)) firstByKey.set(k, n);
    });
    const candidates = [...firstByKey.values()];
    const today = utcDay(Date.now());
    const fresh = await queryRows<{ site_id: string; hash: string }>(
      qr,
      `INSERT INTO event_dedupe (site_id, day, hash)
       SELECT c.site_id, $3::date, c.hash FROM unnest($1::uuid[], $2::bigint[]) AS c(site_id, hash)
        WHERE NOT EXISTS (SELECT 1 FROM event_dedupe d
                           WHERE d.site_id = c.site_id AND d.hash = c.hash AND d.day >= $3::date - $4::int)
       ON CONFLICT DO NOTHING RETURNING site_id, hash`,
      [candidates.map((n) => items[n].siteId), candidates.map((n) => hashes[n]), today, DEDUPE_DAYS_BACK],
    );
    const freshKeys = new Set(fresh.map((r) => `${r.site_id}|${r.hash}`));
    const stored = candidates
      .filter((n) => freshKeys.has(`${items[n].siteId}|${hashes[n]}`))
      .sort((a, b) => a - b);
    for (const n of stored) outcomes[n] = 'stored';
    if (stored.length === 0) return outcomes;

    // 2. load identities and visitors (rows locked against concurrent profile updates).
    const keys = new Map<string, [string, string, string]>();
    for (const n of stored) {
      for (const k of identityKeysOf(items[n].siteId, items[n].event)) keys.set(identityKey(...k), k);
    }
    const keyList = [...keys.values()];
    const idRows = await queryRows<{
      site_id: string;
      kind: 'anon' | 'user';
      value: string;
      visitor_id: string;
    }>(
      qr,
      `SELECT i.site_id, i.kind, i.value, i.visitor_id FROM visitor_identities i
         JOIN unnest($1::uuid[], $2::text[], $3::text[]) AS k(site_id, kind, value)
           ON i.site_id = k.site_id AND i.kind = k.kind AND i.value = k.value`,
      [keyList.map((k) => k[0]), keyList.map((k) => k[1]), keyList.map((k) => k[2])],
    );
    const identities = new Map(idRows.map((r) => [identityKey(r.site_id, r.kind, r.value), r.visitor_id]));
    const visitorIds = [...new Map(idRows.map((r) => [visitorKey(r.site_id, r.visitor_id), r])).values()];
    const visitorRows = visitorIds.length
      ? await queryRows<VisitorRow>(
          qr,
          `SELECT v.* FROM visitors v
             JOIN unnest($1::uuid[], $2::uuid[]) AS k(site_id, id) ON v.site_id = k.site_id AND v.id = k.id
            ORDER BY v.site_id, v.id FOR UPDATE OF v`,
          [visitorIds.map((r) => r.site_id), visitorIds.map((r) => r.visitor_id)],
        )
      : [];
    const visitors = new Map(visitorRows.map((r) => [visitorKey(r.site_id, r.id), toState(r)]));

    // 3. resolve in arrival order; identify emits one $trait_changed per changed key.
    const resolver = new IdentityResolver(identities, visitors, randomUUID);
    const rows: Record<string, unknown>[] = [];
    for (const n of stored) {
      const { siteId, event: e, facts, receivedAt } = items[n];
      const { visitor, changes } = resolver.resolve(siteId, e, facts);
      const base = {
        site_id: siteId,
        received_at: receivedAt.toISOString(),
        visitor_id: visitor.id,
        anonymous_id: e.anonymousId,
        user_id: e.userId ?? visitor.userId,
        context: e.context,
        is_bot: facts.isBot,
      };
      rows.push({
        ...base,
        ts: e.ts.toISOString(),
        message_id: e.messageId,
        type: e.type,
        name: e.name,
        properties: e.type === 'alias' ? { ...e.properties, previousId: e.previousId } : e.properties,
        traits: e.traits,
      });
      for (const c of changes) {
        rows.push({
          ...base,
          ts: e.ts.toISOString(),
          message_id: `${e.messageId}:trait:${c.key}`,
          type: 'track',
          name: TRAIT_CHANGED,
          properties: { key: c.key, value: c.value, previous: c.previous },
          traits: {},
        });
      }
    }

    // 4. write profiles, identities, events and the outbox.
    const dirty = [...resolver.dirty.values()].sort((a, b) =>
      a.siteId === b.siteId ? a.id.localeCompare(b.id) : a.siteId.localeCompare(b.siteId),
    );
    await qr.query(
      `INSERT INTO visitors (site_id, id, anonymous_ids, user_id, traits, first_seen_at, last_seen_at,
                             session_count, visit_count, event_count, last_page_url, utm, referrer, device,
                             country, is_bot, merged_into)
       SELECT r.site_id, r.id, ARRAY(SELECT jsonb_array_elements_text(r.anonymous_ids)), r.user_id, r.traits,
              r.first_seen_at, r.last_seen_at, r.session_count, r.visit_count, r.event_count, r.last_page_url,
              r.utm, r.referrer, r.device, r.country, r.is_bot, r.merged_into
         FROM json_to_recordset($1::json) AS r(site_id uuid, id uuid, anonymous_ids jsonb, user_id text,
              traits jsonb, first_seen_at timestamptz, last_seen_at timestamptz, session_count int,
              visit_count int, event_count int, last_page_url text, utm jsonb, referrer text, device jsonb,
              country text, is_bot boolean, merged_into uuid)
       ON CONFLICT (site_id, id) DO UPDATE SET
         anonymous_ids = EXCLUDED.anonymous_ids, user_id = EXCLUDED.user_id, traits = EXCLUDED.traits,
         first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
         session_count = EXCLUDED.session_count, visit_count = EXCLUDED.visit_count,
         event_count = EXCLUDED.event_count, last_page_url = EXCLUDED.last_page_url, utm = EXCLUDED.utm,
         referrer = EXCLUDED.referrer, device = EXCLUDED.device, country = EXCLUDED.country,
         is_bot = EXCLUDED.is_bot, merged_into = EXCLUDED.merged_into, updated_at = now()`,
      [JSON.stringify(dirty.map(toRow))],
    );
    const idWrites = [...resolver.identityWrites.values()];
    if (idWrites.length) {
      await qr.query(
        `INSERT INTO visitor_identities (site_id, kind, value, visitor_id)
         SELECT * FROM json_to_recordset($1::json) AS r(site_id uuid, kind text, value text, visitor_id uuid)
         ON CONFLICT (site_id, kind, value) DO UPDATE SET visitor_id = EXCLUDED.visitor_id`,
        [
          JSON.stringify(
            idWrites.map((w) => ({
              site_id: w.siteId,
              kind: w.kind,
              value: w.value,
              visitor_id: w.visitorId,
            })),
          ),
        ],
      );
    }
    if (resolver.merges.length) {
      // Keep merges one level deep: whatever was merged into `from` now points at `into`.
      await qr.query(
        `UPDATE visitors v SET merged_into = m.into_id, updated_at = now()
           FROM json_to_recordset($1::json) AS m(site_id uuid, from_id uuid, into_id uuid)
          WHERE v.site_id = m.site_id AND v.merged_into = m.from_id`,
        [
          JSON.stringify(
            resolver.merges.map((m) => ({ site_id: m.siteId, from_id: m.from, into_id: m.into })),
          ),
        ],
      );
    }
    await qr.query(
      `WITH ins AS (
         INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
                             properties, traits, context, is_bot)
         SELECT * FROM json_to_recordset($1::json) AS r(site_id uuid, ts timestamptz, received_at timestamptz,
                message_id text, type text, name text, visitor_id uuid, anonymous_id text, user_id text,
                properties jsonb, traits jsonb, context jsonb, is_bot boolean)
         RETURNING site_id, id, is_bot)
       INSERT INTO event_outbox (site_id, event_ids)
       SELECT site_id, array_agg(id ORDER BY id) FROM ins WHERE NOT is_bot GROUP BY site_id`,
      [JSON.stringify(rows)],
    );
    return outcomes;
  }
}

const toRow = (v: VisitorState) => ({
  site_id: v.siteId,
  id: v.id,
  anonymous_ids: v.anonymousIds,
  user_id: v.userId,
  traits: v.traits,
  first_seen_at: v.firstSeenAt,
  last_seen_at: v.lastSeenAt,
  session_count: v.sessionCount,
  visit_count: v.visitCount,
  event_count: v.eventCount,
  last_page_url: v.lastPageUrl,
  utm: v.utm,
  referrer: v.referrer,
  device: v.device,
  country: v.country,
  is_bot: v.isBot,
  merged_into: v.mergedInto,
});
