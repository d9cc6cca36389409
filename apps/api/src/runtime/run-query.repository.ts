import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import type { FlowLiveRuns } from '../flows/flow-activity';
import { RUN_COLUMNS } from './run-batch.sql';
import { releaseEntry, RunRepository } from './run.repository';
import { RunRow, RunStatusValue, RunStepRow, TERMINAL_STATUSES } from './runtime.types';

export interface RunListFilter {
  status?: RunStatusValue;
  visitorId?: string;
  version?: number;
  before?: string;
  limit: number;
}

/** A flow version's enrolled visitors, held out or not, and how many converted. */
export interface RunGroupRow {
  version: number;
  held_out: boolean;
  visitors: number;
  converted: number;
}

/** The marketer API's reads and changes of runs (list, timeline, cancel, dead letters, node counts). */
@Injectable()
export class RunQueryRepository implements FlowLiveRuns {
  constructor(
    private readonly db: DataSource,
    private readonly runs: RunRepository,
  ) {}

  async list(siteId: string, flowId: string, f: RunListFilter): Promise<RunRow[]> {
    const where = [`site_id = $1`, `flow_id = $2`];
    const params: unknown[] = [siteId, flowId];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.status) add(`status = ?`, f.status);
    if (f.visitorId) add(`visitor_id = ?`, f.visitorId);
    if (f.version !== undefined) add(`flow_version = ?`, f.version);
    if (f.before) add(`created_at < ?`, f.before);
    params.push(f.limit);
    return queryRows(
      this.db,
      `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT $${params.length}`,
      params,
    );
  }

  async get(siteId: string, runId: string): Promise<RunRow | undefined> {
    const rows = await queryRows<RunRow>(
      this.db,
      `SELECT ${RUN_COLUMNS} FROM runs WHERE site_id = $1 AND id = $2`,
      [siteId, runId],
    );
    return rows[0];
  }

  async steps(siteId: string, runId: string): Promise<RunStepRow[]> {
    return queryRows(this.db, `SELECT * FROM run_steps WHERE site_id = $1 AND run_id = $2 ORDER BY ord`, [
      siteId,
      runId,
    ]);
  }

  async failed(siteId: string, flowId: string | undefined, limit: number): Promise<RunRow[]> {
    return queryRows(
      this.db,
      `SELECT ${RUN_COLUMNS} FROM runs WHERE site_id = $1 AND status = 'failed' AND ($2::uuid IS NULL OR flow_id = $2)
        ORDER BY updated_at DESC LIMIT $3`,
      [siteId, flowId ?? null, limit],
    );
  }

  /** Cancels in any non-final state; waits for a step holding the run's row lock, so no effect follows. */
  async cancel(siteId: string, runId: string): Promise<RunRow | undefined> {
    return this.db.transaction(async (tx) => {
      const run = await this.runs.lockRun(tx, siteId, runId);
      if (!run || !['pending', 'running', 'waiting', 'failed'].includes(run.status)) return run;
      await tx.query(
        `UPDATE runs SET status = 'cancelled', ended_at = now(), updated_at = now(), next_step_at = NULL, seq = seq + 1
          WHERE site_id = $1 AND id = $2`,
        [siteId, runId],
      );
      await tx.query(
        `UPDATE run_steps SET effect_status = 'cancelled' WHERE site_id = $1 AND run_id = $2
            AND effect_status IN ('pending', 'failed')`,
        [siteId, runId],
      );
      if (run.status !== 'failed') await releaseEntry(tx, run);
      return { ...run, status: 'cancelled' };
    });
  }

  /** Dead-letter actions: retry the failed action, or skip it and continue. Returns the new seq. */
  async resumeFailed(siteId: string, runId: string, mode: 'retry' | 'skip'): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const run = await this.runs.lockRun(tx, siteId, runId);
      if (!run || run.status !== 'failed' || !run.settled_status) return null;
      const failedStep = await queryRows(
        tx,
        `UPDATE run_steps SET effect_status = $3, attempts = CASE WHEN $3 = 'pending' THEN 0 ELSE attempts END,
                error = CASE WHEN $3 = 'pending' THEN NULL ELSE error END, completed_at = NULL
          WHERE site_id = $1 AND run_id = $2 AND effect_status = 'failed' RETURNING 1`,
        [siteId, runId, mode === 'retry' ? 'pending' : 'skipped'],
      );
      if (!failedStep.length) return null;
      const rows = await queryRows<{ seq: number }>(
        tx,
        `UPDATE runs SET status = 'running', error = NULL, ended_at = NULL, next_step_at = now(), updated_at = now(),
                seq = seq + 1 WHERE site_id = $1 AND id = $2 RETURNING seq`,
        [siteId, runId],
      );
      await tx.query(
        `UPDATE run_entries SET active_runs = active_runs + 1 WHERE site_id = $1 AND flow_id = $2 AND visitor_id = $3`,
        [run.site_id, run.flow_id, run.visitor_id],
      );
      return rows[0].seq;
    });
  }

  /** Per-node counters for the builder overlay, aggregated from the ledger (no hot counter row). */
  async nodeStats(
    siteId: string,
    flowId: string,
  ): Promise<{
    steps: { node_id: string; handle: string | null; n: string }[];
    waiting: { node_id: string; n: string }[];
  }> {
    const [steps, waiting] = await Promise.all([
      queryRows<{ node_id: string; handle: string | null; n: string }>(
        this.db,
        `SELECT node_id, handle, count(*) AS n FROM run_steps WHERE site_id = $1 AND flow_id = $2 GROUP BY 1, 2`,
        [siteId, flowId],
      ),
      queryRows<{ node_id: string; n: string }>(
        this.db,
        `SELECT wait_node_id AS node_id, count(*) AS n FROM runs
          WHERE site_id = $1 AND flow_id = $2 AND status = 'waiting' AND wait_node_id IS NOT NULL GROUP BY 1`,
        [siteId, flowId],
      ),
    ]);
    return { steps, waiting };
  }

  /**
   * Per version and group (held out or not): distinct visitors enrolled and distinct visitors with a
   * converted run (the lift report). Single-shard: the `runs_flow_*` indexes lead with site and flow.
   */
  async visitorsByVersion(siteId: string, flowId: string): Promise<RunGroupRow[]> {
    return queryRows<RunGroupRow>(
      this.db,
      `SELECT flow_version AS version, held_out, count(DISTINCT visitor_id)::int AS visitors,
              count(DISTINCT visitor_id) FILTER (WHERE status = 'converted')::int AS converted
         FROM runs WHERE site_id = $1 AND flow_id = $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [siteId, flowId],
    );
  }

  /** Whether a run of the flow has not ended (flows' `FlowLiveRuns`: a flow with live runs is not deleted). */
  async hasLiveRuns(siteId: string, flowId: string): Promise<boolean> {
    const rows: { live: boolean }[] = await queryRows(
      this.db,
      `SELECT EXISTS (SELECT 1 FROM runs WHERE site_id = $1 AND flow_id = $2
                        AND status <> ALL($3::text[])) AS live`,
      [siteId, flowId, TERMINAL_STATUSES],
    );
    return rows[0]?.live ?? false;
  }
}
