import { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { eventsReceivedSql } from '../ingest/events.sql';
import { RunStamp, runStepsWrittenSql, runsStampedSql } from '../runtime/runs.sql';
import { minRetentionDaysSql, siteRetentionDaysSql } from '../sites/site.sql';
import { FunnelRollupResult } from './funnel-rollup';

/**
 * What the rollup pass's parts share (rollup.repository.ts claims and walks the groups, rollup-live.ts
 * adds a window's change, rollup-rerun.ts recomputes touched buckets, breakdowns.ts packs breakdowns):
 * its parameters, the rollup tables' columns, and the SQL pieces both ways compute with.
 */
export interface RollupResult {
  lo: string;
  hi: string;
  siteMinutes: number;
  flowMinutes: number;
  /** Sites whose watermark the pass moved. */
  sites?: number;
  /** Saved funnels advanced (and rebuilt from raw events after a definition change). */
  funnels?: FunnelRollupResult;
}

/** hll parameters of every rollup column: 2^14 registers (~0.8 % error), explicit below ~1,000 ids. */
export const HLL = `14, 5, -1, 1`;
const VISITOR_HASH = `hll_hash_text(e.visitor_id::text)`;

/** Default of ANALYTICS_ROLLUP_MAX_WINDOW_MS: the most `received_at` time one live pass covers. */
export const MAX_LIVE_WINDOW_MS = 300_000;

/** A session starts at a page view with no page view of the same visitor in the 30 minutes before. */
export const SESSION_GAP = `interval '30 minutes'`;

/**
 * An event (alias `e`) stamped within its site's retention. Rows newer than the shortest retention of
 * any site pass on the first test (one InitPlan); only older ones look their site up. Joined to
 * `sites` instead, the planner (which estimates a live window at a row or two per partition) nested
 * the window's rows inside every site: ~15 M comparisons per pass at 5,000 events/s.
 */
export const WITHIN_RETENTION = `(e.ts >= now() - make_interval(days => ${minRetentionDaysSql('$1::uuid[]')})
        OR e.ts >= now() - make_interval(days => ${siteRetentionDaysSql('e.site_id', '$1::uuid[]')}))`;

/**
 * Parameters of a pass's statements over raw rows: $1 its sites (one shard's on Citus), $2 their
 * watermarks (lo, in the same order), $3 the smallest lo, $4 hi (common to the pass), $5 the largest lo.
 */
export type PassParams = [sites: string[], los: Date[], minLo: Date, hi: Date, maxLo: Date];

/**
 * Row `a` stamped (`col`) at or after its own site's lo: rows past the largest lo pass at once (the
 * normal case: a shard's sites advance together), rows before the smallest fail at once (the old page
 * views the live pass flags), and only rows between the smallest and the largest look their site's lo up.
 */
export const SITE_LO = (a: string, col: string) =>
  `(${a}.${col} >= $5 OR (${a}.${col} >= $3 AND ${a}.${col} >= (
     SELECT w.lo FROM unnest($1::uuid[], $2::timestamptz[]) w(site_id, lo) WHERE w.site_id = ${a}.site_id)))`;
/** Row `a` of one of the pass's sites, stamped (`col`) in its site's window [lo, hi). */
export const IN_WINDOW = (a: string, col: string) =>
  `${a}.site_id = ANY($1::uuid[]) AND ${a}.${col} >= $3 AND ${a}.${col} < $4 AND ${SITE_LO(a, col)}`;
/**
 * A raw table's rows in their site's window, as a FROM item: `read(sites, lo, hi)` is the owner's
 * fragment (its rows of `sites` stamped in [lo, hi), `… WHERE` site and stamp conditions, e.g.
 * `ingest/events.sql.ts`, `runtime/runs.sql.ts`), continued with each site's own lo (`a.col` the
 * stamp it reads). The same conditions as `FROM table a WHERE IN_WINDOW(a, col)`.
 */
export const WINDOW_ROWS = (
  read: (sites: string, lo: string, hi: string) => string,
  a: string,
  col: string,
) => `${read('$1::uuid[]', '$3', '$4')} AND ${SITE_LO(a, col)}`;

/** Events received this much before their own timestamp are "late": they may re-shape later sessions. */
export const LATE = `interval '2 minutes'`;

export const TRAFFIC_SUMS = ['events', 'pageviews', 'sessions', 'engaged'];
export const CTA_SUMS = ['views', 'clicks', 'conversions', 'closes'];
export const FLOW_RUN_SUMS = ['entered', 'completed', 'converted', 'exited', 'failed'];

/** A rollup table: its keys below the bucket, its summed columns and its hll columns. */
export type RollUp = [table: string, keys: string[], sums: string[], hlls: string[]];
export const EVENT_ROLLUPS: RollUp[] = [
  ['analytics_traffic', [], TRAFFIC_SUMS, ['visitors']],
  ['analytics_cta', ['cta_id', 'variant_id'], CTA_SUMS, ['viewers', 'converters']],
];
export const FLOW_ROLLUPS: RollUp[] = [
  ['analytics_flow_nodes', ['flow_id', 'flow_version', 'node_id'], ['reached'], []],
  ['analytics_flow_runs', ['flow_id', 'flow_version'], FLOW_RUN_SUMS, []],
  ['analytics_flow_goals', ['flow_id', 'flow_version', 'bin'], ['runs'], []],
];

/** 1 when the page view (alias `a`, with its previous page views' times p1, p2) starts a session. */
export const startFlag = (a: string) => `(${a}.p1 IS NULL OR ${a}.ts - ${a}.p1 > ${SESSION_GAP})::int`;
/** 1 when it is a session's second page view (the session is engaged, not a bounce). */
export const engagedFlag = (a: string) =>
  `coalesce(${a}.ts - ${a}.p1 <= ${SESSION_GAP} AND (${a}.p2 IS NULL OR ${a}.p1 - ${a}.p2 > ${SESSION_GAP}), false)::int`;

/**
 * The breakdown values of a page view, as VALUES rows (dim, value, page views, sessions): the page
 * counts page views and entrances, the other dimensions count sessions (by their starting page view).
 */
export function dimValues(properties: string, context: string, pv: string, se: string): string {
  return `('page', coalesce(nullif(${properties}->>'path', ''), '(unknown)'), ${pv}, ${se}),
           ('referrer', coalesce(nullif(substring(${properties}->>'referrer' FROM '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)'), ''),
                                 '(direct)'), 0, ${se}),
           ('utm_source', coalesce(nullif(${context}->'campaign'->>'source', ''),
                                   substring(${properties}->>'url' FROM '[?&]utm_source=([^&#]+)'), '(none)'), 0, ${se}),
           ('device', coalesce(nullif(lower(${context}->'device'->>'type'), ''),
                               CASE WHEN ${context}->>'userAgent' IS NULL THEN '(unknown)'
                                    WHEN ${context}->>'userAgent' ~* 'ipad|tablet' THEN 'tablet'
                                    WHEN ${context}->>'userAgent' ~* 'mobi|iphone|android' THEN 'mobile'
                                    ELSE 'desktop' END), 0, ${se}),
           ('country', coalesce(upper(nullif(${context}->'location'->>'country', '')), '(unknown)'), 0, ${se})`;
}

/** SQL twin of goal-bins.ts `binOf`. */
export const GOAL_BIN = `least(127, floor(4 * log(2, 1 + greatest(0, extract(epoch FROM r.ended_at - r.created_at)))))::smallint`;

/** What the live pass's sites have (from the claim): what it may skip on the way. */
export interface PassFlags {
  events: boolean;
  ledger: boolean;
  funnels: boolean;
}

export function mergeResult(out: RollupResult, r: RollupResult): void {
  if (r.lo && (!out.lo || r.lo < out.lo)) out.lo = r.lo;
  if (r.hi && (!out.hi || r.hi < out.hi)) out.hi = r.hi; // every site of the pass is rolled up to hi
  out.siteMinutes += r.siteMinutes;
  out.flowMinutes += r.flowMinutes;
  out.sites = (out.sites ?? 0) + (r.sites ?? 0);
  if (r.funnels) {
    const f = (out.funnels ??= { funnels: 0, rebuilt: 0, visitors: 0 });
    f.funnels += r.funnels.funnels;
    f.rebuilt += r.funnels.rebuilt;
    f.visitors += r.funnels.visitors;
  }
}

/** Ingest's window read (`ingest/events.sql.ts`) for WINDOW_ROWS: events by `received_at`. */
export const received = (a: string) => (sites: string, lo: string, hi: string) =>
  eventsReceivedSql(a, lo, hi, sites);
/** The runtime's window reads (`runtime/runs.sql.ts`) for WINDOW_ROWS: ledger rows, runs by stamp. */
export const steps = (a: string) => (sites: string, lo: string, hi: string) =>
  runStepsWrittenSql(a, sites, lo, hi);
export const runs = (a: string, stamp: RunStamp) => (sites: string, lo: string, hi: string) =>
  runsStampedSql(a, stamp, sites, lo, hi);

/**
 * `nf_flow_touched`: every (site, minute) the runtime ledger rows stamped in the window fall in; empty
 * without reading the ledger when `p` is null (the claim found no ledger row in the window).
 */
export async function createFlowTouched(m: EntityManager, p: PassParams | null): Promise<void> {
  if (!p) {
    await m.query(`CREATE TEMP TABLE nf_flow_touched (site_id uuid, m timestamptz) ON COMMIT DROP`);
    return;
  }
  await m.query(
    `CREATE TEMP TABLE nf_flow_touched ON COMMIT DROP AS
       SELECT s.site_id, date_trunc('minute', s.created_at) AS m FROM ${WINDOW_ROWS(steps('s'), 's', 'created_at')}
       UNION SELECT r.site_id, date_trunc('minute', r.created_at) FROM ${WINDOW_ROWS(runs('r', 'created_at'), 'r', 'created_at')}
       UNION SELECT r.site_id, date_trunc('minute', r.ended_at) FROM ${WINDOW_ROWS(runs('r', 'ended_at'), 'r', 'ended_at')}`,
    p,
  );
}

/** A pass's result: its window, the (site, minute)s it touched (`nf_touched`, `nf_flow_touched`). */
export async function passResult(
  m: EntityManager,
  p: PassParams,
  funnels: FunnelRollupResult,
): Promise<RollupResult> {
  const [counts] = await queryRows<{ site: string; flow: string }>(
    m,
    `SELECT (SELECT count(*) FROM nf_touched) AS site, (SELECT count(*) FROM nf_flow_touched) AS flow`,
  );
  return {
    lo: p[2].toISOString(),
    hi: p[3].toISOString(),
    siteMinutes: Number(counts.site),
    flowMinutes: Number(counts.flow),
    sites: p[0].length,
    funnels,
  };
}

/**
 * A CTA rollup row's columns from CTA events (alias `e`), after its site and bucket: the live pass's
 * delta and the re-run's minutes select the same ones (and filter with IS_CTA_EVENT).
 */
export const CTA_COLUMNS = `e.properties->>'cta_id' AS cta_id, coalesce(e.properties->>'variant_id', '') AS variant_id,
              count(*) FILTER (WHERE e.name = 'cta_viewed') AS views,
              count(*) FILTER (WHERE e.name = 'cta_clicked') AS clicks,
              count(*) FILTER (WHERE e.name = 'cta_converted') AS conversions,
              count(*) FILTER (WHERE e.name = 'cta_closed') AS closes,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_viewed'), hll_empty(${HLL})) AS viewers,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_converted'), hll_empty(${HLL})) AS converters`;
export const IS_CTA_EVENT = `NOT e.is_bot AND e.name IN ('cta_viewed', 'cta_clicked', 'cta_converted', 'cta_closed')
          AND e.properties->>'cta_id' IS NOT NULL`;
