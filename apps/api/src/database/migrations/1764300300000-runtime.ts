import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Flow runtime: runs pinned to a flow version, the per-node step ledger, the per-run event inbox,
 * the per-visitor enrolment guard (re-entry policy and concurrency cap live here, in the database),
 * and pending on-site messages produced by `show_cta`.
 */
export class Runtime1764300300000 implements MigrationInterface {
  name = 'Runtime1764300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE runs (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        flow_id uuid NOT NULL,
        flow_version integer NOT NULL,
        visitor_id uuid NOT NULL,
        trigger_event_id bigint NOT NULL,
        trigger_node_id text NOT NULL,
        trigger_event jsonb NOT NULL,
        status text NOT NULL CHECK (status IN
          ('pending', 'running', 'waiting', 'completed', 'converted', 'exited', 'failed', 'cancelled')),
        settled_status text CHECK (settled_status IN ('waiting', 'completed', 'converted', 'exited', 'failed')),
        state jsonb,
        seq integer NOT NULL DEFAULT 0,
        next_step_at timestamptz,
        wait_node_id text,
        interests text[] NOT NULL DEFAULT '{}',
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        PRIMARY KEY (site_id, id),
        CONSTRAINT runs_once_per_event UNIQUE (site_id, flow_id, trigger_event_id)
      )`);
    await q.query(`CREATE INDEX runs_flow_idx ON runs (site_id, flow_id, created_at DESC)`);
    await q.query(`CREATE INDEX runs_flow_status_idx ON runs (site_id, flow_id, status)`);
    await q.query(
      `CREATE INDEX runs_visitor_active_idx ON runs (site_id, visitor_id)
        WHERE status IN ('pending', 'running', 'waiting')`,
    );
    await q.query(
      `CREATE INDEX runs_due_idx ON runs (next_step_at)
        WHERE status IN ('pending', 'running', 'waiting')`,
    );
    await q.query(`CREATE INDEX runs_failed_idx ON runs (site_id, updated_at DESC) WHERE status = 'failed'`);
    await distributedTable(q, 'runs');

    await q.query(`
      CREATE TABLE run_steps (
        site_id uuid NOT NULL,
        run_id uuid NOT NULL,
        node_id text NOT NULL,
        iteration integer NOT NULL,
        flow_id uuid NOT NULL,
        ord integer NOT NULL,
        node_type text NOT NULL,
        handle text,
        input jsonb NOT NULL,
        effect jsonb,
        effect_status text NOT NULL CHECK (effect_status IN
          ('none', 'pending', 'done', 'failed', 'skipped', 'cancelled')),
        effect_result jsonb,
        attempts integer NOT NULL DEFAULT 0,
        error text,
        skipped text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (site_id, run_id, node_id, iteration),
        FOREIGN KEY (site_id, run_id) REFERENCES runs (site_id, id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX run_steps_flow_node_idx ON run_steps (site_id, flow_id, node_id, handle)`);
    await q.query(
      `CREATE INDEX run_steps_pending_idx ON run_steps (site_id, run_id, ord)
        WHERE effect_status IN ('pending', 'failed')`,
    );
    await distributedTable(q, 'run_steps');

    await q.query(`
      CREATE TABLE run_inbox (
        site_id uuid NOT NULL,
        run_id uuid NOT NULL,
        event_id bigint NOT NULL,
        event jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, run_id, event_id),
        FOREIGN KEY (site_id, run_id) REFERENCES runs (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'run_inbox');

    await q.query(`
      CREATE TABLE run_entries (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        flow_id uuid NOT NULL,
        visitor_id uuid NOT NULL,
        entries integer NOT NULL DEFAULT 1,
        active_runs integer NOT NULL DEFAULT 1 CHECK (active_runs >= 0),
        last_entered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, flow_id, visitor_id)
      )`);
    await distributedTable(q, 'run_entries');

    await q.query(`
      CREATE TABLE onsite_messages (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id bigserial NOT NULL,
        visitor_id uuid NOT NULL,
        cta_id text NOT NULL,
        run_id uuid,
        node_id text,
        idempotency_key text NOT NULL,
        priority integer NOT NULL DEFAULT 50,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (site_id, id),
        CONSTRAINT onsite_messages_idempotency_key UNIQUE (site_id, idempotency_key)
      )`);
    await q.query(
      `CREATE INDEX onsite_messages_pending_idx ON onsite_messages (site_id, visitor_id, priority DESC)
        WHERE consumed_at IS NULL`,
    );
    await distributedTable(q, 'onsite_messages');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS onsite_messages`);
    await q.query(`DROP TABLE IF EXISTS run_entries`);
    await q.query(`DROP TABLE IF EXISTS run_inbox`);
    await q.query(`DROP TABLE IF EXISTS run_steps`);
    await q.query(`DROP TABLE IF EXISTS runs`);
  }
}
