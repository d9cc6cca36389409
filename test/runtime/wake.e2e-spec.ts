/**
 * Waits wake in batches (issue #5, "Time"): a site's runs whose timers come due together are advanced
 * by wake-up jobs, 500 a transaction; waits beyond the timer horizon live only in PostgreSQL until the
 * reconciler promotes them. Each run still takes every step exactly once, never before its time.
 */
import { randomUUID } from 'node:crypto';
import {
  flowDoc,
  ingestMany,
  publishFlow,
  sleep,
  statusCounts,
  tenant,
  untilCompleted,
  useStack,
  waitFor,
} from './runtime-harness';

const waitFlow = (seconds: number) =>
  flowDoc(
    `wait-${seconds}`,
    [
      { id: 't', type: 'trigger_event', config: { event: `visit-${seconds}`, filters: [] } },
      { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: seconds, unit: 'seconds' } } },
      { id: 'u', type: 'update_visitor', config: { addTags: ['waited'] } },
    ],
    [
      ['t', 'next', 'w'],
      ['w', 'next', 'u'],
    ],
  );

describe('wake-ups: batched timers and the timer horizon', () => {
  // A 1 s horizon: the 4 s waits below start outside it and must be promoted by the reconciler.
  const ctx = useStack({ RUNTIME_TIMER_HORIZON_MS: '1000' });

  const check = async (siteId: string, flowId: string, visitors: string[], seconds: number) => {
    const { stack } = ctx;
    expect(await untilCompleted(stack, siteId, flowId, visitors.length, 120_000)).toEqual({
      completed: visitors.length,
    });
    // Every run took each node exactly once, and left its wait no earlier than the wait's end.
    const steps = await stack.db.query<{ node_id: string; n: number; early: number }>(
      `SELECT s.node_id, count(*)::int AS n,
              count(*) FILTER (WHERE s.node_id = 'u' AND s.created_at < t.created_at + make_interval(secs => $3))::int AS early
         FROM run_steps s JOIN run_steps t ON t.site_id = s.site_id AND t.run_id = s.run_id AND t.node_id = 't'
        WHERE s.site_id = $1 AND s.flow_id = $2 GROUP BY 1 ORDER BY 1`,
      [siteId, flowId, seconds - 0.05],
    );
    expect(steps.rows).toEqual(['t', 'u', 'w'].map((node_id) => ({ node_id, n: visitors.length, early: 0 })));
    const tagged = await stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM visitors WHERE site_id = $1 AND id = ANY($2::uuid[]) AND tags = '{waited}'`,
      [siteId, visitors],
    );
    expect(tagged.rows[0].n).toBe(visitors.length);
  };

  it('600 runs through a 1 s wait: woken together, each step once, none early', async () => {
    const { stack } = ctx;
    const t = await tenant(stack, 'wake-batch');
    const flowId = await publishFlow(stack, t, waitFlow(1));
    const visitors = Array.from({ length: 600 }, () => randomUUID());
    await ingestMany(stack, t.siteId, visitors, 'visit-1', 300);
    await check(t.siteId, flowId, visitors, 1);
  });

  it('waits beyond the timer horizon are promoted by the reconciler and wake on time', async () => {
    const { stack } = ctx;
    const t = await tenant(stack, 'wake-horizon');
    const flowId = await publishFlow(stack, t, waitFlow(4));
    const visitors = Array.from({ length: 40 }, () => randomUUID());
    await ingestMany(stack, t.siteId, visitors, 'visit-4', 20);
    await waitFor('all waiting', async () => {
      const c = await statusCounts(stack.db, t.siteId, flowId);
      return c.waiting === visitors.length ? c : undefined;
    });
    await sleep(300);
    // Nothing in Redis for them yet: a 4 s wait is beyond the 1 s horizon, so it gets no wake-up job
    // until the reconciler promotes it.
    const waking = await stack.redis.keys(`${stack.env.QUEUE_PREFIX}:steps:wake_${t.siteId}_*`);
    expect(waking).toEqual([]);
    await check(t.siteId, flowId, visitors, 4);
  });
});
