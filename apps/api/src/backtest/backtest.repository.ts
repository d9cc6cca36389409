import { Injectable } from '@nestjs/common';
import type { FlowGraph, FlowSettings } from '@nudgeflow/flow-schema';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import type { StoredEvent, StoredVisitor } from '../runtime/engine-event';
import type { BacktestResult } from './backtest-tally';

export type BacktestStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface BacktestRow {
  site_id: string;
  id: string;
  flow_id: string;
  flow_version: number | null;
  window_from: Date;
  window_to: Date;
  status: BacktestStatus;
  cursor_visitor: string | null;
  visitors_total: number | null;
  visitors_done: number;
  events_done: string;
  slices: number;
  result: BacktestResult | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface BacktestSpec extends BacktestRow {
  graph: FlowGraph;
  settings: FlowSettings;
  timezone: string;
}

const COLUMNS = `b.site_id, b.id, b.flow_id, b.flow_version, b.window_from, b.window_to, b.status, b.cursor_visitor,
  b.visitors_total, b.visitors_done, b.events_done::text AS events_done, b.slices, b.result, b.error,
  b.created_at, b.started_at, b.finished_at`;

/** Where a slice stops and the next one resumes: the last visitor replayed to the end. */
export interface Checkpoint {
  cursorVisitor: string | null;
  visitorsDone: number;
  eventsDone: number;
  result: BacktestResult;
}

/**
 * Every statement filters by one site (single-shard on Citus). Events are read per site in pages of
 * visitors, each visitor's events in (ts, id) order through `events_visitor_idx (site_id, visitor_id, ts)`.
 */
@Injectable()
export class BacktestRepository {
  constructor(private readonly db: DataSource) {}

  /** Undefined when another backtest of the flow is queued or running (the partial unique index). */
  async insert(
    siteId: string,
    b: {
      flowId: string;
      version: number | null;
      graph: unknown;
      settings: unknown;
      from: Date;
      to: Date;
      createdBy: string | null;
    },
  ): Promise<BacktestRow | undefined> {
    const rows = await queryRows<BacktestRow>(
      this.db,
      `INSERT INTO backtests AS b (site_id, flow_id, flow_version, graph, settings, window_from, window_to, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (site_id, flow_id) WHERE status IN ('queued', 'running') DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        siteId,
        b.flowId,
        b.version,
        JSON.stringify(b.graph),
        JSON.stringify(b.settings),
        b.from.toISOString(),
        b.to.toISOString(),
        b.createdBy,
      ],
    );
    return rows[0];
  }

  async get(siteId: string, flowId: string, id: string): Promise<BacktestRow | undefined> {
    const rows = await queryRows<BacktestRow>(
      this.db,
      `SELECT ${COLUMNS} FROM backtests b WHERE b.site_id = $1 AND b.flow_id = $2 AND b.id = $3`,
      [siteId, flowId, id],
    );
    return rows[0];
  }

  async list(siteId: string, flowId: string, limit: number): Promise<BacktestRow[]> {
    return queryRows<BacktestRow>(
      this.db,
      `SELECT ${COLUMNS} FROM backtests b WHERE b.site_id = $1 AND b.flow_id = $2
        ORDER BY b.created_at DESC, b.id LIMIT $3`,
      [siteId, flowId, limit],
    );
  }

  /** The backtest with what the job needs to replay (graph, settings, the site's time zone). */
  async spec(siteId: string, id: string): Promise<BacktestSpec | undefined> {
    const rows = await queryRows<BacktestSpec>(
      this.db,
      `SELECT ${COLUMNS}, b.graph, b.settings, s.timezone
         FROM backtests b JOIN sites s ON s.id = b.site_id
        WHERE b.site_id = $1 AND s.id = $1 AND b.id = $2`,
      [siteId, id],
    );
    return rows[0];
  }

  async cancel(siteId: string, flowId: string, id: string, now: Date): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `UPDATE backtests SET status = 'cancelled', finished_at = $4, updated_at = $4
        WHERE site_id = $1 AND flow_id = $2 AND id = $3 AND status IN ('queued', 'running') RETURNING id`,
      [siteId, flowId, id, now.toISOString()],
    );
    return rows.length > 0;
  }

  /** queued → running with the visitor total; false when it was cancelled meanwhile. */
  async start(siteId: string, id: string, visitorsTotal: number, now: Date): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `UPDATE backtests SET status = 'running', visitors_total = $3, started_at = $4, updated_at = $4
        WHERE site_id = $1 AND id = $2 AND status = 'queued' RETURNING id`,
      [siteId, id, visitorsTotal, now.toISOString()],
    );
    return rows.length > 0;
  }

  /** Saves a slice's checkpoint (and ends the backtest when `done`); false when it was cancelled meanwhile. */
  async checkpoint(siteId: string, id: string, c: Checkpoint, done: boolean, now: Date): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `UPDATE backtests SET cursor_visitor = $3, visitors_done = $4, events_done = $5, result = $6,
              slices = slices + 1, updated_at = $7,
              status = CASE WHEN $8 THEN 'completed' ELSE status END,
              finished_at = CASE WHEN $8 THEN $7::timestamptz ELSE finished_at END
        WHERE site_id = $1 AND id = $2 AND status = 'running' RETURNING id`,
      [
        siteId,
        id,
        c.cursorVisitor,
        c.visitorsDone,
        c.eventsDone,
        JSON.stringify(c.result),
        now.toISOString(),
        done,
      ],
    );
    return rows.length > 0;
  }

  async fail(siteId: string, id: string, message: string, now: Date): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE backtests SET status = 'failed', error = $3, finished_at = $4, updated_at = $4
        WHERE site_id = $1 AND id = $2 AND status IN ('queued', 'running')`,
      [siteId, id, message.slice(0, 500), now.toISOString()],
    );
  }

  async status(siteId: string, id: string): Promise<BacktestStatus | undefined> {
    const rows = await queryRows<{ status: BacktestStatus }>(
      this.db,
      `SELECT status FROM backtests WHERE site_id = $1 AND id = $2`,
      [siteId, id],
    );
    return rows[0]?.status;
  }

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
  ): Promise<(StoredEvent & { ts: Date; ts_key: string })[]> {
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

  async visitors(siteId: string, ids: string[]): Promise<(StoredVisitor & { is_bot: boolean })[]> {
    return queryRows(
      this.db,
      `SELECT id, anonymous_ids, user_id, traits, tags, visit_count, first_seen_at, device, utm, last_page_url,
              coalesce(is_bot, false) AS is_bot
         FROM visitors WHERE site_id = $1 AND id = ANY($2::uuid[])`,
      [siteId, ids],
    );
  }

  /**
   * The fold's trait changes of these visitors since `from` (to now, past the window's end: today's
   * profile holds them all), in (visitor, ts, id) order, to rebuild each profile as the window opened.
   */
  async traitChanges(
    siteId: string,
    visitorIds: string[],
    from: Date,
  ): Promise<
    {
      visitor_id: string;
      ts: Date;
      id: string;
      message_id: string;
      key: string;
      value: unknown;
      previous: unknown;
    }[]
  > {
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
   * Visitors merged into these ones (`visitors_merged_idx`), with the first event of the profile they
   * went into that carried one of their identities since `from`: the identify (or alias) that merged
   * them. No such event: merged before the window.
   */
  async mergesInto(
    siteId: string,
    visitorIds: string[],
    from: Date,
  ): Promise<
    { into_id: string; traits: Record<string, unknown> | null; ts: Date | null; event_id: string | null }[]
  > {
    return queryRows(
      this.db,
      `SELECT m.merged_into AS into_id, m.traits, x.ts, x.id::text AS event_id
         FROM visitors m
         LEFT JOIN LATERAL (
           SELECT e.ts, e.id FROM events e
            WHERE e.site_id = $1 AND e.visitor_id = m.merged_into AND e.ts >= $3
              AND e.type IN ('identify', 'alias')
              AND (e.anonymous_id = ANY(m.anonymous_ids)
                   OR (e.type = 'alias' AND (e.properties ->> 'previousId' = m.user_id
                                            OR e.properties ->> 'previousId' = ANY(m.anonymous_ids))))
            ORDER BY e.ts, e.id LIMIT 1) x ON true
        WHERE m.site_id = $1 AND m.merged_into = ANY($2::uuid[])`,
      [siteId, visitorIds, from.toISOString()],
    );
  }

  /** The caps of the site's CTAs with these ids: the published version's, else the draft's. */
  async ctaCaps(siteId: string, ctaIds: string[]): Promise<{ id: string; caps: unknown }[]> {
    if (!ctaIds.length) return [];
    return queryRows(
      this.db,
      `SELECT c.id, coalesce(v.config, c.draft) -> 'caps' AS caps
         FROM ctas c LEFT JOIN cta_versions v
           ON v.site_id = c.site_id AND v.cta_id = c.id AND v.version = c.published_version
        WHERE c.site_id = $1 AND c.id = ANY($2::text[])`,
      [siteId, ctaIds],
    );
  }
}
