import { EntityManager } from 'typeorm';
import { siteEventsJoin, siteEventsSql } from '../ingest/events.sql';
import { siteRunsJoin, siteRunStepsJoin, stepRunJoin } from '../runtime/runs.sql';
import { rebuildDimDays } from './breakdowns';
import { rollFunnels } from './funnel-rollup';
import {
  createFlowTouched,
  CTA_COLUMNS,
  EVENT_ROLLUPS,
  FLOW_ROLLUPS,
  GOAL_BIN,
  HLL,
  IS_CTA_EVENT,
  LATE,
  PassParams,
  passResult,
  received,
  RollUp,
  RollupResult,
  SESSION_GAP,
  WINDOW_ROWS,
  WITHIN_RETENTION,
} from './rollup-pass';
import { arraysOf, MINUTE_ROWS_KEEP, pruneRollups, rollUpSql } from './rollup-sql';

/**
 * Re-run: recomputes every bucket touched by rows stamped in each site's window whole from R(hi).
 * Safe to call again for any window (idempotent); a site's first pass, and any pass after a rewind.
 */
export async function rollWindow(m: EntityManager, p: PassParams): Promise<RollupResult> {
  const [sites, , , hi] = p;
  // 1. Touched (site, minute) from events; late ones also reach the next hour (sessions after them).
  // An event stamped before its site's retention touches nothing: the raw rows around it are being
  // deleted, so recomputing its bucket would replace a complete rollup with a partial one.
  await m.query(
    `CREATE TEMP TABLE nf_touched ON COMMIT DROP AS
     SELECT e.site_id, date_trunc('minute', e.ts) AS m, bool_or(e.ts < e.received_at - ${LATE}) AS late
       FROM ${WINDOW_ROWS(received('e'), 'e', 'received_at')}
        AND ${WITHIN_RETENTION}
      GROUP BY 1, 2`,
    p,
  );
  // Islands: merged minute ranges per site, so a range is scanned once, not once per minute.
  await m.query(
    `CREATE TEMP TABLE nf_islands ON COMMIT DROP AS
     WITH r AS (
       SELECT site_id, date_trunc('hour', m) AS lo,
              date_trunc('hour', m + CASE WHEN late THEN interval '61 minutes' ELSE interval '1 minute' END
                                   - interval '1 microsecond') + interval '1 hour' AS hi
         FROM nf_touched),
     o AS (
       SELECT *, CASE WHEN lo <= max(hi) OVER (PARTITION BY site_id ORDER BY lo, hi
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                      THEN 0 ELSE 1 END AS brk
         FROM r),
     g AS (SELECT *, sum(brk) OVER (PARTITION BY site_id ORDER BY lo, hi) AS grp FROM o)
     SELECT site_id, min(lo) AS lo, max(hi) AS hi FROM g GROUP BY site_id, grp`,
  );
  await m.query(
    `CREATE TEMP TABLE nf_hours ON COMMIT DROP AS
     SELECT DISTINCT i.site_id, h
       FROM nf_islands i,
            generate_series(date_trunc('hour', i.lo), i.hi - interval '1 microsecond', interval '1 hour') h`,
  );
  const islands = await arraysOf(m, `SELECT site_id, lo, hi FROM nf_islands`, ['site_id', 'lo', 'hi']);
  await trafficMinutes(m, sites, hi, islands);
  await ctaMinutes(m, sites, hi, islands);
  await rebuildDimDays(m, sites, hi);

  // 2. Runtime ledger: touched (site, minute) of steps written, runs started and runs ended.
  await createFlowTouched(m, p);
  // Every minute of the touched hours: their hour rows are rebuilt from minutes, and the minutes of
  // an hour past MINUTE_ROWS_KEEP may have been pruned.
  await m.query(
    `CREATE TEMP TABLE nf_flow_minutes ON COMMIT DROP AS
     SELECT t.site_id, mm AS m
       FROM (SELECT DISTINCT site_id, date_trunc('hour', m) AS h FROM nf_flow_touched) t,
            generate_series(t.h, t.h + interval '59 minutes', interval '1 minute') mm`,
  );
  await flowMinutes(m, sites, hi);
  await m.query(
    `INSERT INTO nf_hours (site_id, h)
     SELECT DISTINCT site_id, date_trunc('hour', m) FROM nf_flow_touched
     EXCEPT SELECT site_id, h FROM nf_hours`,
  );

  // 3. Hours from minutes, local days from hours.
  await rollUpHoursAndDays(m, sites, [...EVENT_ROLLUPS, ...FLOW_ROLLUPS]);
  await pruneRollups(m, sites);

  const funnels = await rollFunnels(m, p);
  return passResult(m, p, funnels);
}

/** Hour buckets (from minutes) and local-day buckets (from hours) of the hours in nf_hours. */
async function rollUpHoursAndDays(m: EntityManager, sites: string[], rollUps: RollUp[]): Promise<void> {
  await m.query(
    `CREATE TEMP TABLE nf_days ON COMMIT DROP AS
     SELECT DISTINCT h.site_id,
            date_trunc('day', h.h AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS d,
            (date_trunc('day', h.h AT TIME ZONE s.timezone) + interval '1 day') AT TIME ZONE s.timezone AS d_end
       FROM nf_hours h JOIN nf_site_tz s ON s.site_id = h.site_id`,
  );
  const hours = await arraysOf(m, `SELECT site_id, h FROM nf_hours`, ['site_id', 'h']);
  const days = await arraysOf(m, `SELECT site_id, d, d_end FROM nf_days`, ['site_id', 'd', 'd_end']);
  for (const [table, keys, sums, hlls] of rollUps) {
    const minutes = MINUTES_OF[table];
    if (minutes) await m.query(hoursFromMinutesSql(table, minutes, keys, sums, hlls));
    else await m.query(rollUpSql(table, keys, sums, hlls, 'hour'), [sites, ...hours]);
    await m.query(rollUpSql(table, keys, sums, hlls, 'day'), [sites, ...days]);
  }
}

/**
 * Minute traffic, recomputed whole for every minute of each island. Sessions and engaged sessions
 * (a session's second page view) need the visitor's two previous page views (up to an hour before),
 * hence the per-visitor look-back; only minutes inside the island are written.
 */
async function trafficMinutes(
  m: EntityManager,
  sites: string[],
  hi: Date,
  islands: unknown[][],
): Promise<void> {
  await m.query(
    `CREATE TEMP TABLE nf_traffic_min ON COMMIT DROP AS
     WITH isl AS (
       SELECT i.site_id, i.lo, e.id, e.ts, e.visitor_id, (e.name = '$page') AS is_page
         FROM unnest($3::uuid[], $4::timestamptz[], $5::timestamptz[]) i(site_id, lo, hi)
         ${siteEventsJoin('e', 'i.site_id')} AND e.ts >= i.lo AND e.ts < i.hi
        WHERE e.site_id = ANY($1::uuid[]) AND NOT e.is_bot AND e.received_at < $2),
     -- the look-back: each island visitor's last two page views in the hour before the island (an
     -- index probe per visitor, not a scan of the site's whole hour)
     prev AS (
       SELECT v.site_id, v.lo, p.id, p.ts, v.visitor_id, true AS is_page
         FROM (SELECT DISTINCT site_id, lo, visitor_id FROM isl WHERE is_page) v
         CROSS JOIN LATERAL (
           SELECT e.id, e.ts FROM ${siteEventsSql('e', 'v.site_id', '$1::uuid[]')} AND e.visitor_id = v.visitor_id
              AND e.ts >= v.lo - interval '60 minutes'
              AND e.ts < v.lo AND e.name = '$page' AND NOT e.is_bot AND e.received_at < $2
            ORDER BY e.ts DESC, e.id DESC LIMIT 2) p),
     ev AS (SELECT * FROM isl UNION ALL SELECT * FROM prev),
     f AS (
       SELECT ev.*, lag(ts, 1) OVER w AS p1, lag(ts, 2) OVER w AS p2
         FROM ev WINDOW w AS (PARTITION BY site_id, lo, visitor_id, is_page ORDER BY ts, id))
     SELECT site_id, date_trunc('minute', ts) AS bucket, count(*) AS events,
            count(*) FILTER (WHERE is_page) AS pageviews,
            count(*) FILTER (WHERE is_page AND (p1 IS NULL OR ts - p1 > ${SESSION_GAP})) AS sessions,
            count(*) FILTER (WHERE is_page AND ts - p1 <= ${SESSION_GAP} AND (p2 IS NULL OR p1 - p2 > ${SESSION_GAP})) AS engaged,
            hll_add_agg(hll_hash_text(visitor_id::text), ${HLL}) AS visitors
       FROM f WHERE ts >= lo
      GROUP BY site_id, date_trunc('minute', ts)`,
    [sites, hi, ...islands],
  );
  await upsertRecentMinutes(m, EVENT_ROLLUPS[0]);
}

async function ctaMinutes(m: EntityManager, sites: string[], hi: Date, islands: unknown[][]): Promise<void> {
  await m.query(
    `CREATE TEMP TABLE nf_cta_min ON COMMIT DROP AS
     SELECT e.site_id, date_trunc('minute', e.ts) AS bucket, ${CTA_COLUMNS}
       FROM unnest($3::uuid[], $4::timestamptz[], $5::timestamptz[]) i(site_id, lo, hi)
       ${siteEventsJoin('e', 'i.site_id')} AND e.ts >= i.lo AND e.ts < i.hi
      WHERE e.site_id = ANY($1::uuid[]) AND ${IS_CTA_EVENT} AND e.received_at < $2
      GROUP BY 1, 2, 3, 4`,
    [sites, hi, ...islands],
  );
  await upsertRecentMinutes(m, EVENT_ROLLUPS[1]);
}

/**
 * Flow node reach (ledger rows), runs entered (created_at) and ended (ended_at) per minute, from the
 * ledger rows stamped before hi only (R(hi)): a later row is the next live pass's delta.
 */
async function flowMinutes(m: EntityManager, sites: string[], hi: Date): Promise<void> {
  const touched = await arraysOf(m, `SELECT site_id, m FROM nf_flow_minutes`, ['site_id', 'm']);
  const params = [sites, ...touched, hi];
  const ft = `unnest($2::uuid[], $3::timestamptz[]) ft(site_id, m)`;
  await m.query(
    `INSERT INTO analytics_flow_nodes AS t (site_id, grain, bucket, flow_id, flow_version, node_id, reached)
     SELECT s.site_id, 'minute', ft.m, s.flow_id, r.flow_version, s.node_id, count(*)
       FROM ${ft}
       ${siteRunStepsJoin('s', 'ft.site_id')} AND s.created_at >= ft.m AND s.created_at < ft.m + interval '1 minute' AND s.created_at < $4
       ${stepRunJoin('s', 'r')}
      WHERE s.site_id = ANY($1::uuid[]) AND r.site_id = ANY($1::uuid[])
      GROUP BY 1, 3, 4, 5, 6
     ON CONFLICT (site_id, grain, bucket, flow_id, flow_version, node_id) DO UPDATE SET reached = EXCLUDED.reached`,
    params,
  );
  await m.query(
    `WITH x AS (
       SELECT r.site_id, ft.m, r.flow_id, r.flow_version, 1 AS entered, 0 AS completed, 0 AS converted,
              0 AS exited, 0 AS failed
         FROM ${ft}
         ${siteRunsJoin('r', 'ft.site_id')} AND r.created_at >= ft.m AND r.created_at < ft.m + interval '1 minute' AND r.created_at < $4
        WHERE r.site_id = ANY($1::uuid[])
       UNION ALL
       SELECT r.site_id, ft.m, r.flow_id, r.flow_version, 0, (r.status IN ('completed', 'converted'))::int,
              (r.status = 'converted')::int, (r.status = 'exited')::int, (r.status = 'failed')::int
         FROM ${ft}
         ${siteRunsJoin('r', 'ft.site_id')} AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute' AND r.ended_at < $4
        WHERE r.site_id = ANY($1::uuid[]))
     INSERT INTO analytics_flow_runs AS t (site_id, grain, bucket, flow_id, flow_version, entered, completed,
                                           converted, exited, failed)
     SELECT site_id, 'minute', m, flow_id, flow_version, sum(entered), sum(completed), sum(converted),
            sum(exited), sum(failed)
       FROM x GROUP BY 1, 3, 4, 5
     ON CONFLICT (site_id, grain, bucket, flow_id, flow_version) DO UPDATE
       SET entered = EXCLUDED.entered, completed = EXCLUDED.completed, converted = EXCLUDED.converted,
           exited = EXCLUDED.exited, failed = EXCLUDED.failed`,
    params,
  );
  await m.query(
    `DELETE FROM analytics_flow_goals t
      WHERE t.site_id = ANY($1::uuid[]) AND t.grain = 'minute'
        AND (t.site_id, t.bucket) IN (SELECT ft.site_id, ft.m FROM ${ft})`,
    [sites, ...touched],
  );
  await m.query(
    `INSERT INTO analytics_flow_goals (site_id, grain, bucket, flow_id, flow_version, bin, runs)
     SELECT r.site_id, 'minute', ft.m, r.flow_id, r.flow_version, ${GOAL_BIN}, count(*)
       FROM ${ft}
       ${siteRunsJoin('r', 'ft.site_id')} AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute' AND r.ended_at < $4
      WHERE r.site_id = ANY($1::uuid[]) AND r.status = 'converted'
      GROUP BY 1, 3, 4, 5, 6`,
    params,
  );
}

/**
 * A re-run's minutes of traffic and CTAs (every minute of its touched hours) stay in these temp tables;
 * only the ones inside MINUTE_ROWS_KEEP are written, and the hour rows are built from the temp tables,
 * so rebuilding old hours writes no minute row only to prune it.
 */
const MINUTES_OF: Record<string, string> = {
  analytics_traffic: 'nf_traffic_min',
  analytics_cta: 'nf_cta_min',
};

async function upsertRecentMinutes(m: EntityManager, [table, keys, sums, hlls]: RollUp): Promise<void> {
  const cols = [...keys, ...sums, ...hlls];
  await m.query(
    `INSERT INTO ${table} AS t (site_id, grain, bucket, ${cols.join(', ')})
     SELECT site_id, 'minute', bucket, ${cols.join(', ')} FROM ${MINUTES_OF[table]}
      WHERE bucket >= now() - ${MINUTE_ROWS_KEEP}
     ON CONFLICT (site_id, grain, bucket${keys.map((k) => `, ${k}`).join('')}) DO UPDATE
       SET ${[...sums, ...hlls].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
  );
}

/** Hour rows of `table` from a re-run's temp minutes (every minute of each touched hour). */
function hoursFromMinutesSql(
  table: string,
  minutes: string,
  keys: string[],
  sums: string[],
  hlls: string[],
): string {
  const cols = [...keys, ...sums, ...hlls];
  const select = [...keys, ...sums.map((c) => `sum(${c})`), ...hlls.map((c) => `hll_union_agg(${c})`)];
  return `INSERT INTO ${table} AS t (site_id, grain, bucket, ${cols.join(', ')})
          SELECT site_id, 'hour', date_trunc('hour', bucket), ${select.join(', ')} FROM ${minutes}
           GROUP BY site_id, 3${keys.map((k) => `, ${k}`).join('')}
          ON CONFLICT (site_id, grain, bucket${keys.map((k) => `, ${k}`).join('')}) DO UPDATE
            SET ${[...sums, ...hlls].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
}
