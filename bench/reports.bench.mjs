// npm run bench -- reports   (after `npm run build`)
//
// One run, its own database (BENCH_DATABASE_URL, default nudgeflow_bench_reports, created and migrated;
// BENCH_REUSE=1 keeps data of the same size): (1) generate BENCH_EVENTS events (default 2 M; the issue's
// figure is 10 M) over BENCH_SITES (1,000) sites with a Zipf skew (largest site ≈ 10 %) across 30 days,
// server-side with generate_series in 500k-row statements, secondary indexes dropped during the load
// and rebuilt after; (2) build the rollups and one saved funnel (3 steps) from scratch with the real
// RollupRepository (one watermark window; prints events/s); (3) for the largest site over 30 days,
// p50/p95 over BENCH_RUNS (20) HTTP calls of every report against the real API process, and the same
// report computed straight from raw events (BENCH_RAW_RUNS, default 5, bounded); prints the ratio.
// (4) with BENCH_LAG_SECONDS > 0, rollup lag while inserting BENCH_LAG_RATE (5,000) events/s, spread
// over the sites with the same skew (BENCH_LAG_SPREAD=largest: all into the largest site): commit →
// rolled up by the pass (every 1 s, margin ANALYTICS_ROLLUP_MARGIN_MS), p50/p99; BENCH_ONLY_LAG=1 skips (3);
// ANALYTICS_ROLLUP_TIMINGS=1 prints the lag run's rollup statements by total time; BENCH_LAG_RUNS adds
// flow runs/s to the runtime ledger during the lag run.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { figure, freePort, loadAverage, prepareDatabase, root } from './lib.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000_000);
const SITES = Number(process.env.BENCH_SITES ?? 1000);
const DAYS = 30;
/** The largest site's timezone (reports snap to its local days). */
const TZ = 'Europe/Paris';
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const RAW_RUNS = Number(process.env.BENCH_RAW_RUNS ?? 5);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 0);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 5000);
/**
 * BENCH_LAG_RUNS: flow runs per second the lag run also writes to the runtime ledger of the largest
 * site (a run and its start step, ended a second later as converted or completed with a goal step), so
 * the pass's flow rollups work as with a busy runtime. Default 0.
 */
const LAG_RUNS = Number(process.env.BENCH_LAG_RUNS ?? 0);
/**
 * BENCH_REALTIME_RATE: the largest site's events per second over the real-time report's half hour.
 * Default: its own 30-day average (a normal half hour: ~800 events at 10 M, whose raw query takes a
 * few ms, so no HTTP answer can be 50x faster). 500 is the live load for that site: 5,000
 * events/s (the lag target's rate) with the largest site's 10 % share, ~900,000 events in the window.
 */
const REALTIME_RATE = Number(process.env.BENCH_REALTIME_RATE ?? 0);
/** BENCH_ONLY_LAG=1 (with BENCH_REUSE=1): skip the report timings, measure the rollup lag only. */
const ONLY_LAG = process.env.BENCH_ONLY_LAG === '1';
/**
 * On Citus: `npm run bench -- reports --citus` (scripts/bench.mjs provisions its database on every node
 * and sets BENCH_CITUS=1 and BENCH_DATABASE_URL for the Citus run). Sizes are then summed over the shards.
 */
const CITUS = process.env.BENCH_CITUS === '1';
/**
 * BENCH_REBUILD=1 (with BENCH_REUSE=1): keep the generated events, but drop the rollups and build them
 * again with this build's RollupRepository (after a change of the rollup tables or of the pass).
 */
const REBUILD = process.env.BENCH_REBUILD === '1';
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_reports';
/** Total size of a relation with its indexes (on Citus: over all its shards). */
const SIZE = CITUS ? 'citus_total_relation_size' : 'pg_total_relation_size';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';

const { createDataSource } = await import(resolve(root, 'apps/api/dist/database/data-source.js'));
// BENCH_ROLLUP_MODULE: another build of RollupRepository (a path from the repository root), for A/B runs.
const { RollupRepository } = await import(
  resolve(root, process.env.BENCH_ROLLUP_MODULE ?? 'apps/api/dist/analytics/rollup.repository.js')
);
const { ReportsRepository } = await import(resolve(root, 'apps/api/dist/analytics/reports.repository.js'));
const { decompose, snapRange } = await import(resolve(root, 'apps/api/dist/analytics/report-range.js'));
const { FunnelRepository } = await import(resolve(root, 'apps/api/dist/analytics/funnel.repository.js'));

/** The saved funnel of the bench: a page → CTA view → signup, within 7 days. */
const FUNNEL = {
  name: 'bench funnel',
  steps: [
    { event: '$page', filters: [{ property: 'path', op: 'starts_with', value: '/p1' }] },
    { event: 'cta_viewed', filters: [] },
    { event: 'signup', filters: [] },
  ],
  windowSeconds: 7 * 86_400,
};

const log = (...a) => console.log(...a);
const secs = (ms) => (ms / 1000).toFixed(1);

/** Zipf weights with the exponent that gives the largest site ≈ 10 %. */
function zipfCounts(total, sites) {
  let s = 1;
  for (let lo = 0.3, hi = 1.5, i = 0; i < 40; i++) {
    s = (lo + hi) / 2;
    let h = 0;
    for (let k = 1; k <= sites; k++) h += 1 / k ** s;
    if (1 / h > 0.1) hi = s;
    else lo = s;
  }
  let h = 0;
  for (let k = 1; k <= sites; k++) h += 1 / k ** s;
  const counts = [];
  for (let k = 1; k <= sites; k++) counts.push(Math.max(1, Math.round((total / h) * (1 / k ** s))));
  return { counts, s };
}

/** The rollup tables the build writes (the funnel definitions and the watermarks aside). */
const ROLLUP_TABLES = `analytics_traffic, analytics_breakdowns, analytics_cta, analytics_flow_nodes, analytics_flow_runs,
  analytics_flow_goals, analytics_funnel_progress, analytics_funnel_days`;

/** Every site's first pass (no watermark row yet) is a re-run over its events since 2000-01-01. */
async function buildRollups(ds, db) {
  const rollups = new RollupRepository(ds);
  const t = performance.now();
  const r = await rollups.advance(0);
  const ms = performance.now() - t;
  log(
    `rollup build: ${EVENTS.toLocaleString()} events in ${secs(ms)} s = ${Math.round(EVENTS / (ms / 1000)).toLocaleString()} events/s (${r.siteMinutes.toLocaleString()} site-minutes; saved funnel built over ${r.funnels?.visitors.toLocaleString()} visitors; load average ${loadAverage()})`,
  );
  await db.query('ANALYZE analytics_traffic, analytics_breakdowns, analytics_cta');
}

async function startApi() {
  const port = await freePort();
  const proc = spawn(process.execPath, [resolve(root, 'apps/api/dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: DB_URL,
      REDIS_URL,
      QUEUE_PREFIX: 'nfbenchreports',
      LOG_LEVEL: 'warn',
      SCHEDULE_MAINTENANCE: 'false',
      JWT_SECRET: 'bench-reports-secret-bench-reports-secret',
      // At 10 M events the raw baselines alone outlast the default 15-minute access token.
      ACCESS_TOKEN_TTL_SECONDS: '86400',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`api exited:\n${out}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200 || r.status === 503) break;
    } catch {
      // not yet
    }
    if (i > 300) throw new Error(`api did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url };
}

async function post(url, path, body, token) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function timed(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return { p50: pct(out, 50), p95: pct(out, 95) };
}

/** The generated data: visitors per site ≈ events / 6, 80 % page views, CTA events with two variants. */
async function generate(db, sites) {
  await db.query(`SELECT nf_ensure_daily_partitions('events', current_date - ${DAYS + 1}, current_date + 1)`);
  const { counts, s } = zipfCounts(EVENTS, sites.length);
  log(
    `zipf exponent ${s.toFixed(3)}: largest site ${counts[0]} events (${((counts[0] / EVENTS) * 100).toFixed(1)} %)`,
  );
  const started = performance.now();
  // Bulk load without the secondary indexes (rebuilt once afterwards: far cheaper than row by row).
  const { rows: indexes } = await db.query(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname = 'events' AND NOT x.indisprimary`,
  );
  for (const ix of indexes) await db.query(`DROP INDEX IF EXISTS "${ix.name}"`);
  let done = 0;
  let i = 0;
  while (i < sites.length) {
    const ids = [];
    const ns = [];
    let batch = 0;
    while (i < sites.length && (batch === 0 || batch + counts[i] <= 500_000)) {
      ids.push(sites[i]);
      ns.push(counts[i]);
      batch += counts[i];
      i++;
    }
    await db.query(
      `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties, context, is_bot)
       SELECT s.id, now() - random() * interval '${DAYS} days', md5(s.id::text || g::text),
              CASE WHEN r < 0.8 THEN 'page' ELSE 'track' END,
              CASE WHEN r < 0.8 THEN '$page' WHEN r < 0.9 THEN 'cta_viewed' WHEN r < 0.93 THEN 'cta_clicked'
                   WHEN r < 0.95 THEN 'cta_converted' ELSE 'signup' END,
              md5(s.id::text || floor(random() * greatest(10, s.n / 6))::text)::uuid,
              CASE WHEN r < 0.8 THEN jsonb_build_object(
                     'path', '/p' || floor(random() * random() * 200)::int,
                     'url', 'https://site.example/p?utm_source=' || (ARRAY['google','newsletter','x','direct'])[1 + floor(random() * 4)::int],
                     'referrer', (ARRAY['https://www.google.com/', 'https://t.co/x', '', 'https://news.ycombinator.com/'])[1 + floor(random() * 4)::int])
                   ELSE jsonb_build_object('cta_id', 'cta-' || floor(random() * 3)::int,
                                           'variant_id', CASE WHEN random() < 0.5 THEN 'control' ELSE 'b' END) END,
              jsonb_build_object('userAgent', CASE WHEN random() < 0.4 THEN 'Mozilla/5.0 (iPhone; Mobile)' ELSE 'Mozilla/5.0 (X11; Linux)' END,
                                 'location', jsonb_build_object('country', (ARRAY['US','FR','DE','GB','IN'])[1 + floor(random() * 5)::int])),
              false
         FROM unnest($1::uuid[], $2::int[]) AS s(id, n)
         CROSS JOIN LATERAL generate_series(1, s.n) g
         CROSS JOIN LATERAL (SELECT random() + g * 0 AS r) rr`,
      [ids, ns],
    );
    done += batch;
    const el = performance.now() - started;
    process.stdout.write(
      `\r  generated ${done.toLocaleString()} events in ${secs(el)} s (${Math.round(done / (el / 1000)).toLocaleString()}/s)   `,
    );
  }
  log('');
  const indexed = performance.now();
  for (const ix of indexes) await db.query(ix.def.replace(' ON ONLY ', ' ON '));
  log(`  rebuilt ${indexes.length} secondary indexes in ${secs(performance.now() - indexed)} s`);
  await db.query('ANALYZE events');
  return performance.now() - started;
}

/** Rollup bytes against the raw events' (partitions with their indexes), in total and per table. */
async function printRollupBytes(db, label) {
  const {
    rows: [bytes],
  } = await db.query(
    `WITH parts AS (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass)
     SELECT (SELECT sum(${SIZE}(inhrelid)) FROM parts)::float8 AS raw_bytes,
            (SELECT count(*) FROM events)::float8 AS raw_rows,
            (SELECT sum(${SIZE}(c.oid)) FROM pg_class c
              WHERE c.relkind = 'r' AND c.relname LIKE 'analytics\\_%'
                AND c.relname NOT IN ('analytics_watermarks', 'analytics_funnels', 'analytics_rollup_sites'))::float8
              AS rollup_bytes`,
  );
  figure(
    `rollups % of raw (${label})`,
    `${((100 * bytes.rollup_bytes) / Math.max(1, bytes.raw_bytes)).toFixed(1)} %`,
  );
  log(
    `${label}: rollup bytes per raw event: ${(bytes.rollup_bytes / Math.max(1, bytes.raw_rows)).toFixed(1)} ` +
      `(rollups ${(bytes.rollup_bytes / 2 ** 20).toFixed(0)} MB = ${((100 * bytes.rollup_bytes) / Math.max(1, bytes.raw_bytes)).toFixed(1)} % ` +
      `of the raw events' ${(bytes.raw_bytes / 2 ** 20).toFixed(0)} MB, ${Math.round(bytes.raw_rows).toLocaleString()} rows)`,
  );
  const { rows: tables } = await db.query(
    `SELECT c.relname AS name, ${SIZE}(c.oid)::float8 AS bytes, c.reltuples::float8 AS rows
       FROM pg_class c
      WHERE c.relkind = 'r' AND c.relname LIKE 'analytics\\_%'
        AND c.relname NOT IN ('analytics_watermarks', 'analytics_funnels', 'analytics_rollup_sites')
      ORDER BY 2 DESC`,
  );
  for (const t of tables)
    log(
      `  ${t.name}: ${(t.bytes / 2 ** 20).toFixed(1)} MB, ~${Math.round(Math.max(0, t.rows)).toLocaleString()} rows, ` +
        `${(t.bytes / Math.max(1, bytes.raw_rows)).toFixed(1)} B per raw event`,
    );
}

// Raw-event baselines, over the report's own range (whole local days of the site: $2, $3 are the snapped
// bounds the API reports on). The CTA and real-time ones compute exactly the numbers their report shows
// (checked against the HTTP answer below); traffic computes its daily series and top pages.
const RAW = {
  traffic: `WITH f AS (
      SELECT ts, visitor_id, name = '$page' AS is_page, lag(ts) OVER w AS p1, lag(ts, 2) OVER w AS p2
        FROM events WHERE site_id = $1 AND ts >= $2::timestamptz - interval '60 minutes' AND ts < $3::timestamptz AND NOT is_bot
      WINDOW w AS (PARTITION BY visitor_id, name = '$page' ORDER BY ts, id))
    SELECT date_trunc('day', ts AT TIME ZONE '${TZ}') AS d, count(*), count(*) FILTER (WHERE is_page),
           count(*) FILTER (WHERE is_page AND (p1 IS NULL OR ts - p1 > interval '30 minutes')),
           count(*) FILTER (WHERE is_page AND ts - p1 <= interval '30 minutes' AND (p2 IS NULL OR p1 - p2 > interval '30 minutes')),
           count(DISTINCT visitor_id)
      FROM f WHERE ts >= $2::timestamptz GROUP BY 1`,
  trafficTopPages: `SELECT properties->>'path', count(*) FROM events
      WHERE site_id = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz AND name = '$page' AND NOT is_bot GROUP BY 1 ORDER BY 2 DESC LIMIT 10`,
  ctas: `SELECT properties->>'cta_id' AS cta_id, coalesce(properties->>'variant_id', '') AS variant_id,
           count(*) FILTER (WHERE name = 'cta_viewed') AS views,
           count(DISTINCT visitor_id) FILTER (WHERE name = 'cta_viewed') AS viewers,
           count(*) FILTER (WHERE name = 'cta_clicked') AS clicks,
           count(*) FILTER (WHERE name = 'cta_converted') AS conversions,
           count(*) FILTER (WHERE name = 'cta_closed') AS closes,
           count(DISTINCT visitor_id) FILTER (WHERE name = 'cta_converted') AS converters
      FROM events WHERE site_id = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz
       AND name IN ('cta_viewed', 'cta_clicked', 'cta_converted', 'cta_closed') AND properties->>'cta_id' IS NOT NULL
       AND NOT is_bot GROUP BY 1, 2`,
  // the 30 minutes ending with the current minute, by minute, and their totals (GROUPING SETS)
  realtime: `SELECT date_trunc('minute', ts) AS minute, count(*) AS events, count(*) FILTER (WHERE name = '$page') AS pageviews,
           count(DISTINCT visitor_id) AS visitors FROM events
      WHERE site_id = $1 AND ts >= date_trunc('minute', now()) - interval '29 minutes'
        AND ts < date_trunc('minute', now()) + interval '1 minute' AND NOT is_bot
      GROUP BY GROUPING SETS ((1), ())`,
};

async function main() {
  await prepareDatabase(DB_URL);
  const ds = createDataSource({ DATABASE_URL: DB_URL, DB_POOL_SIZE: 2 });
  await ds.initialize();
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  // The bench's own set-up and size reads span every shard (the rollups and the API stay strict).
  if (CITUS) await db.query(`SET citus.multi_task_query_log_level = 'off'`);
  const load = (await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  log(
    `reports bench${CITUS ? ' (Citus: coordinator + 2 workers)' : ''}: ${EVENTS.toLocaleString()} events, ${SITES} sites, ${DAYS} days; load average ${load}`,
  );

  const api = await startApi();
  try {
    const tag = Date.now();
    const signup = await post(api.url, '/api/auth/signup', {
      email: `bench-${tag}@example.com`,
      password: 'correct-horse-battery',
      name: 'Bench',
    });
    const token = signup.accessToken;

    const meta = await db.query(`SELECT value FROM (SELECT obj_description('events'::regclass) AS value) x`);
    const reuse = process.env.BENCH_REUSE === '1' && meta.rows[0].value === `bench:${EVENTS}:${SITES}`;
    let largest;
    if (reuse) {
      largest = (
        await db.query(
          `SELECT site_id FROM analytics_traffic WHERE grain = 'day' GROUP BY 1 ORDER BY sum(events) DESC LIMIT 1`,
        )
      ).rows[0].site_id;
      await db.query(`UPDATE sites SET account_id = $1 WHERE id = $2`, [signup.accountId, largest]);
      log(`reusing generated data${REBUILD ? '' : ' and rollups'}`);
      if (REBUILD) {
        await db.query(`TRUNCATE ${ROLLUP_TABLES}, analytics_rollup_sites`);
        await db.query(`UPDATE analytics_funnels SET built_version = NULL`);
        await buildRollups(ds, db);
      }
    } else {
      await db.query(`TRUNCATE events, analytics_funnels, ${ROLLUP_TABLES}, analytics_rollup_sites`);
      const site = await post(
        api.url,
        '/api/sites',
        { name: 'Largest', domain: 'largest.example', timezone: TZ },
        token,
      );
      largest = site.id;
      await post(api.url, `/api/sites/${largest}/funnels`, FUNNEL, token);
      const others = await db.query(
        `INSERT INTO sites (account_id, name, domain, timezone)
         SELECT $1, 'site ' || g, 'site' || g || '.example', 'UTC' FROM generate_series(2, $2) g RETURNING id`,
        [signup.accountId, SITES],
      );
      const sites = [largest, ...others.rows.map((r) => r.id)];
      await db.query(
        `INSERT INTO account_sites (account_id, site_id, created_at)
         SELECT account_id, id, created_at FROM sites WHERE deleted_at IS NULL ON CONFLICT DO NOTHING`,
      );
      const genMs = await generate(db, sites);
      log(`generation: ${secs(genMs)} s (${Math.round(EVENTS / (genMs / 1000)).toLocaleString()} events/s)`);

      await buildRollups(ds, db);
      await db.query(`COMMENT ON TABLE events IS 'bench:${EVENTS}:${SITES}'`);
      await db.query('ANALYZE analytics_traffic, analytics_breakdowns, analytics_cta');
    }
    // The rollups find sites through account_sites (a reference table on Citus); the bench's other
    // sites are inserted straight into sites.
    await db.query(
      `INSERT INTO account_sites (account_id, site_id, created_at)
       SELECT account_id, id, created_at FROM sites WHERE deleted_at IS NULL ON CONFLICT DO NOTHING`,
    );
    await liveHalfHour(db, ds, largest);
    const funnelId = (
      await db.query(`SELECT id FROM analytics_funnels WHERE site_id = $1 ORDER BY created_at LIMIT 1`, [
        largest,
      ])
    ).rows[0].id;
    // Settled rollup pages are all-visible, so breakdowns are index-only scans (autovacuum does this live).
    await db.query(
      'VACUUM ANALYZE analytics_traffic, analytics_breakdowns, analytics_cta, analytics_funnel_days, analytics_funnel_progress',
    );
    const {
      rows: [size],
    } = await db.query(
      `SELECT (SELECT count(*) FROM events WHERE site_id = $1)::int AS events,
              pg_size_pretty(${SIZE}('analytics_traffic') + ${SIZE}('analytics_breakdowns')
                             + ${SIZE}('analytics_cta')) AS rollup_size`,
      [largest],
    );
    log(`largest site: ${size.events.toLocaleString()} events; rollup tables ${size.rollup_size}`);
    // Rollups against the raw events they summarise (issue #20's target: rollups <= 20 % of the raw size):
    // as left by the build and a plain VACUUM (a re-run writes whole hours of minute rows, then prunes
    // the ones past 6 hours: their space stays for reuse), then live rows only (VACUUM FULL).
    await printRollupBytes(db, 'after VACUUM');
    await db.query(
      `VACUUM FULL analytics_traffic, analytics_breakdowns, analytics_cta, analytics_funnel_days,
                   analytics_funnel_progress, analytics_flow_nodes, analytics_flow_runs, analytics_flow_goals`,
    );
    await db.query('ANALYZE analytics_traffic, analytics_breakdowns, analytics_cta');
    await printRollupBytes(db, 'live rows (after VACUUM FULL)');

    const to = new Date();
    const from = new Date(to.getTime() - DAYS * 86_400_000);
    const q = `from=${from.toISOString()}&to=${to.toISOString()}&granularity=day`;
    // The range every report of the site covers: whole local days around [from, to), and the period before.
    const snapped = snapRange(from.getTime(), to.getTime(), 'day', TZ);
    const span = snapped.to - snapped.from;
    const pieces = decompose(snapped.from, snapped.to, TZ);
    const previous = decompose(snapped.from - span, snapped.from, TZ);
    const range = [largest, new Date(snapped.from), new Date(snapped.to)];
    const get = async (path) => {
      const res = await fetch(`${api.url}/api/sites/${largest}/reports/${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.text();
    };
    const repo = new ReportsRepository(ds);
    const funnels = new FunnelRepository(ds);
    const rawSql =
      (...sqls) =>
      async () => {
        for (const sql of sqls) await db.query(sql, sql.includes('$2') ? range : [largest]);
      };
    // Per report: HTTP path, raw baseline, and the rollup SQL alone (the repository calls its service makes,
    // in the same order and parallelism, without HTTP, auth or Nest).
    const trafficSql = () =>
      Promise.all([
        repo.trafficTotalsPair(largest, pieces, previous),
        repo.trafficSeries(largest, 'day', snapped.from, snapped.to),
        repo.trafficDims(largest, pieces, 10),
      ]);
    const reports = [
      {
        name: 'traffic (30 d, daily, compare, top lists)',
        path: `traffic?${q}&compare=true`,
        raw: rawSql(RAW.traffic, RAW.trafficTopPages),
        sql: trafficSql,
      },
      {
        name: 'CTA funnel per variant',
        path: `ctas?${q}`,
        raw: rawSql(RAW.ctas),
        sql: () => repo.ctas(largest, pieces),
        check: checkCtas,
      },
      {
        name: 'real time (30 min)',
        path: 'realtime',
        raw: rawSql(RAW.realtime),
        sql: () => {
          const end = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
          return repo.realtime(largest, end - 30 * 60_000, end);
        },
        check: checkRealtime,
      },
      {
        name: 'traffic CSV export',
        path: `traffic/export?${q}`,
        raw: rawSql(RAW.traffic, RAW.trafficTopPages),
        sql: trafficSql,
      },
      {
        name: 'saved funnel (3 steps, compare)',
        path: `funnels/${funnelId}?from=${from.toISOString()}&to=${to.toISOString()}`,
        // the funnel's raw equivalent: the preview computation over raw events (SQL + attempts in JS)
        raw: () => funnels.preview(largest, FUNNEL.steps, FUNNEL.windowSeconds, snapped.from, snapped.to),
        sql: async () => {
          await funnels.get(largest, funnelId);
          await Promise.all([
            funnels.stepCounts(largest, funnelId, snapped.from, snapped.to, snapped.from - span),
            funnels.watermark(largest),
          ]);
        },
      },
    ];
    log(
      `\n${'report'.padEnd(44)} ${'HTTP p50'.padStart(9)} ${'HTTP p95'.padStart(9)} ${'raw p50'.padStart(9)} ${'raw p95'.padStart(9)} ${'ratio p50'.padStart(9)} ${'ratio p95'.padStart(9)}`,
    );
    const sqlRows = [];
    for (const r of ONLY_LAG ? [] : reports) {
      // warm-up: the API's pool opens connections (and their catalog caches) on first use, three at once for traffic
      for (let i = 0; i < 3; i++) await get(r.path);
      const http = await timed(RUNS, () => get(r.path));
      const raw = await timed(RAW_RUNS, r.raw);
      for (let i = 0; i < 3; i++) await r.sql(); // warm-up
      sqlRows.push([r.name, await timed(RUNS, r.sql), raw]);
      log(
        `${r.name.padEnd(44)} ${http.p50.toFixed(1).padStart(7)}ms ${http.p95.toFixed(1).padStart(7)}ms ${raw.p50.toFixed(0).padStart(7)}ms ${raw.p95.toFixed(0).padStart(7)}ms ${(raw.p50 / http.p50).toFixed(0).padStart(8)}× ${(raw.p95 / http.p95).toFixed(0).padStart(8)}×`,
      );
      figure(`${r.name} HTTP p95`, `${http.p95.toFixed(1)} ms`);
      if (r.check) log(`  check: ${await r.check(get, r.path)}`);
    }
    log(
      `(HTTP: ${RUNS} runs each; raw: ${RAW_RUNS} runs each, same database, same process; load average now ${loadAverage()})`,
    );

    // The rollup SQL alone vs the raw SQL: what the database spends per report, without HTTP, auth or Nest.
    log(
      `\n${'rollup SQL only (no HTTP)'.padEnd(44)} ${'SQL p50'.padStart(9)} ${'SQL p95'.padStart(9)} ${'raw p50'.padStart(9)} ${'raw p95'.padStart(9)} ${'ratio p50'.padStart(9)} ${'ratio p95'.padStart(9)}`,
    );
    for (const [name, sql, raw] of sqlRows)
      log(
        `${name.padEnd(44)} ${sql.p50.toFixed(1).padStart(7)}ms ${sql.p95.toFixed(1).padStart(7)}ms ${raw.p50.toFixed(0).padStart(7)}ms ${raw.p95.toFixed(0).padStart(7)}ms ${(raw.p50 / sql.p50).toFixed(0).padStart(8)}× ${(raw.p95 / sql.p95).toFixed(0).padStart(8)}×`,
      );
    log(`(rollup SQL: ${RUNS} runs each through the API's repositories on a pool of 2 connections)`);

    /** The CTA report against its raw query: counts equal, unique viewers/converters within 2.5 % (hll). */
    async function checkCtas(fetchReport, path) {
      const report = JSON.parse(await fetchReport(path));
      const { rows } = await db.query(RAW.ctas, range);
      let worst = 0;
      const bad = [];
      for (const row of rows) {
        const v = report.ctas
          .find((c) => c.ctaId === row.cta_id)
          ?.variants.find((x) => x.variantId === row.variant_id);
        const pairs = [
          ['impressions', v?.impressions, row.views],
          ['clicks', v?.clicks, row.clicks],
          ['conversions', v?.conversions, row.conversions],
          ['closes', v?.closes, row.closes],
        ];
        for (const [k, got, want] of pairs)
          if (got !== Number(want)) bad.push(`${row.cta_id}/${row.variant_id} ${k} ${got} ≠ ${want}`);
        for (const [got, want] of [
          [v?.uniqueViewers, row.viewers],
          [v?.uniqueConverters, row.converters],
        ])
          worst = Math.max(worst, Math.abs((got ?? 0) - Number(want)) / Math.max(1, Number(want)));
      }
      const variants = report.ctas.reduce((n, c) => n + c.variants.length, 0);
      if (variants !== rows.length) bad.push(`${variants} variants in the report, ${rows.length} raw`);
      return bad.length || worst > 0.025
        ? `MISMATCH ${bad.join('; ')} (uniques off by up to ${(worst * 100).toFixed(2)} %)`
        : `raw = report for ${rows.length} variants (counts exact, uniques within ${(worst * 100).toFixed(2)} %)`;
    }

    /** The real-time report against its raw query, when both ran within the same minute. */
    async function checkRealtime(fetchReport, path) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const minute = Math.floor(Date.now() / 60_000);
        const report = JSON.parse(await fetchReport(path));
        const { rows } = await db.query(RAW.realtime, [largest]);
        if (Math.floor(Date.now() / 60_000) !== minute) continue;
        const total = rows.find((r) => r.minute === null) ?? { events: 0, pageviews: 0, visitors: 0 };
        const perMinute = rows.filter((r) => r.minute !== null);
        const bad = [];
        if (report.totals.events !== Number(total.events))
          bad.push(`events ${report.totals.events} ≠ ${total.events}`);
        if (report.totals.pageviews !== Number(total.pageviews))
          bad.push(`pageviews ${report.totals.pageviews} ≠ ${total.pageviews}`);
        for (const r of perMinute) {
          const p = report.series.find((s) => Date.parse(s.bucket) === r.minute.getTime());
          // events exact; visitors within 2.5 % (an hll: exact while a minute holds at most 1,280 ids)
          const exact = Number(r.visitors);
          if (
            p?.events !== Number(r.events) ||
            Math.abs((p?.visitors ?? 0) - exact) > Math.max(0, 0.025 * exact)
          )
            bad.push(`${r.minute.toISOString()}: ${p?.events}/${p?.visitors} ≠ ${r.events}/${r.visitors}`);
        }
        const off =
          Math.abs(report.totals.visitors - Number(total.visitors)) / Math.max(1, Number(total.visitors));
        return bad.length || off > 0.025
          ? `MISMATCH ${bad.slice(0, 5).join('; ')}`
          : `raw = report: ${total.events} events in ${perMinute.length} minutes, ${report.totals.visitors} visitors (raw ${total.visitors})`;
      }
      return 'not checked (the minute kept changing)';
    }

    if (LAG_SECONDS > 0) await measureLag(db, ds, largest);
  } finally {
    api.proc.kill('SIGTERM');
    await db.end();
    await ds.destroy();
  }
}

/**
 * The real-time report reads the last 30 minutes, which a reused (or long-built) data set leaves empty:
 * tops the largest site's last half hour up to its own 30-day average rate (or BENCH_REALTIME_RATE), with the generator's mix of
 * events and visitors, and rolls it up (pass by pass, as after a pause), so the report and its raw query
 * both read a normal half hour.
 */
async function liveHalfHour(db, ds, siteId) {
  const {
    rows: [c],
  } = await db.query(
    `SELECT count(*) FILTER (WHERE ts >= now() - interval '30 minutes')::int AS recent, count(*)::int AS month
       FROM events WHERE site_id = $1 AND ts >= now() - interval '${DAYS} days'`,
    [siteId],
  );
  const wanted = REALTIME_RATE > 0 ? REALTIME_RATE * 1800 : c.month / (DAYS * 48);
  const missing = Math.round(wanted) - c.recent;
  if (missing > 0)
    await db.query(
      `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties, context, is_bot)
       SELECT $1::uuid, now() - random() * interval '30 minutes', md5(random()::text),
              CASE WHEN r < 0.8 THEN 'page' ELSE 'track' END,
              CASE WHEN r < 0.8 THEN '$page' WHEN r < 0.9 THEN 'cta_viewed' WHEN r < 0.93 THEN 'cta_clicked'
                   WHEN r < 0.95 THEN 'cta_converted' ELSE 'signup' END,
              md5($1::text || floor(random() * greatest(10, $3::int / 6))::text)::uuid,
              CASE WHEN r < 0.8 THEN jsonb_build_object('path', '/p' || floor(random() * random() * 200)::int)
                   ELSE jsonb_build_object('cta_id', 'cta-' || floor(random() * 3)::int,
                                           'variant_id', CASE WHEN random() < 0.5 THEN 'control' ELSE 'b' END) END,
              jsonb_build_object('userAgent', 'Mozilla/5.0 (X11; Linux)'), false
         FROM generate_series(1, $2) g CROSS JOIN LATERAL (SELECT random() + g * 0 AS r) rr`,
      [siteId, missing, c.month],
    );
  const rollups = new RollupRepository(ds);
  const started = performance.now();
  let passes = 0;
  for (; passes < 2000; passes++) {
    const r = await rollups.advance(0);
    if (!r?.hi || Date.now() - Date.parse(r.hi) < 5_000) break;
  }
  log(
    `real-time window: ${c.recent + Math.max(0, missing)} events of the largest site in the last 30 minutes (${Math.max(0, missing)} added); rollups caught up in ${passes + 1} passes, ${secs(performance.now() - started)} s`,
  );
}

/**
 * BENCH_LAG_RUNS runs/s into the largest site's runtime ledger (one flow), paced like the events: each
 * batch enters runs with a start step and ends the runs waiting for over a second (converted or
 * completed, with a goal step). Returns stop() → counts.
 */
function runtimeLedger(siteId) {
  const client = new pg.Client({ connectionString: DB_URL });
  let stop = false;
  let runs = 0;
  let ended = 0;
  const started = Date.now();
  const loop = (async () => {
    await client.connect();
    const {
      rows: [flow],
    } = await client.query(
      `INSERT INTO flows (site_id, name, draft) VALUES ($1, 'bench ledger', '{}') RETURNING id`,
      [siteId],
    );
    const base = Date.now() * 1000;
    while (!stop) {
      const due = Math.floor((LAG_RUNS * (Date.now() - started)) / 1000) - runs;
      if (due > 0) {
        await client.query(
          `WITH r AS (
             INSERT INTO runs (site_id, id, flow_id, flow_version, visitor_id, trigger_event_id, trigger_node_id,
                               trigger_event, status)
             SELECT $1, gen_random_uuid(), $2, 1 + (g % 2), gen_random_uuid(), $3::bigint + g, 'start', '{}', 'waiting'
               FROM generate_series(1, $4::int) g RETURNING id)
           INSERT INTO run_steps (site_id, run_id, node_id, iteration, flow_id, ord, node_type, input, effect_status)
           SELECT $1, id, 'start', 0, $2, 0, 'x', '{}', 'none' FROM r`,
          [siteId, flow.id, base + runs, due],
        );
        runs += due;
      }
      const done = await client.query(
        `WITH e AS (
           UPDATE runs SET status = CASE WHEN random() < 0.5 THEN 'converted' ELSE 'completed' END, ended_at = now()
            WHERE site_id = $1 AND id IN (SELECT id FROM runs WHERE site_id = $1 AND flow_id = $2 AND status = 'waiting'
                                                                 AND created_at < now() - interval '1 second')
           RETURNING id)
         INSERT INTO run_steps (site_id, run_id, node_id, iteration, flow_id, ord, node_type, input, effect_status)
         SELECT $1, id, 'goal', 0, $2, 1, 'x', '{}', 'none' FROM e`,
        [siteId, flow.id],
      );
      ended += done.rowCount ?? 0;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await loop;
      await client.end();
      return { runs, ended };
    },
  };
}

/** Per-statement timings of the lag run's passes (ANALYTICS_ROLLUP_TIMINGS=1), slowest total first. */
function printTimings(timings, passes) {
  const rows = [...timings.entries()].sort((a, b) => b[1].totalMs - a[1].totalMs);
  log(`\nrollup statements over ${passes} passes (total ms, per pass ms, max ms, count):`);
  for (const [sql, t] of rows.slice(0, 25))
    log(
      `  ${t.totalMs.toFixed(0).padStart(7)} ${(t.totalMs / passes).toFixed(1).padStart(7)} ${t.maxMs.toFixed(0).padStart(6)} ${String(t.n).padStart(5)}  ${sql.slice(0, 150)}`,
    );
}

/** Inserts events at LAG_RATE/s (batches every 100 ms) while the rollup runs every second; lag = commit → rolled up. */
async function measureLag(db, ds, siteId) {
  const rollups = new RollupRepository(ds);
  const writer = new pg.Client({ connectionString: DB_URL });
  await writer.connect();
  // Events go to sites with the data set's skew (BENCH_LAG_SPREAD=zipf, default) or all to the largest.
  const spread = process.env.BENCH_LAG_SPREAD ?? 'zipf';
  const { rows: weights } =
    spread === 'largest'
      ? { rows: [{ site_id: siteId, n: 1 }] }
      : await db.query(
          `SELECT site_id, sum(events)::float8 AS n FROM analytics_traffic WHERE grain = 'day' GROUP BY 1`,
        );
  const cumulative = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += Number(w.n)));
  const pick = () => {
    const x = Math.random() * acc;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return weights[lo].site_id;
  };
  // Catch up first (rows left by an earlier run), so the measurement starts from a current watermark.
  const caughtUp = performance.now();
  // (a live pass covers at most ANALYTICS_ROLLUP_MAX_WINDOW_MS: pass until the watermark is current)
  for (let i = 0; i < 1000; i++) {
    const r = await rollups.advance(0);
    if (!r?.hi || Date.now() - Date.parse(r.hi) < 5_000) break;
  }
  log(`\ncatch-up rollup pass before the lag run: ${secs(performance.now() - caughtUp)} s`);
  rollups.timings.clear(); // only the lag run's passes
  const commits = [];
  let stop = false;
  let sent = 0;
  const ingestStarted = Date.now();
  // Paced by the clock (every 100 ms, the deficit against LAG_RATE × elapsed), so the rate holds.
  const ingest = (async () => {
    while (!stop) {
      const due = Math.floor((LAG_RATE * (Date.now() - ingestStarted)) / 1000) - sent;
      if (due > 0) {
        const n = Math.min(due, LAG_RATE);
        await writer.query(
          `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties)
           SELECT s, now(), md5(random()::text), 'page', '$page', md5(random()::text)::uuid,
                  jsonb_build_object('path', '/live')
             FROM unnest($1::uuid[]) s`,
          [Array.from({ length: n }, pick)],
        );
        sent += n;
        commits.push({ at: Date.now(), n });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const runtime = LAG_RUNS > 0 ? runtimeLedger(siteId) : null;
  const lags = [];
  const passes = [];
  const started = Date.now();
  while (Date.now() - started < LAG_SECONDS * 1000) {
    const t = Date.now();
    const r = await rollups.advance(Number(process.env.ANALYTICS_ROLLUP_MARGIN_MS ?? 2000));
    const done = Date.now();
    passes.push(done - t);
    const hi = r?.hi ? Date.parse(r.hi) : 0;
    for (const c of commits) {
      if (c.seen || c.at >= hi) continue;
      c.seen = true;
      lags.push(done - c.at);
    }
    await new Promise((res) => setTimeout(res, Math.max(0, 1000 - (Date.now() - t))));
  }
  stop = true;
  await ingest;
  await writer.end();
  const ledger = runtime ? await runtime.stop() : null;
  if (process.env.ANALYTICS_ROLLUP_TIMINGS === '1') printTimings(rollups.timings, passes.length);
  const achieved = Math.round(sent / ((Date.now() - ingestStarted) / 1000));
  figure('rollup lag p99', `${(pct(lags, 99) / 1000).toFixed(2)} s at ${achieved}/s`);
  log(
    `\nrollup lag while inserting ${LAG_RATE}/s (achieved ${achieved}/s, ${spread} over ${weights.length} sites) for ${LAG_SECONDS} s (rollup every 1 s, margin ${process.env.ANALYTICS_ROLLUP_MARGIN_MS ?? 2000} ms): ` +
      `p50 ${(pct(lags, 50) / 1000).toFixed(2)} s, p99 ${(pct(lags, 99) / 1000).toFixed(2)} s over ${lags.length} commits; rollup pass p50 ${pct(passes, 50)} ms, max ${Math.max(...passes)} ms` +
      (ledger ? `; runtime ledger: ${ledger.runs} runs entered, ${ledger.ended} ended` : ''),
  );
}

await main();
