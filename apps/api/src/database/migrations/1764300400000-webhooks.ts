import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/** Outbound webhooks (endpoints, messages, attempts, owner notices) and inbound hooks. */
export class Webhooks1764300400000 implements MigrationInterface {
  name = 'Webhooks1764300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        url text NOT NULL,
        description text NOT NULL DEFAULT '',
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        secret_enc text NOT NULL,
        previous_secret_enc text,
        previous_secret_expires_at timestamptz,
        event_types text[] NOT NULL DEFAULT '{}',
        headers jsonb NOT NULL DEFAULT '{}',
        secret_headers_enc text,
        secret_header_names text[] NOT NULL DEFAULT '{}',
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await distributedTable(q, 'webhook_endpoints');
    await q.query(`
      CREATE TABLE webhook_messages (
        site_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        event_type text NOT NULL,
        webhook_id text NOT NULL,
        idempotency_key text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
        attempt_count integer NOT NULL DEFAULT 0,
        retry_index integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        CONSTRAINT webhook_messages_idempotency_key UNIQUE (site_id, idempotency_key),
        FOREIGN KEY (site_id, endpoint_id) REFERENCES webhook_endpoints (site_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX webhook_messages_endpoint_idx ON webhook_messages (site_id, endpoint_id, created_at DESC)`,
    );
    await q.query(`CREATE INDEX webhook_messages_created_idx ON webhook_messages (site_id, created_at DESC)`);
    await distributedTable(q, 'webhook_messages');
    await q.query(`
      CREATE TABLE webhook_attempts (
        site_id uuid NOT NULL,
        message_id uuid NOT NULL,
        attempt integer NOT NULL,
        webhook_id text NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        status_code integer,
        error text,
        latency_ms integer NOT NULL,
        response_body text,
        PRIMARY KEY (site_id, message_id, attempt),
        FOREIGN KEY (site_id, message_id) REFERENCES webhook_messages (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'webhook_attempts');
    await q.query(`
      CREATE TABLE webhook_notices (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        kind text NOT NULL,
        message text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        FOREIGN KEY (site_id, endpoint_id) REFERENCES webhook_endpoints (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'webhook_notices');
    await q.query(`
      CREATE TABLE inbound_hooks (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        token_hash bytea NOT NULL,
        last4 text NOT NULL,
        event_path text NOT NULL,
        visitor_path text NOT NULL,
        default_event text,
        secret_enc text,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id),
        CONSTRAINT inbound_hooks_token_key UNIQUE (site_id, token_hash)
      )`);
    await distributedTable(q, 'inbound_hooks');
    await q.query(`
      CREATE TABLE inbound_hook_receipts (
        site_id uuid NOT NULL,
        hook_id uuid NOT NULL,
        webhook_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, hook_id, webhook_id),
        FOREIGN KEY (site_id, hook_id) REFERENCES inbound_hooks (site_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX inbound_hook_receipts_time_idx ON inbound_hook_receipts (site_id, received_at)`,
    );
    await distributedTable(q, 'inbound_hook_receipts');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inbound_hook_receipts`);
    await q.query(`DROP TABLE inbound_hooks`);
    await q.query(`DROP TABLE webhook_notices`);
    await q.query(`DROP TABLE webhook_attempts`);
    await q.query(`DROP TABLE webhook_messages`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
