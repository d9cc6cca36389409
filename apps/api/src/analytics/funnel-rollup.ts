import { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { siteEventsJoin, siteEventsSql } from '../ingest/events.sql';
import { siteJoin, siteRetainedFromSql } from '../sites/site.sql';
import { attempts, FunnelStep, stepMaskSql } from './funnel-steps';

/** hll of funnel day rows: 2^13 registers (~1.15 % standard error, 5 KB dense), exact below ~640 ids. */
export const FUNNEL_HLL = `13, 5, -1, 1`;

const CHUNK = 10_000;

interface FunnelRow {
  site_id: string;
  id: string;
  steps: FunnelStep[];
  window_seconds: number;
  version: number;
  built_version: number | null;
  timezone: string;
}

export interface FunnelRollupResult {
  funnels: number;
  rebuilt: number;
  visitors: number;
}

/**
 * Saved funnels, advanced in the rollup transaction over the same window [lo, hi) of `received_at`.
 * For each funnel of the pass's sites (each with its own lo): the visitors with a matching event received in the window, and for each the
 * earliest such event time T; their attempts are recomputed from S (the start of the stored attempt
 * covering T, else T) — attempts before S cannot change, since an attempt depends only on events
 * from its start and whether an earlier attempt is still open — then the day rows of every day whose
 * attempts changed are recomputed from the progress rows. A funnel whose definition changed
 * (`built_version <> version`) is rebuilt from every raw event of its site.
 */
export async function rollFunnels(
  m: EntityManager,
  [sites, los, , hi]: [sites: string[], los: Date[], minLo: Date, hi: Date, maxLo: Date],
  windowRows?: string,
  anyFunnels = true,
): Promise<FunnelRollupResult> {
  if (!anyFunnels) return { funnels: 0, rebuilt: 0, visitors: 0 };
  // The pass's sites with a touched minute (nf_touched is a temp table: read here, not joined). Not
  // `site_id = ANY($2)` below: Citus 13.2 stops pruning to one shard on an OR with a second ANY.
  const touched = (await queryRows<{ site_id: string }>(m, `SELECT DISTINCT site_id FROM nf_touched`)).map(
    (r) => r.site_id,
  );
  const list = await queryRows<{ site_id: string; id: string }>(
    m,
    `SELECT f.site_id, f.id FROM analytics_funnels f
      WHERE f.site_id = ANY($1::uuid[])
        AND (f.built_version IS DISTINCT FROM f.version OR array_position($2::uuid[], f.site_id) IS NOT NULL)`,
    [sites, touched],
  );
  const loOf = new Map(sites.map((s, i) => [s, los[i]]));
  const out: FunnelRollupResult = { funnels: 0, rebuilt: 0, visitors: 0 };
  for (const { site_id, id } of list) {
    // Router query per funnel (Citus-safe lock): a concurrent edit or delete waits for this pass.
    const [f] = await queryRows<FunnelRow>(
      m,
      `SELECT f.site_id, f.id, f.steps, f.window_seconds, f.version, f.built_version, s.timezone
         FROM analytics_funnels f ${siteJoin('s', 'f.site_id')}
        WHERE f.site_id = $1 AND f.id = $2 FOR SHARE OF f`,
      [site_id, id],
    );
    if (!f) continue;
    const rebuild = f.built_version !== f.version;
    out.funnels++;
    if (rebuild) out.rebuilt++;
    out.visitors += await advanceFunnel(
      m,
      f,
      rebuild ? null : { lo: loOf.get(site_id)!, hi, rows: windowRows },
    );
    if (rebuild)
      await m.query(`UPDATE analytics_funnels SET built_version = $3 WHERE site_id = $1 AND id = $2`, [
        f.site_id,
        f.id,
        f.version,
      ]);
  }
  return out;
}

async function advanceFunnel(
  m: EntityManager,
  f: FunnelRow,
  window: { lo: Date; hi: Date; rows?: string } | null,
): Promise<number> {
  const params: unknown[] = [f.site_id];
  const mask = stepMaskSql(f.steps, params, 2);
  const names = [...new Set(f.steps.map((s) => s.event))];
  params.push(names);
  const namesParam = `$${params.length}`;
  const windowMs = f.window_seconds * 1000;
  const touchedDays: Date[] = [];

  let rows: { visitor_id: string; ts: number[]; mask: number[] }[];
  let visitors = 0;
  if (!window) {
    await m.query(`DELETE FROM analytics_funnel_progress WHERE site_id = $1 AND funnel_id = $2`, [
      f.site_id,
      f.id,
    ]);
    await m.query(`DELETE FROM analytics_funnel_days WHERE site_id = $1 AND funnel_id = $2`, [
      f.site_id,
      f.id,
    ]);
    rows = await queryRows(
      m,
      `SELECT visitor_id, array_agg((extract(epoch FROM ts) * 1000)::float8 ORDER BY ts, id) AS ts,
              array_agg(mask ORDER BY ts, id) AS mask
         FROM (SELECT e.visitor_id, e.ts, e.id, ${mask} AS mask FROM ${siteEventsSql('e', '$1')}
                  AND NOT e.is_bot AND e.name = ANY(${namesParam}::text[])) x
        WHERE mask <> 0 GROUP BY visitor_id`,
      params,
    );
  } else {
    // The window's rows: the live pass's temp table of them (already within retention), else events.
    const touched = window.rows
      ? await queryRows<{ visitor_id: string; t: Date }>(
          m,
          `SELECT visitor_id, min(ts) AS t
             FROM (SELECT e.visitor_id, e.ts, ${mask} AS mask FROM ${window.rows} e
                    WHERE e.site_id = $1 AND NOT e.is_bot AND e.name = ANY(${namesParam}::text[])) x
            WHERE mask <> 0 GROUP BY visitor_id`,
          params,
        )
      : await queryRows<{ visitor_id: string; t: Date }>(
          m,
          `SELECT visitor_id, min(ts) AS t
             FROM (SELECT e.visitor_id, e.ts, ${mask} AS mask FROM ${siteEventsSql('e', '$1')}
                      AND e.received_at >= $${params.length + 1} AND e.received_at < $${params.length + 2}
                      AND NOT e.is_bot AND e.name = ANY(${namesParam}::text[])
                      AND e.ts >= ${siteRetainedFromSql('$1')}) x
            WHERE mask <> 0 GROUP BY visitor_id`,
          [...params, window.lo, window.hi],
        );
    if (touched.length === 0) return 0;
    rows = [];
    for (let i = 0; i < touched.length; i += CHUNK) {
      const chunk = touched.slice(i, i + CHUNK);
      // S: the start of the stored attempt covering T, else T.
      const starts = await queryRows<{ v: string; s: Date }>(
        m,
        `SELECT x.v, coalesce(c.started_at, x.t) AS s
           FROM unnest($3::uuid[], $4::timestamptz[]) x(v, t)
           LEFT JOIN LATERAL (
             SELECT p.started_at FROM analytics_funnel_progress p
              WHERE p.site_id = $1 AND p.funnel_id = $2 AND p.visitor_id = x.v AND p.started_at <= x.t
              ORDER BY p.started_at DESC LIMIT 1) c ON c.started_at + $5 * interval '1 millisecond' > x.t`,
        [f.site_id, f.id, chunk.map((t) => t.visitor_id), chunk.map((t) => t.t), windowMs],
      );
      const vs = starts.map((s) => s.v);
      const ss = starts.map((s) => s.s);
      const gone = await queryRows<{ started_at: Date }>(
        m,
        `DELETE FROM analytics_funnel_progress p USING unnest($3::uuid[], $4::timestamptz[]) x(v, s)
          WHERE p.site_id = $1 AND p.funnel_id = $2 AND p.visitor_id = x.v AND p.started_at >= x.s
         RETURNING p.started_at`,
        [f.site_id, f.id, vs, ss],
      );
      for (const g of gone) touchedDays.push(g.started_at);
      const p = [...params, vs, ss];
      rows.push(
        ...(await queryRows<{ visitor_id: string; ts: number[]; mask: number[] }>(
          m,
          `SELECT visitor_id, array_agg((extract(epoch FROM ts) * 1000)::float8 ORDER BY ts, id) AS ts,
                  array_agg(mask ORDER BY ts, id) AS mask
             FROM (SELECT e.visitor_id, e.ts, e.id, ${mask} AS mask
                     FROM unnest($${p.length - 1}::uuid[], $${p.length}::timestamptz[]) x(v, s)
                     ${siteEventsJoin('e', '$1')} AND e.visitor_id = x.v AND e.ts >= x.s
                    WHERE NOT e.is_bot AND e.name = ANY(${namesParam}::text[])) y
            WHERE mask <> 0 GROUP BY visitor_id`,
          p,
        )),
      );
    }
  }

  // Attempts in JS, written back in chunks.
  const ins = { v: [] as string[], s: [] as string[], k: [] as number[], at: [] as string[] };
  const flush = async () => {
    if (ins.v.length === 0) return;
    await m.query(
      `INSERT INTO analytics_funnel_progress (site_id, funnel_id, visitor_id, started_at, step, step_at)
       SELECT $1, $2, v, s, k, at::timestamptz[]
         FROM unnest($3::uuid[], $4::timestamptz[], $5::smallint[], $6::text[]) x(v, s, k, at)`,
      [f.site_id, f.id, ins.v, ins.s, ins.k, ins.at],
    );
    ins.v = [];
    ins.s = [];
    ins.k = [];
    ins.at = [];
  };
  for (const r of rows) {
    visitors++;
    const events = r.ts.map((ts, i) => ({ ts: Number(ts), mask: Number(r.mask[i]) }));
    for (const a of attempts(events, f.steps.length, windowMs)) {
      const started = new Date(a.startedAt);
      touchedDays.push(started);
      ins.v.push(r.visitor_id);
      ins.s.push(started.toISOString());
      ins.k.push(a.step);
      ins.at.push(`{${a.stepAt.map((t) => `"${new Date(t).toISOString()}"`).join(',')}}`);
      if (ins.v.length >= CHUNK) await flush();
    }
  }
  await flush();
  await rebuildDays(m, f, touchedDays);
  return visitors;
}

/** Recomputes the day rows (local days of the site) containing any of `times`, from progress rows. */
async function rebuildDays(m: EntityManager, f: FunnelRow, times: Date[]): Promise<void> {
  if (times.length === 0) return;
  const days = `SELECT DISTINCT date_trunc('day', t AT TIME ZONE $3) AT TIME ZONE $3 AS d,
                       (date_trunc('day', t AT TIME ZONE $3) + interval '1 day') AT TIME ZONE $3 AS d_end
                  FROM unnest($4::timestamptz[]) t`;
  const params = [f.site_id, f.id, f.timezone, times];
  await m.query(
    `WITH days AS (${days})
     DELETE FROM analytics_funnel_days fd USING days
      WHERE fd.site_id = $1 AND fd.funnel_id = $2 AND fd.day = days.d`,
    params,
  );
  await m.query(
    `WITH days AS (${days})
     INSERT INTO analytics_funnel_days (site_id, funnel_id, day, step, entries, visitors)
     SELECT $1, $2, days.d, k, count(*), hll_add_agg(hll_hash_text(p.visitor_id::text), ${FUNNEL_HLL})
       FROM days
       JOIN analytics_funnel_progress p
         ON p.site_id = $1 AND p.funnel_id = $2 AND p.started_at >= days.d AND p.started_at < days.d_end
       JOIN generate_series(1, $5::int) k ON p.step >= k
      GROUP BY days.d, k`,
    [...params, f.steps.length],
  );
}
