import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { EventFacts } from '../visitors/visitor-profile';
import { dedupeFreshCte, dedupePartitionsFor, dedupeToday } from './dedupe-window';
import { messageHash, NormalizedEvent } from './event-normalize';

export interface IngestItem {
  siteId: string;
  event: NormalizedEvent;
  facts: EventFacts;
  receivedAt: Date;
}

/** Per item: stored (a new row) or a duplicate of a messageId already in the window. */
export type ItemOutcome = 'stored' | 'duplicate';

const DAY_MS = 86_400_000;
const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** RFC 4122 name-based UUID (version 5, SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The visitor id an event whose identity is not known yet is stored under: the same for every event
 * naming that identity first (userId, else anonymousId), so a new visitor's first events agree before
 * the fold creates the profile under that id (`ProfileFold`).
 */
export function provisionalVisitorId(siteId: string, e: NormalizedEvent): string {
  const [kind, value] = e.userId ? ['user', e.userId] : ['anon', e.anonymousId ?? e.previousId ?? ''];
  return uuidV5(siteId, `${kind}|${value}`);
}

/**
 * The durable write of a group of events from many requests, in ONE transaction: per site, one
 * statement (constant site_id: single-shard on Citus) that records the fresh messageIds in the dedupe
 * window, inserts their events and one `event_outbox` row (the fold's queue). No profile read, no
 * lock beyond the rows it inserts. Callers answer 2xx only after `commit` resolves (after COMMIT);
 * profiles, identities and flow triggering follow in the fold (`ProfileFold`, in the worker).
 */
@Injectable()
export class EventStore {
  private readonly knownPartitions = new Set<string>();

  constructor(private readonly db: DataSource) {}

  /** Creates the daily partitions these events and today's dedupe bucket need (outside the write). */
  async ensurePartitions(items: IngestItem[]): Promise<void> {
    const days = new Set<number>();
    for (const i of items) days.add(Math.floor(i.event.ts.getTime() / DAY_MS));
    const wanted = new Set([...days].map((d) => `events|${utcDay(d * DAY_MS)}`));
    for (const p of dedupePartitionsFor(utcDay(Date.now()))) wanted.add(`${p.parent}|${p.day}`);
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
    const bySite = new Map<string, number[]>();
    items.forEach((i, n) => {
      const list = bySite.get(i.siteId);
      if (list) list.push(n);
      else bySite.set(i.siteId, [n]);
    });
    const outcomes: ItemOutcome[] = items.map(() => 'duplicate');
    const today = dedupeToday();
    const qr = this.db.createQueryRunner();
    await qr.connect();
    const client = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection;
    // One site (the usual group): its one statement is its own transaction, one round trip.
    const tx = bySite.size > 1;
    let open = false;
    const prof: string[] = [];
    const t0 = performance.now();
    try {
      if (tx) {
        await client.query('BEGIN');
        open = true;
      }
      // Sites in a fixed order (two groups never wait on each other's sites in opposite orders).
      for (const site of [...bySite.keys()].sort()) {
        const t = performance.now();
        await this.writeSite(client, site, bySite.get(site) as number[], items, outcomes, today);
        if (process.env.INGEST_PROFILE) prof.push(`site=${(performance.now() - t).toFixed(1)}`);
      }
      if (tx) {
        open = false;
        await client.query('COMMIT');
      }
      return outcomes;
    } catch (err) {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
      if (process.env.INGEST_PROFILE)
        appendFileSync(
          process.env.INGEST_PROFILE,
          `PROF n=${items.length} total=${(performance.now() - t0).toFixed(1)} ${prof.join(' ')}\n`,
        );
    }
  }

  /** One site's events: dedupe, events (visitor by identity probe), outbox row, in one statement. */
  private async writeSite(
    client: PoolClient,
    siteId: string,
    indexes: number[],
    items: IngestItem[],
    outcomes: ItemOutcome[],
    today: number,
  ): Promise<void> {
    // Candidates: the first occurrence of each messageId hash in the group.
    const firstByHash = new Map<string, number>();
    for (const n of indexes) {
      const h = messageHash(items[n].event.messageId);
      if (!firstByHash.has(h)) firstByHash.set(h, n);
    }
    const cols = new EventColumns();
    for (const [hash, n] of firstByHash) {
      const { event: e, facts, receivedAt } = items[n];
      cols.push(
        hash,
        e.ts.toISOString(),
        receivedAt.toISOString(),
        e.messageId,
        e.type,
        e.name,
        e.anonymousId,
        e.userId,
        JSON.stringify(e.type === 'alias' ? { ...e.properties, previousId: e.previousId } : e.properties),
        JSON.stringify(e.traits),
        JSON.stringify(e.context),
        facts.isBot,
        provisionalVisitorId(siteId, e),
      );
    }
    const { rows } = await client.query<{ hash: string }>({
      name: 'nf_ingest_events',
      text: WRITE_SQL,
      values: [siteId, today, ...cols.cols],
    });
    const fresh = new Set(rows.map((r) => r.hash));
    for (const [hash, n] of firstByHash) if (fresh.has(hash)) outcomes[n] = 'stored';
  }
}

const EVENT_TYPES_SQL = [
  'bigint',
  'timestamptz',
  'timestamptz',
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'jsonb',
  'jsonb',
  'boolean',
  'uuid',
];

/**
 * $1 site, $2 today, $3.. one array per column. The event's visitor: the one its userId, else its
 * anonymousId, belongs to now (an index probe each, read-only: no lock), else its provisional id.
 * Events keep their order in the group (ids drawn in it); the outbox row lists every stored event,
 * bots too (the fold updates their profiles; it hands only the others to trigger matching).
 */
const WRITE_SQL = `WITH fresh AS (${dedupeFreshCte({ site: 1, hashes: 3, today: 2 })}),
  e AS (
    SELECT * FROM unnest(${EVENT_TYPES_SQL.map((t, i) => `$${i + 3}::${t}[]`).join(', ')})
           WITH ORDINALITY AS e(hash, ts, received_at, message_id, type, name, anonymous_id, user_id, properties,
                                traits, context, is_bot, provisional, n)),
  ins AS (
    INSERT INTO events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
                        properties, traits, context, is_bot)
    SELECT $1::uuid, e.ts, e.received_at, e.message_id, e.type, e.name,
           coalesce((SELECT i.visitor_id FROM visitor_identities i
                      WHERE i.site_id = $1::uuid AND i.kind = 'user' AND i.value = e.user_id LIMIT 1),
                    (SELECT i.visitor_id FROM visitor_identities i
                      WHERE i.site_id = $1::uuid AND i.kind = 'anon' AND i.value = e.anonymous_id LIMIT 1),
                    e.provisional),
           e.anonymous_id, e.user_id, e.properties, e.traits, e.context, e.is_bot
      FROM e WHERE e.hash = ANY (ARRAY(SELECT hash FROM fresh))
     ORDER BY e.n
    RETURNING id, ts),
  ob AS (
    INSERT INTO event_outbox (site_id, event_ids, ts_min, ts_max)
    SELECT $1::uuid, array_agg(id ORDER BY id), min(ts), max(ts) FROM ins HAVING count(*) > 0)
  SELECT hash::text AS hash FROM fresh`;

/** Event rows as one array per column; jsonb columns arrive as JSON text. */
class EventColumns {
  static readonly WIDTH = 13;
  readonly cols: unknown[][] = Array.from({ length: EventColumns.WIDTH }, () => []);

  push(...values: unknown[]): void {
    for (let i = 0; i < values.length; i++) this.cols[i].push(values[i]);
  }
}
