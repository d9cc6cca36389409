import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { FunnelRollupResult, rollFunnels } from './funnel-rollup';

export interface RollupResult {
  lo: string;
  hi: string;
  siteMinutes: number;
  flowMinutes: number;
  /** Saved funnels advanced (and rebuilt from raw events after a definition change). */
  funnels?: FunnelRollupResult;
}

/** hll parameters of every rollup column: 2^14 registers (~0.8 % error), explicit below ~1,000 ids. */
export const HLL = `14, 5, -1, 1`;
const VISITOR_HASH = `hll_hash_text(e.visitor_id::text)`;

/** A session starts at a page view with no page view of the same visitor in the 30 minutes before. */
export const SESSION_GAP = `interval '30 minutes'`;

/** Default of ANALYTICS_DIMS_REFRESH_MS: an open hour's breakdowns are recomputed at most this often. */
export const DIMS_REFRESH_MS = 60_000;

/** Events received this much before their own timestamp are "late": they may re-shape later sessions. */
const LATE = `interval '2 minutes'`;

const TRAFFIC_SUMS = ['events', 'pageviews', 'sessions', 'engaged'];
const CTA_SUMS = ['views', 'clicks', 'conversions', 'closes'];
const FLOW_RUN_SUMS = ['entered', 'completed', 'converted', 'exited', 'failed'];

/** SQL twin of goal-bins.ts `binOf`. */
const GOAL_BIN = `least(127, floor(4 * log(2, 1 + greatest(0, extract(epoch FROM r.ended_at - r.created_at)))))::smallint`;

/**
 * The rollup pass. One transaction per window [lo, hi) of `received_at` (events) and `created_at` /
 * `ended_at` (runtime ledger): find the (site, minute) buckets the window touched, recompute those
 * buckets whole from raw rows, then recompute the hour and day buckets above them from the minute
 * rows. Nothing is incremented, so re-running any window yields the same rows, and a late event is
 * simply a touch on an old bucket.
 *
 * `hi` stays behind every transaction still open in this database (minus a margin for the time
 * between a request's `received_at` and its commit), so a slow transaction that commits late with
 * older timestamps is never skipped: rows stamped before `hi` are all committed when we read them.
 */
@Injectable()
export class RollupRepository {
  constructor(private readonly db: DataSource) {}

  async advance(marginMs: number, dimsRefreshMs = DIMS_REFRESH_MS): Promise<RollupResult | null> {
    return this.db.transaction(async (m) => {
      const [lock] = await queryRows<{ ok: boolean }>(
        m,
        `SELECT pg_try_advisory_xact_lock(hashtext('nf_analytics_rollup')) AS ok`,
      );
      if (!lock.ok) return null; // another worker is rolling up right now
      const [w] = await queryRows<{ lo: Date; hi: Date }>(
        m,
        `SELECT w.hi AS lo,
                least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a
                               WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                                 AND a.pid <> pg_backend_pid() AND a.xact_start IS NOT NULL))
                  - $1 * interval '1 millisecond' AS hi
           FROM analytics_watermarks w WHERE w.name = 'rollups' FOR UPDATE`,
        [marginMs],
      );
      if (!w || w.hi <= w.lo)
        return { lo: w?.lo?.toISOString() ?? '', hi: '', siteMinutes: 0, flowMinutes: 0 };
      const result = await this.rollWindow(m, w.lo, w.hi, dimsRefreshMs);
      await m.query(`UPDATE analytics_watermarks SET hi = $1, updated_at = now() WHERE name = 'rollups'`, [
        w.hi,
      ]);
      return result;
    });
  }

  /** Recomputes every bucket touched by rows stamped in [lo, hi). Safe to call again for any window. */
  async rollWindow(
    m: EntityManager,
    lo: Date,
    hi: Date,
    dimsRefreshMs = DIMS_REFRESH_MS,
  ): Promise<RollupResult> {
    // 1. Touched (site, minute) from events; late ones also reach the next hour (sessions after them).
    // An event stamped before its site's retention touches nothing: the raw rows around it are being
    // deleted, so recomputing its bucket would replace a complete rollup with a partial one.
    await m.query(
      `CREATE TEMP TABLE nf_touched ON COMMIT DROP AS
       SELECT e.site_id, date_trunc('minute', e.ts) AS m, bool_or(e.ts < e.received_at - ${LATE}) AS late
         FROM events e JOIN sites s ON s.id = e.site_id
        WHERE e.received_at >= $1 AND e.received_at < $2
          AND e.ts >= now() - make_interval(days => s.retention_days)
        GROUP BY 1, 2`,
      [lo, hi],
    );
    // Islands: merged minute ranges per site, so a range is scanned once, not once per minute.
    await m.query(
      `CREATE TEMP TABLE nf_islands ON COMMIT DROP AS
       WITH r AS (
         SELECT site_id, m AS lo, m + CASE WHEN late THEN interval '61 minutes' ELSE interval '1 minute' END AS hi
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
    // Breakdowns exist only at hour grain and are recomputed for whole hours. A touched hour is marked
    // dirty; a dirty hour is recomputed when first touched, once it is over (the watermark passed its
    // end), or when its last recompute is older than dimsRefreshMs — so a hot site's open hour is not
    // re-read on every pass (its breakdowns lag by at most dimsRefreshMs; minute traffic does not).
    await m.query(
      `INSERT INTO analytics_dims_hours (site_id, hour, dirty) SELECT site_id, h, true FROM nf_hours
       ON CONFLICT (site_id, hour) DO UPDATE SET dirty = true`,
    );
    await m.query(
      `CREATE TEMP TABLE nf_dim_hours ON COMMIT DROP AS
       SELECT site_id, hour AS h FROM analytics_dims_hours
        WHERE dirty AND (refreshed_at IS NULL OR hour + interval '1 hour' <= $1
                         OR refreshed_at <= now() - $2 * interval '1 millisecond')`,
      [hi, dimsRefreshMs],
    );
    await m.query(
      `UPDATE analytics_dims_hours d SET dirty = false, refreshed_at = now()
         FROM nf_dim_hours n WHERE d.site_id = n.site_id AND d.hour = n.h`,
    );
    await m.query(`DELETE FROM analytics_dims_hours WHERE NOT dirty AND hour < now() - interval '2 days'`);
    // Hour islands of the hours due: merged.
    await m.query(
      `CREATE TEMP TABLE nf_hour_islands ON COMMIT DROP AS
       WITH o AS (
         SELECT site_id, h, CASE WHEN lag(h) OVER (PARTITION BY site_id ORDER BY h) = h - interval '1 hour'
                                 THEN 0 ELSE 1 END AS brk FROM nf_dim_hours),
       g AS (SELECT *, sum(brk) OVER (PARTITION BY site_id ORDER BY h) AS grp FROM o)
       SELECT site_id, min(h) AS lo, max(h) + interval '1 hour' AS hi FROM g GROUP BY site_id, grp`,
    );

    await this.trafficMinutes(m);
    await this.ctaMinutes(m);
    await this.trafficDimsHours(m);

    // 2. Runtime ledger: touched (site, minute) of steps written, runs started and runs ended.
    await m.query(
      `CREATE TEMP TABLE nf_flow_touched ON COMMIT DROP AS
       SELECT site_id, date_trunc('minute', created_at) AS m FROM run_steps WHERE created_at >= $1 AND created_at < $2
       UNION SELECT site_id, date_trunc('minute', created_at) FROM runs WHERE created_at >= $1 AND created_at < $2
       UNION SELECT site_id, date_trunc('minute', ended_at) FROM runs WHERE ended_at >= $1 AND ended_at < $2`,
      [lo, hi],
    );
    await this.flowMinutes(m);
    await m.query(
      `INSERT INTO nf_hours (site_id, h)
       SELECT DISTINCT site_id, date_trunc('hour', m) FROM nf_flow_touched
       EXCEPT SELECT site_id, h FROM nf_hours`,
    );

    // 3. Hours from minutes, local days from hours.
    await m.query(
      `CREATE TEMP TABLE nf_days ON COMMIT DROP AS
       SELECT DISTINCT h.site_id,
              date_trunc('day', h.h AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS d,
              (date_trunc('day', h.h AT TIME ZONE s.timezone) + interval '1 day') AT TIME ZONE s.timezone AS d_end
         FROM nf_hours h JOIN sites s ON s.id = h.site_id`,
    );
    const rollUps: [string, string[], string[], string[]][] = [
      ['analytics_traffic', [], TRAFFIC_SUMS, ['visitors']],
      ['analytics_cta', ['cta_id', 'variant_id'], CTA_SUMS, ['viewers', 'converters']],
      ['analytics_flow_nodes', ['flow_id', 'flow_version', 'node_id'], ['reached'], []],
      ['analytics_flow_runs', ['flow_id', 'flow_version'], FLOW_RUN_SUMS, []],
      ['analytics_flow_goals', ['flow_id', 'flow_version', 'bin'], ['runs'], []],
    ];
    for (const [table, keys, sums, hlls] of rollUps) {
      await m.query(rollUpSql(table, keys, sums, hlls, 'hour'));
      await m.query(rollUpSql(table, keys, sums, hlls, 'day'));
    }
    // Day breakdowns move by the change of their recomputed hours (new rows minus old rows), so a pass
    // costs the touched hours, not a re-aggregation of every touched day; a re-run's change is zero.
    await m.query(
      `WITH d AS (
         SELECT x.site_id, date_trunc('day', x.bucket AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS day,
                x.dim, x.value, sum(x.pageviews) AS pageviews, sum(x.sessions) AS sessions
           FROM nf_dims_delta x JOIN sites s ON s.id = x.site_id
          GROUP BY 1, 2, 3, 4
         HAVING sum(x.pageviews) <> 0 OR sum(x.sessions) <> 0)
       INSERT INTO analytics_traffic_dims AS t (site_id, grain, bucket, dim, value, pageviews, sessions)
       SELECT site_id, 'day', day, dim, value, pageviews, sessions FROM d
       ON CONFLICT (site_id, grain, bucket, dim, value) DO UPDATE
         SET pageviews = t.pageviews + EXCLUDED.pageviews, sessions = t.sessions + EXCLUDED.sessions`,
    );
    await m.query(
      `DELETE FROM analytics_traffic_dims t
        USING (SELECT DISTINCT x.site_id, date_trunc('day', x.bucket AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS day,
                      x.dim, x.value
                 FROM nf_dims_delta x JOIN sites s ON s.id = x.site_id) d
        WHERE t.site_id = d.site_id AND t.grain = 'day' AND t.bucket = d.day AND t.dim = d.dim AND t.value = d.value
          AND t.pageviews = 0 AND t.sessions = 0`,
    );

    const funnels = await rollFunnels(m, lo, hi);

    const [counts] = await queryRows<{ site: string; flow: string }>(
      m,
      `SELECT (SELECT count(*) FROM nf_touched) AS site, (SELECT count(*) FROM nf_flow_touched) AS flow`,
    );
    return {
      lo: lo.toISOString(),
      hi: hi.toISOString(),
      siteMinutes: Number(counts.site),
      flowMinutes: Number(counts.flow),
      funnels,
    };
  }

  /**
   * Minute traffic, recomputed whole for every minute of each island. Sessions and engaged sessions
   * (a session's second page view) need the visitor's two previous page views (up to an hour before),
   * hence the per-visitor look-back; only minutes inside the island are written.
   */
  private async trafficMinutes(m: EntityManager): Promise<void> {
    await m.query(
      `WITH isl AS (
         SELECT i.site_id, i.lo, e.id, e.ts, e.visitor_id, (e.name = '$page') AS is_page
           FROM nf_islands i
           JOIN events e ON e.site_id = i.site_id AND e.ts >= i.lo AND e.ts < i.hi
          WHERE NOT e.is_bot),
       -- the look-back: each island visitor's last two page views in the hour before the island (an
       -- index probe per visitor, not a scan of the site's whole hour)
       prev AS (
         SELECT v.site_id, v.lo, p.id, p.ts, v.visitor_id, true AS is_page
           FROM (SELECT DISTINCT site_id, lo, visitor_id FROM isl WHERE is_page) v
           CROSS JOIN LATERAL (
             SELECT e.id, e.ts FROM events e
              WHERE e.site_id = v.site_id AND e.visitor_id = v.visitor_id AND e.ts >= v.lo - interval '60 minutes'
                AND e.ts < v.lo AND e.name = '$page' AND NOT e.is_bot
              ORDER BY e.ts DESC, e.id DESC LIMIT 2) p),
       ev AS (SELECT * FROM isl UNION ALL SELECT * FROM prev),
       f AS (
         SELECT ev.*, lag(ts, 1) OVER w AS p1, lag(ts, 2) OVER w AS p2
           FROM ev WINDOW w AS (PARTITION BY site_id, lo, visitor_id, is_page ORDER BY ts, id))
       INSERT INTO analytics_traffic AS t (site_id, grain, bucket, events, pageviews, sessions, engaged, visitors)
       SELECT site_id, 'minute', date_trunc('minute', ts), count(*),
              count(*) FILTER (WHERE is_page),
              count(*) FILTER (WHERE is_page AND (p1 IS NULL OR ts - p1 > ${SESSION_GAP})),
              count(*) FILTER (WHERE is_page AND ts - p1 <= ${SESSION_GAP} AND (p2 IS NULL OR p1 - p2 > ${SESSION_GAP})),
              hll_add_agg(hll_hash_text(visitor_id::text), ${HLL})
         FROM f WHERE ts >= lo
        GROUP BY site_id, date_trunc('minute', ts)
       ON CONFLICT (site_id, grain, bucket) DO UPDATE
         SET events = EXCLUDED.events, pageviews = EXCLUDED.pageviews, sessions = EXCLUDED.sessions,
             engaged = EXCLUDED.engaged, visitors = EXCLUDED.visitors`,
    );
  }

  private async ctaMinutes(m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO analytics_cta AS t (site_id, grain, bucket, cta_id, variant_id, views, clicks, conversions, closes,
                                       viewers, converters)
       SELECT e.site_id, 'minute', date_trunc('minute', e.ts), e.properties->>'cta_id',
              coalesce(e.properties->>'variant_id', ''),
              count(*) FILTER (WHERE e.name = 'cta_viewed'),
              count(*) FILTER (WHERE e.name = 'cta_clicked'),
              count(*) FILTER (WHERE e.name = 'cta_converted'),
              count(*) FILTER (WHERE e.name = 'cta_closed'),
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_viewed'), hll_empty(${HLL})),
              coalesce(hll_add_agg(${VISITOR_HASH}, ${HLL}) FILTER (WHERE e.name = 'cta_converted'), hll_empty(${HLL}))
         FROM nf_islands i
         JOIN events e ON e.site_id = i.site_id AND e.ts >= i.lo AND e.ts < i.hi
        WHERE NOT e.is_bot AND e.name IN ('cta_viewed', 'cta_clicked', 'cta_converted', 'cta_closed')
          AND e.properties->>'cta_id' IS NOT NULL
        GROUP BY 1, 3, 4, 5
       ON CONFLICT (site_id, grain, bucket, cta_id, variant_id) DO UPDATE
         SET views = EXCLUDED.views, clicks = EXCLUDED.clicks, conversions = EXCLUDED.conversions,
             closes = EXCLUDED.closes, viewers = EXCLUDED.viewers, converters = EXCLUDED.converters`,
    );
  }

  /**
   * Hourly breakdowns, recomputed whole (delete + insert: a value may vanish when a late event moves a
   * session start). Pages count page views and entrances; the other dimensions count sessions.
   */
  private async trafficDimsHours(m: EntityManager): Promise<void> {
    await m.query(
      `CREATE TEMP TABLE nf_dims_delta (site_id uuid, bucket timestamptz, dim text, value text, pageviews bigint,
                                        sessions bigint) ON COMMIT DROP`,
    );
    await m.query(
      `WITH gone AS (
         DELETE FROM analytics_traffic_dims t USING nf_dim_hours h
          WHERE t.site_id = h.site_id AND t.grain = 'hour' AND t.bucket = h.h
         RETURNING t.site_id, t.bucket, t.dim, t.value, t.pageviews, t.sessions)
       INSERT INTO nf_dims_delta SELECT site_id, bucket, dim, value, -pageviews, -sessions FROM gone`,
    );
    await m.query(
      `WITH ev AS (
         SELECT i.site_id, i.lo, e.id, e.ts, e.visitor_id, e.properties, e.context
           FROM nf_hour_islands i
           JOIN events e ON e.site_id = i.site_id AND e.ts >= i.lo - ${SESSION_GAP} AND e.ts < i.hi
          WHERE NOT e.is_bot AND e.name = '$page'),
       f AS (
         SELECT ev.*, lag(ts) OVER (PARTITION BY site_id, lo, visitor_id ORDER BY ts, id) AS p1 FROM ev),
       s AS (SELECT f.*, (p1 IS NULL OR ts - p1 > ${SESSION_GAP}) AS is_start FROM f WHERE ts >= lo),
       ins AS (
       INSERT INTO analytics_traffic_dims (site_id, grain, bucket, dim, value, pageviews, sessions)
       SELECT site_id, 'hour', date_trunc('hour', ts), d.dim, left(d.value, 500), sum(d.pv), sum(d.se)
         FROM s CROSS JOIN LATERAL (VALUES
           ('page', coalesce(nullif(properties->>'path', ''), '(unknown)'), 1, is_start::int),
           ('referrer', coalesce(nullif(substring(properties->>'referrer' FROM '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#:]+)'), ''),
                                 '(direct)'), 0, 1),
           ('utm_source', coalesce(nullif(context->'campaign'->>'source', ''),
                                   substring(properties->>'url' FROM '[?&]utm_source=([^&#]+)'), '(none)'), 0, 1),
           ('device', coalesce(nullif(lower(context->'device'->>'type'), ''),
                               CASE WHEN context->>'userAgent' IS NULL THEN '(unknown)'
                                    WHEN context->>'userAgent' ~* 'ipad|tablet' THEN 'tablet'
                                    WHEN context->>'userAgent' ~* 'mobi|iphone|android' THEN 'mobile'
                                    ELSE 'desktop' END), 0, 1),
           ('country', coalesce(upper(nullif(context->'location'->>'country', '')), '(unknown)'), 0, 1)
         ) AS d(dim, value, pv, se)
        WHERE d.dim = 'page' OR is_start
        GROUP BY site_id, date_trunc('hour', ts), d.dim, left(d.value, 500)
       RETURNING site_id, bucket, dim, value, pageviews, sessions)
       INSERT INTO nf_dims_delta SELECT * FROM ins`,
    );
  }

  /** Flow node reach (ledger rows), runs entered (created_at) and ended (ended_at) per minute. */
  private async flowMinutes(m: EntityManager): Promise<void> {
    await m.query(
      `INSERT INTO analytics_flow_nodes AS t (site_id, grain, bucket, flow_id, flow_version, node_id, reached)
       SELECT s.site_id, 'minute', ft.m, s.flow_id, r.flow_version, s.node_id, count(*)
         FROM nf_flow_touched ft
         JOIN run_steps s ON s.site_id = ft.site_id AND s.created_at >= ft.m AND s.created_at < ft.m + interval '1 minute'
         JOIN runs r ON r.site_id = s.site_id AND r.id = s.run_id
        GROUP BY 1, 3, 4, 5, 6
       ON CONFLICT (site_id, grain, bucket, flow_id, flow_version, node_id) DO UPDATE SET reached = EXCLUDED.reached`,
    );
    await m.query(
      `WITH x AS (
         SELECT r.site_id, ft.m, r.flow_id, r.flow_version, 1 AS entered, 0 AS completed, 0 AS converted,
                0 AS exited, 0 AS failed
           FROM nf_flow_touched ft
           JOIN runs r ON r.site_id = ft.site_id AND r.created_at >= ft.m AND r.created_at < ft.m + interval '1 minute'
         UNION ALL
         SELECT r.site_id, ft.m, r.flow_id, r.flow_version, 0, (r.status IN ('completed', 'converted'))::int,
                (r.status = 'converted')::int, (r.status = 'exited')::int, (r.status = 'failed')::int
           FROM nf_flow_touched ft
           JOIN runs r ON r.site_id = ft.site_id AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute')
       INSERT INTO analytics_flow_runs AS t (site_id, grain, bucket, flow_id, flow_version, entered, completed,
                                             converted, exited, failed)
       SELECT site_id, 'minute', m, flow_id, flow_version, sum(entered), sum(completed), sum(converted),
              sum(exited), sum(failed)
         FROM x GROUP BY 1, 3, 4, 5
       ON CONFLICT (site_id, grain, bucket, flow_id, flow_version) DO UPDATE
         SET entered = EXCLUDED.entered, completed = EXCLUDED.completed, converted = EXCLUDED.converted,
             exited = EXCLUDED.exited, failed = EXCLUDED.failed`,
    );
    await m.query(
      `DELETE FROM analytics_flow_goals t USING nf_flow_touched ft
        WHERE t.site_id = ft.site_id AND t.grain = 'minute' AND t.bucket = ft.m`,
    );
    await m.query(
      `INSERT INTO analytics_flow_goals (site_id, grain, bucket, flow_id, flow_version, bin, runs)
       SELECT r.site_id, 'minute', ft.m, r.flow_id, r.flow_version, ${GOAL_BIN}, count(*)
         FROM nf_flow_touched ft
         JOIN runs r ON r.site_id = ft.site_id AND r.ended_at >= ft.m AND r.ended_at < ft.m + interval '1 minute'
        WHERE r.status = 'converted'
        GROUP BY 1, 3, 4, 5, 6`,
    );
  }
}

/** Recomputes hour (from minutes) or local-day (from hours) buckets of the touched hours/days. */
function rollUpSql(
  table: string,
  keys: string[],
  sums: string[],
  hlls: string[],
  grain: 'hour' | 'day',
): string {
  const touched =
    grain === 'hour'
      ? `nf_hours b JOIN ${table} t ON t.site_id = b.site_id AND t.grain = 'minute'
           AND t.bucket >= b.h AND t.bucket < b.h + interval '1 hour'`
      : `nf_days b JOIN ${table} t ON t.site_id = b.site_id AND t.grain = 'hour'
           AND t.bucket >= b.d AND t.bucket < b.d_end`;
  const bucket = grain === 'hour' ? 'b.h' : 'b.d';
  const cols = [...keys, ...sums, ...hlls];
  const select = [
    ...keys.map((k) => `t.${k}`),
    ...sums.map((s) => `sum(t.${s})`),
    ...hlls.map((h) => `hll_union_agg(t.${h})`),
  ];
  const set = [...sums, ...hlls].map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return `INSERT INTO ${table} (site_id, grain, bucket, ${cols.join(', ')})
          SELECT b.site_id, '${grain}', ${bucket}, ${select.join(', ')}
            FROM ${touched}
           GROUP BY b.site_id, ${bucket}${keys.map((k) => `, t.${k}`).join('')}
          ON CONFLICT (site_id, grain, bucket${keys.map((k) => `, ${k}`).join('')}) DO UPDATE SET ${set}`;
}
