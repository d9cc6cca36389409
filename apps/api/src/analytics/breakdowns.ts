import { EntityManager } from 'typeorm';
import { siteEventsJoin } from '../ingest/events.sql';
import { dimValues, SESSION_GAP } from './rollup-pass';
import { arraysOf, HOUR_DIMS_KEEP } from './rollup-sql';

/**
 * Breakdowns (page, referrer, utm_source, device, country) are packed (migration `…900600`): one row
 * of `analytics_breakdowns` per site, grain (hour, day) and bucket holds every value of the bucket in
 * parallel arrays sorted by dimension and value: `dims` (codes, 1-based in DIM_NAMES), `vals`,
 * `sessions`, and `pageviews` of the pages only (see PACKED). No value with both counts zero is
 * stored. The view `analytics_traffic_dims` shows the unpacked rows (site_id, grain, bucket, dim,
 * value, pageviews, sessions).
 */
export const DIM_NAMES = ['page', 'referrer', 'utm_source', 'device', 'country'] as const;
const DIMS_SQL = `ARRAY[${DIM_NAMES.map((d) => `'${d}'`).join(', ')}]`;
/** A dimension's code from its name (SQL). */
export const DIM_CODE = (name: string) => `array_position(${DIMS_SQL}, ${name})::smallint`;
/** A dimension's name from its code (SQL). */
export const DIM_NAME = (code: string) => `(${DIMS_SQL})[${code}]`;
/**
 * The packed columns (dims, vals, pageviews, sessions) of a group of value rows (dim code, value,
 * pageviews, sessions), sorted by dimension and value. `pageviews` holds the pages' only (code 1, so
 * they come first; the other dimensions count no page views). A group whose rows are all null (a
 * bucket left with no value) packs to empty arrays.
 */
export const PACKED = [
  ['dim', 'dim IS NOT NULL'],
  ['value', 'dim IS NOT NULL'],
  ['pageviews::integer', 'dim = 1'],
  ['sessions::integer', 'dim IS NOT NULL'],
]
  .map(([c, where]) => `coalesce(array_agg(${c} ORDER BY dim, value) FILTER (WHERE ${where}), '{}')`)
  .join(', ');
/**
 * The value rows of a packed row `b` (columns dim, value, pageviews, sessions): `unnest` pads the
 * shorter `pageviews` with nulls, which read as 0.
 */
export const UNPACKED = (b: string) =>
  `(SELECT u.dim, u.value, coalesce(u.pageviews, 0) AS pageviews, u.sessions
      FROM unnest(${b}.dims, ${b}.vals, ${b}.pageviews, ${b}.sessions) AS u(dim, value, pageviews, sessions)) AS v`;

/**
 * Live pass: day breakdowns move by the change of their hours (nf_dims_delta: new minus old rows), so
 * a pass costs the touched hours, not a re-aggregation of every touched day; the hour rows inside
 * HOUR_DIMS_KEEP move too (nf_dims_delta holds one change per hour row). The change is merged into the
 * buckets' part 1 (migration `…900800`): the values changed since the bucket was last folded
 * (`foldDimParts`), a few per site, so a pass does not unpack and rewrite a busy site's whole day row.
 */
export async function applyDimDeltas(m: EntityManager, sites: string[]): Promise<void> {
  const day = `date_trunc('day', x.bucket AT TIME ZONE s.timezone) AT TIME ZONE s.timezone`;
  const delta = await arraysOf(
    m,
    `SELECT site_id, 'hour' AS grain, bucket, ${DIM_CODE('dim')} AS dim, value, pageviews, sessions FROM nf_dims_delta
      WHERE bucket >= now() - ${HOUR_DIMS_KEEP}
     UNION ALL
     SELECT x.site_id, 'day', ${day}, ${DIM_CODE('x.dim')}, x.value, sum(x.pageviews), sum(x.sessions)
       FROM nf_dims_delta x JOIN nf_site_tz s ON s.site_id = x.site_id
      GROUP BY 1, 3, 4, 5
     HAVING sum(x.pageviews) <> 0 OR sum(x.sessions) <> 0`,
    DELTA_COLUMNS,
  );
  await mergeIntoPart(m, sites, delta, 1);
}

/**
 * Folds every part 1 of the sites' breakdowns into its part 0 and deletes it: the rollup pass calls it
 * every few minutes per group (FOLD_EVERY_MS), so parts 1 stay small. A bucket's sum is unchanged.
 */
export async function foldDimParts(m: EntityManager, sites: string[]): Promise<void> {
  const delta = await arraysOf(
    m,
    `SELECT b.site_id, b.grain, b.bucket, v.dim, v.value, v.pageviews, v.sessions
       FROM analytics_breakdowns b CROSS JOIN LATERAL ${UNPACKED('b')}
      WHERE b.site_id = ANY($1::uuid[]) AND b.part = 1`,
    DELTA_COLUMNS,
    [sites],
  );
  await mergeIntoPart(m, sites, delta, 0);
  await m.query(`DELETE FROM analytics_breakdowns WHERE site_id = ANY($1::uuid[]) AND part = 1`, [sites]);
}

const DELTA_COLUMNS = ['site_id', 'grain', 'bucket', 'dim', 'value', 'pageviews', 'sessions'];

/**
 * Adds value changes (arrays of DELTA_COLUMNS, passed back as parameters: on Citus a temp table is on
 * the coordinator) to `part` of their packed rows in one statement: the row's values unpacked, the
 * change added per value, values summing to zero dropped, packed again; a row left with no value is
 * deleted (only a negative change can leave one).
 */
async function mergeIntoPart(
  m: EntityManager,
  sites: string[],
  delta: unknown[][],
  part: 0 | 1,
): Promise<void> {
  if (delta[0].length === 0) return;
  const params = [sites, ...delta, part];
  const keys = `unnest($2::uuid[], $3::text[], $4::timestamptz[]) k(site_id, grain, bucket)`;
  await m.query(
    `INSERT INTO analytics_breakdowns AS t (site_id, grain, bucket, part, dims, vals, pageviews, sessions)
     WITH v AS (
       SELECT site_id, grain, bucket, dim, value, sum(pageviews) AS pageviews, sum(sessions) AS sessions
         FROM (SELECT * FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::smallint[], $6::text[],
                                    $7::integer[], $8::integer[]) d(site_id, grain, bucket, dim, value, pageviews, sessions)
               UNION ALL
               SELECT b.site_id, b.grain, b.bucket, v.*
                 FROM (SELECT DISTINCT * FROM ${keys}) k
                 JOIN analytics_breakdowns b ON b.site_id = k.site_id AND b.grain = k.grain AND b.bucket = k.bucket
                                            AND b.part = $9::smallint
                 CROSS JOIN LATERAL ${UNPACKED('b')}
                WHERE b.site_id = ANY($1::uuid[])) u
        GROUP BY 1, 2, 3, 4, 5
       HAVING sum(pageviews) <> 0 OR sum(sessions) <> 0)
     SELECT k.site_id, k.grain, k.bucket, $9::smallint, ${PACKED}
       FROM (SELECT DISTINCT * FROM ${keys}) k LEFT JOIN v USING (site_id, grain, bucket)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
     ON CONFLICT (site_id, grain, bucket, part) DO UPDATE
       SET dims = EXCLUDED.dims, vals = EXCLUDED.vals, pageviews = EXCLUDED.pageviews, sessions = EXCLUDED.sessions`,
    params,
  );
  if ([...delta[5], ...delta[6]].some((n) => Number(n) < 0))
    await m.query(
      `DELETE FROM analytics_breakdowns t
        WHERE t.site_id = ANY($1::uuid[]) AND t.part = $5::smallint AND cardinality(t.dims) = 0
          AND (t.site_id, t.grain, t.bucket) IN (SELECT * FROM ${keys})`,
      [...params.slice(0, 4), part],
    );
}

/**
 * Breakdowns of every local day a re-run touches, recomputed whole from R(hi) (delete + insert: a
 * value may vanish when a late event moves a session start): day rows, and hour rows for the hours
 * still inside `HOUR_DIMS_KEEP` (older hour rows are not kept). Pages count page views and
 * entrances; the other dimensions count sessions. An hour belongs to the local day of its start.
 */
export async function rebuildDimDays(m: EntityManager, sites: string[], hi: Date): Promise<void> {
  // Per touched day: its start and end, and the UTC hours that belong to it [h_lo, h_hi) (the first
  // hour starting at or after local midnight, as in rollUpSql).
  const ceilHour = (t: string) =>
    `date_trunc('hour', ${t}) + CASE WHEN date_trunc('hour', ${t}) < ${t} THEN interval '1 hour' ELSE interval '0' END`;
  const days = await arraysOf(
    m,
    `SELECT site_id, d, d_end, timezone, ${ceilHour('d')} AS h_lo, ${ceilHour('d_end')} AS h_hi
       FROM (SELECT DISTINCT h.site_id,
                    date_trunc('day', h.h AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS d,
                    (date_trunc('day', h.h AT TIME ZONE s.timezone) + interval '1 day') AT TIME ZONE s.timezone AS d_end,
                    s.timezone
               FROM nf_hours h JOIN nf_site_tz s ON s.site_id = h.site_id) x`,
    ['site_id', 'd', 'd_end', 'timezone', 'h_lo', 'h_hi'],
  );
  const dayOf = (t: string, tz: string) => `date_trunc('day', ${t} AT TIME ZONE ${tz}) AT TIME ZONE ${tz}`;
  const x = `unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::timestamptz[], $7::timestamptz[])
               x(site_id, d, d_end, tz, h_lo, h_hi)`;
  // (no time zone arithmetic on the table's columns: Citus refuses STABLE functions of columns in a
  // modification)
  await m.query(
    `DELETE FROM analytics_breakdowns t
      USING ${x}
      WHERE t.site_id = ANY($1::uuid[]) AND t.site_id = x.site_id
        AND (t.grain = 'day' AND t.bucket = x.d OR t.grain = 'hour' AND t.bucket >= x.h_lo AND t.bucket < x.h_hi)`,
    [sites, ...days],
  );
  // Page views from 90 minutes before the day (its first hour may start 30 minutes before local
  // midnight, and a session start needs the 30 minutes before it).
  await m.query(
    `CREATE TEMP TABLE nf_dims_new ON COMMIT DROP AS
     WITH ev AS (
       SELECT x.site_id, x.d, x.tz, e.id, e.ts, e.visitor_id, e.properties, e.context
         FROM ${x}
         ${siteEventsJoin('e', 'x.site_id')} AND e.ts >= x.d - interval '90 minutes'
                      AND e.ts < x.d_end + interval '60 minutes'
        WHERE e.site_id = ANY($1::uuid[]) AND NOT e.is_bot AND e.name = '$page' AND e.received_at < $8),
     f AS (
       SELECT ev.*, lag(ts) OVER (PARTITION BY site_id, d, visitor_id ORDER BY ts, id) AS p1 FROM ev),
     s AS (
       SELECT f.*, date_trunc('hour', ts) AS h, (p1 IS NULL OR ts - p1 > ${SESSION_GAP}) AS is_start FROM f
        WHERE ${dayOf("date_trunc('hour', ts)", 'tz')} = d),
     v AS (
       SELECT s.site_id, s.d, s.h, dv.dim, left(dv.value, 500) AS value, dv.pv, dv.se
         FROM s CROSS JOIN LATERAL (VALUES ${dimValues('properties', 'context', '1', 'is_start::int')})
              AS dv(dim, value, pv, se)
        WHERE dv.dim = 'page' OR s.is_start)
     SELECT site_id, 'hour'::text AS grain, h AS bucket, dim, value, sum(pv) AS pageviews, sum(se) AS sessions
       FROM v WHERE h >= now() - ${HOUR_DIMS_KEEP} GROUP BY site_id, h, dim, value
     UNION ALL
     SELECT site_id, 'day', d, dim, value, sum(pv), sum(se) FROM v GROUP BY site_id, d, dim, value`,
    [sites, ...days, hi],
  );
  await m.query(
    `INSERT INTO analytics_breakdowns (site_id, grain, bucket, dims, vals, pageviews, sessions)
     SELECT site_id, grain, bucket, ${PACKED}
       FROM (SELECT site_id, grain, bucket, ${DIM_CODE('dim')} AS dim, value, pageviews, sessions FROM nf_dims_new) v
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
}
