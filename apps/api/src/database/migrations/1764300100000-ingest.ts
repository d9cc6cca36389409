import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Ingestion: raw events (daily range partitions on `ts`), the 48-hour messageId dedupe window (daily
 * partitions dropped whole), the hand-off outbox, visitors and their identities (anonymous and user
 * ids -> visitor). `nf_ensure_daily_partitions` is also what the EventsPartitionsEnsure job calls.
 */
export class Ingest1764300100000 implements MigrationInterface {
  name = 'Ingest1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION nf_ensure_daily_partitions(parent text, first_day date, last_day date)
      RETURNS integer LANGUAGE plpgsql AS $fn$
      DECLARE d date := first_day; created integer := 0; part text;
      BEGIN
        WHILE d <= last_day LOOP
          part := parent || '_p' || to_char(d, 'YYYYMMDD');
          IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
              part, parent,
              CASE WHEN parent = 'events' THEN (d::timestamp AT TIME ZONE 'UTC')::text ELSE d::text END,
              CASE WHEN parent = 'events' THEN ((d + 1)::timestamp AT TIME ZONE 'UTC')::text ELSE (d + 1)::text END);
            created := created + 1;
          END IF;
          d := d + 1;
        END LOOP;
        RETURN created;
      END $fn$`);

    await q.query(`
      CREATE TABLE events (
        site_id uuid NOT NULL,
        id bigserial NOT NULL,
        ts timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        message_id text NOT NULL,
        type text NOT NULL CHECK (type IN ('track', 'page', 'identify', 'alias')),
        name text NOT NULL,
        visitor_id uuid NOT NULL,
        anonymous_id text,
        user_id text,
        properties jsonb NOT NULL DEFAULT '{}',
        traits jsonb NOT NULL DEFAULT '{}',
        context jsonb NOT NULL DEFAULT '{}',
        is_bot boolean NOT NULL DEFAULT false,
        PRIMARY KEY (site_id, id, ts)
      ) PARTITION BY RANGE (ts)`);
    await q.query(`CREATE INDEX events_visitor_idx ON events (site_id, visitor_id, ts)`);
    await q.query(`SELECT nf_ensure_daily_partitions('events', current_date - 1, current_date + 7)`);
    await distributedTable(q, 'events');

    // Compact dedupe window: 8-byte hash of messageId per site, one partition per UTC day of receipt.
    await q.query(`
      CREATE TABLE event_dedupe (
        site_id uuid NOT NULL,
        day date NOT NULL,
        hash bigint NOT NULL,
        PRIMARY KEY (site_id, hash, day)
      ) PARTITION BY RANGE (day)`);
    await q.query(`SELECT nf_ensure_daily_partitions('event_dedupe', current_date - 2, current_date + 2)`);
    await distributedTable(q, 'event_dedupe');

    await q.query(`
      CREATE TABLE event_outbox (
        site_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        event_ids bigint[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await distributedTable(q, 'event_outbox');

    await q.query(`
      CREATE TABLE visitors (
        site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        anonymous_ids text[] NOT NULL DEFAULT '{}',
        user_id text,
        traits jsonb NOT NULL DEFAULT '{}',
        tags text[] NOT NULL DEFAULT '{}',
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        session_count integer NOT NULL DEFAULT 0,
        visit_count integer NOT NULL DEFAULT 0,
        event_count integer NOT NULL DEFAULT 0,
        last_page_url text,
        utm jsonb NOT NULL DEFAULT '{}',
        referrer text,
        device jsonb NOT NULL DEFAULT '{}',
        country text,
        is_bot boolean NOT NULL DEFAULT false,
        merged_into uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await q.query(
      `CREATE INDEX visitors_recent_idx ON visitors (site_id, last_seen_at DESC, id) WHERE merged_into IS NULL`,
    );
    await q.query(`CREATE INDEX visitors_user_idx ON visitors (site_id, user_id) WHERE user_id IS NOT NULL`);
    await q.query(
      `CREATE INDEX visitors_merged_idx ON visitors (site_id, merged_into) WHERE merged_into IS NOT NULL`,
    );
    await distributedTable(q, 'visitors');

    // Which visitor an anonymous id ('anon') or a user id ('user') belongs to now.
    await q.query(`
      CREATE TABLE visitor_identities (
        site_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('anon', 'user')),
        value text NOT NULL,
        visitor_id uuid NOT NULL,
        PRIMARY KEY (site_id, kind, value),
        FOREIGN KEY (site_id, visitor_id) REFERENCES visitors (site_id, id) ON DELETE CASCADE
      )`);
    await distributedTable(q, 'visitor_identities');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE visitor_identities`);
    await q.query(`DROP TABLE visitors`);
    await q.query(`DROP TABLE event_outbox`);
    await q.query(`DROP TABLE event_dedupe`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP FUNCTION nf_ensure_daily_partitions(text, date, date)`);
  }
}
