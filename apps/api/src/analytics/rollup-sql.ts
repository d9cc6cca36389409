import { performance } from 'node:perf_hooks';
import { EntityManager } from 'typeorm';
import { queryRows } from '../database/sql';
import { HOUR_DIMS_KEEP_MS, MINUTE_ROWS_KEEP_MS } from './report-range';

/** SQL intervals of the windows rollup rows are kept for (report-range.ts). */
export const MINUTE_ROWS_KEEP = `interval '${MINUTE_ROWS_KEEP_MS / 60_000} minutes'`;
export const HOUR_DIMS_KEEP = `interval '${HOUR_DIMS_KEEP_MS / 60_000} minutes'`;
const MINUTE_TABLES = [
  'analytics_traffic',
  'analytics_cta',
  'analytics_flow_nodes',
  'analytics_flow_runs',
  'analytics_flow_goals',
];

/**
 * Deletes the sites' minute rows older than MINUTE_ROWS_KEEP and hour breakdowns older than
 * HOUR_DIMS_KEEP (one single-shard statement per table). Every re-run ends with it (it writes whole
 * hours of minutes to rebuild their hour rows); live passes run it every few minutes per group.
 */
export async function pruneRollups(m: EntityManager, sites: string[]): Promise<void> {
  for (const t of MINUTE_TABLES)
    await m.query(
      `DELETE FROM ${t} WHERE site_id = ANY($1::uuid[]) AND grain = 'minute' AND bucket < now() - ${MINUTE_ROWS_KEEP}`,
      [sites],
    );
  await m.query(
    `DELETE FROM analytics_breakdowns
      WHERE site_id = ANY($1::uuid[]) AND grain = 'hour' AND bucket < now() - ${HOUR_DIMS_KEEP}`,
    [sites],
  );
}

/**
 * A query's rows (a temp table's, or a single-shard read) as one array per column, to pass back as
 * `unnest($n::type[], …)` parameters: a temp table lives on the coordinator, so joining it to a
 * distributed table would not stay on a shard.
 */
export async function arraysOf(
  m: EntityManager,
  sql: string,
  cols: string[],
  params?: unknown[],
): Promise<unknown[][]> {
  const rows = await queryRows<Record<string, unknown>>(m, sql, params);
  return cols.map((c) => rows.map((r) => r[c]));
}

/** Drops this transaction's temp tables (a group's live pass before its re-run sites). */
export async function dropTempTables(m: EntityManager): Promise<void> {
  const rows = await queryRows<{ name: string }>(
    m,
    `SELECT relname AS name FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'`,
  );
  if (rows.length > 0) await m.query(`DROP TABLE ${rows.map((r) => `pg_temp.${r.name}`).join(', ')}`);
}

/**
 * BRIN pages per range of `events_received_brin` (the default; the migration sets no other). Ranges
 * are summarized only when complete, as autosummarize does, so inserts into the open range stay cheap.
 */
const BRIN_RANGE = 128;

/**
 * Summarizes the complete, unsummarized BRIN ranges of `received_at` in the partitions that take live
 * inserts (today's and yesterday's, UTC). The live pass reads its window through that index, and an
 * unsummarized range matches every window, so without this every pass re-reads every row inserted
 * since the last summarization (autosummarize runs in autovacuum, a minute or more behind; never
 * when autovacuum is off). Each call scans only the pages of ranges not yet summarized. Under a short
 * lock timeout in a savepoint: when VACUUM or an index build holds the partition, the pass goes on.
 */
export async function summarizeReceivedRanges(m: EntityManager): Promise<void> {
  await m.query(`SAVEPOINT nf_brin`);
  try {
    await m.query(`SET LOCAL lock_timeout = '100ms'`);
    await m.query(
      `SELECT coalesce(sum(brin_summarize_range(x.idx::regclass, b)), 0) AS n
         FROM (SELECT i.indexrelid AS idx, pg_relation_size(i.indrelid) / current_setting('block_size')::int AS blocks
                 FROM generate_series(0, 1) k
                 JOIN pg_index i
                   ON i.indrelid = to_regclass('events_p' || to_char((now() AT TIME ZONE 'UTC')::date - k, 'YYYYMMDD'))
                 JOIN pg_class c ON c.oid = i.indexrelid
                 JOIN pg_am a ON a.oid = c.relam AND a.amname = 'brin') x
         CROSS JOIN LATERAL generate_series(0, x.blocks - ${BRIN_RANGE}, ${BRIN_RANGE}) b`,
    );
    await m.query(`SET LOCAL lock_timeout TO DEFAULT`);
    await m.query(`RELEASE SAVEPOINT nf_brin`);
  } catch {
    await m.query(`ROLLBACK TO SAVEPOINT nf_brin`);
    await m.query(`RELEASE SAVEPOINT nf_brin`);
  }
}

export interface StatementTiming {
  n: number;
  totalMs: number;
  maxMs: number;
}

export function record(timings: Map<string, StatementTiming>, key: string, t0: number): void {
  const ms = performance.now() - t0;
  const t = timings.get(key) ?? { n: 0, totalMs: 0, maxMs: 0 };
  t.n++;
  t.totalMs += ms;
  t.maxMs = Math.max(t.maxMs, ms);
  timings.set(key, t);
}

/** `m` whose `query` records its duration per statement text into `timings`. */
export function timedManager(m: EntityManager, timings: Map<string, StatementTiming>): EntityManager {
  return new Proxy(m, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (sql: string, params?: unknown[]) => {
        const t0 = performance.now();
        try {
          return (await target.query(sql, params)) as unknown;
        } finally {
          record(timings, sql.replace(/\s+/g, ' ').trim(), t0);
        }
      };
    },
  });
}

/**
 * Recomputes hour (from minutes) or local-day (from hours) buckets of the touched hours/days, given
 * as parameters: $1 the pass's sites, then the hours (site, h) or days (site, d, d_end).
 */
export function rollUpSql(
  table: string,
  keys: string[],
  sums: string[],
  hlls: string[],
  grain: 'hour' | 'day',
): string {
  const touched =
    grain === 'hour'
      ? `unnest($2::uuid[], $3::timestamptz[]) b(site_id, h)
         JOIN ${table} t ON t.site_id = b.site_id AND t.grain = 'minute'
           AND t.bucket >= b.h AND t.bucket < b.h + interval '1 hour'`
      : `unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) b(site_id, d, d_end)
         JOIN ${table} t ON t.site_id = b.site_id AND t.grain = 'hour'
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
           WHERE t.site_id = ANY($1::uuid[])
           GROUP BY b.site_id, ${bucket}${keys.map((k) => `, t.${k}`).join('')}
          ON CONFLICT (site_id, grain, bucket${keys.map((k) => `, ${k}`).join('')}) DO UPDATE SET ${set}`;
}

/**
 * Adds the minute deltas of `delta` (a temp table, or a SELECT over temp tables, of site_id, m, keys…,
 * sums…, hlls…) to the minute, hour and
 * local-day rows of `table` (sums added, hlls unioned; minute rows only inside MINUTE_ROWS_KEEP), in one statement (on Citus one round trip per
 * table, not three). An hour belongs to the local day of its start, as in rollUpSql (half-hour zones
 * assemble days from UTC hours).
 */
export async function addDeltas(
  m: EntityManager,
  table: string,
  delta: string,
  keys: string[],
  sums: string[],
  hlls: string[],
): Promise<void> {
  const cols = [...keys, ...sums, ...hlls];
  const set = [
    ...sums.map((c) => `${c} = t.${c} + EXCLUDED.${c}`),
    ...hlls.map((c) => `${c} = hll_union(t.${c}, EXCLUDED.${c})`),
  ].join(', ');
  const agg = [
    ...keys.map((k) => `x.${k}`),
    ...sums.map((c) => `sum(x.${c})`),
    ...hlls.map((c) => `hll_union_agg(x.${c})`),
  ].join(', ');
  const groupKeys = keys.map((k) => `, x.${k}`).join('');
  const source = /^\s*SELECT\b/i.test(delta) ? delta : `SELECT * FROM ${delta}`;
  await m.query(
    `INSERT INTO ${table} AS t (site_id, grain, bucket, ${cols.join(', ')})
     SELECT * FROM (
       WITH d AS MATERIALIZED (${source})
       SELECT site_id, 'minute'::text AS grain, m AS bucket, ${cols.join(', ')} FROM d
        WHERE m >= now() - ${MINUTE_ROWS_KEEP}
       UNION ALL
       SELECT x.site_id, 'hour', date_trunc('hour', x.m), ${agg} FROM d x GROUP BY x.site_id, 3${groupKeys}
       UNION ALL
       SELECT x.site_id, 'day', date_trunc('day', date_trunc('hour', x.m) AT TIME ZONE s.timezone) AT TIME ZONE s.timezone,
              ${agg}
         FROM d x JOIN nf_site_tz s ON s.site_id = x.site_id
        GROUP BY x.site_id, 3${groupKeys}) u
      ORDER BY 1, 2, 3${keys.map((_, i) => `, ${i + 4}`).join('')}
     ON CONFLICT (site_id, grain, bucket${keys.map((k) => `, ${k}`).join('')}) DO UPDATE SET ${set}`,
  );
}
