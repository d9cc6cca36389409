import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import { mergedVisitorsSql } from '../visitors/visitor.sql';
import type { TriggerEventRow } from './ingested-events.repository';

/** A `$trait_changed` event the fold wrote (key, value and previous value of one trait). */
export interface TraitChangeEventRow {
  visitor_id: string;
  ts: Date;
  id: string;
  message_id: string;
  key: string;
  value: unknown;
  previous: unknown;
}

/** A visitor merged into another, with the event of the profile it went into that merged it. */
export interface MergeEventRow {
  into_id: string;
  traits: Record<string, unknown> | null;
  ts: Date | null;
  event_id: string | null;
}

/**
 * Reads of a site's stored events over a time window, in visitor order, for a replay (backtest): per
 * site in pages of visitors, each visitor's events in (ts, id) order through
 * `events_visitor_idx (site_id, visitor_id, ts)`. Every statement filters by one site.
 */
@Injectable()
export class EventReplayRepository {
  constructor(private readonly db: DataSource) {}

  async countVisitors(siteId: string, from: Date, to: Date): Promise<number> {
    const rows = await queryRows<{ n: number }>(
      this.db,
      `SELECT count(DISTINCT visitor_id)::int AS n FROM events WHERE site_id = $1 AND ts >= $2 AND ts < $3`,
      [siteId, from.toISOString(), to.toISOString()],
    );
    return rows[0]?.n ?? 0;
  }

  /** The next visitors (in id order, after `after`) with events in the window. */
  async nextVisitors(
    siteId: string,
    from: Date,
    to: Date,
    after: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows = await queryRows<{ visitor_id: string }>(
      this.db,
      `SELECT DISTINCT visitor_id FROM events
        WHERE site_id = $1 AND ts >= $2 AND ts < $3 AND visitor_id > $4::uuid
        ORDER BY visitor_id LIMIT $5`,
      [siteId, from.toISOString(), to.toISOString(), after ?? '00000000-0000-0000-0000-000000000000', limit],
    );
    return rows.map((r) => r.visitor_id);
  }

  /**
   * One page of the window's events of visitors in [first, last], in (visitor, ts, id) order, after the
   * keyset `after` (exclusive). Bot visitors' events come flagged like the runtime's (`is_bot`).
   */
  async eventsPage(
    siteId: string,
    window: { from: Date; to: Date; first: string; last: string },
    after: { visitorId: string; tsKey: string; id: string } | null,
    limit: number,
  ): Promise<(TriggerEventRow & { ts: Date; ts_key: string })[]> {
    // The keyset's ts goes back as text: a JS Date would drop the microseconds.
    return queryRows(
      this.db,
      `SELECT e.id::text AS id, e.visitor_id, e.message_id, e.type, e.name, e.ts, e.ts::text AS ts_key,
              e.properties, e.context, e.is_bot
         FROM events e
        WHERE e.site_id = $1 AND e.ts >= $2 AND e.ts < $3 AND e.visitor_id >= $4::uuid AND e.visitor_id <= $5::uuid
          AND ($6::uuid IS NULL OR (e.visitor_id, e.ts, e.id) > ($6::uuid, $7::timestamptz, $8::bigint))
        ORDER BY e.visitor_id, e.ts, e.id LIMIT $9`,
      [
        siteId,
        window.from.toISOString(),
        window.to.toISOString(),
        window.first,
        window.last,
        after?.visitorId ?? null,
        after?.tsKey ?? null,
        after?.id ?? null,
        limit,
      ],
    );
  }

  /**
   * The fold's trait changes of these visitors since `from` (to now, past the window's end: today's
   * profile holds them all), in (visitor, ts, id) order, to rebuild each profile as the window opened.
   */
  async traitChanges(siteId: string, visitorIds: string[], from: Date): Promise<TraitChangeEventRow[]> {
    return queryRows(
      this.db,
      `SELECT e.visitor_id, e.ts, e.id::text AS id, e.message_id, e.properties ->> 'key' AS key,
              e.properties -> 'value' AS value, e.properties -> 'previous' AS previous
         FROM events e
        WHERE e.site_id = $1 AND e.visitor_id = ANY($2::uuid[]) AND e.ts >= $3 AND e.name = '$trait_changed'
        ORDER BY e.visitor_id, e.ts, e.id`,
      [siteId, visitorIds, from.toISOString()],
    );
  }

  /**
   * Visitors merged into these ones (the visitors feature's `mergedVisitorsSql`), with the first event
   * of the profile they went into that carried one of their identities since `from`: the identify (or
   * alias) that merged them. No such event: merged before the window.
   */
  async mergesInto(siteId: string, visitorIds: string[], from: Date): Promise<MergeEventRow[]> {
    return queryRows(
      this.db,
      `SELECT m.merged_into AS into_id, m.traits, x.ts, x.id::text AS event_id
         FROM ${mergedVisitorsSql('$1', '$2::uuid[]')} m
         LEFT JOIN LATERAL (
           SELECT e.ts, e.id FROM events e
            WHERE e.site_id = $1 AND e.visitor_id = m.merged_into AND e.ts >= $3
              AND e.type IN ('identify', 'alias')
              AND (e.anonymous_id = ANY(m.anonymous_ids)
                   OR (e.type = 'alias' AND (e.properties ->> 'previousId' = m.user_id
                                            OR e.properties ->> 'previousId' = ANY(m.anonymous_ids))))
            ORDER BY e.ts, e.id LIMIT 1) x ON true`,
      [siteId, visitorIds, from.toISOString()],
    );
  }
}
