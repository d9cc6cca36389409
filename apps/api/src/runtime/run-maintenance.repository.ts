import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { flowsExitingRunsSql } from '../flows/flow.sql';
import { crossShardRead } from './cross-shard-read';
import { releaseEntry } from './run.repository';
import { DueRun } from './runtime.types';

/** A run the reaper failed or an archived flow exited (the columns its system event needs). */
export interface ForcedEndRow {
  site_id: string;
  id: string;
  flow_id: string;
  flow_version: number;
  visitor_id: string;
  seq: number;
  error: { code: string; message: string; nodeId: string | null } | null;
}

/** Called inside the ending transaction, so the runs' system events commit with them. */
export type OnRunsEnded = (
  tx: EntityManager,
  rows: ForcedEndRow[],
  status: 'failed' | 'exited',
) => Promise<void>;

/**
 * The reconciler's and reaper's queries: found cluster-wide (read-only, each listed in
 * database/README.md), changed per site.
 */
@Injectable()
export class RunMaintenanceRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Waits entering the timer horizon (a band as wide as two reconciler passes, so each long wait is
   * promoted about twice and dedupes by job id). Read-only, so one cluster-wide statement.
   */
  async enteringHorizon(now: Date, horizonMs: number, bandMs: number, limit: number): Promise<DueRun[]> {
    return crossShardRead<DueRun>(
      this.db,
      `SELECT site_id, id, seq, status, next_step_at FROM runs
        WHERE status = 'waiting' AND next_step_at > $1 AND next_step_at <= $2
        ORDER BY next_step_at LIMIT $3`,
      [
        new Date(now.getTime() + horizonMs - bandMs).toISOString(),
        new Date(now.getTime() + horizonMs).toISOString(),
        limit,
      ],
    );
  }

  /** Sites with an active run due before `dueBefore` and not rescued since `rescuedBefore`. */
  async sitesWithOverdue(dueBefore: Date, rescuedBefore: Date, limit: number): Promise<string[]> {
    const rows = await crossShardRead<{ site_id: string }>(
      this.db,
      `SELECT site_id FROM runs
        WHERE status IN ('pending', 'running', 'waiting') AND next_step_at <= $1
          AND (rescued_at IS NULL OR rescued_at <= $2)
        GROUP BY site_id ORDER BY min(next_step_at) LIMIT $3`,
      [dueBefore.toISOString(), rescuedBefore.toISOString(), limit],
    );
    return rows.map((r) => r.site_id);
  }

  /**
   * One site's active runs overdue by more than the grace period (Redis lost the job, or a worker
   * died holding it), at most once per four grace periods per run so an overloaded system is not
   * flooded. Stamps `rescued_at`; SKIP LOCKED, so two reconcilers never take the same run.
   */
  async claimOverdue(siteId: string, now: Date, graceMs: number, limit: number): Promise<DueRun[]> {
    return queryRows<DueRun>(
      this.db,
      `UPDATE runs SET rescued_at = $2
        WHERE site_id = $1 AND id IN (
          SELECT id FROM runs
           WHERE site_id = $1 AND status IN ('pending', 'running', 'waiting') AND next_step_at <= $3
             AND (rescued_at IS NULL OR rescued_at <= $4)
           ORDER BY next_step_at LIMIT $5 FOR UPDATE SKIP LOCKED)
        RETURNING site_id, id, seq, status, next_step_at`,
      [
        siteId,
        now.toISOString(),
        new Date(now.getTime() - graceMs).toISOString(),
        new Date(now.getTime() - 4 * graceMs).toISOString(),
        limit,
      ],
    );
  }

  /** Sites with an active run that made no progress since `before` (see `reapStuck`). */
  async sitesWithStuck(before: Date, limit: number): Promise<string[]> {
    const rows = await crossShardRead<{ site_id: string }>(
      this.db,
      `SELECT DISTINCT site_id FROM runs
        WHERE status IN ('pending', 'running', 'waiting')
          AND ((status <> 'waiting' AND updated_at < $1) OR (status = 'waiting' AND next_step_at < $1))
        LIMIT $2`,
      [before.toISOString(), limit],
    );
    return rows.map((r) => r.site_id);
  }

  /**
   * Fails one site's runs that made no progress within the deadline, with the reason (written from
   * here: a timestamp's text form is not immutable, and Citus routes no STABLE call over a column in
   * an UPDATE). Runs another transaction holds are skipped: they are moving.
   */
  async reapStuck(
    siteId: string,
    now: Date,
    stuckMs: number,
    onEnded?: OnRunsEnded,
  ): Promise<ForcedEndRow[]> {
    const before = new Date(now.getTime() - stuckMs).toISOString();
    return this.db.transaction(async (tx) => {
      const stuck = await queryRows<{
        id: string;
        status: string;
        next_step_at: Date | null;
        updated_at: Date;
        wait_node_id: string | null;
      }>(
        tx,
        `SELECT id, status, next_step_at, updated_at, wait_node_id FROM runs
          WHERE site_id = $1 AND status IN ('pending', 'running', 'waiting')
            AND ((status <> 'waiting' AND updated_at < $2) OR (status = 'waiting' AND next_step_at < $2))
          FOR UPDATE SKIP LOCKED`,
        [siteId, before],
      );
      if (!stuck.length) return [];
      const errors = stuck.map((r) =>
        JSON.stringify({
          code: 'STUCK',
          nodeId: r.wait_node_id,
          message:
            r.status === 'waiting'
              ? `timer overdue since ${new Date(r.next_step_at!).toISOString()}`
              : `no progress since ${new Date(r.updated_at).toISOString()} (status ${r.status})`,
        }),
      );
      const rows = await queryRows<ForcedEndRow>(
        tx,
        `UPDATE runs r SET status = 'failed', ended_at = $4, updated_at = $4, seq = r.seq + 1, next_step_at = NULL,
                error = u.error
           FROM unnest($2::uuid[], $3::jsonb[]) AS u(id, error)
          WHERE r.site_id = $1 AND r.id = u.id
          RETURNING r.site_id, r.id, r.flow_id, r.flow_version, r.visitor_id, r.seq, r.error`,
        [siteId, stuck.map((r) => r.id), errors, now.toISOString()],
      );
      for (const r of rows) await releaseEntry(tx, r);
      await onEnded?.(tx, rows, 'failed');
      return rows;
    });
  }

  /** Sites with an active run of a flow archived with "exit runs". */
  async sitesWithArchivedRuns(limit: number): Promise<string[]> {
    const rows = await crossShardRead<{ site_id: string }>(
      this.db,
      `SELECT DISTINCT f.site_id FROM ${flowsExitingRunsSql()} f
        WHERE EXISTS (SELECT 1 FROM runs r WHERE r.site_id = f.site_id AND r.flow_id = f.id
                         AND r.status IN ('pending', 'running', 'waiting'))
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.site_id);
  }

  /** Exits one site's active runs of flows archived with "exit runs". */
  async exitArchivedRuns(siteId: string, now: Date, onEnded?: OnRunsEnded): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await queryRows<ForcedEndRow>(
        tx,
        `UPDATE runs r SET status = 'exited', ended_at = $2, updated_at = $2, seq = r.seq + 1, next_step_at = NULL,
                error = $3::jsonb
           FROM ${flowsExitingRunsSql('$1')} f
          WHERE r.site_id = $1 AND f.site_id = $1 AND f.id = r.flow_id AND r.status IN ('pending', 'running', 'waiting')
          RETURNING r.site_id, r.id, r.flow_id, r.flow_version, r.visitor_id, r.seq, r.error`,
        [
          siteId,
          now.toISOString(),
          JSON.stringify({ code: 'FLOW_ARCHIVED', message: 'flow archived', nodeId: null }),
        ],
      );
      for (const r of rows) await releaseEntry(tx, r);
      await onEnded?.(tx, rows, 'exited');
      return rows.length;
    });
  }
}
