import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Top-N breakdowns read every (dim, value) row of a site's range; a covering index lets that be an
 * index-only scan instead of one heap page per row (rows of one site are scattered by the rollup).
 */
export class AnalyticsDimsCovering1764300600100 implements MigrationInterface {
  name = 'AnalyticsDimsCovering1764300600100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX analytics_traffic_dims_covering_idx ON analytics_traffic_dims (site_id, grain, bucket)
         INCLUDE (dim, value, pageviews, sessions)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS analytics_traffic_dims_covering_idx`);
  }
}
