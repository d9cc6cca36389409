import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Queryable, queryRows } from '../database/sql';
import type { TimelineRow, VisitorEventSource } from '../visitors/visitor-events';
import { TRIGGER_EVENTS_UNBOUNDED_SQL, triggerEventsSql } from './trigger-events.sql';

/** An event as the trigger job reads it (the runtime names it `StoredEvent`). */
export interface TriggerEventRow {
  id: string;
  visitor_id: string;
  message_id: string;
  type: string;
  name: string;
  ts: Date | string;
  properties: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  is_bot: boolean;
}

export interface VariantStatRow {
  variant_id: string | null;
  name: string;
  events: string;
  visitors: string;
}

/** The maintenance passes' site discovery reads every shard; on Citus that is an explicit choice. */
const CROSS_SHARD = `SET LOCAL citus.multi_task_query_log_level TO 'off'`;

/**
 * What other features read of ingested events (ingest owns `events` and `event_outbox`): the outbox
 * relay's site discovery, a hand-off's events for the trigger job, what a visitor.identified notice
 * carries, a visitor's timeline and a CTA's variant counts. Every tenant query takes `siteId` first and filters by it.
 */
@Injectable()
export class IngestedEventsRepository implements VisitorEventSource {
  constructor(private readonly db: DataSource) {}

  /**
   * Sites with outbox rows, oldest first (a cluster-wide read, listed in database/README.md: the
   * relay then claims per site, so no lock spans shards). Read-only, explicit opt-out.
   */
  async sitesWithOutbox(limit: number): Promise<string[]> {
    const rows = await this.crossShardRead<{ site_id: string }>(
      `SELECT site_id FROM event_outbox GROUP BY site_id ORDER BY min(id) LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.site_id);
  }

  /**
   * A hand-off's events as the trigger job reads them; bot if the event or its visitor's profile is.
   * With the hand-off's `ts` bounds, one scan of a narrow range, else a key probe per event
   * (`triggerEventsSql`).
   */
  async forTriggers(
    siteId: string,
    eventIds: string[],
    tsRange: [string, string] | null,
  ): Promise<TriggerEventRow[]> {
    return tsRange
      ? queryRows(this.db, triggerEventsSql(tsRange), [siteId, eventIds, tsRange[0], tsRange[1]])
      : queryRows(this.db, TRIGGER_EVENTS_UNBOUNDED_SQL, [siteId, eventIds]);
  }

  /**
   * What a visitor.identified notice carries that the runtime's event read does not: each event by its
   * whole primary key (id and ts as the trigger job read it, to the millisecond), one probe each.
   */
  async identifyDetails(
    db: Queryable,
    siteId: string,
    events: { id: string; ts: Date | string }[],
  ): Promise<
    { id: string; user_id: string | null; anonymous_id: string | null; traits: Record<string, unknown> }[]
  > {
    return queryRows(
      db,
      `SELECT e.id::text AS id, e.user_id, e.anonymous_id, coalesce(e.traits, '{}'::jsonb) AS traits
         FROM unnest($2::bigint[], $3::timestamptz[]) AS k(id, ts)
         CROSS JOIN LATERAL (
              SELECT * FROM events e
               WHERE e.site_id = $1 AND e.id = k.id
                 AND e.ts >= k.ts AND e.ts < k.ts + interval '1 millisecond' LIMIT 1) e`,
      [siteId, events.map((e) => e.id), events.map((e) => new Date(e.ts).toISOString())],
    );
  }

  /** A visitor's events (and those of profiles merged into it), newest first (the visitor timeline). */
  async timeline(
    siteId: string,
    visitorIds: string[],
    opts: { limit: number; before?: { ts: string; id: string } },
  ): Promise<TimelineRow[]> {
    const params: unknown[] = [siteId, visitorIds, opts.limit];
    let where = `site_id = $1 AND visitor_id = ANY($2::uuid[])`;
    if (opts.before) {
      params.push(opts.before.ts, opts.before.id);
      where += ` AND (ts, id) < ($4::timestamptz, $5::bigint)`;
    }
    return queryRows(
      this.db,
      `SELECT id::text AS id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
              properties, traits, context, is_bot
         FROM events WHERE ${where} ORDER BY ts DESC, id DESC LIMIT $3`,
      params,
    );
  }

  /** Impressions/clicks/conversions per variant, counted from the raw CTA events (until rollups land; onsite's CTA stats). */
  async variantStats(siteId: string, ctaId: string, since: Date): Promise<VariantStatRow[]> {
    return queryRows<VariantStatRow>(
      this.db,
      `SELECT properties->>'variant_id' AS variant_id, name, count(*)::text AS events,
              count(DISTINCT visitor_id)::text AS visitors
         FROM events
        WHERE site_id = $1 AND ts >= $3 AND type = 'track'
          AND name IN ('cta_viewed', 'cta_clicked', 'cta_closed', 'cta_converted', 'form_submitted')
          AND properties->>'cta_id' = $2 AND NOT is_bot
        GROUP BY 1, 2`,
      [siteId, ctaId, since],
    );
  }

  private crossShardRead<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(CROSS_SHARD);
      return queryRows<T>(tx, sql, params);
    });
  }
}
