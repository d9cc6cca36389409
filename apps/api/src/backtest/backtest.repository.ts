import { Injectable } from '@nestjs/common';
import type { FlowGraph, FlowSettings } from '@nudgeflow/flow-schema';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
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

/** The backtest with what the job needs to replay (graph, settings). */
export interface BacktestSpec extends BacktestRow {
  graph: FlowGraph;
  settings: FlowSettings;
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
 * The `backtests` rows; every statement filters by one site (single-shard on Citus). What a replay
 * reads of other features comes from their owners (`BacktestSources`).
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

  async spec(siteId: string, id: string): Promise<BacktestSpec | undefined> {
    const rows = await queryRows<BacktestSpec>(
      this.db,
      `SELECT ${COLUMNS}, b.graph, b.settings FROM backtests b WHERE b.site_id = $1 AND b.id = $2`,
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
}
