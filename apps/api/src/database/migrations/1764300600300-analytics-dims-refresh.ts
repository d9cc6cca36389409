import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * Breakdown hours waiting for a recompute. The rollup pass marks every touched hour dirty and
 * recomputes a dirty hour when it is first touched, once it is over, or when its last recompute is
 * older than ANALYTICS_DIMS_REFRESH_MS — so a hot site's open hour is not re-read on every pass.
 */
export class AnalyticsDimsRefresh1764300600300 implements MigrationInterface {
  name = 'AnalyticsDimsRefresh1764300600300';

  async up(q: QueryRunner): Promise<void> {
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS analytics_dims_hours`);
  }
}
