import { Injectable } from '@nestjs/common';
import type { FlowSettings, LooseFlowGraph } from '@nudgeflow/flow-schema';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';

export const FLOW_STATUSES = ['draft', 'live', 'paused', 'archived'] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];

/** The draft is a work in progress: its graph has the loose shape and may not pass validation. */
export interface FlowDraft {
  graph: LooseFlowGraph;
  settings: FlowSettings | Record<string, unknown>;
}

export interface FlowSummaryRow {
  site_id: string;
  id: string;
  name: string;
  status: FlowStatus;
  revision: number;
  published_version: number | null;
  archived_exit_runs: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface FlowRow extends FlowSummaryRow {
  draft: FlowDraft;
}

const SUMMARY_COLUMNS = `site_id, id, name, status, revision, published_version, archived_exit_runs,
  created_by, created_at, updated_at`;
const FLOW_COLUMNS = `${SUMMARY_COLUMNS}, draft`;

/** Every method takes the site id first and filters by it, so each query routes to one shard. */
@Injectable()
export class FlowRepository {
  constructor(private readonly db: DataSource) {}

  async list(siteId: string): Promise<FlowSummaryRow[]> {
    return queryRows(
      this.db,
      `SELECT ${SUMMARY_COLUMNS} FROM flows WHERE site_id = $1 ORDER BY updated_at DESC, id`,
      [siteId],
    );
  }

  async exists(siteId: string, flowId: string): Promise<boolean> {
    const rows = await queryRows(this.db, `SELECT 1 FROM flows WHERE site_id = $1 AND id = $2`, [
      siteId,
      flowId,
    ]);
    return rows.length > 0;
  }

  async get(siteId: string, flowId: string): Promise<FlowRow | undefined> {
    const rows: FlowRow[] = await queryRows(
      this.db,
      `SELECT ${FLOW_COLUMNS} FROM flows WHERE site_id = $1 AND id = $2`,
      [siteId, flowId],
    );
    return rows[0];
  }

  async insert(
    siteId: string,
    flow: { name: string; draft: FlowDraft; createdBy: string | null },
  ): Promise<FlowRow> {
    const [row]: FlowRow[] = await queryRows(
      this.db,
      `INSERT INTO flows (site_id, name, draft, created_by) VALUES ($1, $2, $3, $4) RETURNING ${FLOW_COLUMNS}`,
      [siteId, flow.name, JSON.stringify(flow.draft), flow.createdBy],
    );
    return row;
  }

  /**
   * Optimistic concurrency in one statement: the write only lands on the revision the client saw.
   * Answers undefined when the flow is missing or the revision is stale.
   */
  async saveDraft(
    siteId: string,
    flowId: string,
    expectedRevision: number,
    draft: FlowDraft,
    name: string | undefined,
  ): Promise<{ revision: number; updated_at: Date } | undefined> {
    const rows: { revision: number; updated_at: Date }[] = await queryRows(
      this.db,
      `UPDATE flows SET draft = $4, name = COALESCE($5, name), revision = revision + 1, updated_at = now()
        WHERE site_id = $1 AND id = $2 AND revision = $3
        RETURNING revision, updated_at`,
      [siteId, flowId, expectedRevision, JSON.stringify(draft), name ?? null],
    );
    return rows[0];
  }

  async currentRevision(siteId: string, flowId: string): Promise<number | undefined> {
    const rows: { revision: number }[] = await queryRows(
      this.db,
      `SELECT revision FROM flows WHERE site_id = $1 AND id = $2`,
      [siteId, flowId],
    );
    return rows[0]?.revision;
  }

  /** Moves the flow to `to` only from one of `from`; undefined when it is missing or in another status. */
  async transition(
    siteId: string,
    flowId: string,
    from: readonly FlowStatus[],
    to: FlowStatus,
    archivedExitRuns?: boolean,
  ): Promise<FlowSummaryRow | undefined> {
    const rows: FlowSummaryRow[] = await queryRows(
      this.db,
      `UPDATE flows SET status = $4, archived_exit_runs = COALESCE($5, archived_exit_runs), updated_at = now()
        WHERE site_id = $1 AND id = $2 AND status = ANY($3::text[])
        RETURNING ${SUMMARY_COLUMNS}`,
      [siteId, flowId, from, to, archivedExitRuns ?? null],
    );
    return rows[0];
  }

  async delete(siteId: string, flowId: string): Promise<boolean> {
    const rows = await queryRows(this.db, `DELETE FROM flows WHERE site_id = $1 AND id = $2 RETURNING id`, [
      siteId,
      flowId,
    ]);
    return rows.length > 0;
  }
}
