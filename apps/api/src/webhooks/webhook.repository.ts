import { Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { Queryable, queryRows } from '../database/sql';
import type { EndpointRow } from './webhook-endpoint.repository';

export type MessageStatus = 'pending' | 'sending' | 'succeeded' | 'failed';

export interface MessageRow {
  site_id: string;
  id: string;
  endpoint_id: string;
  event_type: string;
  webhook_id: string;
  idempotency_key: string;
  body: string;
  status: MessageStatus;
  attempt_count: number;
  retry_index: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
}

/** What a delivery needs of a claimed message; `endpoint` only on the first message of each endpoint. */
export interface ClaimedRow {
  id: string;
  endpoint_id: string;
  webhook_id: string;
  body: string;
  attempt_count: number;
  retry_index: number;
  /** Sends of the current attempt, this claim's included. */
  sends: number;
  endpoint: EndpointRow | null;
}

export interface AttemptRow {
  message_id: string;
  attempt: number;
  webhook_id: string;
  attempted_at: Date;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_body: string | null;
  /** HTTP tries of this attempt (more than one after a re-send: a crash mid-send, a lapsed claim). */
  tries: number;
}

export interface AttemptRecord {
  siteId: string;
  messageId: string;
  /** 1-based number of this attempt (the message had made `attempt - 1` before). */
  attempt: number;
  webhookId: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  nextStatus: MessageStatus;
  retryIndex: number;
  nextAttemptAt: Date | null;
  /** HTTP tries of this attempt (the claim's send count). */
  tries: number;
}

const MSG_COLUMNS = `m.site_id, m.id, m.endpoint_id, m.event_type, m.webhook_id, m.idempotency_key, m.body, m.status,
  m.attempt_count, m.retry_index, m.next_attempt_at, m.last_attempt_at, m.last_status, m.last_error, m.created_at`;

/**
 * Webhook messages, their claims and attempts (the delivery log); each query takes the site id first
 * and filters by it. Endpoints: `WebhookEndpointRepository`.
 */
@Injectable()
export class WebhookRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * One message per (occurrence, enabled endpoint subscribed to its type), in one statement. The
   * idempotency key `sys:<type>:<key>:<endpoint>` makes a repeated occurrence a no-op, so a retried
   * producer keeps the first message and its webhook-id. Returns only the messages created now.
   */
  async insertSystemMessages(
    db: Queryable,
    siteId: string,
    occurrences: { type: string; key: string; body: string }[],
  ): Promise<{ id: string; attempt_count: number }[]> {
    return queryRows(
      db,
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at)
       SELECT $1, x.id, x.endpoint_id, x.event_type, 'msg_' || replace(x.id::text, '-', ''),
              'sys:' || x.event_type || ':' || x.key || ':' || x.endpoint_id, x.body, now()
         FROM (SELECT gen_random_uuid() AS id, e.id AS endpoint_id, o.event_type, o.key, o.body
                 FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS o(event_type, key, body, n)
                 JOIN webhook_endpoints e ON e.site_id = $1 AND e.enabled AND o.event_type = ANY (e.event_types)
                ORDER BY o.n, e.created_at) x
       ON CONFLICT (site_id, idempotency_key) DO NOTHING
       RETURNING id, attempt_count`,
      [siteId, occurrences.map((o) => o.type), occurrences.map((o) => o.key), occurrences.map((o) => o.body)],
    );
  }

  /** Inserts a message unless its idempotency key exists; returns the one message either way. */
  async insertMessage(
    db: Queryable,
    siteId: string,
    m: {
      id: string;
      endpointId: string;
      eventType: string;
      webhookId: string;
      idempotencyKey: string;
      body: string;
    },
  ): Promise<{ id: string; created: boolean; attempt_count: number }> {
    const inserted = await queryRows<{ id: string; attempt_count: number }>(
      db,
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (site_id, idempotency_key) DO NOTHING RETURNING id, attempt_count`,
      [siteId, m.id, m.endpointId, m.eventType, m.webhookId, m.idempotencyKey, m.body],
    );
    if (inserted[0]) return { ...inserted[0], created: true };
    const [existing] = await queryRows<{ id: string; attempt_count: number }>(
      db,
      `SELECT id, attempt_count FROM webhook_messages WHERE site_id = $1 AND idempotency_key = $2`,
      [siteId, m.idempotencyKey],
    );
    return { ...existing, created: false };
  }

  /**
   * Claims a delivery job's messages (its own and the others its payload lists), in one statement:
   * each one that still waits for the attempt the job was queued for and is not claimed by another
   * live job (`SKIP LOCKED`: concurrent jobs never take the same message). A job run again after
   * its worker died takes its own claims back. Nothing about a message changes but the claim, so a
   * re-run sends the same attempt with the same webhook-id; a claim lapses after `leaseMs` (a job
   * that died), making the message due again. Primary-key lookups only: no scan of the site's
   * pending messages, whose index entries of claimed and sent messages stay until vacuum can remove
   * them (a long transaction anywhere on the server holds that back). Each endpoint comes once, on
   * its first message.
   */
  async claimBatch(
    siteId: string,
    messages: { id: string; attempt: number }[],
    claimant: string,
    leaseMs: number,
  ): Promise<ClaimedRow[]> {
    if (messages.length === 0) return [];
    // Times are parameters: Citus evaluates no STABLE function for a routed UPDATE's columns.
    const now = new Date();
    return this.prepared<ClaimedRow>(
      'nf_webhooks_claim_v3',
      `WITH wanted AS (
         SELECT x.id FROM unnest($2::uuid[], $3::int[]) AS t(id, attempt)
           JOIN webhook_messages x ON x.site_id = $1 AND x.id = t.id AND x.attempt_count = t.attempt
          WHERE x.status NOT IN ('succeeded', 'failed')
            AND (x.claimed_until IS NULL OR x.claimed_until < $6 OR x.claimed_by = $4)
          FOR UPDATE OF x SKIP LOCKED),
       claimed AS (
         UPDATE webhook_messages m SET claimed_by = $4, claimed_until = $5, sends = m.sends + 1
          WHERE m.site_id = $1 AND m.id = ANY (ARRAY(SELECT id FROM wanted))
         RETURNING m.id, m.endpoint_id, m.webhook_id, m.body, m.attempt_count, m.retry_index, m.sends)
       SELECT c.id, c.endpoint_id, c.webhook_id, c.body, c.attempt_count, c.retry_index, c.sends,
              CASE WHEN row_number() OVER (PARTITION BY c.endpoint_id) = 1 THEN
                (SELECT row_to_json(e) FROM webhook_endpoints e WHERE e.site_id = $1 AND e.id = c.endpoint_id)
              END AS endpoint
         FROM claimed c`,
      [
        siteId,
        messages.map((m) => m.id),
        messages.map((m) => m.attempt),
        claimant,
        new Date(now.getTime() + leaseMs).toISOString(),
        now.toISOString(),
      ],
    );
  }

  /** Gives claims back (a job that could not send them); only the claimant's own. */
  async releaseClaims(siteId: string, messageIds: string[], claimant: string): Promise<void> {
    if (messageIds.length === 0) return;
    await queryRows(
      this.db,
      `UPDATE webhook_messages SET claimed_by = NULL, claimed_until = NULL, sends = greatest(sends - 1, 0)
        WHERE site_id = $1 AND id = ANY ($2::uuid[]) AND claimed_by = $3`,
      [siteId, messageIds, claimant],
    );
  }

  /**
   * Writes many attempts of one site and moves each message on, in one statement (group commit).
   * A message only moves if it still waits for that attempt; returns the ids that moved.
   * `m.id = ANY ($2)` and the status as `NOT IN` (the same set, by the CHECK constraint) steer the
   * planner to the primary key: `status IN ('pending', 'sending')` matched the partial due index
   * and scanned the whole backlog.
   */
  async recordAttempts(siteId: string, items: AttemptRecord[]): Promise<Set<string>> {
    const col = <K extends keyof AttemptRecord>(k: K) => items.map((i) => i[k]);
    const rows = await this.prepared<{ id: string }>(
      'nf_webhooks_record_attempts_v3',
      `WITH input AS (
         SELECT * FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[],
                              $9::text[], $10::int[], $11::timestamptz[], $13::int[])
           AS t(message_id, attempt, webhook_id, status_code, error, latency_ms, response_body,
                next_status, retry_index, next_attempt_at, tries)),
       attempt AS (
         INSERT INTO webhook_attempts (site_id, message_id, attempt, webhook_id, status_code, error, latency_ms, response_body,
                                       attempted_at, tries)
         SELECT $1, message_id, attempt, webhook_id, status_code, error, latency_ms, response_body, $12::timestamptz,
                greatest(tries, 1)
           FROM input
         ON CONFLICT (site_id, message_id, attempt) DO UPDATE SET attempted_at = EXCLUDED.attempted_at, tries = EXCLUDED.tries,
           status_code = EXCLUDED.status_code,
           error = EXCLUDED.error, latency_ms = EXCLUDED.latency_ms, response_body = EXCLUDED.response_body
         RETURNING 1)
       UPDATE webhook_messages m SET status = i.next_status, attempt_count = i.attempt, retry_index = i.retry_index,
              next_attempt_at = i.next_attempt_at, last_attempt_at = $12, last_status = i.status_code, last_error = i.error,
              claimed_by = NULL, claimed_until = NULL, sends = 0
         FROM input i
        WHERE m.site_id = $1 AND m.id = ANY ($2::uuid[]) AND m.id = i.message_id AND m.attempt_count = i.attempt - 1
          AND m.status NOT IN ('succeeded', 'failed')
        RETURNING m.id`,
      [
        siteId,
        col('messageId'),
        col('attempt'),
        col('webhookId'),
        col('statusCode'),
        col('error'),
        col('latencyMs'),
        col('responseBody'),
        col('nextStatus'),
        col('retryIndex'),
        col('nextAttemptAt'),
        new Date().toISOString(),
        col('tries'),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Pending messages of every site due within the horizon and not claimed by a live delivery job
   * (a maintenance pass: on Citus this is the one deliberate cross-shard read, like the runtime's
   * reconciler). A claim that lapsed (its job died) makes its message due again here.
   */
  async dueMessages(
    horizonMs: number,
    limit: number,
  ): Promise<{ site_id: string; id: string; attempt_count: number; next_attempt_at: Date }[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL citus.multi_task_query_log_level TO 'off'`);
      return queryRows(
        tx,
        `SELECT site_id, id, attempt_count, next_attempt_at FROM webhook_messages
          WHERE status IN ('pending', 'sending') AND next_attempt_at <= now() + make_interval(secs => $1::float8 / 1000)
            AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY next_attempt_at LIMIT $2`,
        [horizonMs, limit],
      );
    });
  }

  /**
   * Pending messages of every site overdue by more than `graceMs` (their job should have run by now):
   * the due pass asks BullMQ whether it gave up on them (same cross-shard maintenance read as above).
   */
  async overdueMessages(
    graceMs: number,
    limit: number,
  ): Promise<{ site_id: string; id: string; attempt_count: number }[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL citus.multi_task_query_log_level TO 'off'`);
      return queryRows(
        tx,
        `SELECT site_id, id, attempt_count FROM webhook_messages
          WHERE status IN ('pending', 'sending') AND next_attempt_at < now() - make_interval(secs => $1::float8 / 1000)
          ORDER BY next_attempt_at LIMIT $2`,
        [graceMs, limit],
      );
    });
  }

  /** Ends a message still waiting for `attempt` as failed; false if it had moved on. */
  async failMessage(siteId: string, messageId: string, attempt: number, error: string): Promise<boolean> {
    const rows = await queryRows(
      this.db,
      `UPDATE webhook_messages SET status = 'failed', next_attempt_at = NULL, last_error = $4,
              claimed_by = NULL, claimed_until = NULL
        WHERE site_id = $1 AND id = $2 AND attempt_count = $3 AND status IN ('pending', 'sending')
        RETURNING id`,
      [siteId, messageId, attempt, error],
    );
    return rows.length > 0;
  }

  async listMessages(
    siteId: string,
    f: { endpointId?: string; status?: MessageStatus[]; before?: Date; limit: number },
  ): Promise<MessageRow[]> {
    return queryRows(
      this.db,
      `SELECT ${MSG_COLUMNS} FROM webhook_messages m
        WHERE m.site_id = $1 AND ($2::uuid IS NULL OR m.endpoint_id = $2)
          AND ($3::text[] IS NULL OR m.status = ANY ($3)) AND ($4::timestamptz IS NULL OR m.created_at < $4)
        ORDER BY m.created_at DESC, m.id LIMIT $5`,
      [siteId, f.endpointId ?? null, f.status ?? null, f.before ?? null, f.limit],
    );
  }

  async getMessage(siteId: string, id: string): Promise<MessageRow | undefined> {
    const rows = await queryRows<MessageRow>(
      this.db,
      `SELECT ${MSG_COLUMNS} FROM webhook_messages m WHERE m.site_id = $1 AND m.id = $2`,
      [siteId, id],
    );
    return rows[0];
  }

  async attemptsOf(siteId: string, messageIds: string[]): Promise<AttemptRow[]> {
    if (messageIds.length === 0) return [];
    return queryRows(
      this.db,
      `SELECT message_id, attempt, webhook_id, attempted_at, status_code, error, latency_ms, response_body, tries
         FROM webhook_attempts WHERE site_id = $1 AND message_id = ANY ($2::uuid[]) ORDER BY message_id, attempt`,
      [siteId, messageIds],
    );
  }

  /** Puts finished messages back to pending with a fresh schedule; returns what to enqueue. */
  async requeue(
    siteId: string,
    f: { messageId?: string; endpointId?: string; since?: Date; onlyFailed: boolean },
  ): Promise<{ id: string; attempt_count: number }[]> {
    return queryRows(
      this.db,
      `UPDATE webhook_messages SET status = 'pending', retry_index = 0, next_attempt_at = now(), last_error = NULL,
              claimed_by = NULL, claimed_until = NULL
        WHERE site_id = $1 AND ($2::uuid IS NULL OR id = $2) AND ($3::uuid IS NULL OR endpoint_id = $3)
          AND ($4::timestamptz IS NULL OR created_at >= $4)
          AND status IN ('failed', 'succeeded') AND (NOT $5::boolean OR status = 'failed')
        RETURNING id, attempt_count`,
      [siteId, f.messageId ?? null, f.endpointId ?? null, f.since ?? null, f.onlyFailed],
    );
  }

  /**
   * The statements every delivery runs (claim, attempt write) as named prepared statements on the
   * main pool: planning them cost about as much as running them. Falls back to TypeORM when the
   * driver does not expose pg's pool.
   */
  private async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const pool = (this.db.driver as unknown as { master?: Pool }).master;
    if (!pool || typeof pool.query !== 'function') return queryRows<T>(this.db, text, values);
    const result = await pool.query({ name, text, values });
    return result.rows as T[];
  }
}
