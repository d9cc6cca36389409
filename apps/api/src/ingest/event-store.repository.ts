import { appendFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { EventFacts } from '../visitors/visitor-profile';
import { dedupePartitionsFor, dedupeToday } from './dedupe-window';
import { messageHash, NormalizedEvent } from './event-normalize';
import { siteWrite } from './write-statement';

export { provisionalVisitorId, uuidV5 } from './write-statement';

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
    const write = siteWrite(
      siteId,
      [...firstByHash].map(([hash, n]) => ({
        hash,
        event: items[n].event,
        isBot: items[n].facts.isBot,
        receivedAt: items[n].receivedAt,
      })),
      today,
    );
    const { rows } = await client.query<{ hash: string }>(write);
    const fresh = new Set(rows.map((r) => r.hash));
    for (const [hash, n] of firstByHash) if (fresh.has(hash)) outcomes[n] = 'stored';
  }
}
