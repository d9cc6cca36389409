import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Live rollup passes add deltas instead of recomputing touched buckets. `applied` is the furthest
 * watermark whose rows are in the rollups: a pass whose window starts there adds its rows' change; a
 * window that starts before it (a rewound watermark, or the first pass) is recomputed whole. Open
 * hours' breakdowns now move with every pass, so the deferred-refresh bookkeeping goes.
 */
export class AnalyticsLiveDeltas1764300600400 implements MigrationInterface {
  name = 'AnalyticsLiveDeltas1764300600400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE analytics_watermarks ADD COLUMN applied timestamptz`);
    await q.query(`DROP TABLE IF EXISTS analytics_dims_hours`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_dims_hours (
        site_id uuid NOT NULL,
        hour timestamptz NOT NULL,
        dirty boolean NOT NULL,
        refreshed_at timestamptz,
        PRIMARY KEY (site_id, hour)
      )`);
    await distributedTable(q, 'analytics_dims_hours');
    await q.query(`CREATE INDEX analytics_dims_hours_dirty_idx ON analytics_dims_hours (hour) WHERE dirty`);
    await q.query(`ALTER TABLE analytics_watermarks DROP COLUMN applied`);
  }
}
