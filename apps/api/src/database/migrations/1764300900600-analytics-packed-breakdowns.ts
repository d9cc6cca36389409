import { MigrationInterface, QueryRunner } from 'typeorm';
import { distributedTable } from '../citus';

/** Breakdown dimensions in the order of their codes (1-based, as `array_position` answers). */
const DIMS = `ARRAY['page', 'referrer', 'utm_source', 'device', 'country']`;

/**
 * Packed breakdowns (issue #20): one row per site, grain and bucket holding every dimension value of
 * that bucket in parallel arrays (`dims` codes, `vals`, `sessions`, sorted by dimension and value;
 * `pageviews` only for the pages, which sort first: the other dimensions count no page views),
 * instead of one row (and one primary-key entry) per value. A row header, the site id,
 * grain and bucket and the key's index entry were most of a breakdown row's ~170 bytes; a packed value
 * costs its text and 10 bytes, and a bucket of a busy site (over 2 kB) is compressed by TOAST.
 *
 * `analytics_traffic_dims` stays as a view of the unpacked rows (site_id, grain, bucket, dim, value,
 * pageviews, sessions): the same rows as the old table, for reading by hand and in tests.
 */
export class AnalyticsPackedBreakdowns1764300900600 implements MigrationInterface {
  name = 'AnalyticsPackedBreakdowns1764300900600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_breakdowns (
        site_id uuid NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day')),
        bucket timestamptz NOT NULL,
        dims smallint[] NOT NULL,
        vals text[] NOT NULL,
        pageviews integer[] NOT NULL,
        sessions integer[] NOT NULL,
        PRIMARY KEY (site_id, grain, bucket)
      )`);
    await distributedTable(q, 'analytics_breakdowns');
    await q.query(`
      INSERT INTO analytics_breakdowns (site_id, grain, bucket, dims, vals, pageviews, sessions)
      SELECT site_id, grain, bucket,
             array_agg(array_position(${DIMS}, dim)::smallint ORDER BY array_position(${DIMS}, dim), value),
             array_agg(value ORDER BY array_position(${DIMS}, dim), value),
             coalesce(array_agg(pageviews::integer ORDER BY value) FILTER (WHERE dim = 'page'), '{}'),
             array_agg(sessions::integer ORDER BY array_position(${DIMS}, dim), value)
        FROM analytics_traffic_dims
       WHERE pageviews <> 0 OR sessions <> 0
       GROUP BY site_id, grain, bucket`);
    await q.query(`DROP TABLE analytics_traffic_dims`);
    await q.query(`
      CREATE VIEW analytics_traffic_dims AS
      SELECT b.site_id, b.grain, b.bucket, (${DIMS})[d.dim] AS dim, d.value, coalesce(d.pageviews, 0) AS pageviews,
             d.sessions
        FROM analytics_breakdowns b
        CROSS JOIN LATERAL unnest(b.dims, b.vals, b.pageviews, b.sessions) AS d(dim, value, pageviews, sessions)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE analytics_traffic_dims_unpacked AS SELECT site_id, grain, bucket, dim, value,
             pageviews::bigint AS pageviews, sessions::bigint AS sessions FROM analytics_traffic_dims`);
    await q.query(`DROP VIEW analytics_traffic_dims`);
    await q.query(`DROP TABLE analytics_breakdowns`);
    await q.query(`
      CREATE TABLE analytics_traffic_dims (
        site_id uuid NOT NULL,
        grain text NOT NULL CHECK (grain IN ('hour', 'day')),
        bucket timestamptz NOT NULL,
        dim text NOT NULL,
        value text NOT NULL,
        pageviews bigint NOT NULL,
        sessions bigint NOT NULL,
        PRIMARY KEY (site_id, grain, bucket, dim, value) INCLUDE (pageviews, sessions)
      )`);
    await distributedTable(q, 'analytics_traffic_dims');
    await q.query(`INSERT INTO analytics_traffic_dims SELECT * FROM analytics_traffic_dims_unpacked`);
    await q.query(`DROP TABLE analytics_traffic_dims_unpacked`);
  }
}
