import { randomUUID } from 'node:crypto';
import { RunningProcess, startApi, startWorker, TestApi } from '../support/processes';
import { Tenant } from '../support/tenants';
import {
  flowDoc,
  ingest,
  publishFlow,
  seedVisitors,
  statusCounts,
  tenant,
  useStack,
  waitFor,
} from './runtime-harness';

/**
 * Two API and two worker processes share the loops: every worker's relay, reconciler and delivery
 * jobs claim per site, so the same 1,000 runs across 50 sites must each run once and send one
 * webhook. On Citus (`npm run test:citus`) the sites are spread over both Citus workers and every
 * claim is single-shard (strict mode refuses anything else). Both workers roll up too: each site's
 * rollups must equal its raw events and runtime ledger.
 */
describe('scale-out: 2 API + 2 worker processes, 1,000 runs across 50 sites', () => {
  const ctx = useStack({ RUNTIME_RESCUE_GRACE_MS: '5000' });
  let api2: TestApi;
  let worker2: RunningProcess;

  beforeAll(async () => {
    [api2, worker2] = await Promise.all([
      startApi(ctx.stack.env, 120_000),
      startWorker(ctx.stack.env, 120_000),
    ]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([api2?.stop(), worker2?.stop()]);
  });

  it('every run completes once and every webhook arrives once', async () => {
    const { rx, stack } = ctx;
    const sites: { t: Tenant; flowId: string; visitors: string[] }[] = [];
    for (let i = 0; i < 50; i++) {
      // Alternate the two APIs for the set-up requests too.
      const t = await tenant({ ...stack, api: i % 2 ? api2 : stack.api }, `scale${i}`);
      const ep = await stack.api.request(`/api/sites/${t.siteId}/webhooks/endpoints`, {
        method: 'POST',
        token: t.tokens.owner,
        body: { url: rx.hookUrl },
      });
      expect(ep.status).toBe(201);
      const flowId = await publishFlow(
        stack,
        t,
        flowDoc(
          'scale',
          [
            { id: 't', type: 'trigger_event', config: { event: 'scale', filters: [] } },
            {
              id: 'w',
              type: 'send_webhook',
              config: { endpointId: ep.body.id as string, bodyTemplate: '{"run": "{{run.id}}"}' },
            },
          ],
          [['t', 'next', 'w']],
        ),
      );
      const visitors = Array.from({ length: 20 }, () => randomUUID());
      await seedVisitors(stack.db, t.siteId, visitors);
      sites.push({ t, flowId, visitors });
    }
    if (process.env.CITUS_WORKER_URLS) {
      const { rows } = await stack.db.query<{ nodeport: number; n: number }>(
        `SELECT s.nodeport, count(*)::int AS n
           FROM unnest($1::uuid[]) AS x(site_id)
           JOIN citus_shards s ON s.table_name = 'sites'::regclass
                              AND s.shardid = get_shard_id_for_distribution_column('sites', x.site_id)
          GROUP BY 1`,
        [sites.map((s) => s.t.siteId)],
      );
      expect(rows).toHaveLength(2); // both Citus workers hold some of the sites
    }
    // Events of every site, interleaved, one site per transaction (as ingestion commits them).
    for (let k = 0; k < 20; k += 5)
      for (const s of sites)
        await ingest(
          stack.db,
          s.t.siteId,
          s.visitors.slice(k, k + 5).map((v) => ({ visitorId: v, name: 'scale' })),
        );
    await waitFor('1,000 webhooks', async () => rx.hooks.length >= 1000, 240_000, 500);
    for (const s of sites)
      await waitFor(
        `site ${s.t.siteId} completed`,
        async () => (await statusCounts(stack.db, s.t.siteId, s.flowId)).completed === 20,
        60_000,
        250,
      );
    await new Promise((r) => setTimeout(r, 2000));
    for (const s of sites)
      expect(await statusCounts(stack.db, s.t.siteId, s.flowId)).toEqual({ completed: 20 });
    expect(rx.hooks).toHaveLength(1000);
    const runIds = rx.hooks.map((h) => (JSON.parse(h.body) as { run: string }).run);
    expect(new Set(runIds).size).toBe(1000);
    expect(new Set(rx.hooks.map((h) => h.headers['webhook-id'])).size).toBe(1000);

    // Reports equal raw counts: both workers roll up (each claims a group of sites, on Citus a shard's,
    // with SKIP LOCKED), so a window applied twice or skipped would show here. Wait until every site's
    // watermark passes now, then compare each site's rollups with its raw events and runtime ledger.
    const {
      rows: [{ now }],
    } = await stack.db.query<{ now: Date }>(`SELECT clock_timestamp() AS now`);
    for (const s of sites)
      await waitFor(
        `site ${s.t.siteId} rolled up`,
        async () =>
          ((
            await stack.db.query<{ hi: Date }>(`SELECT hi FROM analytics_rollup_sites WHERE site_id = $1`, [
              s.t.siteId,
            ])
          ).rows[0]?.hi ?? new Date(0)) > now,
        60_000,
        250,
      );
    for (const s of sites) {
      const { rows } = await stack.db.query<Record<string, number>>(
        `SELECT (SELECT count(*) FROM events WHERE site_id = $1 AND NOT is_bot)::int AS raw_events,
                (SELECT coalesce(sum(events), 0) FROM analytics_traffic WHERE site_id = $1 AND grain = 'minute')::int AS events,
                (SELECT coalesce(sum(events), 0) FROM analytics_traffic WHERE site_id = $1 AND grain = 'day')::int AS day_events,
                (SELECT count(*) FROM run_steps WHERE site_id = $1 AND flow_id = $2)::int AS raw_reached,
                (SELECT coalesce(sum(reached), 0) FROM analytics_flow_nodes WHERE site_id = $1 AND flow_id = $2 AND grain = 'minute')::int AS reached,
                (SELECT coalesce(sum(entered), 0) FROM analytics_flow_runs WHERE site_id = $1 AND flow_id = $2 AND grain = 'minute')::int AS entered,
                (SELECT coalesce(sum(completed), 0) FROM analytics_flow_runs WHERE site_id = $1 AND flow_id = $2 AND grain = 'day')::int AS completed`,
        [s.t.siteId, s.flowId],
      );
      const r = rows[0];
      expect({ site: s.t.siteId, events: r.events, day_events: r.day_events, reached: r.reached }).toEqual({
        site: s.t.siteId,
        events: r.raw_events,
        day_events: r.raw_events,
        reached: r.raw_reached,
      });
      expect(r.raw_events).toBeGreaterThanOrEqual(20);
      expect([r.entered, r.completed]).toEqual([20, 20]);
    }
  }, 600_000);
});
