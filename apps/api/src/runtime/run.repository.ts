import { Injectable } from '@nestjs/common';
import type { FlowEvent } from '@nudgeflow/engine';
import { DataSource, EntityManager } from 'typeorm';
import { Queryable, queryRows } from '../database/sql';
import {
  applyTransitions,
  lockDueRuns,
  LockedRun,
  lockRuns,
  RUN_COLUMNS,
  TransitionItem,
} from './run-batch.sql';
import { RunError, RunRow, RunStepRow } from './runtime.types';

/** What an attempt of an action left (`markEffect`). */
export interface EffectAttempt {
  status: 'done' | 'failed' | 'pending';
  result: Record<string, unknown> | null;
  error: string | null;
}

export interface InboxRow {
  run_id: string;
  event_id: string;
  event: FlowEvent;
}

/** A run that ends frees its visitor's slot under the flow's concurrency cap. */
export async function releaseEntry(
  tx: EntityManager,
  run: Pick<RunRow, 'site_id' | 'flow_id' | 'visitor_id'>,
): Promise<void> {
  await tx.query(
    `UPDATE run_entries SET active_runs = greatest(active_runs - 1, 0)
      WHERE site_id = $1 AND flow_id = $2 AND visitor_id = $3`,
    [run.site_id, run.flow_id, run.visitor_id],
  );
}

/**
 * What a step does to its runs: row locks, inboxes, new states and ledger rows, in the step's
 * transaction. Tenant queries take `siteId` first and filter by it.
 */
@Injectable()
export class RunRepository {
  constructor(private readonly db: DataSource) {}

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * The run's row lock, granted in arrival order. PostgreSQL gives a free row to whoever asks next, so
   * the step starting right after another one commits could take the run ahead of a cancel already
   * waiting for it. The run's advisory lock, taken in the same statement before the row lock (on Citus
   * on the worker holding the site's shard), queues waiters fairly: the waiting cancel goes first.
   */
  async lockRun(tx: EntityManager, siteId: string, runId: string): Promise<RunRow | undefined> {
    const rows = await queryRows<RunRow>(
      tx,
      `SELECT ${RUN_COLUMNS}, pg_advisory_xact_lock(hashtextextended(id::text, 7404)) IS NULL AS queued
         FROM runs WHERE site_id = $1 AND id = $2 FOR UPDATE`,
      [siteId, runId],
    );
    return rows[0];
  }

  /** A site's waiting runs whose wake-up time is before `until`, earliest first. */
  async dueWaiting(siteId: string, until: Date, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `SELECT id::text AS id FROM runs
        WHERE site_id = $1 AND status = 'waiting' AND next_step_at <= $2
        ORDER BY next_step_at LIMIT $3`,
      [siteId, until.toISOString(), limit],
    );
    return rows.map((r) => r.id);
  }

  /** Runs under their row locks, in id order, with what an advance needs (`lockRuns`). */
  lockRunsForAdvance(tx: EntityManager, siteId: string, runIds: string[]): Promise<LockedRun[]> {
    return lockRuns(tx, siteId, runIds);
  }

  /** The site's waiting runs due by `dueBy` under their row locks, skipping held ones (`lockDueRuns`). */
  lockDueForAdvance(tx: EntityManager, siteId: string, dueBy: Date, limit: number): Promise<LockedRun[]> {
    return lockDueRuns(tx, siteId, dueBy, limit);
  }

  /** The inbox events of the given runs, each run's in event order. */
  async inboxes(tx: EntityManager, siteId: string, runIds: string[]): Promise<InboxRow[]> {
    if (!runIds.length) return [];
    return queryRows<InboxRow>(
      tx,
      `SELECT run_id::text AS run_id, event_id::text AS event_id, event FROM run_inbox
        WHERE site_id = $1 AND run_id = ANY($2::uuid[]) ORDER BY run_id, event_id`,
      [siteId, runIds],
    );
  }

  async clearInboxes(
    tx: EntityManager,
    siteId: string,
    entries: { runId: string; eventId: string }[],
  ): Promise<void> {
    if (!entries.length) return;
    await tx.query(
      `DELETE FROM run_inbox i USING unnest($2::uuid[], $3::bigint[]) AS d(run_id, event_id)
        WHERE i.site_id = $1 AND i.run_id = d.run_id AND i.event_id = d.event_id`,
      [siteId, entries.map((e) => e.runId), entries.map((e) => e.eventId)],
    );
  }

  /** Runs' new states, their ledger rows and released re-entry slots (`applyTransitions`). */
  applyTransitions(tx: EntityManager, siteId: string, items: TransitionItem[]): Promise<Map<string, number>> {
    return applyTransitions(tx, siteId, items);
  }

  async nextPendingEffect(tx: EntityManager, siteId: string, runId: string): Promise<RunStepRow | undefined> {
    const rows = await queryRows<RunStepRow>(
      tx,
      `SELECT * FROM run_steps WHERE site_id = $1 AND run_id = $2 AND effect_status = 'pending'
        ORDER BY ord LIMIT 1 FOR UPDATE`,
      [siteId, runId],
    );
    return rows[0];
  }

  /** Records an attempt of a step's action: done (its result), failed for good, or pending a retry (the error). */
  async markEffect(
    tx: Queryable,
    siteId: string,
    runId: string,
    step: Pick<RunStepRow, 'node_id' | 'iteration'>,
    { status, result, error }: EffectAttempt,
  ): Promise<void> {
    await tx.query(
      `UPDATE run_steps SET effect_status = $5, effect_result = $6, error = $7, attempts = attempts + 1,
              completed_at = CASE WHEN $5 = 'pending' THEN NULL ELSE $8::timestamptz END
        WHERE site_id = $1 AND run_id = $2 AND node_id = $3 AND iteration = $4`,
      [
        siteId,
        runId,
        step.node_id,
        step.iteration,
        status,
        result ? JSON.stringify(result) : null,
        error,
        new Date().toISOString(),
      ],
    );
  }

  /** Reschedules a run whose action failed and will be retried; returns the new seq for the job id. */
  async scheduleRetry(tx: EntityManager, siteId: string, runId: string, at: Date): Promise<number> {
    const rows = await queryRows<{ seq: number }>(
      tx,
      `UPDATE runs SET next_step_at = $3, seq = seq + 1, updated_at = now()
        WHERE site_id = $1 AND id = $2 RETURNING seq`,
      [siteId, runId, at.toISOString()],
    );
    return rows[0].seq;
  }

  async failRun(tx: EntityManager, run: RunRow, error: RunError): Promise<void> {
    await tx.query(
      `UPDATE runs SET status = 'failed', error = $3, next_step_at = NULL, ended_at = now(), updated_at = now(),
              seq = seq + 1
        WHERE site_id = $1 AND id = $2`,
      [run.site_id, run.id, JSON.stringify(error)],
    );
    await releaseEntry(tx, run);
  }

  /** All actions done: the run takes the status the engine settled on. */
  async settle(tx: EntityManager, run: RunRow): Promise<number> {
    const ended = run.settled_status !== 'waiting';
    // The wake-up time is read here: Citus routes no STABLE cast (text → timestamptz) over a column.
    const waiting = (run.state as { waiting?: { kind?: string; fireAt?: string; timeoutAt?: string } })
      .waiting;
    const nextStepAt = ended
      ? null
      : ((waiting?.kind === 'timer' ? waiting.fireAt : waiting?.timeoutAt) ?? null);
    const now = new Date().toISOString();
    const rows = await queryRows<{ seq: number }>(
      tx,
      `UPDATE runs SET status = settled_status, seq = seq + 1, updated_at = $3, next_step_at = $4, ended_at = $5
        WHERE site_id = $1 AND id = $2 RETURNING seq`,
      [run.site_id, run.id, now, nextStepAt, ended ? now : null],
    );
    if (ended) await releaseEntry(tx, run);
    return rows[0].seq;
  }
}
