import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Saved funnels (issue #8). A funnel's definition lives in `analytics_funnels`; the rollup pass keeps
 * `analytics_funnel_progress` (one row per visitor attempt: entry time, furthest step reached and the
 * time of each step) from the same watermark window as the other rollups, and `analytics_funnel_days`
 * (attempts and unique visitors (hll) reaching each step, per local day of entry) from the progress
 * rows. Reports read the day rows only. `version` is bumped when steps or window change;
 * `built_version` is the version the materialised rows belong to (the rollup rebuilds when they differ).
 */
export class AnalyticsFunnels1764300600200 implements MigrationInterface {
  name = 'AnalyticsFunnels1764300600200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_funnels (
        site_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        steps jsonb NOT NULL,
        window_seconds integer NOT NULL CHECK (window_seconds > 0),
        version integer NOT NULL DEFAULT 1,
        built_version integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, id)
      )`);
    await distributedTable(q, 'analytics_funnels');

    await q.query(`
      CREATE TABLE analytics_funnel_progress (
        site_id uuid NOT NULL,
        funnel_id uuid NOT NULL,
        visitor_id uuid NOT NULL,
        started_at timestamptz NOT NULL,
        step smallint NOT NULL CHECK (step >= 1),
        step_at timestamptz[] NOT NULL,
        PRIMARY KEY (site_id, funnel_id, visitor_id, started_at)
      )`);
    await distributedTable(q, 'analytics_funnel_progress');
    // Day rebuilds read one funnel's attempts by entry time.
    await q.query(
      `CREATE INDEX analytics_funnel_progress_started_idx
         ON analytics_funnel_progress (site_id, funnel_id, started_at) INCLUDE (step, visitor_id)`,
    );

    await q.query(`
      CREATE TABLE analytics_funnel_days (
        site_id uuid NOT NULL,
        funnel_id uuid NOT NULL,
        day timestamptz NOT NULL,
        step smallint NOT NULL,
        entries bigint NOT NULL,
        visitors hll NOT NULL,
        PRIMARY KEY (site_id, funnel_id, day, step)
      )`);
    await distributedTable(q, 'analytics_funnel_days');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS analytics_funnel_days`);
    await q.query(`DROP TABLE IF EXISTS analytics_funnel_progress`);
    await q.query(`DROP TABLE IF EXISTS analytics_funnels`);
  }
}
