/**
 * Chaos (c) of issue #5: PostgreSQL kills every connection of the api and worker repeatedly for 4 s
 * while runs are being enrolled and waiting; every run must still finish exactly once.
 */
import { randomUUID } from 'node:crypto';
import {
  flowDoc,
  ingestMany,
  publishFlow,
  seedVisitors,
  sleep,
  tenant,
  untilCompleted,
  useStack,
} from './runtime-harness';

describe('chaos: PostgreSQL connections drop for a few seconds', () => {
  const ctx = useStack();

  it('runs resume and finish exactly once', async () => {
    const { stack } = ctx;
    const t = await tenant(stack, 'pgdrop');
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'pgdrop',
        [
          { id: 't', type: 'trigger_event', config: { event: 'pgdrop', filters: [] } },
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'seconds' } } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['resumed'] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'u'],
        ],
      ),
    );
    const n = 200;
    const visitors = Array.from({ length: n }, () => randomUUID());
    await seedVisitors(stack.db, t.siteId, visitors);
    const feeding = ingestMany(stack, t.siteId, visitors, 'pgdrop', 20);
    await sleep(300);
    const until = Date.now() + 4000;
    let terminated = 0;
    while (Date.now() < until) {
      const r = await stack.db.query(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE application_name IN ('nudgeflow-api', 'nudgeflow-worker') AND datname = current_database() AND pid <> pg_backend_pid()`,
      );
      terminated += (r.rows[0] as { n: number }).n;
      await sleep(100);
    }
    expect(terminated).toBeGreaterThan(0);
    await feeding;
    const counts = await untilCompleted(stack, t.siteId, flowId, n);
    expect(counts).toEqual({ completed: n });
    const tags = await stack.db.query(
      `SELECT count(*)::int AS n FROM visitors WHERE site_id = $1 AND tags = ARRAY['resumed']`,
      [t.siteId],
    );
    expect(tags.rows[0]).toEqual({ n });
    const steps = await stack.db.query(
      `SELECT count(*)::int AS n FROM run_steps WHERE site_id = $1 AND flow_id = $2`,
      [t.siteId, flowId],
    );
    expect(steps.rows[0]).toEqual({ n: 3 * n });
  }, 180_000);
});
