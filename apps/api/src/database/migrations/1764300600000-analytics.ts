import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable, referenceTable } from '../citus';

/**
 * Analytics rollups (minute/hour/day buckets per site), advanced by the AnalyticsRollup job from one
 * watermark over `events.received_at` / `run_steps.created_at` / `runs.created_at`. Buckets are
 * recomputed whole from raw rows (minute) or from finer buckets (hour/day), so re-running a window
 * changes nothing. `hll` columns hold unique visitors (log2m 14, regwidth 5: ~0.8 % standard error).
 * Day buckets start at the site's local midnight; minute and hour buckets are UTC.
 * No foreign key to `events`/`runs`: dropping raw partitions (retention) never touches rollups.
 */
export class Analytics1764300600000 implements MigrationInterface {
  name = 'Analytics1764300600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS hll`);

    // One row per rollup stream; `hi` = everything received before it is rolled up.
    await q.query(`
      CREATE TABLE analytics_watermarks (
        name text PRIMARY KEY,
        hi timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await referenceTable(q, 'analytics_watermarks');
    await q.query(`INSERT INTO analytics_watermarks (name, hi) VALUES ('rollups', '2000-01-01T00:00:00Z')`);

    const grain = `grain text NOT NULL CHECK (grain IN ('minute', 'hour', 'day'))`;
    await q.query(`
      CREATE TABLE analytics_traffic (
        site_id uuid NOT NULL,
        ${grain},
        bucket timestamptz NOT NULL,
        events bigint NOT NULL,
        pageviews bigint NOT NULL,
        sessions bigint NOT NULL,
        engaged bigint NOT NULL,
        visitors hll NOT NULL,
        PRIMARY KEY (site_id, grain, bucket)
      )`);
    await distributedTable(q, 'analytics_traffic');

    // Breakdowns (page, referrer, utm_source, device, country) only at hour and day grain.
    await q.query(`
      CREATE TABLE analytics_traffic_dims (
        site_id uuid NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day')),
        bucket timestamptz NOT NULL,
        dim text NOT NULL,
        value text NOT NULL,
        pageviews bigint NOT NULL,
        sessions bigint NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, dim, value)
      )`);
    await distributedTable(q, 'analytics_traffic_dims');

    await q.query(`
      CREATE TABLE analytics_cta (
        site_id uuid NOT NULL,
        ${grain},
        bucket timestamptz NOT NULL,
        cta_id text NOT NULL,
        variant_id text NOT NULL,
        views bigint NOT NULL,
        clicks bigint NOT NULL,
        conversions bigint NOT NULL,
        closes bigint NOT NULL,
        viewers hll NOT NULL,
        converters hll NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, cta_id, variant_id)
      )`);
    await distributedTable(q, 'analytics_cta');

    await q.query(`
      CREATE TABLE analytics_flow_nodes (
        site_id uuid NOT NULL,
        ${grain},
        bucket timestamptz NOT NULL,
        flow_id uuid NOT NULL,
        flow_version integer NOT NULL,
        node_id text NOT NULL,
        reached bigint NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, flow_id, flow_version, node_id)
      )`);
    await distributedTable(q, 'analytics_flow_nodes');

    // Runs entered (by created_at) and ended (by ended_at).
    await q.query(`
      CREATE TABLE analytics_flow_runs (
        site_id uuid NOT NULL,
        ${grain},
        bucket timestamptz NOT NULL,
        flow_id uuid NOT NULL,
        flow_version integer NOT NULL,
        entered bigint NOT NULL,
        completed bigint NOT NULL,
        converted bigint NOT NULL,
        exited bigint NOT NULL,
        failed bigint NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, flow_id, flow_version)
      )`);
    await distributedTable(q, 'analytics_flow_runs');

    // Converted runs per log bin of time to goal (see goal-bins.ts), so a median merges across buckets.
    await q.query(`
      CREATE TABLE analytics_flow_goals (
        site_id uuid NOT NULL,
        ${grain},
        bucket timestamptz NOT NULL,
        flow_id uuid NOT NULL,
        flow_version integer NOT NULL,
        bin smallint NOT NULL,
        runs bigint NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, flow_id, flow_version, bin)
      )`);
    await distributedTable(q, 'analytics_flow_goals');

    // Recomputing a bucket reads one site's events by time.
    await q.query(`CREATE INDEX events_site_ts_idx ON events (site_id, ts)`);
    // Change feeds for the rollup window. BRIN is tiny and cheap on append-mostly columns; created_at
    // is never updated, so these indexes do not cost the runtime its HOT updates.
    await q.query(
      `CREATE INDEX events_received_brin ON events USING brin (received_at) WITH (autosummarize = on)`,
    );
    await q.query(`CREATE INDEX run_steps_created_idx ON run_steps (created_at)`);
    await q.query(`CREATE INDEX runs_created_idx ON runs (created_at)`);
    await q.query(`CREATE INDEX runs_ended_idx ON runs (ended_at) WHERE ended_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS runs_ended_idx`);
    await q.query(`DROP INDEX IF EXISTS runs_created_idx`);
    await q.query(`DROP INDEX IF EXISTS run_steps_created_idx`);
    await q.query(`DROP INDEX IF EXISTS events_received_brin`);
    await q.query(`DROP INDEX IF EXISTS events_site_ts_idx`);
    for (const t of [
      'analytics_flow_goals',
      'analytics_flow_runs',
      'analytics_flow_nodes',
      'analytics_cta',
      'analytics_traffic_dims',
      'analytics_traffic',
      'analytics_watermarks',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
