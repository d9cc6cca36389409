import { MigrationInterface, QueryRunner } from 'typeorm';

/** Breakdown dimensions in the order of their codes (1-based, as `array_position` answers). */
const DIMS = `ARRAY['page', 'referrer', 'utm_source', 'device', 'country']`;

/**
 * Packed breakdowns in two parts (issue #20): `part` 0 is a bucket's packed values as before, `part` 1
 * the change live passes added since the bucket was last folded (small: the values touched in the
 * last minutes, counts may be negative), so a live pass no longer rewrites a busy site's whole day
 * row. A bucket's counts are the sum of its parts; the rollup pass folds part 1 into part 0 every few
 * minutes. The view `analytics_traffic_dims` sums the parts (the same rows as before).
 */
export class AnalyticsBreakdownParts1764300900800 implements MigrationInterface {
  name = 'AnalyticsBreakdownParts1764300900800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW analytics_traffic_dims`);
    // (Citus refuses a constraint inside ADD COLUMN)
    await q.query(`ALTER TABLE analytics_breakdowns ADD COLUMN part smallint NOT NULL DEFAULT 0`);
    await q.query(
      `ALTER TABLE analytics_breakdowns ADD CONSTRAINT analytics_breakdowns_part_check CHECK (part IN (0, 1))`,
    );
    await q.query(`ALTER TABLE analytics_breakdowns DROP CONSTRAINT analytics_breakdowns_pkey`);
    await q.query(`ALTER TABLE analytics_breakdowns ADD PRIMARY KEY (site_id, grain, bucket, part)`);
    await q.query(`
      CREATE VIEW analytics_traffic_dims AS
      SELECT b.site_id, b.grain, b.bucket, (${DIMS})[d.dim] AS dim, d.value,
             sum(coalesce(d.pageviews, 0))::integer AS pageviews, sum(d.sessions)::integer AS sessions
        FROM analytics_breakdowns b
        CROSS JOIN LATERAL unnest(b.dims, b.vals, b.pageviews, b.sessions) AS d(dim, value, pageviews, sessions)
       GROUP BY b.site_id, b.grain, b.bucket, d.dim, d.value
      HAVING sum(coalesce(d.pageviews, 0)) <> 0 OR sum(d.sessions) <> 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Parts 1 hold changes not yet folded: fold them by hand first (the rollup pass does every few minutes).
    const [{ n }] = (await q.query(`SELECT count(*)::int AS n FROM analytics_breakdowns WHERE part = 1`)) as {
      n: number;
    }[];
    if (n > 0)
      throw new Error(`analytics_breakdowns holds ${n} unfolded rows (part 1): run a rollup pass first`);
    await q.query(`DROP VIEW analytics_traffic_dims`);
    await q.query(`ALTER TABLE analytics_breakdowns DROP CONSTRAINT analytics_breakdowns_pkey`);
    await q.query(`ALTER TABLE analytics_breakdowns ADD PRIMARY KEY (site_id, grain, bucket)`);
    await q.query(`ALTER TABLE analytics_breakdowns DROP COLUMN part`); // (and its check)
    await q.query(`
      CREATE VIEW analytics_traffic_dims AS
      SELECT b.site_id, b.grain, b.bucket, (${DIMS})[d.dim] AS dim, d.value, coalesce(d.pageviews, 0) AS pageviews,
             d.sessions
        FROM analytics_breakdowns b
        CROSS JOIN LATERAL unnest(b.dims, b.vals, b.pageviews, b.sessions) AS d(dim, value, pageviews, sessions)`);
  }
}
