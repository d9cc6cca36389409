// npm run bench -- ingest   (after `npm run build`; BENCH_SECONDS=10 per scenario by default)
//
// In one run, on loopback: (1) raw COPY of batch-shaped rows straight into `events` with pg, then the
// real API process under autocannon at 100 connections: (2) /v1/batch with 20 events per request,
// (3) single-event /v1/track, (4) the same single-event load on a minimal NestJS POST route. Prints
// events/s, p50/p99 and the ratios, and the dedupe window's bytes per id at a simulated steady state
// (bench/dedupe-window.mjs, BENCH_DEDUPE_IDS; 0 skips it). Beside each HTTP
// scenario, the storage path alone (no HTTP) shows how much of the gap the storage work leaves.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { availableParallelism } from 'node:os';
import {
  benchEnv,
  benchSite,
  cpuMs,
  figure,
  freePort,
  loadAverage,
  nodeArgsFrom,
  postgresCpu,
  postLoad,
  prepareDatabase,
  startProcess,
  BROWSER_UA as UA,
  storeModules,
} from './lib.mjs';
import { dedupeSteadyState, printDedupe } from './dedupe-window.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const BATCH_P99_CONNECTIONS = 20;
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench';
/** Ids in the dedupe window's steady state (bench/dedupe-window.mjs); 0 skips it. */
const DEDUPE_IDS = Number(process.env.BENCH_DEDUPE_IDS ?? 1_000_000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
// BENCH_VISITORS: how many visitors the events name (each event updates its visitor's profile).
const VISITORS = Number(process.env.BENCH_VISITORS ?? 5000);
// BENCH_INGEST_ONLY=batch|single runs one scenario with its baseline (to profile it alone).
const ONLY = process.env.BENCH_INGEST_ONLY;
const wanted = (name) => !ONLY || ONLY === name;

let seq = 0;
const event = (type = 'track') => {
  seq += 1;
  const e = {
    type,
    anonymousId: `bench-${seq % VISITORS}`,
    messageId: `${randomUUID()}`,
    timestamp: new Date().toISOString(),
    properties: { plan: 'pro', value: seq % 100, sku: `SKU-${seq % 500}` },
    context: {
      userAgent: UA,
      page: { url: `https://shop.test/p/${seq % 50}`, referrer: '' },
      locale: 'en-US',
    },
  };
  if (type === 'track') e.event = 'Added To Cart';
  return e;
};

function cannon(url, path, makeBody, headers, connections = CONNECTIONS) {
  return postLoad({ url: `${url}${path}`, connections, duration: SECONDS, headers, body: makeBody });
}

async function rawCopy(siteId) {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  // The same rows as the API writes: each event's visitor is the profile of its anonymousId (5,000
  // visitors), so the visitor index takes inserts all over, as it does under the API.
  const visitors = Array.from({ length: VISITORS }, () => randomUUID());
  let rows = 0;
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  while (Date.now() < deadline) {
    const lines = [];
    for (let i = 0; i < 2000; i++) {
      const e = event(i % 4 === 0 ? 'page' : 'track');
      const now = new Date().toISOString();
      lines.push(
        [
          siteId,
          now,
          now,
          e.messageId,
          e.type,
          e.event ?? '$page',
          visitors[seq % VISITORS],
          e.anonymousId,
          '\\N',
          JSON.stringify(e.properties),
          '{}',
          JSON.stringify(e.context),
          'f',
        ].join('\t') + '\n',
      );
    }
    await pipeline(
      Readable.from(lines),
      client.query(
        copyStreams.from(
          `COPY events (site_id, ts, received_at, message_id, type, name, visitor_id, anonymous_id, user_id,
                        properties, traits, context, is_bot) FROM STDIN`,
        ),
      ),
    );
    rows += lines.length;
  }
  const seconds = (Date.now() - started) / 1000;
  await client.end();
  return rows / seconds;
}

/**
 * The storage path alone, in this process: the same events through normalizeBatch, eventFacts and the
 * API's own items and group commit into EventStore.commit (dedupe window, visitors, events, outbox), from
 * CONNECTIONS concurrent submitters of `perRequest` events each, for SECONDS. No HTTP, key check or
 * rate limit: what the HTTP scenario adds to it is the rest of the gap.
 */
async function storePath(siteId, perRequest, modules) {
  const [{ createDataSource }, { EventStore }, { ingestGroupCommit, ingestItems, commitSplit }, norm] =
    modules;
  const ds = createDataSource({ DATABASE_URL: DB_URL, DB_POOL_SIZE: 24 });
  await ds.initialize();
  const store = new EventStore(ds);
  const commits = ingestGroupCommit((items) => store.commit(items));
  const meta = { userAgent: UA, country: null };
  let events = 0;
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const submitter = async () => {
    while (Date.now() < deadline) {
      const receivedAt = new Date();
      const batch = Array.from({ length: perRequest }, () => event());
      const opts = { receivedAt, sentAt: receivedAt.toISOString(), newMessageId: randomUUID };
      const normalized = norm.normalizeBatch(batch, opts).events.map(({ event: e }) => e);
      const items = ingestItems(siteId, normalized, meta, receivedAt);
      await commitSplit(commits, siteId, items);
      events += items.length;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, submitter));
  const seconds = (Date.now() - started) / 1000;
  // Closed by the caller once PostgreSQL's CPU is read: a backend that exits before is not counted.
  return { events, rate: events / seconds, close: () => ds.destroy() };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => `${n.toFixed(1)} ms`;

async function main() {
  console.log(`ingest bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario, db ${DB_URL}`);
  await prepareDatabase(DB_URL);
  const apiPort = await freePort();
  const apiEnv = benchEnv(
    { port: apiPort, dbUrl: DB_URL, redisUrl: REDIS_URL, prefix: 'nfbench' },
    { INGEST_RATE_LIMIT: '10000000' },
  );
  // BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the API process.
  const api = await startProcess(
    'apps/api/dist/main.js',
    apiEnv,
    'api listening',
    nodeArgsFrom('BENCH_API_NODE_ARGS'),
  );
  const url = `http://127.0.0.1:${apiPort}`;
  const minimalPort = await freePort();
  const minimal = await startProcess('bench/minimal-route.mjs', { PORT: String(minimalPort) }, 'listening');
  try {
    const { site } = await benchSite(url, 'Bench', 'bench.test');
    const auth = {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${site.writeKey}:`).toString('base64')}`,
      'user-agent': UA,
    };

    const skipped = { '2xx': 0, latency: { p50: NaN, p99: NaN }, errors: 0, non2xx: 0, cpu: null };
    const copyRate = wanted('batch') ? await rawCopy(site.id) : NaN;
    if (wanted('batch')) console.log(`raw COPY into events: ${fmt(copyRate)} rows/s`);

    // CPU per event of each process (server, PostgreSQL, the load client in this process): where the
    // time goes, and the rate two cores could sustain at that cost.
    const pgCpu = await postgresCpu(DB_URL);
    const withCpu = async (server, run, perRequest) => {
      await pgCpu.start();
      const before = [cpuMs(server.pid), cpuMs(process.pid)];
      const result = await run();
      const db = await pgCpu.stop();
      const events = result['2xx'] * perRequest;
      const us = (ms) => (ms * 1000) / Math.max(1, events);
      result.cpu = {
        server: us(cpuMs(server.pid) - before[0]),
        db: us(db),
        client: us(cpuMs(process.pid) - before[1]),
      };
      return result;
    };
    // The storage path runs in this process: its CPU is this process's, and there is no load client.
    const modules = await storeModules(); // loaded before any CPU is counted
    const withStoreCpu = async (perRequest) => {
      await pgCpu.start();
      const before = cpuMs(process.pid);
      const result = await storePath(site.id, perRequest, modules);
      const db = await pgCpu.stop();
      const self = cpuMs(process.pid) - before;
      await result.close();
      const us = (ms) => (ms * 1000) / Math.max(1, result.events);
      result.cpu = { server: us(self), db: us(db), client: 0 };
      return result;
    };
    const storeSkipped = { rate: NaN, cpu: null };
    const batchBody = () =>
      JSON.stringify({ batch: Array.from({ length: 20 }, () => event()), sentAt: new Date().toISOString() });
    const batch = wanted('batch')
      ? await withCpu(api, () => cannon(url, '/v1/batch', batchBody, auth), 20)
      : skipped;
    const batchEvents = (batch['2xx'] * 20) / SECONDS;
    // The issue's latency target for batches is at 20 connections (100 × 20 events in flight put the
    // mean near 100 ms by Little's law alone).
    const batch20 = wanted('batch')
      ? await cannon(url, '/v1/batch', batchBody, auth, BATCH_P99_CONNECTIONS)
      : skipped;
    const storeBatch = wanted('batch') ? await withStoreCpu(20) : storeSkipped;
    const single = wanted('single')
      ? await withCpu(api, () => cannon(url, '/v1/track', () => JSON.stringify(event()), auth), 1)
      : skipped;
    const singleRate = single['2xx'] / SECONDS;
    const storeSingle = wanted('single') ? await withStoreCpu(1) : storeSkipped;
    const base = wanted('single')
      ? await withCpu(
          minimal,
          () => cannon(`http://127.0.0.1:${minimalPort}`, '/v1/track', () => JSON.stringify(event()), auth),
          1,
        )
      : skipped;
    await pgCpu.end();
    const baseRate = base['2xx'] / SECONDS;

    const rows = [
      ['raw COPY (baseline)', `${fmt(copyRate)} ev/s`, '', ''],
      ['/v1/batch ×20', `${fmt(batchEvents)} ev/s`, ms(batch.latency.p50), ms(batch.latency.p99)],
      [
        `  at ${BATCH_P99_CONNECTIONS} connections`,
        `${fmt((batch20['2xx'] * 20) / SECONDS)} ev/s`,
        ms(batch20.latency.p50),
        ms(batch20.latency.p99),
      ],
      ['  storage path only ×20', `${fmt(storeBatch.rate)} ev/s`, '', ''],
      ['minimal Nest POST (baseline)', `${fmt(baseRate)} req/s`, ms(base.latency.p50), ms(base.latency.p99)],
      ['/v1/track single', `${fmt(singleRate)} ev/s`, ms(single.latency.p50), ms(single.latency.p99)],
      ['  storage path only ×1', `${fmt(storeSingle.rate)} ev/s`, '', ''],
    ];
    console.log('\nscenario                        rate              p50        p99');
    for (const r of rows) console.log(`${r[0].padEnd(32)}${r[1].padEnd(18)}${r[2].padEnd(11)}${r[3]}`);
    const batchRatio = batchEvents / copyRate;
    const singleRatio = singleRate / baseRate;
    console.log(
      `\nbatch / raw COPY      = ${(batchRatio * 100).toFixed(1)} %  (target >= 50 %: ${batchRatio >= 0.5 ? 'ok' : 'missed'}; p99 at ${BATCH_P99_CONNECTIONS} connections < 100 ms: ${batch20.latency.p99 < 100 ? 'ok' : 'missed'})`,
    );
    console.log(
      `single / minimal route = ${(singleRatio * 100).toFixed(1)} %  (target >= 50 %: ${singleRatio >= 0.5 ? 'ok' : 'missed'}; p99 < 50 ms: ${single.latency.p99 < 50 ? 'ok' : 'missed'})`,
    );
    if (wanted('batch')) {
      figure('raw COPY rows/s', fmt(copyRate));
      figure('/v1/batch ×20 events/s', `${fmt(batchEvents)} (${(batchRatio * 100).toFixed(1)} % of COPY)`);
      figure(`/v1/batch p99 at ${BATCH_P99_CONNECTIONS} connections`, ms(batch20.latency.p99));
    }
    if (wanted('single')) {
      figure('/v1/track events/s', `${fmt(singleRate)} (${(singleRatio * 100).toFixed(1)} % of minimal)`);
      figure('/v1/track p99', ms(single.latency.p99));
    }
    figure('load average', loadAverage());
    console.log(
      `storage path alone, no HTTP: ×20 = ${((storeBatch.rate / copyRate) * 100).toFixed(1)} % of raw COPY, ` +
        `×1 = ${((storeSingle.rate / baseRate) * 100).toFixed(1)} % of the minimal route`,
    );
    const cores = availableParallelism();
    console.log(`\nCPU per event, µs (load average ${loadAverage()}; ${cores} cores):`);
    for (const [name, r] of [
      ['/v1/batch ×20', batch],
      ['storage only ×20', storeBatch],
      ['/v1/track single', single],
      ['storage only ×1', storeSingle],
      ['minimal route', base],
    ]) {
      if (!r.cpu) continue;
      const total = r.cpu.server + r.cpu.db + r.cpu.client;
      console.log(
        `  ${name.padEnd(18)} server ${r.cpu.server.toFixed(0).padStart(4)}  PostgreSQL ${r.cpu.db.toFixed(0).padStart(4)}  client ${r.cpu.client.toFixed(0).padStart(4)}  = ${total.toFixed(0).padStart(4)}  (${cores} cores at this cost: ${fmt((cores * 1e6) / total)}/s)`,
      );
    }
    console.log(
      `errors: batch ${batch.errors + batch.non2xx}, single ${single.errors + single.non2xx}, minimal ${base.errors + base.non2xx}`,
    );
    // The window's bytes per id need 48 hours of ids and the sealing job: simulated, in this database.
    if (DEDUPE_IDS > 0) printDedupe(await dedupeSteadyState({ dbUrl: DB_URL, ids: DEDUPE_IDS }));
  } finally {
    minimal.kill('SIGTERM');
    const exited = new Promise((r) => api.once('exit', r));
    api.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
