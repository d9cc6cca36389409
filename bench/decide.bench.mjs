// npm run bench -- decide   (after `npm run build`; BENCH_SECONDS=10 per scenario by default)
//
// In one run, on loopback: a site with 100,000 visitors (traits, tags, sessions, CTA events, pending
// flow messages) and 20 published CTAs; (1) /v1/decide under autocannon at 100 connections with a
// random visitor (10 % unknown) and page per request, (2) the same load on a minimal NestJS POST
// route (bench/minimal-route.mjs); prints req/s, p50/p99 and the ratio. Then (3) live push: one API
// process holds BENCH_LIVE idle SSE connections (raw sockets from several 127.0.0.x addresses),
// prints its RSS, the delivery latency of pushes announced over Redis, and that one more is refused.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import Redis from 'ioredis';
import pg from 'pg';
import {
  apiCall,
  BENCH_JWT_SECRET,
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
} from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const VISITORS = Number(process.env.BENCH_VISITORS ?? 100_000);
// The sandbox's hard open-files limit is 20,000 per process (this client and the API each hold one
// socket per connection plus a few dozen of their own), so 19,500 is as close to 20,000 as it gets.
const LIVE = Number(process.env.BENCH_LIVE ?? 19_500);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_decide';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const PREFIX = 'nfbenchdecide';
const JWT_SECRET = BENCH_JWT_SECRET;
const MOBILE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

const PATHS = ['/', '/pricing', '/product/shoes', '/product/hats', '/blog/post-1', '/checkout', '/about'];

/** 20 CTAs: 15 always-on with assorted targeting and caps, 5 flow-only (messages). */
function ctaConfigs() {
  const v = (id, weight = 1) => ({
    id,
    weight,
    content: {
      headline: `Hi {{visitor.traits.name}} (${id})`,
      body: '<p>Save <b>10%</b> today, {{visitor.traits.name}}.</p>',
      buttons: [{ label: 'Shop now', action: 'url', url: 'https://shop.test/sale' }],
    },
  });
  const out = [];
  for (let i = 0; i < 20; i++) {
    const targeting = {};
    if (i % 4 === 0) targeting.urlRules = [{ target: 'path', operator: 'starts_with', value: '/product' }];
    if (i % 4 === 1) targeting.urlRules = [{ target: 'path', operator: 'equals', value: '/pricing' }];
    if (i % 5 === 2) targeting.devices = ['mobile'];
    if (i % 3 === 0) targeting.traits = [{ key: 'plan', operator: 'equals', value: 'pro' }];
    if (i % 6 === 1) targeting.visitorType = 'returning';
    if (i % 7 === 3) targeting.tagsNone = ['customer'];
    out.push({
      id: `bench-cta-${i}`,
      config: {
        kind: ['modal', 'bar', 'slide_in', 'inline'][i % 4],
        selector: i % 4 === 3 ? '#slot' : undefined,
        mode: i >= 15 ? 'flow' : 'always',
        priority: (i * 37) % 100,
        variants: [v('a', 2), v('b', 1)],
        targeting,
        caps: { hideAfterCloseDays: 7, maxPerSession: 3, maxPerDay: 5, stopAfterConversion: true },
      },
    });
  }
  return out;
}

async function seedVisitors(siteId) {
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  try {
    await db.query(`SELECT nf_ensure_daily_partitions('events', current_date - 30, current_date + 2)`);
    await db.query(
      `WITH s AS (SELECT i, gen_random_uuid() AS id FROM generate_series(1, $2::int) i)
       INSERT INTO visitors (site_id, id, anonymous_ids, traits, tags, first_seen_at, last_seen_at,
                             session_count, visit_count, event_count)
       SELECT $1, id, ARRAY['bv-' || i], jsonb_build_object('plan', CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END,
              'name', 'Visitor ' || i, 'ltv', i % 500),
              CASE WHEN i % 10 = 0 THEN '{customer}'::text[] ELSE '{}'::text[] END,
              now() - make_interval(days => i % 30), now() - make_interval(mins => i % 600), 1 + i % 5, 1 + i % 9, 12
         FROM s`,
      [siteId, VISITORS],
    );
    await db.query(
      `INSERT INTO visitor_identities (site_id, kind, value, visitor_id)
       SELECT site_id, 'anon', anonymous_ids[1], id FROM visitors WHERE site_id = $1`,
      [siteId],
    );
    // Page views (8 per visitor over 20 days) and CTA events (40 % of visitors, 1-4 each).
    await db.query(
      `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, anonymous_id, properties, context)
       SELECT $1, now() - make_interval(hours => (g * 53 + n * 7) % 480), gen_random_uuid()::text, 'page', '',
              v.id, v.anonymous_ids[1], jsonb_build_object('path', '/product/' || n), '{}'
         FROM visitors v, generate_series(1, 8) n, LATERAL (SELECT mod(hashtext(v.id::text)::bigint + 2147483648, 100000)::int AS g) h
        WHERE v.site_id = $1`,
      [siteId],
    );
    await db.query(
      `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, anonymous_id, properties, context)
       SELECT $1, now() - make_interval(hours => (g + n * 11) % 200), gen_random_uuid()::text, 'track',
              (ARRAY['cta_viewed', 'cta_viewed', 'cta_clicked', 'cta_closed', 'cta_converted'])[1 + (g + n) % 5],
              v.id, v.anonymous_ids[1],
              jsonb_build_object('cta_id', 'bench-cta-' || ((g + n) % 20), 'variant_id', CASE WHEN n % 2 = 0 THEN 'a' ELSE 'b' END),
              '{}'
         FROM visitors v, LATERAL (SELECT mod(hashtext(v.id::text)::bigint + 2147483648, 100000)::int AS g) h,
              LATERAL generate_series(1, 1 + (h.g % 4)) n
        WHERE v.site_id = $1 AND h.g % 10 < 4`,
      [siteId],
    );
    // Ingestion keeps each visitor's CTA log with the events; events seeded by SQL need it rebuilt.
    await db.query(`SELECT nf_rebuild_cta_log($1)`, [siteId]);
    await db.query(
      `INSERT INTO onsite_messages (site_id, visitor_id, cta_id, idempotency_key, priority, expires_at)
       SELECT $1, id, 'bench-cta-' || (15 + mod(hashtext(id::text)::bigint + 2147483648, 5)), 'seed-' || id, 60, now() + interval '3 days'
         FROM visitors WHERE site_id = $1 AND mod(hashtext(id::text)::bigint + 2147483648, 20) = 0`,
      [siteId],
    );
    await db.query('ANALYZE');
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM visitors WHERE site_id = $1) AS visitors,
              (SELECT count(*) FROM events WHERE site_id = $1) AS events,
              (SELECT count(*) FROM onsite_messages WHERE site_id = $1) AS messages`,
      [siteId],
    );
    return rows[0];
  } finally {
    await db.end();
  }
}

function cannon(url, path, makeBody) {
  return postLoad({
    url: `${url}${path}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'content-type': 'text/plain' },
    body: makeBody,
  });
}

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => `${n.toFixed(1)} ms`;

/** One raw SSE connection; resolves with the status line, then reports `event: cta` frames. */
function openLive(port, localAddress, path, onCta) {
  return new Promise((res) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress });
    let head = '';
    let status = 0;
    sock.setEncoding('utf8');
    sock.on('connect', () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`),
    );
    sock.on('data', (d) => {
      if (!status) {
        head += d;
        const m = /^HTTP\/1\.1 (\d+)/.exec(head);
        if (m) {
          status = Number(m[1]);
          res({ status, sock });
        }
      }
      if (d.includes('event: cta')) onCta();
    });
    sock.on('error', () => res({ status: -1, sock }));
  });
}

async function liveBench(siteId, writeKey, visitorIds) {
  const port = await freePort();
  const env = benchEnv(
    { port: port, dbUrl: DB_URL, redisUrl: REDIS_URL, prefix: PREFIX },
    {
      LIVE_MAX_CONNECTIONS: String(LIVE),
      DB_POOL_SIZE: '10',
    },
  );
  const api = await startProcess(
    'apps/api/dist/main.js',
    env,
    'api listening',
    nodeArgsFrom('BENCH_API_NODE_ARGS'),
  );
  await new Promise((r) => setTimeout(r, 500));
  const sign = (anon) =>
    createHmac('sha256', JWT_SECRET).update(`live:${siteId}:${anon}`).digest('base64url').slice(0, 32);
  const pathFor = (anon) =>
    `/v1/live?${new globalThis.URLSearchParams({ k: writeKey, a: anon, s: sign(anon) }).toString()}`;
  const rssBefore = rssMb(api.pid);
  const arrivals = new Map();
  const socks = [];
  const started = Date.now();
  let refused = 0;
  for (let i = 0; i < LIVE; i += 400) {
    const batch = [];
    for (let j = i; j < Math.min(LIVE, i + 400); j++) {
      const anon = `bv-${j + 1}`;
      batch.push(
        openLive(port, `127.0.0.${1 + (j % 4)}`, pathFor(anon), () => arrivals.get(anon)?.(Date.now())),
      );
    }
    for (const r of await Promise.all(batch)) {
      if (r.status === 200) socks.push(r.sock);
      else {
        refused += 1;
        r.sock.destroy();
      }
    }
  }
  const openSeconds = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  const rssHeld = rssMb(api.pid);

  // Pushes: a flow message for 50 connected visitors, announced the way the worker does.
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  const redis = new Redis(REDIS_URL);
  const latencies = [];
  for (let k = 0; k < 50; k++) {
    const n = 1 + Math.floor(Math.random() * socks.length);
    const anon = `bv-${n}`;
    const visitorId = visitorIds.get(anon);
    await db.query(
      `INSERT INTO onsite_messages (site_id, visitor_id, cta_id, idempotency_key, priority, expires_at)
       VALUES ($1, $2, 'bench-cta-19', $3, 99, now() + interval '1 hour')`,
      [siteId, visitorId, randomUUID()],
    );
    const t0 = Date.now();
    const got = new Promise((r) => arrivals.set(anon, r));
    await redis.publish(`${PREFIX}:invalidate:onsite-push`, `${siteId}:${visitorId}`);
    const t1 = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 5000))]);
    arrivals.delete(anon);
    latencies.push(t1 === null ? Infinity : t1 - t0);
  }
  latencies.sort((a, b) => a - b);
  const extra = await openLive(port, '127.0.0.5', pathFor('bv-extra'), () => undefined);
  const rssAfter = rssMb(api.pid);
  extra.sock.destroy();
  for (const s of socks) s.destroy();
  redis.disconnect();
  await db.end();
  api.kill('SIGTERM');
  return {
    rssBefore,
    rssHeld,
    rssAfter,
    held: socks.length,
    refused,
    openSeconds,
    latencies,
    extraStatus: extra.status,
  };
}

async function main() {
  console.log(
    `decide bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario, ${fmt(VISITORS)} visitors, db ${DB_URL}`,
  );
  console.log(
    `machine: ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await prepareDatabase(DB_URL);
  const apiPort = await freePort();
  const apiEnv = benchEnv(
    { port: apiPort, dbUrl: DB_URL, redisUrl: REDIS_URL, prefix: PREFIX },
    {
      // The bench measures decisions, not refusals: the per-site limit (5,000/s by default) stays out of it.
      DECIDE_RATE_LIMIT: '1000000',
    },
  );
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
    const { site, token } = await benchSite(url, 'Bench', 'bench.test');
    const signup = { accessToken: token };
    for (const c of ctaConfigs()) {
      await apiCall(
        url,
        `/api/sites/${site.id}/ctas`,
        { id: c.id, name: c.id, config: c.config },
        signup.accessToken,
      );
      await apiCall(url, `/api/sites/${site.id}/ctas/${c.id}/publish`, {}, signup.accessToken);
    }
    const t0 = Date.now();
    const seeded = await seedVisitors(site.id);
    console.log(
      `seeded ${fmt(Number(seeded.visitors))} visitors, ${fmt(Number(seeded.events))} events, ${fmt(Number(seeded.messages))} pending messages in ${((Date.now() - t0) / 1000).toFixed(1)} s; 20 published CTAs`,
    );

    // Identity verification is on (the default for a new site): a third of the page views come from
    // signed-in users whose page carries the userHash the site's server made.
    const identity = await (
      await globalThis.fetch(`${url}/api/sites/${site.id}/identity`, {
        headers: { authorization: `Bearer ${signup.accessToken}` },
      })
    ).json();
    if (!identity.enabled) throw new Error('identity verification is expected on for a new site');
    let n = 0;
    const body = () => {
      n += 1;
      const known = n % 10 !== 0;
      const i = 1 + ((n * 7919) % VISITORS);
      const user =
        known && n % 3 === 0
          ? {
              userId: `u-${i}`,
              userHash: createHmac('sha256', identity.secret).update(`u-${i}`).digest('hex'),
            }
          : {};
      return JSON.stringify({
        writeKey: site.writeKey,
        ...user,
        anonymousId: known ? `bv-${i}` : `new-${n}`,
        url: `https://shop.test${PATHS[n % PATHS.length]}${n % 13 === 0 ? '?utm_source=newsletter' : ''}`,
        referrer: n % 5 === 0 ? 'https://www.google.com/' : '',
        context: { userAgent: n % 4 === 0 ? MOBILE_UA : UA, locale: 'en-US' },
      });
    };
    // Warm-up (JIT, caches, pool), not measured.
    await postLoad({
      url: `${url}/v1/decide`,
      connections: 20,
      amount: 2000,
      headers: { 'content-type': 'text/plain' },
      body,
    });
    const sample = await (
      await globalThis.fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: body(),
      })
    ).json();
    console.log(
      `sample decide: ${sample.ctas.length} CTAs (${sample.ctas.map((c) => `${c.id}/${c.variantId}`).join(', ')})`,
    );

    // CPU per request of each process (server, PostgreSQL, this load client): on a loaded box the
    // rates move with the other load, the CPU a request costs much less.
    const pgCpu = await postgresCpu(DB_URL);
    const withCpu = async (server, run) => {
      await pgCpu.start();
      const before = [cpuMs(server.pid), cpuMs(process.pid)];
      const result = await run();
      const db = await pgCpu.stop();
      const per = (used) => (used * 1000) / Math.max(1, result['2xx']);
      result.cpu = {
        server: per(cpuMs(server.pid) - before[0]),
        db: per(db),
        client: per(cpuMs(process.pid) - before[1]),
      };
      return result;
    };
    const dec = await withCpu(api, () => cannon(url, '/v1/decide', body));
    const decRate = dec['2xx'] / SECONDS;
    const base = await withCpu(minimal, () => cannon(`http://127.0.0.1:${minimalPort}`, '/v1/track', body));
    const baseRate = base['2xx'] / SECONDS;
    await pgCpu.end();
    console.log('\nscenario                        rate              p50        p99');
    console.log(
      `${'minimal Nest POST (baseline)'.padEnd(32)}${`${fmt(baseRate)} req/s`.padEnd(18)}${ms(base.latency.p50).padEnd(11)}${ms(base.latency.p99)}`,
    );
    console.log(
      `${'/v1/decide'.padEnd(32)}${`${fmt(decRate)} req/s`.padEnd(18)}${ms(dec.latency.p50).padEnd(11)}${ms(dec.latency.p99)}`,
    );
    const ratio = decRate / baseRate;
    const p99Ratio = dec.latency.p99 / base.latency.p99;
    console.log(
      `\ndecide / minimal route = ${(ratio * 100).toFixed(1)} %  (target >= 50 %: ${ratio >= 0.5 ? 'ok' : 'missed'}); p99 ${ms(dec.latency.p99)} = ${p99Ratio.toFixed(2)}x the minimal route's ${ms(base.latency.p99)} (target <= 2x: ${p99Ratio <= 2 ? 'ok' : 'missed'}); identity verification on`,
    );
    console.log(`errors: decide ${dec.errors + dec.non2xx}, minimal ${base.errors + base.non2xx}`);
    const total = (c) => c.server + c.db + c.client;
    console.log(`CPU per request, µs (load average ${loadAverage()}):`);
    for (const [name, r] of [
      ['/v1/decide', dec],
      ['minimal route', base],
    ]) {
      console.log(
        `  ${name.padEnd(14)} server ${r.cpu.server.toFixed(0).padStart(4)}  PostgreSQL ${r.cpu.db.toFixed(0).padStart(4)}  client ${r.cpu.client.toFixed(0).padStart(4)}  = ${total(r.cpu).toFixed(0).padStart(4)}`,
      );
    }
    console.log(
      `  CPU ratio minimal / decide = ${((total(base.cpu) / total(dec.cpu)) * 100).toFixed(1)} % (the rate ratio a quiet, CPU-bound box approaches)`,
    );
    figure('/v1/decide req/s', `${fmt(decRate)} (${(ratio * 100).toFixed(1)} % of minimal)`);
    figure('/v1/decide p99', `${ms(dec.latency.p99)} (${p99Ratio.toFixed(2)}x minimal)`);
    figure('decide CPU ratio', `${((total(base.cpu) / total(dec.cpu)) * 100).toFixed(1)} %`);
    figure('load average', loadAverage());
    // Stopped, and waited for (a --cpu-prof profile is written as the process exits).
    const exited = new Promise((r) => {
      api.once('exit', r);
      setTimeout(r, 10_000);
    });
    api.kill('SIGTERM');
    minimal.kill('SIGTERM');
    await exited;

    if (LIVE > 0) {
      const db = new pg.Client({ connectionString: DB_URL });
      await db.connect();
      const ids = new Map(
        (
          await db.query(
            `SELECT value, visitor_id FROM visitor_identities WHERE site_id = $1 AND kind = 'anon' AND value LIKE 'bv-%'`,
            [site.id],
          )
        ).rows.map((r) => [r.value, r.visitor_id]),
      );
      await db.end();
      const live = await liveBench(site.id, site.writeKey, ids);
      const p = (q) =>
        live.latencies[Math.min(live.latencies.length - 1, Math.floor(q * live.latencies.length))];
      console.log(
        `\nlive: ${fmt(live.held)} idle SSE connections held by one API process (opened in ${live.openSeconds.toFixed(1)} s, ${live.refused} refused while opening)`,
      );
      console.log(
        `api RSS: ${live.rssBefore.toFixed(0)} MB idle -> ${live.rssHeld.toFixed(0)} MB holding them -> ${live.rssAfter.toFixed(0)} MB after pushes (target < 1024 MB: ${live.rssAfter < 1024 ? 'ok' : 'missed'})`,
      );
      console.log(
        `push delivery (announce -> frame on the socket, 50 pushes): p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${live.latencies.at(-1)} ms (target < 1000 ms: ${live.latencies.at(-1) < 1000 ? 'ok' : 'missed'})`,
      );
      console.log(
        `connection ${fmt(live.held + 1)} answered ${live.extraStatus} (503 expected: the script falls back to polling)`,
      );
    }
  } finally {
    api.kill('SIGTERM');
    minimal.kill('SIGTERM');
  }
}

await main();
process.exit(0);
