import { Injectable } from '@nestjs/common';
import { isHeldOut, type EngineEffect, type FlowEvent, type RunState } from '@nudgeflow/engine';
import { DataSource, EntityManager } from 'typeorm';
import { Queryable, queryRows } from '../database/sql';
import type { StoredEvent, StoredVisitor } from './engine-event';
import type { VisitorUpdate } from './visitor-updates';
import {
  DueRun,
  NewRunStep,
  RunError,
  RunRow,
  RunStatusValue,
  RunStepRow,
  SettledStatus,
} from './runtime.types';

export interface LiveFlowVersionRow {
  flow_id: string;
  version: number;
  graph: unknown;
  settings: unknown;
}

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

export interface RunListFilter {
  status?: RunStatusValue;
  visitorId?: string;
  version?: number;
  before?: string;
  limit: number;
}

/** A run under its row lock with what an advance needs (see `lockRunsForAdvance`). */
export type LockedRun = RunRow & { max_ord: number | null; visitor_row: StoredVisitor | null };

export interface InboxRow {
  run_id: string;
  event_id: string;
  event: FlowEvent;
}

/** The maintenance passes' site discovery reads every shard; on Citus that is an explicit choice. */
const CROSS_SHARD = `SET LOCAL citus.multi_task_query_log_level TO 'off'`;

const RUN_COLUMNS = `site_id, id, flow_id, flow_version, visitor_id, trigger_event_id::text AS trigger_event_id,
  trigger_node_id, trigger_event, status, settled_status, state, seq, next_step_at, wait_node_id, interests,
  error, created_at, updated_at, ended_at, held_out`;

/**
 * A run's columns plus what an advance needs: its last ledger position (stable under the run's lock:
 * only the lock holder writes its steps) and its visitor. Selected from `runs r`.
 */
const ADVANCE_COLUMNS = `${RUN_COLUMNS},
  (SELECT max(s.ord) FROM run_steps s WHERE s.site_id = $1 AND s.run_id = r.id) AS max_ord,
  (SELECT json_build_object('id', v.id, 'anonymous_ids', v.anonymous_ids, 'user_id', v.user_id,
            'traits', v.traits, 'tags', v.tags, 'visit_count', v.visit_count,
            'first_seen_at', v.first_seen_at, 'device', v.device, 'utm', v.utm, 'last_page_url', v.last_page_url)
     FROM visitors v WHERE v.site_id = $1 AND v.id = r.visitor_id) AS visitor_row`;

/** Every query of the flow runtime. Tenant queries take `siteId` first and filter by it. */
@Injectable()
export class RunRepository {
  constructor(private readonly db: DataSource) {}

  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  // --- flows (read-only; the flows feature owns the tables) ---

  async liveVersions(siteId: string): Promise<LiveFlowVersionRow[]> {
    return queryRows(
      this.db,
      `SELECT v.flow_id, v.version, v.graph, v.settings
         FROM flows f
         JOIN flow_versions v ON v.site_id = f.site_id AND v.flow_id = f.id AND v.version = f.published_version
        WHERE f.site_id = $1 AND f.status = 'live'`,
      [siteId],
    );
  }

  async flowVersion(
    siteId: string,
    flowId: string,
    version: number,
    db: Queryable = this.db,
  ): Promise<LiveFlowVersionRow | undefined> {
    const rows = await queryRows<LiveFlowVersionRow>(
      db,
      `SELECT flow_id, version, graph, settings FROM flow_versions
        WHERE site_id = $1 AND flow_id = $2 AND version = $3`,
      [siteId, flowId, version],
    );
    return rows[0];
  }

  async siteTimezone(siteId: string): Promise<string | undefined> {
    const rows = await queryRows<{ timezone: string }>(this.db, `SELECT timezone FROM sites WHERE id = $1`, [
      siteId,
    ]);
    return rows[0]?.timezone;
  }

  // --- events and the outbox (written by ingestion) ---

  /**
   * Sites with outbox rows, oldest first (a cluster-wide read, listed in database/README.md: the
   * relay then claims per site, so no lock spans shards).
   */
  async sitesWithOutbox(limit: number): Promise<string[]> {
    const rows = await this.crossShardRead<{ site_id: string }>(
      `SELECT site_id FROM event_outbox GROUP BY site_id ORDER BY min(id) LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.site_id);
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
    const rows = await this.crossShardRead<{ site_id: string }>(
      `SELECT site_id FROM trigger_handoffs WHERE enqueued_at < $1 GROUP BY site_id ORDER BY min(enqueued_at) LIMIT $2`,
      [before.toISOString(), limit],
    );
    return rows.map((r) => r.site_id);
  }

  /**
   * One site's hand-offs enqueued before `before` (their trigger job has not committed within the
   * grace period: Redis lost it), stamped `now` so the next pass leaves them a grace period.
   */
  async claimStaleHandoffs(
    siteId: string,
    before: Date,
    now: Date,
    limit: number,
  ): Promise<{ site_id: string; id: string; event_ids: string[] }[]> {
    return queryRows(
      this.db,
      `UPDATE trigger_handoffs SET enqueued_at = $3
        WHERE site_id = $1 AND id IN (
          SELECT id FROM trigger_handoffs WHERE site_id = $1 AND enqueued_at < $2
           ORDER BY enqueued_at LIMIT $4 FOR UPDATE SKIP LOCKED)
        RETURNING site_id, id::text AS id, event_ids::text[] AS event_ids`,
      [siteId, before.toISOString(), now.toISOString(), limit],
    );
  }

  async events(siteId: string, eventIds: string[]): Promise<StoredEvent[]> {
    return queryRows(
      this.db,
      `SELECT e.id::text AS id, e.visitor_id, e.message_id, e.type, e.name, e.ts, e.properties, e.context,
              (e.is_bot OR coalesce(v.is_bot, false)) AS is_bot
         FROM events e
         LEFT JOIN visitors v ON v.site_id = e.site_id AND v.id = e.visitor_id
        WHERE e.site_id = $1 AND e.id = ANY($2::bigint[])
        ORDER BY e.id`,
      [siteId, eventIds],
    );
  }

  // --- enrolment ---

  /**
   * Creates a run unless the event already enrolled this flow (unique constraint) or the flow's
   * re-entry policy / per-visitor cap refuses it (the guard row's conditional upsert). Both checks
   * are in the database, so concurrent workers cannot over-enrol.
   */
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

  async pendingRunsOfEvents(siteId: string, eventIds: string[]): Promise<{ id: string; seq: number }[]> {
    return queryRows(
      this.db,
      `SELECT id, seq FROM runs WHERE site_id = $1 AND trigger_event_id = ANY($2::bigint[]) AND status = 'pending'`,
      [siteId, eventIds],
    );
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

  // --- execution ---

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

  /**
   * Runs under their row locks (taken in id order, so two batches cannot deadlock each other) plus what
   * an advance needs, in one round trip: each run's last ledger position (stable under the lock: only
   * the lock holder writes the run's steps) and its visitor.
   */
  async lockRunsForAdvance(tx: EntityManager, siteId: string, runIds: string[]): Promise<LockedRun[]> {
    return queryRows<LockedRun>(
      tx,
      `SELECT ${ADVANCE_COLUMNS} FROM runs r WHERE r.site_id = $1 AND r.id = ANY($2::uuid[]) ORDER BY r.id FOR UPDATE OF r`,
      [siteId, runIds],
    );
  }

  /**
   * Like `lockRunsForAdvance`, for the site's waiting runs due by `dueBy` (earliest first), skipping
   * runs another transaction holds.
   */
  async lockDueForAdvance(
    tx: EntityManager,
    siteId: string,
    dueBy: Date,
    limit: number,
  ): Promise<LockedRun[]> {
    return queryRows<LockedRun>(
      tx,
      `SELECT ${ADVANCE_COLUMNS} FROM runs r WHERE r.site_id = $1 AND r.status = 'waiting' AND r.next_step_at <= $2
        ORDER BY r.next_step_at LIMIT $3 FOR UPDATE OF r SKIP LOCKED`,
      [siteId, dueBy.toISOString(), limit],
    );
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

  /**
   * Runs' new states, and the ledger rows of the advances that produced them, in ONE statement (a
   * replayed advance's rows conflict and write nothing). Ended runs' re-entry slots are released in
   * the same statement (one per ended run, also when two of a batch share a flow and visitor).
   * Returns each run's new seq.
   */
  async applyTransitions(
    tx: EntityManager,
    siteId: string,
    items: { run: RunRow; transition: RunTransition; steps: NewRunStep[] }[],
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
           FROM t WHERE r.site_id = $1 AND r.id = t.id
          RETURNING r.id, r.seq, r.flow_id, r.visitor_id, t.ended, t.steps
       ), released AS (
         UPDATE run_entries e SET active_runs = greatest(e.active_runs - m.n, 0)
           FROM (SELECT flow_id, visitor_id, count(*)::int AS n FROM moved WHERE ended GROUP BY 1, 2) m
          WHERE e.site_id = $1 AND e.flow_id = m.flow_id AND e.visitor_id = m.visitor_id
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

  /** A run that ends frees its visitor's slot under the flow's concurrency cap. */
  async releaseEntry(
    tx: EntityManager,
    run: Pick<RunRow, 'site_id' | 'flow_id' | 'visitor_id'>,
  ): Promise<void> {
    await tx.query(
      `UPDATE run_entries SET active_runs = greatest(active_runs - 1, 0)
        WHERE site_id = $1 AND flow_id = $2 AND visitor_id = $3`,
      [run.site_id, run.flow_id, run.visitor_id],
    );
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

  async markEffect(
    tx: Queryable,
    siteId: string,
    runId: string,
    step: Pick<RunStepRow, 'node_id' | 'iteration'>,
    status: 'done' | 'failed' | 'pending',
    result: Record<string, unknown> | null,
    error: string | null,
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
    await this.releaseEntry(tx, run);
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
    if (ended) await this.releaseEntry(tx, run);
    return rows[0].seq;
  }

  // --- show_cta / update_visitor effects (run inside the step transaction) ---

  async insertOnsiteMessage(
    tx: EntityManager,
    siteId: string,
    run: Pick<RunRow, 'id' | 'visitor_id'>,
    e: Extract<EngineEffect, { kind: 'show_cta' }>,
    ttlHours: number,
  ): Promise<{ id: string | null }> {
    const ids = await this.insertOnsiteMessages(tx, siteId, [{ run, effect: e }], ttlHours);
    return { id: ids.get(e.idempotencyKey) ?? null };
  }

  /**
   * Pending on-site messages of several runs in one statement; a message whose idempotency key
   * exists already is skipped. Returns the new ids by idempotency key. (The live-push announcer
   * reads the visitor ids of the inserted rows from RETURNING.)
   */
  async insertOnsiteMessages(
    tx: EntityManager,
    siteId: string,
    items: { run: Pick<RunRow, 'id' | 'visitor_id'>; effect: Extract<EngineEffect, { kind: 'show_cta' }> }[],
    ttlHours: number,
  ): Promise<Map<string, string>> {
    if (!items.length) return new Map();
    const rows = await queryRows<{ id: string; visitor_id: string; idempotency_key: string }>(
      tx,
      `INSERT INTO onsite_messages (site_id, visitor_id, cta_id, run_id, node_id, idempotency_key, priority, created_at,
                                    expires_at)
       SELECT $1, m.visitor_id, m.cta_id, m.run_id, m.node_id, m.idempotency_key, m.priority, clock_timestamp(),
              now() + make_interval(hours => $3::int)
         FROM jsonb_to_recordset($2::jsonb) AS m(visitor_id uuid, cta_id text, run_id uuid, node_id text,
              idempotency_key text, priority int)
       ON CONFLICT (site_id, idempotency_key) DO NOTHING
       RETURNING id::text AS id, visitor_id::text AS visitor_id, idempotency_key`,
      [
        siteId,
        JSON.stringify(
          items.map(({ run, effect: e }) => ({
            visitor_id: run.visitor_id,
            cta_id: e.ctaId,
            run_id: run.id,
            node_id: e.nodeId,
            idempotency_key: e.idempotencyKey,
            priority: e.priority,
          })),
        ),
        ttlHours,
      ],
    );
    return new Map(rows.map((r) => [r.idempotency_key, r.id]));
  }

  async updateVisitor(
    tx: EntityManager,
    siteId: string,
    visitorId: string,
    e: Extract<EngineEffect, { kind: 'update_visitor' }>,
  ): Promise<number> {
    return (await this.updateVisitors(tx, siteId, [{ visitorId, update: e }])).size;
  }

  /**
   * Several visitors' updates in one statement (one composed update per visitor, in visitor id order
   * so concurrent batches lock rows in the same order). Returns the ids of the visitors that exist.
   */
  async updateVisitors(
    tx: EntityManager,
    siteId: string,
    updates: { visitorId: string; update: VisitorUpdate }[],
  ): Promise<Set<string>> {
    if (!updates.length) return new Set();
    const sorted = [...updates].sort((a, b) =>
      a.visitorId < b.visitorId ? -1 : a.visitorId > b.visitorId ? 1 : 0,
    );
    const rows = await queryRows<{ id: string }>(
      tx,
      `UPDATE visitors v SET
          traits = (v.traits || u.set_traits) - u.unset_traits,
          tags = ARRAY(SELECT DISTINCT t FROM unnest(array_cat(
                   ARRAY(SELECT x FROM unnest(v.tags) x WHERE x <> ALL(u.remove_tags)), u.add_tags)) t ORDER BY t)
         FROM jsonb_to_recordset($2::jsonb) AS u(id uuid, set_traits jsonb, unset_traits text[], remove_tags text[],
              add_tags text[])
        WHERE v.site_id = $1 AND v.id = u.id
       RETURNING v.id::text AS id`,
      [
        siteId,
        JSON.stringify(
          sorted.map(({ visitorId, update }) => ({
            id: visitorId,
            set_traits: update.setTraits,
            unset_traits: update.unsetTraits,
            remove_tags: update.removeTags,
            add_tags: update.addTags,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  // --- maintenance: found cluster-wide (read-only), changed per site ---

  /**
   * A cluster-wide read (every shard on Citus): bounded by its LIMIT, read-only, and opted out of
   * strict mode explicitly. Each statement that uses it is listed in database/README.md.
   */
  private crossShardRead<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(CROSS_SHARD);
      return queryRows<T>(tx, sql, params);
    });
  }

  /**
   * Waits entering the timer horizon (a band as wide as two reconciler passes, so each long wait is
   * promoted about twice and dedupes by job id). Read-only, so one cluster-wide statement.
   */
  async enteringHorizon(now: Date, horizonMs: number, bandMs: number, limit: number): Promise<DueRun[]> {
    return this.crossShardRead<DueRun>(
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
    const rows = await this.crossShardRead<{ site_id: string }>(
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
    const rows = await this.crossShardRead<{ site_id: string }>(
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
      for (const r of rows) await this.releaseEntry(tx, r);
      await onEnded?.(tx, rows, 'failed');
      return rows;
    });
  }

  /** Sites with an active run of a flow archived with "exit runs". */
  async sitesWithArchivedRuns(limit: number): Promise<string[]> {
    const rows = await this.crossShardRead<{ site_id: string }>(
      `SELECT DISTINCT f.site_id FROM flows f
        WHERE f.status = 'archived' AND f.archived_exit_runs
          AND EXISTS (SELECT 1 FROM runs r WHERE r.site_id = f.site_id AND r.flow_id = f.id
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
           FROM flows f
          WHERE r.site_id = $1 AND f.site_id = $1 AND f.id = r.flow_id AND f.status = 'archived'
            AND f.archived_exit_runs AND r.status IN ('pending', 'running', 'waiting')
          RETURNING r.site_id, r.id, r.flow_id, r.flow_version, r.visitor_id, r.seq, r.error`,
        [
          siteId,
          now.toISOString(),
          JSON.stringify({ code: 'FLOW_ARCHIVED', message: 'flow archived', nodeId: null }),
        ],
      );
      for (const r of rows) await this.releaseEntry(tx, r);
      await onEnded?.(tx, rows, 'exited');
      return rows.length;
    });
  }

  // --- marketer API ---

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
      const run = await this.lockRun(tx, siteId, runId);
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
      if (run.status !== 'failed') await this.releaseEntry(tx, run);
      return { ...run, status: 'cancelled' };
    });
  }

  /** Dead-letter actions: retry the failed action, or skip it and continue. Returns the new seq. */
  async resumeFailed(siteId: string, runId: string, mode: 'retry' | 'skip'): Promise<number | null> {
    return this.db.transaction(async (tx) => {
      const run = await this.lockRun(tx, siteId, runId);
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
}
