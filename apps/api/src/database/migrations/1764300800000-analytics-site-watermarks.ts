import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/**
 * One rollup watermark per site (issue #20), distributed with the site: a pass claims a shard's sites
 * with `FOR UPDATE SKIP LOCKED` in one single-shard transaction, so worker replicas roll up different
 * shards in parallel and each site's window is applied once. Every site starts where the global
 * watermark (`analytics_watermarks`, no longer advanced) stopped; a site created later starts at
 * 2000-01-01 with `applied` NULL, so its first pass is a re-run over its own events.
 */
export class AnalyticsSiteWatermarks1764300800000 implements MigrationInterface {
  name = 'AnalyticsSiteWatermarks1764300800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_rollup_sites (
        site_id uuid NOT NULL PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
        hi timestamptz NOT NULL,
        applied timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await distributedTable(q, 'analytics_rollup_sites');
    await q.query(`
      INSERT INTO analytics_rollup_sites (site_id, hi, applied)
      SELECT s.id, w.hi, w.applied FROM sites s CROSS JOIN analytics_watermarks w
       WHERE w.name = 'rollups' AND s.deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE analytics_rollup_sites`);
  }
}
