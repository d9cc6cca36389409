import { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { siteEventsSql } from '../ingest/events.sql';
import { runStepsWithRunSql } from '../runtime/runs.sql';
import { applyDimDeltas } from './breakdowns';
import { rollFunnels } from './funnel-rollup';
import {
  createFlowTouched,
  CTA_COLUMNS,
  CTA_SUMS,
  dimValues,
  engagedFlag,
  FLOW_ROLLUPS,
  GOAL_BIN,
  HLL,
  IN_WINDOW,
  IS_CTA_EVENT,
  PassFlags,
  PassParams,
  passResult,
  received,
  RollupResult,
  runs,
  SITE_LO,
  startFlag,
  TRAFFIC_SUMS,
  WINDOW_ROWS,
  WITHIN_RETENTION,
} from './rollup-pass';
import { addDeltas, summarizeReceivedRanges } from './rollup-sql';

/** Per flow rollup: its minute deltas from the ledger rows stamped in the window (`flowDeltas`, PassParams). */
const FLOW_DELTAS: Record<string, string> = {
  analytics_flow_nodes: `
    SELECT s.site_id, date_trunc('minute', s.created_at) AS m, s.flow_id, r.flow_version, s.node_id,
           count(*) AS reached
      FROM ${runStepsWithRunSql('s', 'r')}
     WHERE ${IN_WINDOW('s', 'created_at')} AND r.site_id = ANY($1::uuid[])
     GROUP BY 1, 2, 3, 4, 5`,
  analytics_flow_runs: `
    SELECT site_id, m, flow_id, flow_version, sum(entered) AS entered, sum(completed) AS completed,
           sum(converted) AS converted, sum(exited) AS exited, sum(failed) AS failed
      FROM (SELECT r.site_id, date_trunc('minute', r.created_at) AS m, r.flow_id, r.flow_version, 1 AS entered,
                   0 AS completed, 0 AS converted, 0 AS exited, 0 AS failed
              FROM ${WINDOW_ROWS(runs('r', 'created_at'), 'r', 'created_at')}
            UNION ALL
            SELECT r.site_id, date_trunc('minute', r.ended_at), r.flow_id, r.flow_version, 0,
                   (r.status IN ('completed', 'converted'))::int, (r.status = 'converted')::int,
                   (r.status = 'exited')::int, (r.status = 'failed')::int
              FROM ${WINDOW_ROWS(runs('r', 'ended_at'), 'r', 'ended_at')}) x
     GROUP BY 1, 2, 3, 4`,
  analytics_flow_goals: `
    SELECT r.site_id, date_trunc('minute', r.ended_at) AS m, r.flow_id, r.flow_version, ${GOAL_BIN} AS bin,
           count(*) AS runs
      FROM ${WINDOW_ROWS(runs('r', 'ended_at'), 'r', 'ended_at')} AND r.status = 'converted'
     GROUP BY 1, 2, 3, 4, 5`,
};

/**
 * Live pass: adds the change made by the events received in each site's window to every bucket,
 * given that the buckets hold exactly R(lo). Reads the window's rows and, per visitor with a new
 * page view, that visitor's page views around it (index probes), never a whole bucket.
 */
export async function deltaWindow(
  m: EntityManager,
  p: PassParams,
  flags: PassFlags,
  citus: boolean | undefined,
): Promise<RollupResult> {
  const [sites] = p;
  if (citus === false) await summarizeReceivedRanges(m);
  await m.query(
    `CREATE TEMP TABLE nf_new ON COMMIT DROP AS
     SELECT e.site_id, e.id, e.ts, e.visitor_id, e.name, e.properties, e.is_bot
       FROM ${WINDOW_ROWS(received('e'), 'e', 'received_at')}
        AND ${WITHIN_RETENTION}`,
    p,
  );
  // (site, minute) touched: what the funnels and the result count read.
  await m.query(
    `CREATE TEMP TABLE nf_touched ON COMMIT DROP AS
     SELECT DISTINCT site_id, date_trunc('minute', ts) AS m FROM nf_new`,
  );
  await createFlowTouched(m, flags.ledger ? p : null);
  // Nothing new for these sites (the claim saw it): only funnels waiting for a rebuild.
  if (!flags.events && !flags.ledger)
    return passResult(m, p, await rollFunnels(m, p, 'nf_new', flags.funnels));
  // Each visitor's page views from an hour before its first new one to an hour after its last: a new
  // page view changes the session start / engagement of at most the next two page views, which lie
  // within the hour after it (see SESSION_GAP), and their flags need the two before them. On Citus
  // the window's page views are read again here (not from nf_new), and the probes keep the group
  // filter, so the statement stays on its shard. On plain PostgreSQL from nf_new (the same rows; a
  // temp table there joins like any table), and the group filter is on the visitors, not on the
  // probes: as an index condition there (`site_id = ANY` of up to GROUP_MAX sites in every probe of
  // every partition) it made the planner scan whole partitions instead, or probe (site_id, ts), which
  // reads the site's every page view of those hours once per visitor.
  const [windowPages, probeGroup] = citus
    ? [`${WINDOW_ROWS(received('e'), 'e', 'received_at')} AND ${WITHIN_RETENTION} AND`, '$1::uuid[]']
    : [`nf_new e WHERE e.site_id = ANY($1::uuid[]) AND $3::timestamptz IS NOT NULL AND`, undefined]; // (same parameters)
  await m.query(
    `CREATE TEMP TABLE nf_pv ON COMMIT DROP AS
     WITH v AS (
       SELECT e.site_id, e.visitor_id, min(e.ts) AS t0, max(e.ts) AS t1 FROM ${windowPages}
              NOT e.is_bot AND e.name = '$page' GROUP BY 1, 2)
     SELECT v.site_id, v.visitor_id, v.t0, p.id, p.ts, p.is_new, p.properties, p.context
       FROM v CROSS JOIN LATERAL (
         SELECT e.id, e.ts, ${SITE_LO('e', 'received_at')} AS is_new, e.properties, e.context
           FROM ${siteEventsSql('e', 'v.site_id', probeGroup)} AND e.visitor_id = v.visitor_id
            AND e.ts >= v.t0 - interval '60 minutes' AND e.ts <= v.t1 + interval '60 minutes'
            AND e.received_at < $4 AND e.name = '$page' AND NOT e.is_bot) p`,
    p,
  );
  // Flags over R(hi) (every row) and over R(lo) (the rows already counted); their difference is
  // the change to add. Only rows from the visitor's first new page view on can change.
  await m.query(
    `CREATE TEMP TABLE nf_flags ON COMMIT DROP AS
     WITH n AS (
       SELECT pv.*, lag(ts) OVER w AS p1, lag(ts, 2) OVER w AS p2
         FROM nf_pv pv WINDOW w AS (PARTITION BY site_id, visitor_id ORDER BY ts, id)),
     o AS (
       SELECT site_id, visitor_id, id, ts, lag(ts) OVER w AS p1, lag(ts, 2) OVER w AS p2
         FROM nf_pv WHERE NOT is_new WINDOW w AS (PARTITION BY site_id, visitor_id ORDER BY ts, id)),
     f AS (
       SELECT n.site_id, n.ts, n.is_new, n.properties, n.context,
              ${startFlag('n')} - CASE WHEN n.is_new THEN 0 ELSE ${startFlag('o')} END AS d_start,
              ${engagedFlag('n')} - CASE WHEN n.is_new THEN 0 ELSE ${engagedFlag('o')} END AS d_engaged
         FROM n LEFT JOIN o ON o.site_id = n.site_id AND o.visitor_id = n.visitor_id AND o.id = n.id
                           AND o.ts = n.ts
        WHERE n.ts >= n.t0)
     SELECT * FROM f WHERE is_new OR d_start <> 0 OR d_engaged <> 0`,
  );
  const trafficDelta = `
     SELECT site_id, date_trunc('minute', ts) AS m, sum(events) AS events, sum(pageviews) AS pageviews,
            sum(sessions) AS sessions, sum(engaged) AS engaged,
            coalesce(hll_add_agg(hll_hash_text(visitor_id::text), ${HLL}) FILTER (WHERE visitor_id IS NOT NULL),
                     hll_empty(${HLL})) AS visitors
       FROM (SELECT site_id, ts, visitor_id, 1 AS events, (name = '$page')::int AS pageviews, 0 AS sessions,
                    0 AS engaged
               FROM nf_new WHERE NOT is_bot
             UNION ALL
             SELECT site_id, ts, NULL, 0, 0, d_start, d_engaged FROM nf_flags
              WHERE d_start <> 0 OR d_engaged <> 0) x
      GROUP BY 1, 2`;
  await addDeltas(m, 'analytics_traffic', trafficDelta, [], TRAFFIC_SUMS, ['visitors']);

  const ctaDelta = `
       SELECT e.site_id, date_trunc('minute', e.ts) AS m, ${CTA_COLUMNS}
         FROM nf_new e
        WHERE ${IS_CTA_EVENT}
        GROUP BY 1, 2, 3, 4`;
  await addDeltas(m, 'analytics_cta', ctaDelta, ['cta_id', 'variant_id'], CTA_SUMS, [
    'viewers',
    'converters',
  ]);

  // Breakdowns: page views per path, session starts (and entrances) per value of the starting page.
  await m.query(
    `CREATE TEMP TABLE nf_dims_delta ON COMMIT DROP AS
     SELECT f.site_id, date_trunc('hour', f.ts) AS bucket, d.dim, left(d.value, 500) AS value,
            sum(d.pv) AS pageviews, sum(d.se) AS sessions
       FROM nf_flags f CROSS JOIN LATERAL (VALUES ${dimValues('f.properties', 'f.context', 'f.is_new::int', 'f.d_start')})
            AS d(dim, value, pv, se)
      WHERE d.pv <> 0 OR d.se <> 0
      GROUP BY 1, 2, 3, 4
     HAVING sum(d.pv) <> 0 OR sum(d.se) <> 0`,
  );
  await applyDimDeltas(m, sites);

  if (flags.ledger) await flowDeltas(m, p);

  const funnels = await rollFunnels(m, p, 'nf_new', flags.funnels);
  return passResult(m, p, funnels);
}

/**
 * Live pass over the runtime ledger (`nf_flow_touched` made by the caller): the rows stamped in the
 * window are added as minute deltas
 * (like events): a ledger row reaches its node once, a run enters at `created_at`, ends at
 * `ended_at` with its status then. Cost ∝ new ledger rows, not the size of their minutes.
 */
async function flowDeltas(m: EntityManager, p: PassParams): Promise<void> {
  const [{ n }] = await queryRows<{ n: number }>(m, `SELECT count(*)::int AS n FROM nf_flow_touched`);
  if (n === 0) return;
  for (const [table, keys, sums, hlls] of FLOW_ROLLUPS) {
    const delta = `${table.replace('analytics_', 'nf_')}_delta`;
    await m.query(`CREATE TEMP TABLE ${delta} ON COMMIT DROP AS ${FLOW_DELTAS[table]}`, p);
    await addDeltas(m, table, delta, keys, sums, hlls);
  }
}
