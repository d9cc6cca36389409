import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { FunnelRollupResult, rollFunnels } from './funnel-rollup';
import {
  addDeltas,
  arraysOf,
  deleteZeroDims,
  dropTempTables,
  HOUR_DIMS_KEEP,
  MINUTE_ROWS_KEEP,
  pruneRollups,
  record,
  rollUpSql,
  StatementTiming,
  summarizeReceivedRanges,
  timedManager,
} from './rollup-sql';

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
const WITHIN_RETENTION = `(e.ts >= now() - make_interval(days => (SELECT min(retention_days) FROM sites WHERE id = ANY($1::uuid[])))
        OR e.ts >= now() - make_interval(days => (SELECT s.retention_days FROM sites s
                                                  WHERE s.id = ANY($1::uuid[]) AND s.id = e.site_id)))`;

/**
 * Parameters of a pass's statements over raw rows: $1 its sites (one shard's on Citus), $2 their
 * watermarks (lo, in the same order), $3 the smallest lo, $4 hi (common to the pass), $5 the largest lo.
 */
type PassParams = [sites: string[], los: Date[], minLo: Date, hi: Date, maxLo: Date];

/**
 * Row `a` stamped (`col`) at or after its own site's lo: rows past the largest lo pass at once (the
 * normal case: a shard's sites advance together), rows before the smallest fail at once (the old page
 * views the live pass flags), and only rows between the smallest and the largest look their site's lo up.
 */
const SITE_LO = (a: string, col: string) =>
  `(${a}.${col} >= $5 OR (${a}.${col} >= $3 AND ${a}.${col} >= (
     SELECT w.lo FROM unnest($1::uuid[], $2::timestamptz[]) w(site_id, lo) WHERE w.site_id = ${a}.site_id)))`;
/** Row `a` of one of the pass's sites, stamped (`col`) in its site's window [lo, hi). */
const IN_WINDOW = (a: string, col: string) =>
  `${a}.site_id = ANY($1::uuid[]) AND ${a}.${col} >= $3 AND ${a}.${col} < $4 AND ${SITE_LO(a, col)}`;

/** Events received this much before their own timestamp are "late": they may re-shape later sessions. */
const LATE = `interval '2 minutes'`;

const TRAFFIC_SUMS = ['events', 'pageviews', 'sessions', 'engaged'];
const CTA_SUMS = ['views', 'clicks', 'conversions', 'closes'];
const FLOW_RUN_SUMS = ['entered', 'completed', 'converted', 'exited', 'failed'];

/** A rollup table: its keys below the bucket, its summed columns and its hll columns. */
type RollUp = [table: string, keys: string[], sums: string[], hlls: string[]];
const EVENT_ROLLUPS: RollUp[] = [
  ['analytics_traffic', [], TRAFFIC_SUMS, ['visitors']],
  ['analytics_cta', ['cta_id', 'variant_id'], CTA_SUMS, ['viewers', 'converters']],
];
const FLOW_ROLLUPS: RollUp[] = [
  ['analytics_flow_nodes', ['flow_id', 'flow_version', 'node_id'], ['reached'], []],
  ['analytics_flow_runs', ['flow_id', 'flow_version'], FLOW_RUN_SUMS, []],
  ['analytics_flow_goals', ['flow_id', 'flow_version', 'bin'], ['runs'], []],
];

/** 1 when the page view (alias `a`, with its previous page views' times p1, p2) starts a session. */
const startFlag = (a: string) => `(${a}.p1 IS NULL OR ${a}.ts - ${a}.p1 > ${SESSION_GAP})::int`;
/** 1 when it is a session's second page view (the session is engaged, not a bounce). */
const engagedFlag = (a: string) =>
  `coalesce(${a}.ts - ${a}.p1 <= ${SESSION_GAP} AND (${a}.p2 IS NULL OR ${a}.p1 - ${a}.p2 > ${SESSION_GAP}), false)::int`;

/**
 * The breakdown values of a page view, as VALUES rows (dim, value, page views, sessions): the page
 * counts page views and entrances, the other dimensions count sessions (by their starting page view).
 */
function dimValues(properties: string, context: string, pv: string, se: string): string {
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
const GOAL_BIN = `least(127, floor(4 * log(2, 1 + greatest(0, extract(epoch FROM r.ended_at - r.created_at)))))::smallint`;

/** Per flow rollup: its minute deltas from the ledger rows stamped in the window (`flowDeltas`, PassParams). */
const FLOW_DELTAS: Record<string, string> = {
  analytics_flow_nodes: `
    SELECT s.site_id, date_trunc('minute', s.created_at) AS m, s.flow_id, r.flow_version, s.node_id,
           count(*) AS reached
      FROM run_steps s JOIN runs r ON r.site_id = s.site_id AND r.id = s.run_id
     WHERE ${IN_WINDOW('s', 'created_at')} AND r.site_id = ANY($1::uuid[])
     GROUP BY 1, 2, 3, 4, 5`,
  analytics_flow_runs: `
    SELECT site_id, m, flow_id, flow_version, sum(entered) AS entered, sum(completed) AS completed,
           sum(converted) AS converted, sum(exited) AS exited, sum(failed) AS failed
      FROM (SELECT r.site_id, date_trunc('minute', r.created_at) AS m, r.flow_id, r.flow_version, 1 AS entered,
                   0 AS completed, 0 AS converted, 0 AS exited, 0 AS failed
              FROM runs r WHERE ${IN_WINDOW('r', 'created_at')}
            UNION ALL
            SELECT r.site_id, date_trunc('minute', r.ended_at), r.flow_id, r.flow_version, 0,
                   (r.status IN ('completed', 'converted'))::int, (r.status = 'converted')::int,
                   (r.status = 'exited')::int, (r.status = 'failed')::int
              FROM runs r WHERE ${IN_WINDOW('r', 'ended_at')}) x
     GROUP BY 1, 2, 3, 4`,
  analytics_flow_goals: `
    SELECT r.site_id, date_trunc('minute', r.ended_at) AS m, r.flow_id, r.flow_version, ${GOAL_BIN} AS bin,
           count(*) AS runs
      FROM runs r WHERE ${IN_WINDOW('r', 'ended_at')} AND r.status = 'converted'
     GROUP BY 1, 2, 3, 4, 5`,
};

/**
 * The rollup pass, per site and per shard (issue #20). Every site has its own watermark row
 * (`analytics_rollup_sites`: `hi`, `applied`), distributed with the site. A pass walks the sites in
 * groups — on Citus the sites of one shard, on plain PostgreSQL all sites (in chunks of
 * `GROUP_MAX`) — and rolls up each group in one transaction that first claims the group's
 * watermark rows with `FOR UPDATE SKIP LOCKED`: two workers never apply a site's window twice, and a
 * second worker takes the groups the first one has not reached (adding workers adds rollup capacity).
 * Every statement over raw or rollup rows filters by the group's sites (`site_id = ANY($1)`, one shard:
 * a router plan pushed down whole to the worker holding it); temp tables hold only what those
 * statements returned and are never joined back to a distributed table (their rows go back as array
 * parameters, or are inserted).
 *
 * Every rollup row is a function of the raw rows stamped before its site's watermark: R(hi) = events
 * with `received_at < hi` (plus the runtime ledger rows stamped before hi).
 *
 * - **Live pass** (`deltaWindow`, the site's window starts where its last pass stopped): only the rows
 *   of the window are read and their change is added, `n = n + excluded.n` and `hll_union` for
 *   uniques, to minute, hour and local-day rows. Sessions need each new page view's neighbours: per
 *   visitor, the page views from an hour before its earliest new one to an hour after its latest are
 *   flagged twice (over R(lo) and over R(hi)) and the difference is added, so a late page view that
 *   moves a later session start is exact too. Ledger rows, runs entered and runs ended in the window
 *   are added the same way (minute deltas). A pass advances the watermarks in its own transaction, so
 *   a window is applied once.
 * - **Re-run** (`rollWindow`, the window starts before `applied`, the furthest watermark ever applied:
 *   a manual rewind, or a site's first pass): every touched bucket is recomputed whole from R(hi), so
 *   re-running any window changes nothing, and hour and day buckets are rebuilt from minutes.
 *
 * `hi` stays behind every transaction still open in this database (minus a margin for the time
 * between a request's `received_at` and its transaction's start), so a slow transaction that commits
 * late with older stamps is never skipped: rows stamped before `hi` are all committed when we read them.
 */
@Injectable()
export class RollupRepository {
  /**
   * Per-statement timings of the passes (statement text → count, total and max ms), collected only
   * when `ANALYTICS_ROLLUP_TIMINGS=1` (the bench prints them; the job logs nothing more).
   */
  readonly timings = new Map<string, StatementTiming>();
  private citus: boolean | undefined;
  /** When this process last pruned a live group (keyed by its first site). */
  private readonly prunedAt = new Map<string, number>();

  constructor(private readonly db: DataSource) {}

  /**
   * One pass over every group of sites. A live window covers at most `maxWindowMs` of `received_at`,
   * so after downtime the backlog is caught up in bounded transactions (a pass each) rather than in
   * one huge one. Null when every group was being rolled up by another worker.
   */
  async advance(
    marginMs: number,
    maxWindowMs = MAX_LIVE_WINDOW_MS,
    concurrency = 1,
  ): Promise<RollupResult | null> {
    const groups = await this.siteGroups();
    const now = await this.horizon(marginMs);
    const out: RollupResult = { lo: '', hi: '', siteMinutes: 0, flowMinutes: 0, sites: 0 };
    let claimed = groups.length === 0;
    // Workers start at different groups, so two of them mostly work on different shards; up to
    // `concurrency` groups at once (on Citus each group's statements run on its shard's worker).
    const first = Math.floor(Math.random() * groups.length);
    let next = 0;
    const lane = async () => {
      while (next < groups.length) {
        const group = groups[(first + next++) % groups.length];
        const t0 = performance.now();
        const r = await this.advanceGroup(group, now, maxWindowMs);
        if (process.env.ANALYTICS_ROLLUP_TIMINGS === '1')
          record(
            this.timings,
            `(a group's whole pass${r?.siteMinutes || r?.flowMinutes ? '' : ', idle'})`,
            t0,
          );
        if (!r) continue;
        claimed = true;
        mergeResult(out, r);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, groups.length)) }, lane));
    return claimed ? out : null;
  }

  /**
   * The pass's `hi`: `least(now(), oldest xact_start of any other open transaction in this database)`
   * minus the margin, read once per pass before any group's transaction (an earlier hi is as safe: rows
   * stamped before it are committed). On Citus the coordinator's transactions: ingestion writes
   * through it.
   */
  async horizon(marginMs: number): Promise<Date> {
    const [{ hi }] = await queryRows<{ hi: Date }>(
      this.db,
      `SELECT least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                             WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                               AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL))
                - $1 * interval '1 millisecond' AS hi`,
      [marginMs],
    );
    return hi;
  }

  /**
   * The sites to roll up, grouped so that each group's statements are single-shard: on Citus by the
   * shard of `sites` holding them (co-located tables share it), read from `account_sites` (a
   * reference table: no fan-out); on plain PostgreSQL in chunks.
   */
  async siteGroups(): Promise<string[][]> {
    if (this.citus === undefined)
      this.citus =
        (await queryRows(this.db, `SELECT 1 FROM pg_extension WHERE extname = 'citus'`)).length > 0;
    const rows = await queryRows<{ site_id: string; shard: string }>(
      this.db,
      this.citus
        ? `SELECT site_id, get_shard_id_for_distribution_column('sites', site_id)::text AS shard
             FROM account_sites ORDER BY 2, 1`
        : `SELECT site_id, '' AS shard FROM account_sites ORDER BY 1`,
    );
    const groups = new Map<string, string[][]>();
    for (const r of rows) {
      const g = groups.get(r.shard) ?? [[]];
      if (g[g.length - 1].length >= GROUP_MAX) g.push([]);
      g[g.length - 1].push(r.site_id);
      groups.set(r.shard, g);
    }
    return [...groups.values()].flat().filter((g) => g.length > 0);
  }

  /**
   * One group's pass, in one transaction: claim its sites' watermarks, roll up, move them. The claim
   * also says, per site, whether anything new waits (`claim`), so a group with nothing new costs two
   * statements on its shard (claim, watermark move): on Citus each single-shard statement is a round
   * trip to a worker, and most groups are idle in most passes.
   */
  async advanceGroup(
    sites: string[],
    now: Date,
    maxWindowMs = MAX_LIVE_WINDOW_MS,
  ): Promise<RollupResult | null> {
    return this.db.transaction(async (tx) => {
      const m = process.env.ANALYTICS_ROLLUP_TIMINGS === '1' ? timedManager(tx, this.timings) : tx;
      const claimed = await claimSites(m, sites, now);
      if (claimed.length < sites.length) {
        // A site without a watermark row yet (created since the migration): it starts at 2000-01-01
        // with nothing applied, so its first pass is a re-run over its own events.
        const known = new Set(claimed.map((c) => c.site_id));
        const missing = sites.filter((s) => !known.has(s));
        const made = await queryRows<{ site_id: string }>(
          m,
          `INSERT INTO analytics_rollup_sites (site_id, hi)
           SELECT x.id, '2000-01-01T00:00:00Z' FROM unnest($1::uuid[]) x(id)
            WHERE EXISTS (SELECT 1 FROM sites s WHERE s.id = ANY($1::uuid[]) AND s.id = x.id)
           ON CONFLICT DO NOTHING RETURNING site_id`,
          [missing],
        );
        if (made.length > 0)
          claimed.push(
            ...(await claimSites(
              m,
              made.map((r) => r.site_id),
              now,
            )),
          );
      }
      if (claimed.length === 0) return null;
      const out: RollupResult = { lo: '', hi: '', siteMinutes: 0, flowMinutes: 0, sites: 0 };
      const moves: { site: string; hi: Date }[] = [];
      const isLive = (c: Claimed) => c.applied !== null && c.applied.getTime() === c.lo.getTime();
      const live = claimed.filter((c) => isLive(c) && c.lo < now);
      const rerun = claimed.filter((c) => !isLive(c) && c.lo < now);
      // Live sites with nothing new: their watermark moves to now, nothing else is read or written.
      const idle = live.filter((c) => !c.events && !c.ledger && !c.rebuild);
      for (const c of idle) moves.push({ site: c.site_id, hi: now });
      if (idle.length > 0)
        mergeResult(out, {
          lo: new Date(Math.min(...idle.map((c) => c.lo.getTime()))).toISOString(),
          hi: now.toISOString(),
          siteMinutes: 0,
          flowMinutes: 0,
          sites: idle.length,
          funnels: { funnels: 0, rebuilt: 0, visitors: 0 },
        });
      const busy = live.filter((c) => !idle.includes(c));
      if (busy.length > 0) {
        // One hi for the group: at most maxWindowMs past its oldest watermark.
        const minLo = Math.min(...busy.map((c) => c.lo.getTime()));
        const hi = new Date(Math.min(now.getTime(), minLo + maxWindowMs));
        const todo = busy.filter((c) => c.lo < hi);
        await startWork(m, claimed);
        mergeResult(out, await this.deltaWindow(m, passParams(todo, hi), flagsOf(todo)));
        for (const c of todo) moves.push({ site: c.site_id, hi });
      }
      if (rerun.length > 0) {
        if (busy.length > 0) await dropTempTables(m);
        await startWork(m, claimed);
        mergeResult(out, await this.rollWindow(m, passParams(rerun, now)));
        for (const c of rerun) moves.push({ site: c.site_id, hi: now });
      }
      // Live groups drop their expired minute rows and hour breakdowns every PRUNE_EVERY_MS (a re-run
      // already did, for its sites).
      const live0 = live[0]?.site_id;
      if (live0 && Date.now() - (this.prunedAt.get(live0) ?? 0) >= PRUNE_EVERY_MS) {
        await pruneRollups(
          m,
          live.map((c) => c.site_id),
        );
        this.prunedAt.set(live0, Date.now());
      }
      if (moves.length > 0)
        await m.query(
          `UPDATE analytics_rollup_sites w SET hi = x.hi, applied = greatest(w.applied, x.hi), updated_at = $3
             FROM unnest($1::uuid[], $2::timestamptz[]) x(site_id, hi)
            WHERE w.site_id = ANY($1::uuid[]) AND w.site_id = x.site_id`,
          [moves.map((x) => x.site), moves.map((x) => x.hi), new Date()],
        );
      return out;
    });
  }

  /**
   * Live pass: adds the change made by the events received in each site's window to every bucket,
   * given that the buckets hold exactly R(lo). Reads the window's rows and, per visitor with a new
   * page view, that visitor's page views around it (index probes), never a whole bucket.
   */
  async deltaWindow(
    m: EntityManager,
    p: PassParams,
    flags: PassFlags = { events: true, ledger: true, funnels: true },
  ): Promise<RollupResult> {
    const [sites] = p;
    if (this.citus === false) await summarizeReceivedRanges(m);
    await m.query(
      `CREATE TEMP TABLE nf_new ON COMMIT DROP AS
       SELECT e.site_id, e.id, e.ts, e.visitor_id, e.name, e.properties, e.is_bot
         FROM events e
        WHERE ${IN_WINDOW('e', 'received_at')}
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
      return this.result(m, p, await rollFunnels(m, p, 'nf_new', flags.funnels));
    // Each visitor's page views from an hour before its first new one to an hour after its last: a new
    // page view changes the session start / engagement of at most the next two page views, which lie
    // within the hour after it (see SESSION_GAP), and their flags need the two before them. On Citus
    // the window's page views are read again here (not from nf_new), so the statement stays on its shard.
    // On plain PostgreSQL from nf_new (the same rows; a temp table there joins like any table), as
    // before the per-site change.
    const windowPages = this.citus
      ? `events e WHERE ${IN_WINDOW('e', 'received_at')} AND ${WITHIN_RETENTION} AND`
      : `nf_new e WHERE $3::timestamptz IS NOT NULL AND`; // ($3: the same parameters either way)
    await m.query(
      `CREATE TEMP TABLE nf_pv ON COMMIT DROP AS
       WITH v AS (
         SELECT e.site_id, e.visitor_id, min(e.ts) AS t0, max(e.ts) AS t1 FROM ${windowPages}
                NOT e.is_bot AND e.name = '$page' GROUP BY 1, 2)
       SELECT v.site_id, v.visitor_id, v.t0, p.id, p.ts, p.is_new, p.properties, p.context
         FROM v CROSS JOIN LATERAL (
           SELECT e.id, e.ts, ${SITE_LO('e', 'received_at')} AS is_new, e.properties, e.context FROM events e
            WHERE e.site_id = ANY($1::uuid[]) AND e.site_id = v.site_id AND e.visitor_id = v.visitor_id
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
       SELECT e.site_id, date_trunc('minute', e.ts) AS m, e.properties->>'cta_id' AS cta_id,
              coalesce(e.properties->>'variant_id', '') AS variant_id,
              count(*) FILTER (WHERE e.name = 'cta_viewed') AS views,
              count(*) FILTER (WHERE e.name = 'cta_clicked') AS clicks,
              count(*) FILTER (WHERE e.name = 'cta_converted') AS conversions,
              count(*) FILTER (WHERE e.name = 'cta_closed') AS closes,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_viewed'), hll_empty(${HLL})) AS viewers,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_converted'), hll_empty(${HLL})) AS converters
         FROM nf_new e
        WHERE NOT e.is_bot AND e.name IN ('cta_viewed', 'cta_clicked', 'cta_converted', 'cta_closed')
          AND e.properties->>'cta_id' IS NOT NULL
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
    await this.applyDims(m, sites);

    if (flags.ledger) await this.flowDeltas(m, p);

    const funnels = await rollFunnels(m, p, 'nf_new', flags.funnels);
    return this.result(m, p, funnels);
  }

  /**
   * Re-run: recomputes every bucket touched by rows stamped in each site's window whole from R(hi).
   * Safe to call again for any window (idempotent); a site's first pass, and any pass after a rewind.
   */
  async rollWindow(m: EntityManager, p: PassParams): Promise<RollupResult> {
    const [sites, , , hi] = p;
    // 1. Touched (site, minute) from events; late ones also reach the next hour (sessions after them).
    // An event stamped before its site's retention touches nothing: the raw rows around it are being
    // deleted, so recomputing its bucket would replace a complete rollup with a partial one.
    await m.query(
      `CREATE TEMP TABLE nf_touched ON COMMIT DROP AS
       SELECT e.site_id, date_trunc('minute', e.ts) AS m, bool_or(e.ts < e.received_at - ${LATE}) AS late
         FROM events e
        WHERE ${IN_WINDOW('e', 'received_at')}
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
    await this.trafficMinutes(m, sites, hi, islands);
    await this.ctaMinutes(m, sites, hi, islands);
    await this.trafficDimsDays(m, sites, hi);

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
    await this.flowMinutes(m, sites, hi);
    await m.query(
      `INSERT INTO nf_hours (site_id, h)
       SELECT DISTINCT site_id, date_trunc('hour', m) FROM nf_flow_touched
       EXCEPT SELECT site_id, h FROM nf_hours`,
    );

    // 3. Hours from minutes, local days from hours.
    await this.rollUpHoursAndDays(m, sites, [...EVENT_ROLLUPS, ...FLOW_ROLLUPS]);
    await pruneRollups(m, sites);

    const funnels = await rollFunnels(m, p);
    return this.result(m, p, funnels);
  }

  /**
   * Live pass over the runtime ledger (`nf_flow_touched` made by the caller): the rows stamped in the
   * window are added as minute deltas
   * (like events): a ledger row reaches its node once, a run enters at `created_at`, ends at
   * `ended_at` with its status then. Cost ∝ new ledger rows, not the size of their minutes.
   */
  private async flowDeltas(m: EntityManager, p: PassParams): Promise<void> {
    const [{ n }] = await queryRows<{ n: number }>(m, `SELECT count(*)::int AS n FROM nf_flow_touched`);
    if (n === 0) return;
    for (const [table, keys, sums, hlls] of FLOW_ROLLUPS) {
      const delta = `${table.replace('analytics_', 'nf_')}_delta`;
      await m.query(`CREATE TEMP TABLE ${delta} ON COMMIT DROP AS ${FLOW_DELTAS[table]}`, p);
      await addDeltas(m, table, delta, keys, sums, hlls);
    }
  }

  /** Hour buckets (from minutes) and local-day buckets (from hours) of the hours in nf_hours. */
  private async rollUpHoursAndDays(m: EntityManager, sites: string[], rollUps: RollUp[]): Promise<void> {
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
   * Day breakdowns move by the change of their hours (nf_dims_delta: new minus old rows), so a pass
   * costs the touched hours, not a re-aggregation of every touched day. The hour rows inside
   * HOUR_DIMS_KEEP move in the same statement (nf_dims_delta holds one change per hour row). Rows
   * brought to zero are then deleted (only a negative change can do that).
   */
  private async applyDims(m: EntityManager, sites: string[]): Promise<void> {
    const day = `date_trunc('day', x.bucket AT TIME ZONE s.timezone) AT TIME ZONE s.timezone`;
    await m.query(
      `INSERT INTO analytics_traffic_dims AS t (site_id, grain, bucket, dim, value, pageviews, sessions)
       SELECT * FROM (
         SELECT site_id, 'hour'::text AS grain, bucket, dim, value, pageviews, sessions FROM nf_dims_delta
          WHERE bucket >= now() - ${HOUR_DIMS_KEEP}
         UNION ALL
         SELECT x.site_id, 'day', ${day}, x.dim, x.value, sum(x.pageviews), sum(x.sessions)
           FROM nf_dims_delta x JOIN nf_site_tz s ON s.site_id = x.site_id
          GROUP BY 1, 3, 4, 5
         HAVING sum(x.pageviews) <> 0 OR sum(x.sessions) <> 0) u
        ORDER BY 1, 2, 3, 4, 5
       ON CONFLICT (site_id, grain, bucket, dim, value) DO UPDATE
         SET pageviews = t.pageviews + EXCLUDED.pageviews, sessions = t.sessions + EXCLUDED.sessions`,
    );
    const gone = await arraysOf(
      m,
      `SELECT site_id, 'hour' AS grain, bucket, dim, value FROM nf_dims_delta
        WHERE bucket >= now() - ${HOUR_DIMS_KEEP} AND (pageviews < 0 OR sessions < 0)
       UNION
       SELECT x.site_id, 'day', ${day}, x.dim, x.value
         FROM nf_dims_delta x JOIN nf_site_tz s ON s.site_id = x.site_id
        WHERE x.pageviews < 0 OR x.sessions < 0`,
      ['site_id', 'grain', 'bucket', 'dim', 'value'],
    );
    await deleteZeroDims(m, sites, gone);
  }

  private async result(m: EntityManager, p: PassParams, funnels: FunnelRollupResult): Promise<RollupResult> {
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
   * Minute traffic, recomputed whole for every minute of each island. Sessions and engaged sessions
   * (a session's second page view) need the visitor's two previous page views (up to an hour before),
   * hence the per-visitor look-back; only minutes inside the island are written.
   */
  private async trafficMinutes(
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
           JOIN events e ON e.site_id = i.site_id AND e.ts >= i.lo AND e.ts < i.hi
          WHERE e.site_id = ANY($1::uuid[]) AND NOT e.is_bot AND e.received_at < $2),
       -- the look-back: each island visitor's last two page views in the hour before the island (an
       -- index probe per visitor, not a scan of the site's whole hour)
       prev AS (
         SELECT v.site_id, v.lo, p.id, p.ts, v.visitor_id, true AS is_page
           FROM (SELECT DISTINCT site_id, lo, visitor_id FROM isl WHERE is_page) v
           CROSS JOIN LATERAL (
             SELECT e.id, e.ts FROM events e
              WHERE e.site_id = ANY($1::uuid[]) AND e.site_id = v.site_id AND e.visitor_id = v.visitor_id
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

  private async ctaMinutes(m: EntityManager, sites: string[], hi: Date, islands: unknown[][]): Promise<void> {
    await m.query(
      `CREATE TEMP TABLE nf_cta_min ON COMMIT DROP AS
       SELECT e.site_id, date_trunc('minute', e.ts) AS bucket, e.properties->>'cta_id' AS cta_id,
              coalesce(e.properties->>'variant_id', '') AS variant_id,
              count(*) FILTER (WHERE e.name = 'cta_viewed') AS views,
              count(*) FILTER (WHERE e.name = 'cta_clicked') AS clicks,
              count(*) FILTER (WHERE e.name = 'cta_converted') AS conversions,
              count(*) FILTER (WHERE e.name = 'cta_closed') AS closes,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_viewed'), hll_empty(${HLL})) AS viewers,
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_converted'), hll_empty(${HLL})) AS converters
         FROM unnest($3::uuid[], $4::timestamptz[], $5::timestamptz[]) i(site_id, lo, hi)
         JOIN events e ON e.site_id = i.site_id AND e.ts >= i.lo AND e.ts < i.hi
        WHERE e.site_id = ANY($1::uuid[]) AND NOT e.is_bot
          AND e.name IN ('cta_viewed', 'cta_clicked', 'cta_converted', 'cta_closed')
          AND e.properties->>'cta_id' IS NOT NULL AND e.received_at < $2
        GROUP BY 1, 2, 3, 4`,
      [sites, hi, ...islands],
    );
    await upsertRecentMinutes(m, EVENT_ROLLUPS[1]);
  }

  /**
   * Breakdowns of every local day a re-run touches, recomputed whole from R(hi) (delete + insert: a
   * value may vanish when a late event moves a session start): day rows, and hour rows for the hours
   * still inside `HOUR_DIMS_KEEP` (older hour rows are not kept). Pages count page views and
   * entrances; the other dimensions count sessions. An hour belongs to the local day of its start.
   */
  private async trafficDimsDays(m: EntityManager, sites: string[], hi: Date): Promise<void> {
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
      `DELETE FROM analytics_traffic_dims t
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
           JOIN events e ON e.site_id = x.site_id AND e.ts >= x.d - interval '90 minutes'
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
      `INSERT INTO analytics_traffic_dims (site_id, grain, bucket, dim, value, pageviews, sessions)
       SELECT site_id, grain, bucket, dim, value, pageviews, sessions FROM nf_dims_new ORDER BY 1, 2, 3, 4, 5`,
    );
  }

  /**
   * Flow node reach (ledger rows), runs entered (created_at) and ended (ended_at) per minute, from the
   * ledger rows stamped before hi only (R(hi)): a later row is the next live pass's delta.
   */
  private async flowMinutes(m: EntityManager, sites: string[], hi: Date): Promise<void> {
    const touched = await arraysOf(m, `SELECT site_id, m FROM nf_flow_minutes`, ['site_id', 'm']);
    const params = [sites, ...touched, hi];
    const ft = `unnest($2::uuid[], $3::timestamptz[]) ft(site_id, m)`;
    await m.query(
      `INSERT INTO analytics_flow_nodes AS t (site_id, grain, bucket, flow_id, flow_version, node_id, reached)
       SELECT s.site_id, 'minute', ft.m, s.flow_id, r.flow_version, s.node_id, count(*)
         FROM ${ft}
         JOIN run_steps s ON s.site_id = ft.site_id AND s.created_at >= ft.m AND s.created_at < ft.m + interval '1 minute' AND s.created_at < $4
         JOIN runs r ON r.site_id = s.site_id AND r.id = s.run_id
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
           JOIN runs r ON r.site_id = ft.site_id AND r.created_at >= ft.m AND r.created_at < ft.m + interval '1 minute' AND r.created_at < $4
          WHERE r.site_id = ANY($1::uuid[])
         UNION ALL
         SELECT r.site_id, ft.m, r.flow_id, r.flow_version, 0, (r.status IN ('completed', 'converted'))::int,
                (r.status = 'converted')::int, (r.status = 'exited')::int, (r.status = 'failed')::int
           FROM ${ft}
           JOIN runs r ON r.site_id = ft.site_id AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute' AND r.ended_at < $4
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
         JOIN runs r ON r.site_id = ft.site_id AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute' AND r.ended_at < $4
        WHERE r.site_id = ANY($1::uuid[]) AND r.status = 'converted'
        GROUP BY 1, 3, 4, 5, 6`,
      params,
    );
  }
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

/** How often a live group's expired minute rows and hour breakdowns are deleted (`pruneRollups`). */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Sites per pass transaction on plain PostgreSQL (on Citus a shard's sites, chunked the same way). */
const GROUP_MAX = 2_000;

interface Claimed {
  site_id: string;
  lo: Date;
  applied: Date | null;
  timezone: string;
  /** Events received in [lo, now): the site has something to roll up. */
  events: boolean;
  /** Runtime ledger rows (steps, runs created or ended) stamped in [lo, now). */
  ledger: boolean;
  /** Whether the site has saved funnels, and whether one waits for a rebuild. */
  funnels: boolean;
  rebuild: boolean;
}

/** What the live pass's sites have (from the claim): what it may skip on the way. */
export interface PassFlags {
  events: boolean;
  ledger: boolean;
  funnels: boolean;
}

const flagsOf = (cs: Claimed[]): PassFlags => ({
  events: cs.some((c) => c.events),
  ledger: cs.some((c) => c.ledger),
  funnels: cs.some((c) => c.funnels),
});

/**
 * Claims the watermark rows of `sites` not being rolled up elsewhere (`FOR UPDATE SKIP LOCKED`) and
 * tells, per site, whether anything was stamped since its watermark (one scan per raw table from the
 * group's smallest live watermark: a site with rows between that and its own is only a false "busy"),
 * its time zone and its funnels: one single-shard statement.
 */
async function claimSites(m: EntityManager, sites: string[], now: Date): Promise<Claimed[]> {
  const since = (t: string, col: string) =>
    `w.site_id IN (SELECT x.site_id FROM ${t} x WHERE x.site_id = ANY($1::uuid[]) AND x.${col} >= (TABLE lo) AND x.${col} < $2)`;
  return queryRows<Claimed>(
    m,
    `WITH lo AS (SELECT coalesce(min(hi), $2) FROM analytics_rollup_sites
                  WHERE site_id = ANY($1::uuid[]) AND applied = hi)
     SELECT w.site_id, w.hi AS lo, w.applied,
            (SELECT s.timezone FROM sites s WHERE s.id = ANY($1::uuid[]) AND s.id = w.site_id) AS timezone,
            ${since('events', 'received_at')} AS events,
            (${since('run_steps', 'created_at')} OR ${since('runs', 'created_at')} OR ${since('runs', 'ended_at')}) AS ledger,
            w.site_id IN (SELECT f.site_id FROM analytics_funnels f WHERE f.site_id = ANY($1::uuid[])) AS funnels,
            w.site_id IN (SELECT f.site_id FROM analytics_funnels f WHERE f.site_id = ANY($1::uuid[])
                             AND f.built_version IS DISTINCT FROM f.version) AS rebuild
       FROM analytics_rollup_sites w
      WHERE w.site_id = ANY($1::uuid[]) ORDER BY w.site_id FOR UPDATE OF w SKIP LOCKED`,
    [sites, now],
  );
}

/**
 * Before a group's first rollup statement, in one round trip: `nf_site_tz` from the claim, and no JIT
 * for the rest of the transaction (`SET LOCAL jit = off`, see README).
 */
async function startWork(m: EntityManager, claimed: Claimed[]): Promise<void> {
  await m.query(
    `CREATE TEMP TABLE IF NOT EXISTS nf_site_tz ON COMMIT DROP AS
     SELECT x.* FROM unnest($1::uuid[], $2::text[]) x(site_id, timezone), (SELECT set_config('jit', 'off', true)) j`,
    [claimed.map((c) => c.site_id), claimed.map((c) => c.timezone)],
  );
}

function passParams(claimed: Claimed[], hi: Date): PassParams {
  const los = claimed.map((c) => c.lo.getTime());
  return [
    claimed.map((c) => c.site_id),
    claimed.map((c) => c.lo),
    new Date(Math.min(...los)),
    hi,
    new Date(Math.max(...los)),
  ];
}

function mergeResult(out: RollupResult, r: RollupResult): void {
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

/**
 * `nf_flow_touched`: every (site, minute) the runtime ledger rows stamped in the window fall in; empty
 * without reading the ledger when `p` is null (the claim found no ledger row in the window).
 */
async function createFlowTouched(m: EntityManager, p: PassParams | null): Promise<void> {
  if (!p) {
    await m.query(`CREATE TEMP TABLE nf_flow_touched (site_id uuid, m timestamptz) ON COMMIT DROP`);
    return;
  }
  await m.query(
    `CREATE TEMP TABLE nf_flow_touched ON COMMIT DROP AS
       SELECT s.site_id, date_trunc('minute', s.created_at) AS m FROM run_steps s WHERE ${IN_WINDOW('s', 'created_at')}
       UNION SELECT r.site_id, date_trunc('minute', r.created_at) FROM runs r WHERE ${IN_WINDOW('r', 'created_at')}
       UNION SELECT r.site_id, date_trunc('minute', r.ended_at) FROM runs r WHERE ${IN_WINDOW('r', 'ended_at')}`,
    p,
  );
}
