// npm run bench -- fold   (after `npm run build`)
//
// Ingestion v2's second half: the fold (worker) right behind the events (API). In one run, on loopback,
// the real API and worker processes on one database: (1) /v1/batch ×20 at 100 connections for
// BENCH_SECONDS (10) with the worker folding: the ingest rate the box sustains with both at work;
// (2) that rate held for BENCH_FOLD_SECONDS (60) with realistic traffic: BENCH_VISITORS (5,000)
// anonymous visitors, one identify every 50 events, and every second identify a merge (the user id
// was identified before from another anonymous id, so two profiles become one). Fold lag (age of the
// oldest committed, unfolded event: what `nudgeflow_fold_lag_seconds` exports) is read every 250 ms;
// prints p50/p99/max, the first and last thirds' means (growing or not), then the time the fold takes
// to drain after the load stops and checks that every event was folded once. Bounded: each phase has
// its duration, the drain waits at most BENCH_DRAIN_SECONDS (60).
// Starts clean: it drops BENCH_DATABASE_URL's database and empties BENCH_REDIS_URL's (both the bench's own).
import { createHmac, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pg from 'pg';
import {
  apiCall,
  benchEnv,
  benchSite,
  cpuMs,
  figure,
  freePort,
  loadAverage,
  nodeArgsFrom,
  percentile,
  postgresCpu,
  postLoad,
  prepareDatabase,
  startProcess,
  BROWSER_UA as UA,
} from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FOLD_SECONDS = Number(process.env.BENCH_FOLD_SECONDS ?? 60);
/** Events/s to hold in phase 2 (default: the rate phase 1 reached), to find the rate the fold keeps up with. */
const FOLD_RATE = Number(process.env.BENCH_FOLD_RATE ?? 0);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const VISITORS = Number(process.env.BENCH_VISITORS ?? 5000);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_fold';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const PER_REQUEST = 20;

let seq = 0;
let identifies = 0;
/** The site's identity secret: the bench is the site's server, which signs its users' ids. */
let identitySecret = '';
/**
 * One event of the realistic mix. Visitors come and go: BENCH_VISITORS are active at a time, each
 * gets about 20 events, then a new generation replaces them. Every 50th event is an identify (signed
 * with userHash, as a site with identity verification sends it) of an anonymous visitor of the current
 * generation: odd ones name a new user, even ones the previous identify's user, whose profile is
 * another visitor's, so the fold merges this visitor into it.
 */
function event() {
  seq += 1;
  const generation = Math.floor(seq / (VISITORS * 20));
  const base = {
    anonymousId: `fold-${generation}-${seq % VISITORS}`,
    messageId: randomUUID(),
    timestamp: new Date().toISOString(),
    context: { userAgent: UA, page: { url: `https://shop.test/p/${seq % 50}` }, locale: 'en-US' },
  };
  if (seq % 50 === 0) {
    identifies += 1;
    const user = `user-${identifies % 2 === 1 ? identifies : identifies - 1}`;
    return {
      ...base,
      anonymousId: `fold-${generation}-${identifies % VISITORS}`,
      type: 'identify',
      userId: user,
      userHash: createHmac('sha256', identitySecret).update(user, 'utf8').digest('hex'),
      traits: { plan: 'pro', n: identifies },
    };
  }
  if (seq % 3 === 0)
    return { ...base, type: 'page', name: 'Product', properties: { sku: `SKU-${seq % 500}` } };
  return { ...base, type: 'track', event: 'Added To Cart', properties: { value: seq % 100 } };
}

const body = () =>
  JSON.stringify({ batch: Array.from({ length: PER_REQUEST }, event), sentAt: new Date().toISOString() });

function cannon(url, headers, duration, overallRate) {
  return postLoad({ url: `${url}/v1/batch`, connections: CONNECTIONS, duration, overallRate, headers, body });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Samples the site's fold lag every 250 ms until `stop()`. */
function lagSampler(db, siteId) {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await db.query(
        `SELECT coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS lag,
                coalesce(sum(cardinality(event_ids)), 0)::int AS backlog
           FROM event_outbox WHERE site_id = $1`,
        [siteId],
      );
      samples.push({ at: Date.now(), lag: rows[0].lag, backlog: rows[0].backlog });
      await sleep(250);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function main() {
  console.log(
    `fold bench: ${CONNECTIONS} connections, ${SECONDS} s to find the rate, ${FOLD_SECONDS} s held, ${VISITORS} visitors, db ${DB_URL}`,
  );
  console.log(`machine: load average ${loadAverage()}`);
  // A clean start: an earlier run's unfolded backlog and queued trigger jobs would compete with this one.
  await prepareDatabase(DB_URL, { fresh: true });
  const redis = new Redis(REDIS_URL);
  await redis.flushdb(); // the bench's own Redis database (BENCH_REDIS_URL)
  await redis.quit();
  const port = await freePort();
  const env = benchEnv(
    { port, dbUrl: DB_URL, redisUrl: REDIS_URL, prefix: 'nfbenchfold' },
    { INGEST_RATE_LIMIT: '10000000' },
  );
  const api = await startProcess(
    'apps/api/dist/main.js',
    env,
    'api listening',
    nodeArgsFrom('BENCH_API_NODE_ARGS'),
  );
  const worker = await startProcess(
    'apps/api/dist/worker.js',
    env,
    'worker started',
    nodeArgsFrom('BENCH_WORKER_NODE_ARGS'),
  );
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  const url = `http://127.0.0.1:${port}`;
  try {
    const { site, token } = await benchSite(url, 'Fold bench', 'fold.test');
    identitySecret = (await apiCall(url, `/api/sites/${site.id}/identity`, undefined, token, 'GET')).secret;
    const headers = {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${site.writeKey}:`).toString('base64')}`,
      'user-agent': UA,
    };

    const max = await cannon(url, headers, SECONDS);
    const maxRate = (max['2xx'] * PER_REQUEST) / SECONDS;
    console.log(
      `\n(1) /v1/batch ×${PER_REQUEST} with the worker folding: ${fmt(maxRate)} events/s, p99 ${max.latency.p99} ms, errors ${max.errors + max.non2xx}`,
    );
    // Let the fold catch up with phase 1 before holding the rate.
    for (let i = 0; i < DRAIN_SECONDS * 4; i++) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE site_id = $1`, [
        site.id,
      ]);
      if (rows[0].n === 0) break;
      await sleep(250);
    }

    // CPU of each process over the held phase and its drain: where an event's cost goes.
    const pgCpu = await postgresCpu(DB_URL);
    await pgCpu.start();
    const cpuBefore = [cpuMs(api.pid), cpuMs(worker.pid), cpuMs(process.pid)];
    const eventsBefore = Number(
      (await db.query(`SELECT count(*) FROM events WHERE site_id = $1`, [site.id])).rows[0].count,
    );
    const sampler = lagSampler(db, site.id);
    const asked = FOLD_RATE > 0 ? FOLD_RATE : maxRate;
    const held = await cannon(url, headers, FOLD_SECONDS, Math.max(1, Math.floor(asked / PER_REQUEST)));
    await sampler.stop();
    const heldRate = (held['2xx'] * PER_REQUEST) / FOLD_SECONDS;
    const lags = sampler.samples.map((s) => s.lag);
    const third = Math.max(1, Math.floor(lags.length / 3));
    const first = mean(lags.slice(0, third));
    const last = mean(lags.slice(-third));
    const stopped = Date.now();
    let drained = NaN;
    for (let i = 0; i < DRAIN_SECONDS * 10; i++) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE site_id = $1`, [
        site.id,
      ]);
      if (rows[0].n === 0) {
        drained = (Date.now() - stopped) / 1000;
        break;
      }
      await sleep(100);
    }
    const pgMs = await pgCpu.stop();
    await pgCpu.end();
    const cpuAfter = [cpuMs(api.pid), cpuMs(worker.pid), cpuMs(process.pid)];
    const counts = (
      await db.query(
        `SELECT (SELECT count(*) FROM events WHERE site_id = $1 AND name <> '$trait_changed')::int AS events,
                (SELECT coalesce(sum(event_count), 0) FROM visitors WHERE site_id = $1 AND merged_into IS NULL)::int AS counted,
                (SELECT count(*) FROM visitors WHERE site_id = $1 AND merged_into IS NULL)::int AS live,
                (SELECT count(*) FROM visitors WHERE site_id = $1 AND merged_into IS NOT NULL)::int AS merged`,
        [site.id],
      )
    ).rows[0];

    console.log(
      `(2) held for ${FOLD_SECONDS} s: ${fmt(heldRate)} events/s (asked ${fmt(asked)}), p99 ${held.latency.p99} ms, errors ${held.errors + held.non2xx}, ${identifies} identifies`,
    );
    console.log(
      `fold lag over ${lags.length} samples: p50 ${percentile(lags, 50).toFixed(3)} s, p99 ${percentile(lags, 99).toFixed(3)} s, max ${Math.max(...lags).toFixed(3)} s (target p99 < 1 s: ${percentile(lags, 99) < 1 ? 'ok' : 'missed'})`,
    );
    console.log(
      `growing? mean of the first third ${first.toFixed(3)} s, of the last third ${last.toFixed(3)} s (${last <= Math.max(first * 1.5, first + 0.25) ? 'not growing' : 'GROWING'}); peak backlog ${fmt(Math.max(...sampler.samples.map((s) => s.backlog)))} events`,
    );
    console.log(
      `drained ${Number.isNaN(drained) ? `not within ${DRAIN_SECONDS} s` : `${drained.toFixed(1)} s`} after the load stopped`,
    );
    console.log(
      `every event folded once: ${counts.events} events stored, ${counts.counted} counted on ${counts.live} live profiles (${counts.merged} merged away) (system $trait_changed events aside) -> ${counts.events === counts.counted ? 'ok' : 'MISMATCH'}`,
    );
    const heldEvents = counts.events - eventsBefore;
    const us = (ms) => ((ms * 1000) / Math.max(1, heldEvents)).toFixed(0).padStart(4);
    console.log(
      `CPU per event, µs (held phase and drain, ${fmt(heldEvents)} events): api ${us(cpuAfter[0] - cpuBefore[0])}  worker ${us(cpuAfter[1] - cpuBefore[1])}  PostgreSQL ${us(pgMs)}  client ${us(cpuAfter[2] - cpuBefore[2])}`,
    );
    figure('held events/s', fmt(heldRate));
    figure('fold lag p99', `${percentile(lags, 99).toFixed(3)} s`);
    figure('fold lag trend (first → last third)', `${first.toFixed(3)} → ${last.toFixed(3)} s`);
    figure(
      'CPU µs/event api/worker/PostgreSQL',
      `${us(cpuAfter[0] - cpuBefore[0]).trim()}/${us(cpuAfter[1] - cpuBefore[1]).trim()}/${us(pgMs).trim()}`,
    );
    figure('load average', loadAverage());
    console.log(`machine: load average ${loadAverage()}`);
  } finally {
    await db.end();
    // Graceful stops, awaited (at most 15 s): a process profiled with --cpu-prof writes its profile then.
    await Promise.all(
      [api, worker].map(
        (proc) =>
          new Promise((done) => {
            const timer = setTimeout(done, 15_000);
            proc.removeAllListeners('exit');
            proc.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            proc.kill('SIGTERM');
          }),
      ),
    );
  }
}

await main();
process.exit(0);
