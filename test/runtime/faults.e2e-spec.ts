import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { startWorker } from '../support/processes';
import {
  flowDoc,
  ingest,
  ingestMany,
  publishFlow,
  seedVisitors,
  sleep,
  Stack,
  tenant,
  waitFor,
  useStack,
} from './runtime-harness';

/** A flow that sends one webhook per `event` to the receivers' endpoint. */
async function webhookFlow(stack: Stack, hookUrl: string, event: string) {
  const t = await tenant(stack, event);
  const ep = await stack.api.request(`/api/sites/${t.siteId}/webhooks/endpoints`, {
    method: 'POST',
    token: t.tokens.owner,
    body: { url: hookUrl },
  });
  expect(ep.status).toBe(201);
  const flowId = await publishFlow(
    stack,
    t,
    flowDoc(
      event,
      [
        { id: 't', type: 'trigger_event', config: { event, filters: [] } },
        {
          id: 'w',
          type: 'send_webhook',
          config: { endpointId: ep.body.id as string, bodyTemplate: '{"run": "{{run.id}}"}' },
        },
      ],
      [['t', 'next', 'w']],
    ),
  );
  return { t, flowId };
}

const messageCounts = async (db: Client, siteId: string) =>
  Object.fromEntries(
    (
      await db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM webhook_messages WHERE site_id = $1 GROUP BY 1`,
        [siteId],
      )
    ).rows.map((r) => [r.status, r.n]),
  ) as Record<string, number>;

const rolledUpTo = async (db: Client, siteId: string) =>
  (
    await db.query<{ hi: Date | null }>(`SELECT hi FROM analytics_rollup_sites WHERE site_id = $1`, [siteId])
  ).rows[0]?.hi?.getTime() ?? 0;

describe('fault: Redis loses its data while webhook retries wait', () => {
  const ctx = useStack();

  it('every message is delivered once without restarting the worker, and the rollups keep advancing', async () => {
    const { rx, stack } = ctx;
    const { t } = await webhookFlow(stack, rx.hookUrl, 'retryflush');
    const n = 60;
    const visitors = Array.from({ length: n }, () => randomUUID());
    await seedVisitors(stack.db, t.siteId, visitors);
    // Every first try is refused with Retry-After: 6 s, so every retry waits as a delayed job in Redis.
    rx.refuseFirstTry = 6;
    await ingest(
      stack.db,
      t.siteId,
      visitors.map((v) => ({ visitorId: v, name: 'retryflush' })),
    );
    await waitFor('every first try refused', async () => rx.refused.length >= n, 60_000, 100);
    expect(rx.hooks).toHaveLength(0);
    // Liveness bounds, not timings: on Citus a site shares its rollup group (a shard's sites) with
    // whatever earlier suites left in this database, e.g. a flood still being rolled up.
    await waitFor(
      'the rollups running',
      async () => (await rolledUpTo(stack.db, t.siteId)) > 0,
      120_000,
      200,
    );
    // This Redis database only (FLUSHALL would wipe every database of a server other tests share):
    // the delayed retries and every repeatable schedule are gone.
    expect(await stack.redis.flushdb()).toBe('OK');
    const flushedAt = Date.now();
    await waitFor('every message delivered', async () => rx.hooks.length >= n, 90_000, 200);
    await sleep(2000);
    expect(rx.hooks).toHaveLength(n);
    expect(new Set(rx.hooks.map((h) => h.headers['webhook-id'])).size).toBe(n);
    expect(await messageCounts(stack.db, t.siteId)).toEqual({ succeeded: n });
    // The rollups' schedule came back too: the watermark moves past the flush.
    await waitFor(
      'rollups past the flush',
      async () => (await rolledUpTo(stack.db, t.siteId)) > flushedAt,
      120_000,
      250,
    );
    const schedules = await stack.redis.keys(`${stack.env.QUEUE_PREFIX}:maintenance:repeat:*`);
    expect(schedules.length).toBeGreaterThan(0);
  }, 420_000);
});

describe('fault: a worker stopped with SIGTERM mid-load', () => {
  const ctx = useStack(); // the worker logs at info (startWorker), errors included

  it('drains before Redis closes: no "Connection is closed", every committed message has its delivery job', async () => {
    const { rx, stack } = ctx;
    const { t } = await webhookFlow(stack, rx.hookUrl, 'drain');
    const n = 600;
    const visitors = Array.from({ length: n }, () => randomUUID());
    await seedVisitors(stack.db, t.siteId, visitors);
    const feeding = ingestMany(stack, t.siteId, visitors, 'drain', 25);
    await waitFor('deliveries under way', async () => rx.hooks.length >= 50, 90_000, 50);
    const code = await stack.worker.stop('SIGTERM');
    const stoppedAt = rx.hooks.length;
    const out = stack.worker.output();
    expect(out).not.toContain('Connection is closed');
    expect(out).not.toContain('after-commit callback failed');
    expect(code).toBe(0);
    await feeding;
    // No worker runs now: every message a committed transaction created must already have its job.
    const pending = (
      await stack.db.query<{ id: string; attempt_count: number }>(
        `SELECT id, attempt_count FROM webhook_messages WHERE site_id = $1 AND status IN ('pending', 'sending')`,
        [t.siteId],
      )
    ).rows;
    const webhooks = new Queue('webhooks', {
      prefix: stack.env.QUEUE_PREFIX,
      connection: { url: stack.env.REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      // A delivery job carries its own message and others due with it (`others`): each pending
      // message, at its current attempt, must be in some job still waiting in Redis.
      type Deliver = { messageId: string; attempt: number; others?: { id: string; attempt: number }[] };
      const jobs = await webhooks.getJobs(['wait', 'prioritized', 'delayed', 'active']);
      const covered = new Set(
        jobs.flatMap((j) => {
          const d = j.data as Deliver;
          return [`${d.messageId}/${d.attempt}`, ...(d.others ?? []).map((o) => `${o.id}/${o.attempt}`)];
        }),
      );
      const missing = pending.filter((m) => !covered.has(`${m.id}/${m.attempt_count}`)).map((m) => m.id);
      expect(missing).toEqual([]);
    } finally {
      await webhooks.close();
    }
    console.log(
      `SIGTERM: ${stoppedAt} of ${n} webhooks delivered at the stop, ${pending.length} messages pending with their jobs`,
    );
    // A new worker takes over: every run's webhook arrives once.
    stack.worker = await startWorker(stack.env, 120_000);
    await waitFor('every webhook', async () => rx.hooks.length >= n, 120_000, 200);
    await sleep(1500);
    expect(rx.hooks).toHaveLength(n);
    expect(new Set(rx.hooks.map((h) => h.headers['webhook-id'])).size).toBe(n);
  }, 300_000);
});
