import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import type { Grain, Piece } from './report-range';
import { HLL } from './rollup.repository';

/**
 * An empty hll in the FULL representation, with the rollup columns' parameters (log2m 14, regwidth 5,
 * expthresh -1, sparse on): version 1 / type 4, (5 - 1) << 5 | 14, 1 << 6 | 63, then 16,384 zero
 * 5-bit registers. A union adds nothing to a count but starts in the register representation.
 */
const HLL_FULL_EMPTY = `(decode('148e7f', 'hex') || decode(repeat('00', 10240), 'hex'))::hll`;
/** Ids an EXPLICIT hll of the rollup columns holds at most (hll_print: expthresh -1 → 1280). */
const EXPLICIT_MAX = 1280;

/**
 * The seed of one group's union of `col`: hll_union_agg over many EXPLICIT values (small buckets)
 * keeps an explicit id set until it passes 1,280 ids, which costs far more than adding ids to
 * registers (a 30-day CTA report spent ~1.3 ms per variant in it). When the union leaves the
 * explicit form anyway (an input is already SPARSE or FULL — hll_type 3, 4 — or the explicit inputs
 * hold more than 1,280 ids), it starts from HLL_FULL_EMPTY; otherwise from the empty hll, so small
 * unions stay exact.
 */
function unionSeed(col: string): string {
  return `CASE WHEN bool_or(hll_type(${col}) > 2)
                 OR coalesce(sum(octet_length(hll_send(${col})) - 3) FILTER (WHERE hll_type(${col}) = 2), 0) > ${EXPLICIT_MAX * 8}
               THEN ${HLL_FULL_EMPTY} ELSE hll_empty(${HLL}) END`;
}

export interface TrafficTotalsRow {
  events: number;
  pageviews: number;
  sessions: number;
  engaged: number;
  visitors: number;
}

export interface TrafficPointRow extends TrafficTotalsRow {
  bucket: Date;
}

export interface DimRow {
  dim: string;
  value: string;
  pageviews: number;
  sessions: number;
}

export interface CtaRow {
  cta_id: string;
  variant_id: string;
  views: number;
  clicks: number;
  conversions: number;
  closes: number;
  viewers: number;
  converters: number;
}

export interface RealtimePoint {
  events: number;
  pageviews: number;
  visitors: number;
}

export interface RealtimeRow {
  watermark: Date | null;
  totals: RealtimePoint;
  series: (RealtimePoint & { bucket: number })[];
}

export interface FlowRunsRow {
  flow_version: number;
  entered: number;
  completed: number;
  converted: number;
  exited: number;
  failed: number;
}

/**
 * Reads of the rollup tables only (never raw events). `pieces` come from `decompose`: a handful of
 * (grain, [from, to)) ranges that tile the report range, so a 30-day total reads ~30 day rows.
 */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: DataSource) {}

  async trafficTotals(siteId: string, pieces: Piece[]): Promise<TrafficTotalsRow> {
    const where = piecesWhere(pieces, 2);
    const [row] = await queryRows<Record<string, string | null>>(
      this.db,
      `SELECT coalesce(sum(events), 0) AS events, coalesce(sum(pageviews), 0) AS pageviews,
              coalesce(sum(sessions), 0) AS sessions, coalesce(sum(engaged), 0) AS engaged,
              coalesce(round(hll_cardinality(hll_union_agg(visitors))), 0) AS visitors
         FROM analytics_traffic WHERE site_id = $1 AND (${where.sql})`,
      [siteId, ...where.params],
    );
    return numbers(row) as unknown as TrafficTotalsRow;
  }

  /** Totals of a range and of the previous period in one statement (one round trip, one scan). */
  async trafficTotalsPair(
    siteId: string,
    pieces: Piece[],
    previous: Piece[] | null,
  ): Promise<[TrafficTotalsRow, TrafficTotalsRow | null]> {
    const cur = piecesWhere(pieces, 2);
    const prev = piecesWhere(previous ?? [], 2 + cur.params.length);
    const rows = await queryRows<Record<string, string | null>>(
      this.db,
      `WITH r AS (
         SELECT CASE WHEN ${cur.sql} THEN 0 ELSE 1 END AS k, events, pageviews, sessions, engaged, visitors
           FROM analytics_traffic WHERE site_id = $1 AND ((${cur.sql}) OR (${prev.sql}))),
       s AS (SELECT k, ${unionSeed('visitors')} AS visitors FROM r GROUP BY k)
       SELECT k, sum(events) AS events, sum(pageviews) AS pageviews, sum(sessions) AS sessions,
              sum(engaged) AS engaged, round(hll_cardinality(hll_union_agg(visitors ORDER BY o))) AS visitors
         FROM (SELECT r.*, 1 AS o FROM r UNION ALL SELECT k, 0, 0, 0, 0, visitors, 0 FROM s) x
        GROUP BY k`,
      [siteId, ...cur.params, ...prev.params],
    );
    const zero: TrafficTotalsRow = { events: 0, pageviews: 0, sessions: 0, engaged: 0, visitors: 0 };
    const pick = (k: number) => {
      const row = rows.find((r) => Number(r.k) === k);
      if (!row) return zero;
      const { k: _k, ...rest } = numbers(row);
      void _k;
      return rest as unknown as TrafficTotalsRow;
    };
    return [pick(0), previous ? pick(1) : null];
  }

  async trafficSeries(siteId: string, grain: Grain, from: number, to: number): Promise<TrafficPointRow[]> {
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `SELECT bucket, events, pageviews, sessions, engaged, round(hll_cardinality(visitors)) AS visitors
         FROM analytics_traffic WHERE site_id = $1 AND grain = $2 AND bucket >= $3 AND bucket < $4
        ORDER BY bucket`,
      [siteId, grain, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({ ...(numbers(r) as unknown as TrafficTotalsRow), bucket: r.bucket as Date }));
  }

  /** Top values per dimension; breakdowns exist at hour and day grain, so minute edges widen to hours. */
  async trafficDims(siteId: string, pieces: Piece[], limit: number): Promise<DimRow[]> {
    const where = piecesWhere(dimPieces(pieces), 3);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `SELECT dim, value, pageviews, sessions FROM (
         SELECT dim, value, pageviews, sessions,
                row_number() OVER (PARTITION BY dim
                                   ORDER BY CASE WHEN dim = 'page' THEN pageviews ELSE sessions END DESC, value) AS rn
           FROM (SELECT dim, value, sum(pageviews) AS pageviews, sum(sessions) AS sessions
                   FROM analytics_traffic_dims WHERE site_id = $1 AND (${where.sql})
                  GROUP BY dim, value) g) r
        WHERE rn <= $2 ORDER BY dim, rn`,
      [siteId, limit, ...where.params],
    );
    return rows.map((r) => ({
      dim: r.dim as string,
      value: r.value as string,
      pageviews: Number(r.pageviews),
      sessions: Number(r.sessions),
    }));
  }

  async ctas(siteId: string, pieces: Piece[], ctaId?: string): Promise<CtaRow[]> {
    const where = piecesWhere(pieces, 3);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `WITH r AS (
         SELECT cta_id, variant_id, views, clicks, conversions, closes, viewers, converters
           FROM analytics_cta WHERE site_id = $1 AND ($2::text IS NULL OR cta_id = $2) AND (${where.sql})),
       s AS (
         SELECT cta_id, variant_id, ${unionSeed('viewers')} AS viewers, ${unionSeed('converters')} AS converters
           FROM r GROUP BY cta_id, variant_id)
       SELECT cta_id, variant_id, sum(views) AS views, sum(clicks) AS clicks, sum(conversions) AS conversions,
              sum(closes) AS closes, round(hll_cardinality(hll_union_agg(viewers ORDER BY o))) AS viewers,
              round(hll_cardinality(hll_union_agg(converters ORDER BY o))) AS converters
         FROM (SELECT r.*, 1 AS o FROM r UNION ALL SELECT cta_id, variant_id, 0, 0, 0, 0, viewers, converters, 0 FROM s) x
        GROUP BY cta_id, variant_id ORDER BY cta_id, variant_id`,
      [siteId, ctaId ?? null, ...where.params],
    );
    return rows.map((r) => ({
      ...(numbers(r) as unknown as CtaRow),
      cta_id: r.cta_id as string,
      variant_id: r.variant_id as string,
    }));
  }

  async flowExists(siteId: string, flowId: string): Promise<boolean> {
    const rows = await queryRows(this.db, `SELECT 1 FROM flows WHERE site_id = $1 AND id = $2`, [
      siteId,
      flowId,
    ]);
    return rows.length > 0;
  }

  async flowRuns(siteId: string, flowId: string, pieces: Piece[]): Promise<FlowRunsRow[]> {
    const where = piecesWhere(pieces, 3);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `SELECT flow_version, sum(entered) AS entered, sum(completed) AS completed, sum(converted) AS converted,
              sum(exited) AS exited, sum(failed) AS failed
         FROM analytics_flow_runs WHERE site_id = $1 AND flow_id = $2 AND (${where.sql})
        GROUP BY flow_version ORDER BY flow_version`,
      [siteId, flowId, ...where.params],
    );
    return rows.map((r) => numbers(r) as unknown as FlowRunsRow);
  }

  async flowNodes(
    siteId: string,
    flowId: string,
    pieces: Piece[],
  ): Promise<{ flow_version: number; node_id: string; reached: number }[]> {
    const where = piecesWhere(pieces, 3);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `SELECT flow_version, node_id, sum(reached) AS reached
         FROM analytics_flow_nodes WHERE site_id = $1 AND flow_id = $2 AND (${where.sql})
        GROUP BY flow_version, node_id ORDER BY flow_version, node_id`,
      [siteId, flowId, ...where.params],
    );
    return rows.map((r) => ({
      flow_version: Number(r.flow_version),
      node_id: r.node_id as string,
      reached: Number(r.reached),
    }));
  }

  async flowGoals(
    siteId: string,
    flowId: string,
    pieces: Piece[],
  ): Promise<{ flow_version: number; bin: number; runs: number }[]> {
    const where = piecesWhere(pieces, 3);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      `SELECT flow_version, bin, sum(runs) AS runs
         FROM analytics_flow_goals WHERE site_id = $1 AND flow_id = $2 AND (${where.sql})
        GROUP BY flow_version, bin`,
      [siteId, flowId, ...where.params],
    );
    return rows.map((r) => numbers(r) as unknown as { flow_version: number; bin: number; runs: number });
  }

  /**
   * The real-time report in one statement (one round trip): the minute rows of [from, to), their
   * totals (visitors = union of the minutes' hlls) and the rollup watermark.
   */
  async realtime(siteId: string, from: number, to: number): Promise<RealtimeRow> {
    const [row] = await queryRows<{
      hi: Date | null;
      events: string;
      pageviews: string;
      visitors: string;
      series: [number, number, number, number][];
    }>(
      this.db,
      `SELECT (SELECT hi FROM analytics_watermarks WHERE name = 'rollups') AS hi,
              coalesce(sum(events), 0) AS events, coalesce(sum(pageviews), 0) AS pageviews,
              coalesce(round(hll_cardinality(hll_union_agg(visitors))), 0) AS visitors,
              coalesce(json_agg(json_build_array((extract(epoch FROM bucket) * 1000)::bigint, events, pageviews,
                                                 round(hll_cardinality(visitors)))), '[]') AS series
         FROM analytics_traffic WHERE site_id = $1 AND grain = 'minute' AND bucket >= $2 AND bucket < $3`,
      [siteId, new Date(from), new Date(to)],
    );
    return {
      watermark: row.hi,
      totals: {
        events: Number(row.events),
        pageviews: Number(row.pageviews),
        visitors: Number(row.visitors),
      },
      series: row.series.map(([bucket, events, pageviews, visitors]) => ({
        bucket: Number(bucket),
        events: Number(events),
        pageviews: Number(pageviews),
        visitors: Number(visitors),
      })),
    };
  }
}

/** `(grain = $a AND bucket >= $b AND bucket < $c) OR …`; an empty list matches nothing. */
export function piecesWhere(pieces: Piece[], firstParam: number): { sql: string; params: unknown[] } {
  if (pieces.length === 0) return { sql: 'false', params: [] };
  const params: unknown[] = [];
  const parts = pieces.map((p) => {
    const i = firstParam + params.length;
    params.push(p.grain, new Date(p.from), new Date(p.to));
    return `(grain = $${i} AND bucket >= $${i + 1} AND bucket < $${i + 2})`;
  });
  return { sql: parts.join(' OR '), params };
}

const HOUR = 3_600_000;
function dimPieces(pieces: Piece[]): Piece[] {
  return pieces.map((p) =>
    p.grain === 'minute'
      ? { grain: 'hour', from: Math.floor(p.from / HOUR) * HOUR, to: Math.ceil(p.to / HOUR) * HOUR }
      : p,
  );
}

function numbers(row: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v === null ? 0 : Number(v);
  return out;
}
