import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql';
import { eventsInRangeSql } from '../ingest/events.sql';
import { attempts, FunnelStep, stepMaskSql } from './funnel-steps';

export interface FunnelRecord {
  id: string;
  name: string;
  steps: FunnelStep[];
  window_seconds: number;
  version: number;
  built_version: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface FunnelStepCount {
  step: number;
  entries: number;
  visitors: number;
}

const COLUMNS = `id, name, steps, window_seconds, version, built_version, created_at, updated_at`;

/**
 * Saved funnel definitions, their day rows, and the raw-event preview (ingest's events through its
 * `eventsInRangeSql`). Every query filters by site_id.
 */
@Injectable()
export class FunnelRepository {
  constructor(private readonly db: DataSource) {}

  list(siteId: string): Promise<FunnelRecord[]> {
    return queryRows<FunnelRecord>(
      this.db,
      `SELECT ${COLUMNS} FROM analytics_funnels WHERE site_id = $1 ORDER BY created_at, id`,
      [siteId],
    );
  }

  async count(siteId: string): Promise<number> {
    const [r] = await queryRows<{ n: string }>(
      this.db,
      `SELECT count(*) AS n FROM analytics_funnels WHERE site_id = $1`,
      [siteId],
    );
    return Number(r.n);
  }

  async get(siteId: string, id: string): Promise<FunnelRecord | null> {
    const [row] = await queryRows<FunnelRecord>(
      this.db,
      `SELECT ${COLUMNS} FROM analytics_funnels WHERE site_id = $1 AND id = $2`,
      [siteId, id],
    );
    return row ?? null;
  }

  async create(
    siteId: string,
    name: string,
    steps: FunnelStep[],
    windowSeconds: number,
  ): Promise<FunnelRecord> {
    const [row] = await queryRows<FunnelRecord>(
      this.db,
      `INSERT INTO analytics_funnels (site_id, name, steps, window_seconds) VALUES ($1, $2, $3::jsonb, $4)
       RETURNING ${COLUMNS}`,
      [siteId, name, JSON.stringify(steps), windowSeconds],
    );
    return row;
  }

  /** A change of steps or window bumps `version`, so the rollup rebuilds the funnel from raw events. */
  async update(
    siteId: string,
    id: string,
    patch: { name?: string; steps?: FunnelStep[]; windowSeconds?: number },
  ): Promise<FunnelRecord | null> {
    const [row] = await queryRows<FunnelRecord>(
      this.db,
      `UPDATE analytics_funnels f
          SET name = coalesce($3, f.name),
              steps = coalesce($4::jsonb, f.steps),
              window_seconds = coalesce($5, f.window_seconds),
              version = f.version + CASE WHEN coalesce($4::jsonb, f.steps) IS DISTINCT FROM f.steps
                                           OR coalesce($5, f.window_seconds) <> f.window_seconds
                                         THEN 1 ELSE 0 END,
              updated_at = now()
        WHERE f.site_id = $1 AND f.id = $2
       RETURNING ${COLUMNS}`,
      [
        siteId,
        id,
        patch.name ?? null,
        patch.steps ? JSON.stringify(patch.steps) : null,
        patch.windowSeconds ?? null,
      ],
    );
    return row ?? null;
  }

  /** Deletes the definition and its materialised rows in one transaction. */
  async remove(siteId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const gone = await queryRows(
        m,
        `DELETE FROM analytics_funnels WHERE site_id = $1 AND id = $2 RETURNING id`,
        [siteId, id],
      );
      if (gone.length === 0) return false;
      await m.query(`DELETE FROM analytics_funnel_progress WHERE site_id = $1 AND funnel_id = $2`, [
        siteId,
        id,
      ]);
      await m.query(`DELETE FROM analytics_funnel_days WHERE site_id = $1 AND funnel_id = $2`, [siteId, id]);
      return true;
    });
  }

  /**
   * Attempts and unique visitors per step for [from, to) and, in the same scan, [prevFrom, from):
   * day rows only (local days of the site).
   */
  async stepCounts(
    siteId: string,
    funnelId: string,
    from: number,
    to: number,
    prevFrom: number | null,
  ): Promise<{ current: FunnelStepCount[]; previous: FunnelStepCount[] }> {
    const rows = await queryRows<{ cur: boolean; step: number; entries: string; visitors: string }>(
      this.db,
      `SELECT day >= $3 AS cur, step, sum(entries) AS entries,
              round(hll_cardinality(hll_union_agg(visitors))) AS visitors
         FROM analytics_funnel_days
        WHERE site_id = $1 AND funnel_id = $2 AND day >= $5 AND day < $4
        GROUP BY 1, 2`,
      [siteId, funnelId, new Date(from), new Date(to), new Date(prevFrom ?? from)],
    );
    const pick = (cur: boolean) =>
      rows
        .filter((r) => r.cur === cur)
        .map((r) => ({ step: Number(r.step), entries: Number(r.entries), visitors: Number(r.visitors) }));
    return { current: pick(true), previous: pick(false) };
  }

  /** The site's rollup watermark (funnel rows include every event received before it). */
  async watermark(siteId: string): Promise<Date | null> {
    const [row] = await queryRows<{ hi: Date }>(
      this.db,
      `SELECT hi FROM analytics_rollup_sites WHERE site_id = $1`,
      [siteId],
    );
    return row?.hi ?? null;
  }

  /**
   * An unsaved funnel straight from raw events: attempts starting in [from, to), following events up
   * to `to + window`. Exact visitor counts. Callers bound the range.
   */
  async preview(
    siteId: string,
    steps: FunnelStep[],
    windowSeconds: number,
    from: number,
    to: number,
  ): Promise<FunnelStepCount[]> {
    const params: unknown[] = [siteId];
    const mask = stepMaskSql(steps, params, 2);
    params.push([...new Set(steps.map((s) => s.event))], new Date(from), new Date(to + windowSeconds * 1000));
    const n = params.length;
    const rows = await queryRows<{ visitor_id: string; ts: number[]; mask: number[] }>(
      this.db,
      `SELECT visitor_id, array_agg((extract(epoch FROM ts) * 1000)::float8 ORDER BY ts, id) AS ts,
              array_agg(mask ORDER BY ts, id) AS mask
         FROM (SELECT e.visitor_id, e.ts, e.id, ${mask} AS mask
                 FROM ${eventsInRangeSql('$1', `$${n - 1}`, `$${n}`, { humans: true })} e
                WHERE e.name = ANY($${n - 2}::text[])) x
        WHERE mask <> 0 GROUP BY visitor_id`,
      params,
    );
    const entries = new Array<number>(steps.length).fill(0);
    const visitors = new Array<number>(steps.length).fill(0);
    for (const r of rows) {
      const events = r.ts.map((ts, i) => ({ ts: Number(ts), mask: Number(r.mask[i]) }));
      let best = 0;
      for (const a of attempts(events, steps.length, windowSeconds * 1000)) {
        if (a.startedAt < from || a.startedAt >= to) continue;
        for (let k = 0; k < a.step; k++) entries[k]++;
        best = Math.max(best, a.step);
      }
      for (let k = 0; k < best; k++) visitors[k]++;
    }
    return steps.map((_, k) => ({ step: k + 1, entries: entries[k], visitors: visitors[k] }));
  }
}
