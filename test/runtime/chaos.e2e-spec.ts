import { randomUUID } from 'node:crypto';
import { startWorker } from '../support/processes';
import {
  flowDoc,
  ingest,
  ingestMany,
  publishFlow,
  seedVisitors,
  sleep,
  statusCounts,
  tenant,
  waitFor,
  untilCompleted,
  useStack,
} from './runtime-harness';

describe('chaos: Redis loses everything mid-way through 1,000 runs', () => {
  const ctx = useStack({ RUNTIME_RESCUE_GRACE_MS: '1500' });

  it('every run finishes after the reconciler (FLUSHDB of its Redis), and no email is sent twice', async () => {
    const { rx, stack } = ctx;
    const t = await tenant(stack, 'flush');
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'flush',
        [
          { id: 't', type: 'trigger_event', config: { event: 'flush', filters: [] } },
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 2, unit: 'seconds' } } },
          { id: 'm', type: 'send_email', config: { senderId: 'default', subject: 'flush', text: 'x' } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'm'],
        ],
      ),
    );
    const visitors = Array.from({ length: 1000 }, () => randomUUID());
    await seedVisitors(stack.db, t.siteId, visitors);
    const feeding = ingestMany(stack, t.siteId, visitors, 'flush', 50);
    await waitFor(
      'a third enrolled',
      async () => {
        const c = await statusCounts(stack.db, t.siteId, flowId);
        return (c.waiting ?? 0) + (c.completed ?? 0) >= 300;
      },
      90_000,
      200,
    );
    expect(await stack.redis.flushdb()).toBe('OK');
    await feeding;
    const counts = await untilCompleted(stack, t.siteId, flowId, 1000, 120_000, 500);
    expect(counts).toEqual({ completed: 1000 });
    await sleep(1000);
    const mails = rx.mails.filter((m) => m.subject === 'flush');
    expect(mails).toHaveLength(1000);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(1000);
    const ledger = await stack.db.query(
      `SELECT count(*)::int AS n, sum(attempts)::int AS attempts FROM run_steps
        WHERE site_id = $1 AND flow_id = $2 AND node_id = 'm' AND effect_status = 'done'`,
      [t.siteId, flowId],
    );
    expect(ledger.rows[0]).toEqual({ n: 1000, attempts: 1000 });
  }, 240_000);
});

describe('chaos: a worker is SIGKILLed mid-step', () => {
  const ctx = useStack();

  it('loses no step and duplicates no email or webhook', async () => {
    const { rx, stack } = ctx;
    const t = await tenant(stack, 'kill');
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
        'kill',
        [
          { id: 't', type: 'trigger_event', config: { event: 'kill', filters: [] } },
          {
            id: 'w',
            type: 'send_webhook',
            config: { endpointId: ep.body.id as string, bodyTemplate: '{"run": "{{run.id}}"}' },
          },
          { id: 'm', type: 'send_email', config: { senderId: 'default', subject: 'kill', text: 'x' } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'm'],
        ],
      ),
    );
    const n = 40;
    const visitors = Array.from({ length: n }, () => randomUUID());
    await seedVisitors(stack.db, t.siteId, visitors);
    rx.rcptDelayMs = 150;
    await ingest(
      stack.db,
      t.siteId,
      visitors.map((v) => ({ visitorId: v, name: 'kill' })),
    );
    await waitFor('a few emails', async () => rx.mails.filter((m) => m.subject === 'kill').length >= 5);
    // Email sends in flight at the kill: the only ones SMTP can duplicate (accepted by the server
    // after DATA, before our COMMIT); they carry the same Message-ID, so receivers can dedupe.
    const inFlight = (await statusCounts(stack.db, t.siteId, flowId)).running ?? 0;
    expect(await stack.worker.stop('SIGKILL')).toBeNull();
    const midway = rx.mails.filter((m) => m.subject === 'kill').length;
    expect(midway).toBeLessThan(n);
    stack.worker = await startWorker(stack.env, 120_000);
    const counts = await untilCompleted(stack, t.siteId, flowId, n);
    expect(counts).toEqual({ completed: n });
    await waitFor('all webhooks', async () => rx.hooks.length >= n, 120_000);
    await sleep(1500);
    const mails = rx.mails.filter((m) => m.subject === 'kill');
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(n);
    expect(mails.length).toBeLessThanOrEqual(n + inFlight);
    console.log(
      `SIGKILL: ${mails.length} SMTP messages for ${n} runs (${inFlight} sends in flight at the kill)`,
    );
    const runIds = rx.hooks.map((h) => (JSON.parse(h.body) as { run: string }).run);
    expect(new Set(runIds).size).toBe(n);
    expect(rx.hooks).toHaveLength(n);
  }, 300_000);
});
