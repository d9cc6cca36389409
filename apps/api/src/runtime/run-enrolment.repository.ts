import { Injectable } from '@nestjs/common';
import { isHeldOut, type FlowEvent } from '@nudgeflow/engine';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { type FoldHandoff, tsRangeOf } from '../ingest/profile-fold';
import { crossShardRead } from './cross-shard-read';
import { pendingRuns } from './run-batch.sql';

export interface EnrolFlow {
  flowId: string;
  version: number;
  reEntry: 'once' | 'every_time' | 'once_per_days';
  reEntryDays: number;
  maxConcurrent: number;
  /** Percent of enrolments held out (flow setting): enrolled and recorded, no effect performed. */
  holdoutPercent: number;
}

export interface EnrolItem {
  visitorId: string;
  eventId: string;
  triggerNodeId: string;
  event: FlowEvent;
}

/**
 * How events become runs: trigger hand-offs (claimed by the trigger job, re-sent by the reconciler),
 * enrolment under the flow's re-entry policy, and events handed to waiting runs' inboxes.
 */
@Injectable()
export class RunEnrolmentRepository {
  constructor(private readonly db: DataSource) {}

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Takes the hand-off for this transaction (its commit marks the batch done). `false` when it is
   * already done or another job is on it right now (a duplicate must not queue behind its locks).
   */
  async claimHandoff(tx: EntityManager, siteId: string, handoffId: string): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `DELETE FROM trigger_handoffs WHERE site_id = $1 AND id IN (
         SELECT id FROM trigger_handoffs WHERE site_id = $1 AND id = $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [siteId, handoffId],
    );
    return rows.length > 0;
  }

  /** Sites with a hand-off enqueued before `before` (cluster-wide read, see `sitesWithOutbox`). */
  async sitesWithStaleHandoffs(before: Date, limit: number): Promise<string[]> {
    const rows = await crossShardRead<{ site_id: string }>(
      this.db,
      `SELECT site_id FROM trigger_handoffs WHERE enqueued_at < $1 GROUP BY site_id ORDER BY min(enqueued_at) LIMIT $2`,
      [before.toISOString(), limit],
    );
    return rows.map((r) => r.site_id);
  }

  /**
   * One site's hand-offs enqueued before `before` (their trigger job has not committed within the
   * grace period: Redis lost it), stamped `now` so the next pass leaves them a grace period.
   */
  async claimStaleHandoffs(siteId: string, before: Date, now: Date, limit: number): Promise<FoldHandoff[]> {
    const rows = await queryRows<{
      site_id: string;
      id: string;
      event_ids: string[];
      ts_min: Date | null;
      ts_max: Date | null;
    }>(
      this.db,
      `UPDATE trigger_handoffs SET enqueued_at = $3
        WHERE site_id = $1 AND id IN (
          SELECT id FROM trigger_handoffs WHERE site_id = $1 AND enqueued_at < $2
           ORDER BY enqueued_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING site_id, id::text AS id, event_ids::text[] AS event_ids, ts_min, ts_max`,
      [siteId, before.toISOString(), now.toISOString(), limit],
    );
    return rows.map(({ ts_min, ts_max, ...h }) => ({ ...h, ts_range: tsRangeOf({ ts_min, ts_max }) }));
  }

  /**
   * Enrols a batch of one flow's matching events in one statement: an event already enrolled is
   * skipped, the `run_entries` guard's conditional upsert enforces the re-entry policy and the
   * per-visitor cap, and a run is created only where the guard let it in. A visitor appears at most
   * once per call (the upsert cannot touch a row twice): the caller splits repeats into rounds, in
   * event order. Returns the new run ids.
   */
  async enrolBatch(
    tx: EntityManager,
    siteId: string,
    flow: EnrolFlow,
    items: EnrolItem[],
  ): Promise<string[]> {
    if (!items.length) return [];
    const now = new Date();
    const rows = await queryRows<{ id: string }>(
      tx,
      `WITH c AS (
         SELECT c.* FROM unnest($3::uuid[], $4::bigint[], $5::text[], $6::jsonb[], $12::boolean[])
                  AS c(visitor_id, event_id, node_id, event, held_out)
          WHERE NOT EXISTS (SELECT 1 FROM runs r
                             WHERE r.site_id = $1 AND r.flow_id = $2 AND r.trigger_event_id = c.event_id)
       ), admitted AS (
         INSERT INTO run_entries AS e (site_id, flow_id, visitor_id)
         SELECT $1, $2, visitor_id FROM c
         ON CONFLICT (site_id, flow_id, visitor_id) DO UPDATE
            SET entries = e.entries + 1, active_runs = e.active_runs + 1, last_entered_at = $11
          WHERE $8 <> 'once' AND e.active_runs < $10
            AND ($8 = 'every_time' OR e.last_entered_at <= $9::timestamptz)
         RETURNING visitor_id
       )
       INSERT INTO runs (site_id, flow_id, flow_version, visitor_id, trigger_event_id, trigger_node_id,
                         trigger_event, status, next_step_at, held_out)
       SELECT $1, $2, $7, c.visitor_id, c.event_id, c.node_id, c.event, 'pending', $11, c.held_out
         FROM c JOIN admitted a ON a.visitor_id = c.visitor_id
       ON CONFLICT (site_id, flow_id, trigger_event_id) DO NOTHING
       RETURNING id`,
      [
        siteId,
        flow.flowId,
        items.map((i) => i.visitorId),
        items.map((i) => i.eventId),
        items.map((i) => i.triggerNodeId),
        items.map((i) => JSON.stringify(i.event)),
        flow.version,
        flow.reEntry,
        // Times as parameters: Citus allows only IMMUTABLE functions in ON CONFLICT's WHERE.
        new Date(now.getTime() - flow.reEntryDays * 86_400_000).toISOString(),
        flow.maxConcurrent,
        now.toISOString(),
        items.map((i) => isHeldOut(i.visitorId, flow.flowId, flow.holdoutPercent)),
      ],
    );
    return rows.map((r) => r.id);
  }

  /** Which of these runs are still `pending` (`pendingRuns`: a key probe each). */
  pendingRuns(siteId: string, runIds: string[]): Promise<{ id: string; seq: number }[]> {
    return pendingRuns(this.db, siteId, runIds);
  }

  /** Hands each event to its visitor's active runs that care about its name; returns (run, event) pairs. */
  async deliverToWaiting(
    tx: EntityManager,
    siteId: string,
    items: { visitorId: string; eventId: string; event: FlowEvent }[],
  ): Promise<{ run_id: string; event_id: string }[]> {
    if (!items.length) return [];
    return queryRows<{ run_id: string; event_id: string }>(
      tx,
      `WITH ev AS (
         SELECT * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::jsonb[]) AS ev(visitor_id, event_id, name, event)
       ), inserted AS (
         INSERT INTO run_inbox (site_id, run_id, event_id, event)
         SELECT $1, r.id, ev.event_id, ev.event
           FROM ev JOIN runs r ON r.site_id = $1 AND r.visitor_id = ev.visitor_id
                              AND r.status IN ('pending', 'running', 'waiting') AND ev.name = ANY(r.interests)
         ON CONFLICT DO NOTHING
         RETURNING run_id, event_id
       ), woken AS (
         UPDATE runs r SET next_step_at = least(r.next_step_at, $6::timestamptz)
           FROM (SELECT DISTINCT run_id FROM inserted) i WHERE r.site_id = $1 AND r.id = i.run_id
       )
       SELECT run_id::text AS run_id, event_id::text AS event_id FROM inserted`,
      [
        siteId,
        items.map((i) => i.visitorId),
        items.map((i) => i.eventId),
        items.map((i) => i.event.name),
        items.map((i) => JSON.stringify(i.event)),
        new Date().toISOString(),
      ],
    );
  }
}
