import type { RunState } from '@nudgeflow/engine';
import { Queryable, queryRows } from '../database/sql';
import { visitorSnapshotSql } from '../visitors/visitor.sql';
import type { StoredVisitor } from './engine-event';
import type { NewRunStep, RunError, RunRow, RunStatusValue, SettledStatus } from './runtime.types';

/*
 * A runtime batch's statements (lock, write), without Nest decorators so that tests drive them
 * in-process. Each finds its rows by key whatever the statistics say: joined by `site_id` and a key,
 * a site the planner takes for 0.5 % of a table it fills (a table never analysed, or analysed before
 * the site grew) is read whole on every batch; a `LATERAL … LIMIT 1` probe, a unique key's conflict
 * or a `ctid` found by one cannot be planned that way.
 */

/** A run's columns, as `RunRow`. */
export const RUN_COLUMNS = `site_id, id, flow_id, flow_version, visitor_id, trigger_event_id::text AS trigger_event_id,
  trigger_node_id, trigger_event, status, settled_status, state, seq, next_step_at, wait_node_id, interests,
  error, created_at, updated_at, ended_at, held_out`;

/**
 * A run's columns plus what an advance needs: its last ledger position (stable under the run's lock:
 * only the lock holder writes its steps) and its visitor (read as the visitors feature defines
 * it). Selected from `r`: the runs, or a CTE of them.
 */
export const ADVANCE_COLUMNS = `${RUN_COLUMNS},
  (SELECT max(s.ord) FROM run_steps s WHERE s.site_id = $1 AND s.run_id = r.id) AS max_ord,
  ${visitorSnapshotSql('$1', 'r.visitor_id')} AS visitor_row`;

/** A run under its row lock with what an advance needs (`lockRuns`, `lockDueRuns`). */
export type LockedRun = RunRow & { max_ord: number | null; visitor_row: StoredVisitor | null };

/**
 * Runs under their row locks, taken in id order (two batches cannot deadlock each other), plus what
 * an advance needs, in one round trip: each run's last ledger position (stable under the lock: only
 * the lock holder writes the run's steps) and its visitor. Each run is a key probe that locks it
 * (`id = ANY(ids)` was planned as a scan of the site's runs filtered by id: 30,568 index entries
 * read for 500 in the runtime bench, 84 ms a batch); a run another transaction changes meanwhile is
 * locked in its newest version, as `FOR UPDATE` does.
 */
export function lockRuns(tx: Queryable, siteId: string, runIds: string[]): Promise<LockedRun[]> {
  return queryRows<LockedRun>(
    tx,
    `WITH r AS (
       SELECT x.* FROM (SELECT DISTINCT k.run_id FROM unnest($2::uuid[]) AS k(run_id) ORDER BY 1) k
              CROSS JOIN LATERAL (SELECT * FROM runs WHERE site_id = $1 AND id = k.run_id LIMIT 1 FOR UPDATE) x)
     SELECT ${ADVANCE_COLUMNS} FROM r ORDER BY r.id`,
    [siteId, runIds],
  );
}

/**
 * Which of these runs are still `pending` (their first steps did not happen in the enrolment's
 * transaction), by a primary-key probe each; the trigger job asks only for the runs it created (most
 * jobs create none and ask nothing). Asked by trigger event (`trigger_event_id = ANY`), as before, it
 * had no index to probe (the event id follows `flow_id` in `runs_once_per_event`): it walked the
 * site's `runs_flow_status_idx` entries for `status` (which follows `flow_id` there, so every flow's
 * entries), on every trigger job, whether an event matched a flow or not.
 */
export function pendingRuns(
  db: Queryable,
  siteId: string,
  runIds: string[],
): Promise<{ id: string; seq: number }[]> {
  if (!runIds.length) return Promise.resolve([]);
  return queryRows(
    db,
    `SELECT r.id, r.seq FROM unnest($2::uuid[]) AS k(id)
       CROSS JOIN LATERAL (SELECT id, seq, status FROM runs WHERE site_id = $1 AND id = k.id LIMIT 1) r
      WHERE r.status = 'pending'`,
    [siteId, runIds],
  );
}

/**
 * Like `lockRuns`, for the site's waiting runs due by `dueBy` (earliest first), skipping runs another
 * transaction holds. The runs are locked first and only the locked ones get their ledger position and
 * visitor: concurrent wake jobs skip each other's rows, so one walks several times `limit` due runs
 * (3,000–3,500 for 500 in the runtime bench), and the extras computed for every row walked cost
 * 110–150 ms a batch.
 */
export function lockDueRuns(tx: Queryable, siteId: string, dueBy: Date, limit: number): Promise<LockedRun[]> {
  return queryRows<LockedRun>(
    tx,
    `WITH r AS (
       SELECT * FROM runs WHERE site_id = $1 AND status = 'waiting' AND next_step_at <= $2
        ORDER BY next_step_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     SELECT ${ADVANCE_COLUMNS} FROM r ORDER BY r.next_step_at`,
    [siteId, dueBy.toISOString(), limit],
  );
}

/** A run's new state after an advance. */
export interface RunTransition {
  state: RunState;
  status: RunStatusValue;
  settled: SettledStatus;
  nextStepAt: string | null;
  waitNodeId: string | null;
  interests: string[];
  error: RunError | null;
  ended: boolean;
}

/** A run of a batch with its transition and the ledger rows of the advance that produced it. */
export interface TransitionItem {
  run: RunRow;
  transition: RunTransition;
  steps: NewRunStep[];
}

/**
 * Runs' new states, and the ledger rows of the advances that produced them, in ONE statement (a
 * replayed advance's rows conflict and write nothing). Ended runs' re-entry slots are released in
 * the same statement (one per ended run, also when two of a batch share a flow and visitor).
 * Returns each run's new seq.
 *
 * Every row is found by key whatever the statistics say (joined by `site_id` and a key, a site taken
 * for 0.5 % of a table it fills was hash-joined whole: 60,000 `run_entries` rows read for 500 in the
 * runtime bench, 150 ms a batch and growing with the site; with hash joins off, a materialised scan
 * of the site's runs instead):
 * - each run by a `LATERAL … LIMIT 1` probe of its key, then updated by `ctid`: the caller holds
 *   the runs' row locks (`lockRunsForAdvance`, `lockDueForAdvance`), so the version found is the one
 *   updated;
 * - each slot by its unique key, as an upsert's conflict (which also waits for and updates the newest
 *   version of a slot an enrolment changes meanwhile; the slots are not locked here). The upsert never
 *   inserts: only slots a key probe found are offered (a run's slot is written when it enters and
 *   only goes with its site).
 */
export async function applyTransitions(
  tx: Queryable,
  siteId: string,
  items: TransitionItem[],
): Promise<Map<string, number>> {
  if (!items.length) return new Map();
  const rows = await queryRows<{ id: string; seq: number }>(
    tx,
    `WITH t AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS t(id uuid, state jsonb, status text, settled text,
              next_step_at timestamptz, wait_node_id text, interests text[], error jsonb, ended boolean, steps jsonb)
     ), moved AS (
       UPDATE runs r SET state = t.state, status = t.status, settled_status = t.settled, next_step_at = t.next_step_at,
              wait_node_id = t.wait_node_id, interests = t.interests, error = t.error, seq = r.seq + 1,
              updated_at = $3, ended_at = CASE WHEN t.ended THEN $3::timestamptz ELSE NULL END
         FROM (SELECT t.*, x.ctid AS tid
                 FROM t CROSS JOIN LATERAL (SELECT ctid FROM runs x WHERE x.site_id = $1 AND x.id = t.id LIMIT 1) x) t
        WHERE r.site_id = $1 AND r.ctid = t.tid
        RETURNING r.id, r.seq, r.flow_id, r.visitor_id, t.ended, t.steps
     ), released AS (
       INSERT INTO run_entries AS e (site_id, flow_id, visitor_id, entries, active_runs)
       SELECT $1, m.flow_id, m.visitor_id, 0, m.n
         FROM (SELECT flow_id, visitor_id, count(*)::int AS n FROM moved WHERE ended GROUP BY 1, 2) m
              CROSS JOIN LATERAL (SELECT 1 FROM run_entries x
                                   WHERE x.site_id = $1 AND x.flow_id = m.flow_id AND x.visitor_id = m.visitor_id
                                   LIMIT 1) x
       ON CONFLICT (site_id, flow_id, visitor_id) DO UPDATE
          SET active_runs = greatest(e.active_runs - EXCLUDED.active_runs, 0)
     ), ledger AS (
       INSERT INTO run_steps (site_id, run_id, flow_id, node_id, iteration, ord, node_type, handle, input, effect,
                              effect_status, effect_result, skipped, created_at, completed_at, attempts)
       SELECT $1, m.id, m.flow_id, s.node_id, s.iteration, s.ord, s.node_type, s.handle, s.input, s.effect,
              s.effect_status, s.effect_result, s.skipped, s.at,
              CASE WHEN s.effect_status = 'pending' THEN NULL ELSE s.at END,
              CASE WHEN s.effect_status = 'done' THEN 1 ELSE 0 END
         FROM moved m CROSS JOIN LATERAL jsonb_to_recordset(m.steps) AS s(node_id text, iteration int, ord int,
              node_type text, handle text, input jsonb, effect jsonb, effect_status text, effect_result jsonb,
              skipped text, at timestamptz)
       ON CONFLICT (site_id, run_id, node_id, iteration) DO NOTHING
     )
     SELECT id::text AS id, seq FROM moved`,
    [
      siteId,
      JSON.stringify(
        items.map(({ run, transition: t, steps }) => ({
          id: run.id,
          state: t.state,
          status: t.status,
          settled: t.settled,
          next_step_at: t.nextStepAt,
          wait_node_id: t.waitNodeId,
          interests: t.interests,
          error: t.error,
          ended: t.ended,
          steps: steps.map((s) => ({
            node_id: s.nodeId,
            iteration: s.iteration,
            ord: s.ord,
            node_type: s.nodeType,
            handle: s.handle,
            input: s.input,
            effect: s.effect,
            effect_status: s.effectStatus,
            effect_result: s.effectResult,
            skipped: s.skipped,
            at: s.at,
          })),
        })),
      ),
      new Date().toISOString(),
    ],
  );
  return new Map(rows.map((r) => [r.id, r.seq]));
}
