// npm run bench -- runtime   (after `npm run build`)
//
// The flow runtime against raw BullMQ measured in the same run, on the same Redis, at the same
// concurrency as the steps queue (50): no-op jobs/s is the ceiling. Then the real worker:
//   1. enrollments through trigger → condition → update visitor → exit (runs/s, steps/s, ratio),
//   2. runs through a 1-second wait (wait lateness p50/p99),
//   3. trigger-to-effect latency at a steady rate (events/s) for a few seconds (show CTA).
// Bounded: BENCH_ENROLLMENTS (default 100,000, the size), BENCH_WAIT_RUNS (default 20,000),
// BENCH_RATE (1000/s) for BENCH_RATE_S (10 s), BENCH_TIMEOUT_S per phase (180).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import pg from 'pg';
import {
  BROWSER_UA,
  figure,
  loadAverage,
  nodeArgsFrom,
  prepareDatabase,
  root,
  storeModules,
} from './lib.mjs';

const ENROLLMENTS = Number(process.env.BENCH_ENROLLMENTS ?? 100_000);
const WAIT_RUNS = Number(process.env.BENCH_WAIT_RUNS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const RATE_S = Number(process.env.BENCH_RATE_S ?? 10);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 180) * 1000;
const CONCURRENCY = 50;
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_runtime';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const PREFIX = 'nfbench-runtime';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (n, d = 0) => Number(n).toFixed(d);

async function clearRedis() {
  const redis = new IORedis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

async function rawBullmq(n) {
  const connection = { url: REDIS_URL, maxRetriesPerRequest: null };
  const queue = new Queue('noop', { prefix: `${PREFIX}-raw`, connection });
  await queue.obliterate({ force: true }).catch(() => undefined);
  for (let i = 0; i < n; i += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        name: 'noop',
        data: { siteId: randomUUID(), runId: randomUUID() },
        opts: { jobId: `noop_${i + j}`, removeOnComplete: true },
      })),
    );
  let done = 0;
  const t0 = performance.now();
  const worker = new Worker('noop', async () => undefined, {
    prefix: `${PREFIX}-raw`,
    connection,
    concurrency: CONCURRENCY,
  });
  worker.on('completed', () => done++);
  while (done < n && performance.now() - t0 < TIMEOUT_MS) await sleep(20);
  const secs = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return done / secs;
}

function startWorker() {
  // BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the worker.
  const args = [...nodeArgsFrom('BENCH_WORKER_NODE_ARGS'), resolve(root, 'apps/api/dist/worker.js')];
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: DB_URL,
      DB_POOL_SIZE: '30',
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'warn',
      SCHEDULE_MAINTENANCE: 'true',
      RUNTIME_SITE_CONCURRENCY: '50',
      RUNTIME_SITE_TRIGGER_CONCURRENCY: '20',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return proc;
}

async function site(db, name) {
  const acc = await db.query(`INSERT INTO accounts (name) VALUES ($1) RETURNING id`, [name]);
  const s = await db.query(`INSERT INTO sites (account_id, name, domain) VALUES ($1, $2, $3) RETURNING id`, [
    acc.rows[0].id,
    name,
    `${name}.bench`,
  ]);
  return s.rows[0].id;
}

async function flow(db, siteId, name, nodes, edges, settings = {}) {
  const graph = {
    nodes: nodes.map((n, i) => ({ ...n, position: { x: 0, y: i * 100 } })),
    edges: edges.map(([source, sourceHandle, target], i) => ({ id: `e${i}`, source, sourceHandle, target })),
  };
  const f = await db.query(
    `INSERT INTO flows (site_id, name, status, draft, published_version) VALUES ($1, $2, 'live', $3, 1) RETURNING id`,
    [siteId, name, JSON.stringify({ graph, settings })],
  );
  await db.query(
    `INSERT INTO flow_versions (site_id, flow_id, version, graph, settings) VALUES ($1, $2, 1, $3, $4)`,
    [siteId, f.rows[0].id, JSON.stringify(graph), JSON.stringify(settings)],
  );
  return f.rows[0].id;
}

/**
 * The API's storage path, in this process (as `npm run bench -- ingest` measures it): normalizeBatch,
 * the request items and the group commit into EventStore.commit — dedupe window, events, outbox rows
 * with their ts bounds. The worker's fold then creates each new visitor and hands the events to the
 * trigger jobs, so every phase below includes the fold (an outbox row without ts bounds, as this
 * bench wrote before, is the previous release's format: no fold, and an unbounded trigger read).
 */
async function storagePath() {
  const [{ createDataSource }, { EventStore }, { ingestGroupCommit, ingestItems, commitSplit }, norm] =
    await storeModules();
  const ds = createDataSource({ DATABASE_URL: DB_URL, DB_POOL_SIZE: 8 });
  await ds.initialize();
  const store = new EventStore(ds);
  const commits = ingestGroupCommit((items) => store.commit(items));
  const meta = { userAgent: BROWSER_UA, country: null }; // a browser's: isbot flags a bench UA
  return {
    /** `count` events named `name`, each from a new anonymous visitor, in one request's worth. */
    async ingest(siteId, name, count, properties = {}) {
      const receivedAt = new Date();
      const batch = Array.from({ length: count }, () => ({
        type: 'track',
        event: name,
        anonymousId: randomUUID(),
        messageId: randomUUID(),
        timestamp: receivedAt.toISOString(),
        properties,
      }));
      const opts = { receivedAt, sentAt: receivedAt.toISOString(), newMessageId: randomUUID };
      const normalized = norm.normalizeBatch(batch, opts).events.map(({ event: e }) => e);
      const outcomes = await commitSplit(commits, siteId, ingestItems(siteId, normalized, meta, receivedAt));
      const stored = outcomes.filter((o) => o === 'stored').length;
      if (stored !== count) throw new Error(`storage path stored ${stored} of ${count} new events`);
    },
    close: () => ds.destroy(),
  };
}

async function waitRuns(db, siteId, flowId, n, label) {
  const t0 = performance.now();
  for (;;) {
    const r = await db.query(
      `SELECT count(*) FILTER (WHERE status IN ('completed', 'exited', 'converted'))::int AS done,
              count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM runs WHERE site_id = $1 AND flow_id = $2`,
      [siteId, flowId],
    );
    const { done, failed } = r.rows[0];
    if (done + failed >= n) return { done, failed };
    if (performance.now() - t0 > TIMEOUT_MS) {
      console.log(`  ${label}: timed out with ${done}/${n} runs finished`);
      return { done, failed };
    }
    await sleep(200);
  }
}

const cond = {
  kind: 'group',
  combinator: 'and',
  rules: [{ kind: 'rule', source: 'event_property', key: 'plan', operator: 'eq', value: 'pro' }],
};

await prepareDatabase(DB_URL, { fresh: true }); // each run on an empty database (a reused one grew by 100,000 runs a run)
await clearRedis();
const db = new pg.Client({ connectionString: DB_URL });
await db.connect();
console.log(
  `runtime bench: ${ENROLLMENTS} enrollments, ${WAIT_RUNS} waits, ${RATE}/s for ${RATE_S}s, concurrency ${CONCURRENCY}`,
);

const raw = await rawBullmq(Math.min(ENROLLMENTS, 20_000));
console.log(`raw BullMQ no-op:        ${fmt(raw)} jobs/s`);
figure('raw BullMQ no-op jobs/s', fmt(raw));

const store = await storagePath();
const worker = startWorker();
await sleep(4000);
try {
  // 1. enrollments
  const s1 = await site(db, `bench-${randomUUID().slice(0, 6)}`);
  const f1 = await flow(
    db,
    s1,
    'enrol',
    [
      { id: 't', type: 'trigger_event', config: { event: 'signup', filters: [] } },
      { id: 'c', type: 'condition', config: { group: cond } },
      {
        id: 'u',
        type: 'update_visitor',
        config: {
          setTraits: [{ key: 'tier', value: 'vip', valueType: 'string' }],
          addTags: [],
          unsetTraits: [],
          removeTags: [],
        },
      },
      { id: 'x', type: 'exit', config: {} },
      { id: 'x2', type: 'exit', config: {} },
    ],
    [
      ['t', 'next', 'c'],
      ['c', 'yes', 'u'],
      ['c', 'no', 'x2'],
      ['u', 'next', 'x'],
    ],
    { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] },
  );
  let t0 = performance.now();
  for (let i = 0; i < ENROLLMENTS; i += 500)
    await store.ingest(s1, 'signup', Math.min(500, ENROLLMENTS - i), { plan: 'pro' });
  const r1 = await waitRuns(db, s1, f1, ENROLLMENTS, 'enrollments');
  const secs1 = (performance.now() - t0) / 1000;
  const steps1 = (await db.query(`SELECT count(*)::int AS n FROM run_steps WHERE site_id = $1`, [s1])).rows[0]
    .n;
  console.log(
    `enrollments:             ${r1.done} runs in ${fmt(secs1, 1)} s = ${fmt(r1.done / secs1)} runs/s, ` +
      `${fmt(steps1 / secs1)} steps/s (${steps1} ledger rows) = ${fmt((100 * (steps1 / secs1)) / raw, 1)} % of raw no-op` +
      (r1.failed ? `, ${r1.failed} failed` : ''),
  );
  const runs1 = r1.done / secs1;
  figure('enrolment steps/s', `${fmt(steps1 / secs1)} (${fmt((100 * (steps1 / secs1)) / raw, 1)} % of raw)`);
  console.log(
    `                         (runs/s ${fmt(runs1)} = ${fmt((100 * runs1) / raw, 1)} % of raw no-op; a run's instantaneous steps advance in ` +
      `the trigger job that enrols it, one transaction per hand-off of up to 500 events)`,
  );

  // 2. a 1-second wait
  const s2 = await site(db, `bench-${randomUUID().slice(0, 6)}`);
  const f2 = await flow(
    db,
    s2,
    'wait',
    [
      { id: 't', type: 'trigger_event', config: { event: 'visit', filters: [] } },
      { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'seconds' } } },
      {
        id: 'u',
        type: 'update_visitor',
        config: { setTraits: [], addTags: ['waited'], unsetTraits: [], removeTags: [] },
      },
    ],
    [
      ['t', 'next', 'w'],
      ['w', 'next', 'u'],
    ],
  );
  t0 = performance.now();
  for (let i = 0; i < WAIT_RUNS; i += 500) await store.ingest(s2, 'visit', Math.min(500, WAIT_RUNS - i));
  const r2 = await waitRuns(db, s2, f2, WAIT_RUNS, 'waits');
  const secs2 = (performance.now() - t0) / 1000;
  const late = (
    await db.query(
      `SELECT extract(epoch FROM w.created_at - (t.created_at + interval '1 second')) * 1000 AS ms
         FROM run_steps w JOIN run_steps t ON t.site_id = w.site_id AND t.run_id = w.run_id AND t.node_id = 't'
        WHERE w.site_id = $1 AND w.node_id = 'w'`,
      [s2],
    )
  ).rows
    .map((r) => Number(r.ms))
    .sort((a, b) => a - b);
  figure('1 s wait lateness p99', `${fmt(pct(late, 0.99))} ms`);
  console.log(
    `1 s wait:                ${r2.done} runs in ${fmt(secs2, 1)} s; lateness p50 ${fmt(pct(late, 0.5))} ms, p99 ${fmt(pct(late, 0.99))} ms`,
  );

  // 3. steady rate, trigger to effect
  const s3 = await site(db, `bench-${randomUUID().slice(0, 6)}`);
  const f3 = await flow(
    db,
    s3,
    'cta',
    [
      { id: 't', type: 'trigger_event', config: { event: 'view', filters: [] } },
      { id: 's', type: 'show_cta', config: { ctaId: 'cta' } },
    ],
    [['t', 'next', 's']],
  );
  const tick = 100;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  t0 = performance.now();
  let sent = 0;
  for (let i = 0; i < (RATE_S * 1000) / tick; i++) {
    const due = t0 + i * tick;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await store.ingest(s3, 'view', perTick);
    sent += perTick;
  }
  const actualRate = sent / ((performance.now() - t0) / 1000);
  await waitRuns(db, s3, f3, sent, 'rate');
  const lat = (
    await db.query(
      `SELECT extract(epoch FROM m.created_at - e.received_at) * 1000 AS ms
         FROM onsite_messages m JOIN events e ON e.site_id = m.site_id AND e.visitor_id = m.visitor_id
        WHERE m.site_id = $1`,
      [s3],
    )
  ).rows
    .map((r) => Number(r.ms))
    .sort((a, b) => a - b);
  console.log(
    `trigger → effect:        ${sent} events at ${fmt(actualRate)} events/s; p50 ${fmt(pct(lat, 0.5))} ms, p99 ${fmt(pct(lat, 0.99))} ms`,
  );
  figure('trigger → effect p99', `${fmt(pct(lat, 0.99))} ms at ${fmt(actualRate)} events/s`);
  figure('load average', loadAverage());
  void f3;
} finally {
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await db.end();
  await store.close();
  await clearRedis();
}
