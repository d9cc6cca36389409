// npm run bench -- backtest   (after `npm run build`)
//
// Its own database (BENCH_DATABASE_URL, default nudgeflow_bench_backtest, created and migrated;
// BENCH_REUSE=1 keeps data of the same size): (1) one site with BENCH_EVENTS events (default 1 M, the
// size of the reports bench's largest site) over 30 days, generated server-side with generate_series
// (≈ 6 events per visitor: page views, cart adds with a value, checkouts, purchases, CTA events);
// (2) a 6-node abandoned-cart flow (trigger → wait 30 min → condition on the cart value → show CTA or
// send webhook; goal on purchase; checkout exits) backtested over the 30 days by the real
// BacktestRunner in its production slices (2 s, 2,000 visitors a page): events/s, total time, slices and
// peak RSS; (3) the baseline: the same replay one visitor at a time (one query per visitor), over
// BENCH_NAIVE_VISITORS (default 3,000) visitors, as events/s; prints the ratio and the load average.
// BENCH_PAGE_VISITORS overrides the visitors per page (BACKTEST_PAGE_VISITORS in the worker).
import { resolve } from 'node:path';
import pg from 'pg';
import { loadAverage, prepareDatabase, root } from './lib.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const DAYS = 30;
const NAIVE_VISITORS = Number(process.env.BENCH_NAIVE_VISITORS ?? 3000);
const DB_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench_backtest';
const log = (...a) => console.log(...a);
const secs = (ms) => (ms / 1000).toFixed(1);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const FLOW = {
  graph: {
    nodes: [
      { id: 'cart', type: 'trigger_event', config: { event: 'cart_add', filters: [] } },
      { id: 'wait', type: 'wait', config: { mode: 'duration', duration: { amount: 30, unit: 'minutes' } } },
      {
        id: 'big',
        type: 'condition',
        config: {
          group: {
            kind: 'group',
            combinator: 'and',
            rules: [{ kind: 'rule', source: 'event_property', key: 'value', operator: 'gte', value: 50 }],
          },
        },
      },
      { id: 'cta', type: 'show_cta', config: { ctaId: 'cart-promo' } },
      {
        id: 'hook',
        type: 'send_webhook',
        config: {
          endpointId: '00000000-0000-4000-8000-000000000001',
          bodyTemplate: '{"visitor":"{{visitor.id}}"}',
        },
      },
      { id: 'bought', type: 'goal', config: { event: 'purchase', filters: [] } },
    ],
    edges: [
      { id: 'e1', source: 'cart', sourceHandle: 'next', target: 'wait' },
      { id: 'e2', source: 'wait', sourceHandle: 'next', target: 'big' },
      { id: 'e3', source: 'big', sourceHandle: 'yes', target: 'cta' },
      { id: 'e4', source: 'big', sourceHandle: 'no', target: 'hook' },
    ],
  },
  settings: {
    reEntry: { mode: 'once_per_days', days: 1 },
    maxConcurrentRunsPerVisitor: 1,
    exitConditions: [{ event: 'checkout', filters: [] }],
  },
};

async function generate(db, siteId) {
  await db.query(`SELECT nf_ensure_daily_partitions('events', current_date - ${DAYS + 1}, current_date + 1)`);
  const visitors = Math.max(10, Math.round(EVENTS / 6));
  const started = performance.now();
  for (let done = 0; done < EVENTS; done += 250_000) {
    const n = Math.min(250_000, EVENTS - done);
    await db.query(
      `INSERT INTO events (site_id, ts, message_id, type, name, visitor_id, properties, context, is_bot)
       SELECT $1::uuid, now() - random() * interval '${DAYS} days', md5($1::uuid::text || ($2::int + g)::text),
              CASE WHEN r < 0.7 THEN 'page' ELSE 'track' END,
              CASE WHEN r < 0.7 THEN '$page' WHEN r < 0.82 THEN 'cart_add' WHEN r < 0.87 THEN 'checkout'
                   WHEN r < 0.9 THEN 'purchase' WHEN r < 0.97 THEN 'cta_viewed' ELSE 'cta_closed' END,
              md5($1::uuid::text || floor(random() * $4::int)::text)::uuid,
              CASE WHEN r < 0.7 THEN jsonb_build_object('url', 'https://shop.example/p' || floor(random() * 50)::int)
                   WHEN r < 0.82 THEN jsonb_build_object('value', floor(random() * 100)::int)
                   ELSE jsonb_build_object('cta_id', 'cart-promo') END,
              '{}'::jsonb, false
         FROM generate_series(1, $3::int) g CROSS JOIN LATERAL (SELECT random() + g * 0 AS r) rr`,
      [siteId, done, n, visitors],
    );
    process.stdout.write(
      `\r  generated ${(done + n).toLocaleString()} events in ${secs(performance.now() - started)} s   `,
    );
  }
  log('');
  await db.query('ANALYZE events');
}

async function main() {
  log(`backtest bench: ${EVENTS.toLocaleString()} events over ${DAYS} days, load average ${loadAverage()}`);
  await prepareDatabase(DB_URL);
  const db = new pg.Client({ connectionString: DB_URL });
  await db.connect();
  let site = (await db.query(`SELECT id FROM sites WHERE name = 'backtest bench'`)).rows[0]?.id;
  const have = site
    ? Number((await db.query(`SELECT count(*) AS n FROM events WHERE site_id = $1`, [site])).rows[0].n)
    : 0;
  if (!site || !process.env.BENCH_REUSE || have !== EVENTS) {
    if (site) await db.query(`DELETE FROM sites WHERE id = $1`, [site]);
    const account = (await db.query(`INSERT INTO accounts (name) VALUES ('bench') RETURNING id`)).rows[0].id;
    site = (
      await db.query(
        `INSERT INTO sites (account_id, name, domain, timezone) VALUES ($1, 'backtest bench', 'shop.example', 'Europe/Paris') RETURNING id`,
        [account],
      )
    ).rows[0].id;
    await generate(db, site);
  } else log(`  reusing ${have.toLocaleString()} events`);
  await db.query(`DELETE FROM flows WHERE site_id = $1`, [site]);
  const flowId = (
    await db.query(
      `INSERT INTO flows (site_id, name, draft) VALUES ($1, 'abandoned cart', $2) RETURNING id`,
      [site, JSON.stringify(FLOW)],
    )
  ).rows[0].id;

  const { createDataSource } = await import(resolve(root, 'apps/api/dist/database/data-source.js'));
  const { BacktestRepository } = await import(resolve(root, 'apps/api/dist/backtest/backtest.repository.js'));
  const { BacktestRunner, DEFAULT_SLICE } = await import(
    resolve(root, 'apps/api/dist/backtest/backtest-runner.js')
  );
  const { BacktestTally } = await import(resolve(root, 'apps/api/dist/backtest/backtest-tally.js'));
  const { EventReplayRepository } = await import(
    resolve(root, 'apps/api/dist/ingest/event-replay.repository.js')
  );
  const { VisitorRepository } = await import(resolve(root, 'apps/api/dist/visitors/visitor.repository.js'));
  const { CtaRepository } = await import(resolve(root, 'apps/api/dist/onsite/cta.repository.js'));
  const { SiteRepository } = await import(resolve(root, 'apps/api/dist/sites/site.repository.js'));
  const { VisitorReplay } = await import(resolve(root, 'apps/api/dist/backtest/visitor-replay.js'));
  const { toEngineEvent, toVisitorSnapshot } = await import(
    resolve(root, 'apps/api/dist/runtime/engine-event.js')
  );
  const ds = createDataSource({ DATABASE_URL: DB_URL, DB_POOL_SIZE: 4 });
  await ds.initialize();
  const repo = new BacktestRepository(ds);
  const visitorRepo = new VisitorRepository(ds);
  const runner = new BacktestRunner(repo, {
    events: new EventReplayRepository(ds),
    visitors: visitorRepo,
    ctas: new CtaRepository(ds),
    sites: new SiteRepository(ds),
  });
  const to = new Date();
  const from = new Date(to.getTime() - DAYS * 86_400_000);

  // (2) the backtest, in production slices.
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const row = await repo.insert(site, { flowId, version: null, ...FLOW, from, to, createdBy: null });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let slices = 0;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const outcome = await runner.runSlice(site, row.id, {
      ...DEFAULT_SLICE,
      ...(process.env.BENCH_PAGE_VISITORS
        ? { visitorsPerPage: Number(process.env.BENCH_PAGE_VISITORS) }
        : {}),
    });
    slices += 1;
    if (outcome !== 'more') break;
    if (Date.now() > deadline) throw new Error('backtest did not finish within 15 minutes');
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const result = (await repo.get(site, flowId, row.id)).result;
  const rate = result.events / (elapsed / 1000);
  log(
    `backtest: ${result.events.toLocaleString()} events, ${result.visitors.toLocaleString()} visitors in ${secs(elapsed)} s`,
  );
  log(
    `  ${Math.round(rate).toLocaleString()} events/s, ${slices} slices, process CPU ${secs((cpu.user + cpu.system) / 1000)} s, peak RSS ${mb(peak)}`,
  );
  log(`  runs: ${JSON.stringify(result.runs)}`);
  log(`  nodes: ${JSON.stringify(result.nodes)}`);
  log(`  effects: ${JSON.stringify(result.effects)}`);
  log(
    `  target: ${DAYS} days in < 60 s → ${elapsed < 60_000 ? 'met' : 'missed'} (load average ${loadAverage()})`,
  );

  // (3) baseline: one visitor at a time, one query each, same engine and tally.
  const spec = await runner.spec(site, row.id);
  const flow = await runner.replayFlow(spec);
  const visitors = (
    await db.query(
      `SELECT DISTINCT visitor_id FROM events WHERE site_id = $1 AND ts >= $2 AND ts < $3 ORDER BY visitor_id LIMIT $4`,
      [site, from, to, NAIVE_VISITORS],
    )
  ).rows.map((r) => r.visitor_id);
  const tally = new BacktestTally();
  const n0 = performance.now();
  for (const v of visitors) {
    const profile = (await visitorRepo.snapshots(site, [v]))[0];
    const { rows } = await ds
      .query(
        `SELECT id::text AS id, visitor_id, message_id, type, name, ts, properties, context, is_bot FROM events
        WHERE site_id = $1 AND visitor_id = $2 AND ts >= $3 AND ts < $4 ORDER BY ts, id`,
        [site, v, from, to],
      )
      .then((rows) => ({ rows }));
    const replay = new VisitorReplay(flow, v, toVisitorSnapshot(profile, v), tally);
    for (const e of rows)
      replay.feed({ id: e.id, ts: e.ts.getTime(), event: toEngineEvent(e), isBot: e.is_bot });
    replay.finish(to.getTime());
  }
  const naive = performance.now() - n0;
  const naiveRate = tally.result.events / (naive / 1000);
  log(
    `baseline (one visitor at a time): ${tally.result.events.toLocaleString()} events of ${visitors.length.toLocaleString()} visitors in ${secs(naive)} s, ${Math.round(naiveRate).toLocaleString()} events/s`,
  );
  log(`ratio backtest / baseline: ${(rate / naiveRate).toFixed(2)}x   (load average ${loadAverage()})`);
  await ds.destroy();
  await db.end();
}

await main();
