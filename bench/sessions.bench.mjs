// npm run bench -- sessions   (after `npm run build`)
//
// N concurrent visitor sessions through the public API, load generator on the same box: each session
// loops page view (POST /v1/batch, text/plain as the embed sends it) -> POST /v1/decide -> 30 %
// add_to_cart (POST /v1/batch), then thinks 5-15 s. Sessions start spread over the first think time;
// only calls after that ramp are measured. Per level (BENCH_SESSIONS, e.g. "1000,5000,10000"), for
// BENCH_SECONDS: requests/s, errors, p50/p99 of every call; then the largest N that held 0 errors and
// p99 < 250 ms for every call. One API process and one worker (BENCH_WORKER=0: none), identity
// verification on (the default for a new site).
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import {
  apiCall,
  benchEnv,
  benchSite,
  freePort,
  loadAverage,
  percentile,
  prepareDatabase,
  startProcess,
  BROWSER_UA as UA,
} from './lib.mjs';

const LEVELS = (process.env.BENCH_SESSIONS ?? '1000,5000,10000').split(',').map(Number).filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const THINK_MIN_MS = 5000;
const THINK_MAX_MS = 15_000;
const P99_TARGET_MS = 250;
const DB_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_sessions';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const PREFIX = 'nfbenchsessions';
const PATHS = ['/', '/pricing', '/product/shoes', '/product/hats', '/blog/post-1', '/checkout'];

// Browsers hold a few connections each; the generator shares a bounded pool (the box's open-files limit).
const agent = new Agent({ connections: Number(process.env.BENCH_SOCKETS ?? 2000), pipelining: 1 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function call(url, body) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify(body),
    dispatcher: agent,
  });
  await res.body.text();
  return res.statusCode;
}

/** Runs `sessions` visitor loops for the ramp plus SECONDS; returns the measured calls. */
async function runLevel(api, writeKey, sessions) {
  const stats = { page: [], decide: [], add_to_cart: [] };
  let errors = 0;
  let measured = 0;
  const rampEnd = Date.now() + THINK_MAX_MS;
  const end = rampEnd + SECONDS * 1000;
  const timed = async (kind, path, body) => {
    const t0 = performance.now();
    let status = 0;
    try {
      status = await call(`${api}${path}`, body);
    } catch {
      status = -1;
    }
    const ms = performance.now() - t0;
    if (Date.now() >= rampEnd && Date.now() <= end) {
      measured += 1;
      stats[kind].push(ms);
      if (status < 200 || status >= 300) errors += 1;
    }
  };
  const event = (anonymousId, e) => ({
    anonymousId,
    messageId: randomUUID(),
    timestamp: new Date().toISOString(),
    context: { userAgent: UA, page: { url: e.url, path: e.path } },
    ...e.fields,
  });
  const session = async () => {
    await sleep(Math.random() * THINK_MAX_MS);
    const anonymousId = randomUUID();
    while (Date.now() < end) {
      const path = PATHS[Math.floor(Math.random() * PATHS.length)];
      const url = `https://shop.bench${path}`;
      const page = event(anonymousId, { url, path, fields: { type: 'page', properties: { url, path } } });
      await timed('page', '/v1/batch', { writeKey, batch: [page], sentAt: new Date().toISOString() });
      await timed('decide', '/v1/decide', {
        writeKey,
        anonymousId,
        url,
        referrer: '',
        context: { userAgent: UA },
      });
      if (Math.random() < 0.3) {
        const cart = event(anonymousId, {
          url,
          path,
          fields: { type: 'track', event: 'add_to_cart', properties: { sku: 'sku-1', price: 42 } },
        });
        await timed('add_to_cart', '/v1/batch', {
          writeKey,
          batch: [cart],
          sentAt: new Date().toISOString(),
        });
      }
      await sleep(THINK_MIN_MS + Math.random() * (THINK_MAX_MS - THINK_MIN_MS));
    }
  };
  await Promise.all(Array.from({ length: sessions }, session));
  return { stats, errors, rate: measured / SECONDS };
}

async function main() {
  console.log(
    `sessions bench: levels ${LEVELS.join(', ')}, ${SECONDS} s measured per level after a ${THINK_MAX_MS / 1000} s ramp; ${loadAverage()}`,
  );
  await prepareDatabase(DB_URL);
  const port = await freePort();
  const env = benchEnv(
    { port, dbUrl: DB_URL, redisUrl: REDIS_URL, prefix: PREFIX },
    { DECIDE_RATE_LIMIT: '1000000', INGEST_RATE_LIMIT: '1000000' },
  );
  const procs = [await startProcess('apps/api/dist/main.js', env, 'api listening')];
  if (process.env.BENCH_WORKER !== '0') {
    procs.push(await startProcess('apps/api/dist/worker.js', env, 'worker started'));
  }
  const api = `http://127.0.0.1:${port}`;
  try {
    const { site, token } = await benchSite(api, 'Bench', 'sessions.bench');
    const signup = { accessToken: token };
    for (let i = 0; i < 5; i++) {
      const id = `s-cta-${i}`;
      const config = {
        kind: ['bar', 'slide_in', 'modal', 'bar', 'slide_in'][i],
        targeting:
          i % 2 ? { urlRules: [{ target: 'path', operator: 'starts_with', value: '/product' }] } : {},
        variants: [{ id: 'a', content: { headline: `Offer ${i}`, body: '<p>Save 10%</p>' } }],
      };
      await apiCall(api, `/api/sites/${site.id}/ctas`, { id, name: id, config }, signup.accessToken);
      await apiCall(api, `/api/sites/${site.id}/ctas/${id}/publish`, {}, signup.accessToken);
    }
    console.log(
      '\nsessions   req/s    errors   page p50/p99      decide p50/p99    add_to_cart p50/p99   load',
    );
    let held = 0;
    for (const n of LEVELS) {
      const r = await runLevel(api, site.writeKey, n);
      const cell = (v) => `${percentile(v, 50).toFixed(0)}/${percentile(v, 99).toFixed(0)} ms`.padEnd(18);
      const ok =
        r.errors === 0 &&
        Object.values(r.stats).every((v) => v.length > 0 && percentile(v, 99) < P99_TARGET_MS);
      if (ok) held = Math.max(held, n);
      console.log(
        `${fmt(n).padEnd(11)}${fmt(r.rate).padEnd(9)}${String(r.errors).padEnd(9)}${cell(r.stats.page)}${cell(r.stats.decide)}${cell(r.stats.add_to_cart)}  ${loadAverage()}${ok ? '' : '  (missed)'}`,
      );
    }
    console.log(
      `\nlargest N with 0 errors and p99 < ${P99_TARGET_MS} ms for every call: ${held ? fmt(held) : 'none of the levels'}`,
    );
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await agent.close();
  }
}

await main();
process.exit(0);
