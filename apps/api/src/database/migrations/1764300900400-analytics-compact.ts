import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Compact rollups (issue #20): minute rows (traffic, CTA, flows) are kept for the last 6 hours and
 * hourly breakdowns for the last 48 hours (`analytics/rollup-sql.ts`: the rollup pass prunes them from
 * now on, and re-runs rebuild whole hours and whole local days from raw events); their hour and day
 * rows hold the same counts. Existing rows past those windows are deleted here. Breakdowns had a
 * primary key and a covering index over the same columns: the primary key now includes the counts,
 * so one index serves both (upserts and index-only top-N reads).
 */
export class AnalyticsCompact1764300900400 implements MigrationInterface {
  name = 'AnalyticsCompact1764300900400';

  async up(q: QueryRunner): Promise<void> {
    for (const t of [
      'analytics_traffic',
      'analytics_cta',
      'analytics_flow_nodes',
      'analytics_flow_runs',
      'analytics_flow_goals',
    ])
      await q.query(`DELETE FROM ${t} WHERE grain = 'minute' AND bucket < now() - interval '6 hours'`);
    await q.query(
      `DELETE FROM analytics_traffic_dims WHERE grain = 'hour' AND bucket < now() - interval '48 hours'`,
    );
    // Two statements: Citus refuses ADD CONSTRAINT beside other subcommands.
    await q.query(`ALTER TABLE analytics_traffic_dims DROP CONSTRAINT analytics_traffic_dims_pkey`);
    await q.query(
      `ALTER TABLE analytics_traffic_dims
         ADD PRIMARY KEY (site_id, grain, bucket, dim, value) INCLUDE (pageviews, sessions)`,
    );
    await q.query(`DROP INDEX analytics_traffic_dims_covering_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX analytics_traffic_dims_covering_idx ON analytics_traffic_dims (site_id, grain, bucket)
         INCLUDE (dim, value, pageviews, sessions)`,
    );
    await q.query(`ALTER TABLE analytics_traffic_dims DROP CONSTRAINT analytics_traffic_dims_pkey`);
    await q.query(`ALTER TABLE analytics_traffic_dims ADD PRIMARY KEY (site_id, grain, bucket, dim, value)`);
  }
}
