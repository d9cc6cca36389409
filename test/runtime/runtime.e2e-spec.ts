import { randomUUID } from 'node:crypto';
import type { Tenant } from '../support/tenants';
import {
  flowDoc,
  ingest,
  publishFlow,
  Receivers,
  runsOf,
  sleep,
  Stack,
  stackEnv,
  startReceivers,
  startStack,
  tenant,
  waitFor,
} from './runtime-harness';

const trigger = (event: string) => ({ id: 't', type: 'trigger_event', config: { event, filters: [] } });
const done = new Set(['completed', 'converted', 'exited', 'failed', 'cancelled']);

describe('flow runtime (real worker, PostgreSQL, Redis, SMTP and webhook receivers)', () => {
  let rx: Receivers;
  let stack: Stack;
  let t: Tenant;

  beforeAll(async () => {
    rx = await startReceivers();
    stack = await startStack(stackEnv(rx));
    t = await tenant(stack, 'runtime');
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await rx?.close();
  });

  const ended = (flowId: string, n: number) =>
    waitFor(`${n} ended runs`, async () => {
      const runs = await runsOf(stack.db, t.siteId, flowId);
      return runs.length >= n && runs.every((r) => done.has(r.status)) ? runs : undefined;
    });

  /** A webhook endpoint of the tenant pointing at the test's HTTP receiver. */
  const hookEndpoint = async () => {
    const ep = await stack.api.request(`/api/sites/${t.siteId}/webhooks/endpoints`, {
      method: 'POST',
      token: t.tokens.owner,
      body: { url: rx.hookUrl },
    });
    expect(ep.status).toBe(201);
    return ep.body.id as string;
  };

  const visitor = async (id: string) =>
    (
      await stack.db.query<{ traits: Record<string, unknown>; tags: string[] }>(
        `SELECT traits, tags FROM visitors WHERE site_id = $1 AND id = $2`,
        [t.siteId, id],
      )
    ).rows[0];

  it('trigger → condition → update visitor → exit: one ledger row per node, effect applied once, counters', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'vip',
        [
          trigger('signup'),
          {
            id: 'c',
            type: 'condition',
            config: {
              group: {
                kind: 'group',
                combinator: 'and',
                rules: [
                  { kind: 'rule', source: 'event_property', key: 'plan', operator: 'eq', value: 'pro' },
                ],
              },
            },
          },
          {
            id: 'u',
            type: 'update_visitor',
            config: { setTraits: [{ key: 'tier', value: 'vip', valueType: 'string' }], addTags: ['vip'] },
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
        { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 5 },
      ),
    );
    const pro = randomUUID();
    const free = randomUUID();
    await ingest(stack.db, t.siteId, [
      { visitorId: pro, name: 'signup', properties: { plan: 'pro' } },
      { visitorId: free, name: 'signup', properties: { plan: 'free' } },
    ]);
    const runs = await ended(flowId, 2);
    const byVisitor = new Map(runs.map((r) => [r.visitor_id, r]));
    expect(byVisitor.get(pro)?.status).toBe('exited');
    expect(byVisitor.get(free)?.status).toBe('exited');
    expect(await visitor(pro)).toEqual({ traits: { tier: 'vip' }, tags: ['vip'] });
    expect((await visitor(free)).tags).toEqual([]);

    const run = await stack.api.request(`/api/sites/${t.siteId}/runs/${byVisitor.get(pro)?.id}`, {
      token: t.tokens.viewer,
    });
    expect(run.status).toBe(200);
    const timeline = run.body.timeline as { nodeId: string; output: string | null; effectStatus: string }[];
    expect(timeline.map((s) => [s.nodeId, s.output, s.effectStatus])).toEqual([
      ['t', 'next', 'none'],
      ['c', 'yes', 'none'],
      ['u', 'next', 'done'],
      ['x', null, 'none'],
    ]);

    const stats = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/stats`, {
      token: t.tokens.viewer,
    });
    expect(stats.body).toEqual({
      nodes: {
        t: { entered: 2, waiting: 0, exited: { next: 2 } },
        c: { entered: 2, waiting: 0, exited: { yes: 1, no: 1 } },
        u: { entered: 1, waiting: 0, exited: { next: 1 } },
        x: { entered: 1, waiting: 0, exited: {} },
        x2: { entered: 1, waiting: 0, exited: {} },
      },
    });
    const list = await stack.api.request(
      `/api/sites/${t.siteId}/flows/${flowId}/runs?status=exited&visitorId=${pro}&version=1`,
      { token: t.tokens.viewer },
    );
    expect((list.body.runs as { id: string }[]).map((r) => r.id)).toEqual([byVisitor.get(pro)?.id]);
  });

  it('show CTA leaves one pending on-site message; send email arrives once over SMTP', async () => {
    await stack.db.query(
      `INSERT INTO ctas (site_id, id, name, draft) VALUES ($1, 'cta_1', 'Exit offer', '{}')`,
      [t.siteId],
    );
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'cta-mail',
        [
          trigger('cart_abandoned'),
          { id: 's', type: 'show_cta', config: { ctaId: 'cta_1', priority: 70 } },
          {
            id: 'm',
            type: 'send_email',
            config: { senderId: 'default', subject: 'Hi {{visitor.traits.first_name}}', text: 'Come back' },
          },
        ],
        [
          ['t', 'next', 's'],
          ['s', 'next', 'm'],
        ],
      ),
    );
    const v = randomUUID();
    const before = rx.mails.length;
    await stack.db.query(
      `INSERT INTO visitors (site_id, id, traits, first_seen_at, last_seen_at)
      VALUES ($1, $2, '{"email":"ann@example.com","first_name":"Ann"}', now(), now())`,
      [t.siteId, v],
    );
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'cart_abandoned' }]);
    const [run] = await ended(flowId, 1);
    expect(run.status).toBe('completed');
    const msgs = await stack.db.query(
      `SELECT cta_id, priority, run_id, node_id, consumed_at FROM onsite_messages WHERE site_id = $1 AND visitor_id = $2`,
      [t.siteId, v],
    );
    expect(msgs.rows).toEqual([
      { cta_id: 'cta_1', priority: 70, run_id: run.id, node_id: 's', consumed_at: null },
    ]);
    const mails = rx.mails.slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      to: 'ann@example.com',
      subject: 'Hi Ann',
      from: expect.stringContaining('<flows@nudgeflow.test>'),
      replyTo: 'team@nudgeflow.test',
    });
    expect(mails[0].messageId).toContain(`${run.id}:m:1`);
  });

  it('send webhook and notify go out through the webhooks feature, once each', async () => {
    const endpointId = await hookEndpoint();
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'hooks',
        [
          trigger('lead'),
          {
            id: 'w',
            type: 'send_webhook',
            config: { endpointId, bodyTemplate: '{"lead": "{{event.properties.name}}"}' },
          },
          { id: 'n', type: 'notify', config: { endpointId, text: 'New lead {{event.properties.name}}' } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'n'],
        ],
      ),
    );
    const before = rx.hooks.length;
    await ingest(stack.db, t.siteId, [{ visitorId: randomUUID(), name: 'lead', properties: { name: 'Bo' } }]);
    const [run] = await ended(flowId, 1);
    expect(run.status).toBe('completed');
    const hooks = await waitFor('2 webhook requests', async () =>
      rx.hooks.length - before >= 2 ? rx.hooks.slice(before) : undefined,
    );
    await sleep(300);
    expect(rx.hooks.length - before).toBe(2);
    const bodies = hooks.map((h) => JSON.parse(h.body) as Record<string, unknown>);
    expect(bodies).toEqual(expect.arrayContaining([{ lead: 'Bo' }, { text: 'New lead Bo' }]));
  });

  it('an inline action that fails leaves the actions before it applied once and fails alone', async () => {
    const endpointId = await hookEndpoint();
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'inline-fail',
        [
          trigger('inline_fail'),
          { id: 'u', type: 'update_visitor', config: { addTags: ['before_notify'] } },
          { id: 'n', type: 'notify', config: { endpointId, text: 'never sent' } },
        ],
        [
          ['t', 'next', 'u'],
          ['u', 'next', 'n'],
        ],
      ),
    );
    // Dispatch refuses a disabled endpoint: the advance's unguarded attempt rolls back whole, the
    // guarded redo keeps the tag and leaves the notify pending for the per-action retries.
    await stack.db.query(`UPDATE webhook_endpoints SET enabled = false WHERE site_id = $1 AND id = $2`, [
      t.siteId,
      endpointId,
    ]);
    const v = randomUUID();
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'inline_fail' }]);
    const [run] = await ended(flowId, 1);
    expect(run.status).toBe('failed');
    // A disabled endpoint is a permanent failure: no retry.
    expect(run.error?.message).toMatch(
      /notify failed after 1 attempt\(s\): endpointId: webhook endpoint is disabled/,
    );
    expect((await visitor(v)).tags).toEqual(['before_notify']);
    const steps = await stack.db.query<{ node_id: string; effect_status: string; attempts: number }>(
      `SELECT node_id, effect_status, attempts FROM run_steps WHERE site_id = $1 AND run_id = $2 ORDER BY ord`,
      [t.siteId, run.id],
    );
    expect(steps.rows.map((r) => [r.node_id, r.effect_status, r.attempts])).toEqual([
      ['t', 'none', 0],
      ['u', 'done', 1],
      ['n', 'failed', 1],
    ]);
  });

  it('waits: a 1 s wait holds the run in PostgreSQL (next_step_at) and resumes it', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'wait',
        [
          trigger('visit'),
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'seconds' } } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['waited'] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'u'],
        ],
      ),
    );
    const v = randomUUID();
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'visit' }]);
    const waiting = await waitFor('waiting run', async () => {
      const r = await stack.db.query(
        `SELECT status, next_step_at, wait_node_id FROM runs WHERE site_id = $1 AND flow_id = $2`,
        [t.siteId, flowId],
      );
      return r.rows[0]?.status === 'waiting' ? r.rows[0] : undefined;
    });
    expect(waiting.wait_node_id).toBe('w');
    expect(new Date(waiting.next_step_at as string).getTime()).toBeGreaterThan(Date.now() - 1000);
    const stats = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/stats`, {
      token: t.tokens.viewer,
    });
    expect((stats.body.nodes as Record<string, { waiting: number }>).w.waiting).toBe(1);
    const [run] = await ended(flowId, 1);
    expect(run.status).toBe('completed');
    expect((await visitor(v)).tags).toEqual(['waited']);
  });

  it('wait for event: the correlated event resumes; an uncorrelated one does not; timeout takes its branch', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'wfe',
        [
          trigger('checkout_started'),
          {
            id: 'w',
            type: 'wait_for_event',
            config: {
              event: 'order_completed',
              correlationProperty: 'cart_id',
              filters: [],
              timeout: { amount: 2, unit: 'seconds' },
            },
          },
          { id: 'yes', type: 'update_visitor', config: { addTags: ['bought'] } },
          { id: 'no', type: 'update_visitor', config: { addTags: ['timed_out'] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'matched', 'yes'],
          ['w', 'timeout', 'no'],
        ],
        { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 3 },
      ),
    );
    const a = randomUUID();
    const b = randomUUID();
    await ingest(stack.db, t.siteId, [
      { visitorId: a, name: 'checkout_started', properties: { cart_id: 'A1' } },
      { visitorId: b, name: 'checkout_started', properties: { cart_id: 'B1' } },
    ]);
    await waitFor('both waiting', async () => {
      const runs = await runsOf(stack.db, t.siteId, flowId);
      return runs.length === 2 && runs.every((r) => r.status === 'waiting');
    });
    await ingest(stack.db, t.siteId, [
      { visitorId: a, name: 'order_completed', properties: { cart_id: 'A1' } },
      { visitorId: b, name: 'order_completed', properties: { cart_id: 'other' } },
    ]);
    const runs = await ended(flowId, 2);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    expect((await visitor(a)).tags).toEqual(['bought']);
    expect((await visitor(b)).tags).toEqual(['timed_out']);
  });

  it('goal: a goal event converts a waiting run from any node', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'goal',
        [
          trigger('trial_started'),
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['nudged'] } },
          { id: 'g', type: 'goal', config: { event: 'subscribed', filters: [] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'u'],
        ],
      ),
    );
    const v = randomUUID();
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'trial_started' }]);
    await waitFor('waiting', async () => (await runsOf(stack.db, t.siteId, flowId))[0]?.status === 'waiting');
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'subscribed' }]);
    const [run] = await ended(flowId, 1);
    expect(run.status).toBe('converted');
    expect((await visitor(v)).tags).toEqual([]);
  });

  it('re-entry: "once" enrols a visitor once; the per-visitor cap refuses concurrent runs; an event enrols a flow once; bots never', async () => {
    const mk = (name: string, settings: Record<string, unknown>) =>
      publishFlow(
        stack,
        t,
        flowDoc(
          name,
          [
            trigger(`re_${name}`),
            { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'seconds' } } },
            { id: 'u', type: 'update_visitor', config: { addTags: [name] } },
          ],
          [
            ['t', 'next', 'w'],
            ['w', 'next', 'u'],
          ],
          settings,
        ),
      );
    const once = await mk('once', { reEntry: { mode: 'once' } });
    const capped = await mk('capped', { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 1 });
    const v = randomUUID();
    await ingest(stack.db, t.siteId, [
      { visitorId: v, name: 're_once' },
      { visitorId: v, name: 're_once' },
      { visitorId: v, name: 're_capped' },
      { visitorId: v, name: 're_capped' },
    ]);
    const bot = randomUUID();
    await ingest(stack.db, t.siteId, [{ visitorId: bot, name: 're_once', isBot: true }]);
    // The same outbox hand-off twice (a relay retry) must not enrol again.
    const ids = await ingest(stack.db, t.siteId, [{ visitorId: randomUUID(), name: 're_capped' }]);
    await stack.db.query(`INSERT INTO event_outbox (site_id, event_ids) VALUES ($1, $2::bigint[])`, [
      t.siteId,
      ids,
    ]);
    await ended(once, 1);
    await ended(capped, 2);
    await ingest(stack.db, t.siteId, [
      { visitorId: v, name: 're_once' },
      { visitorId: v, name: 're_capped' },
    ]);
    await ended(capped, 3);
    await sleep(1500);
    expect(await runsOf(stack.db, t.siteId, once)).toHaveLength(1);
    const cappedRuns = await runsOf(stack.db, t.siteId, capped);
    expect(cappedRuns.filter((r) => r.visitor_id === v)).toHaveLength(2);
    expect(cappedRuns).toHaveLength(3);
  });

  it('per-action retry then dead letter; retry-from-failed-step, skip and cancel from the dead-letter list', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'dlq',
        [
          trigger('dlq'),
          { id: 'm', type: 'send_email', config: { senderId: 'default', subject: 'x', text: 'y' } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['after_mail'] } },
        ],
        [
          ['t', 'next', 'm'],
          ['m', 'next', 'u'],
        ],
        { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 5 },
      ),
    );
    rx.reject.add('bounce');
    const visitors = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, v] of visitors.entries())
      await stack.db.query(
        `INSERT INTO visitors (site_id, id, traits, first_seen_at, last_seen_at) VALUES ($1, $2, $3, now(), now())`,
        [t.siteId, v, JSON.stringify({ email: `bounce${i}@example.com` })],
      );
    await ingest(
      stack.db,
      t.siteId,
      visitors.map((v) => ({ visitorId: v, name: 'dlq' })),
    );
    const failed = await ended(flowId, 3);
    expect(failed.every((r) => r.status === 'failed')).toBe(true);
    expect(failed[0].error?.message).toMatch(/send_email failed after 3 attempt\(s\)/);
    const attempts = await stack.db.query(
      `SELECT attempts, effect_status FROM run_steps WHERE site_id = $1 AND run_id = $2 AND node_id = 'm'`,
      [t.siteId, failed[0].id],
    );
    expect(attempts.rows).toEqual([{ attempts: 3, effect_status: 'failed' }]);
    const dl = await stack.api.request(`/api/sites/${t.siteId}/runs/dead-letter?flowId=${flowId}`, {
      token: t.tokens.viewer,
    });
    expect((dl.body.runs as { id: string }[]).map((r) => r.id).sort()).toEqual(
      failed.map((r) => r.id).sort(),
    );

    rx.reject.delete('bounce');
    const byVisitor = new Map(failed.map((r) => [r.visitor_id, r.id]));
    const [retryV, skipV, cancelV] = visitors;
    const post = (runId: string | undefined, action: string) =>
      stack.api.request(`/api/sites/${t.siteId}/runs/${runId}/${action}`, {
        method: 'POST',
        token: t.tokens.editor,
      });
    expect((await post(byVisitor.get(retryV), 'retry')).status).toBe(201);
    expect((await post(byVisitor.get(skipV), 'skip')).status).toBe(201);
    expect((await post(byVisitor.get(cancelV), 'cancel')).status).toBe(201);
    expect((await post(byVisitor.get(cancelV), 'retry')).status).toBe(409);
    await waitFor('resumed runs', async () => {
      const runs = await runsOf(stack.db, t.siteId, flowId);
      return runs.filter((r) => r.status === 'completed').length === 2 ? runs : undefined;
    });
    expect((await visitor(retryV)).tags).toEqual(['after_mail']);
    expect((await visitor(skipV)).tags).toEqual(['after_mail']);
    expect((await visitor(cancelV)).tags).toEqual([]);
    expect(rx.mails.filter((m) => m.to === 'bounce0@example.com')).toHaveLength(1);
    expect(rx.mails.filter((m) => m.to === 'bounce1@example.com')).toHaveLength(0);
  });

  it('cancel while a step is executing: the running send finishes, nothing after the cancel commits', async () => {
    const flowId = await publishFlow(
      stack,
      t,
      flowDoc(
        'cancel',
        [
          trigger('cancel_me'),
          { id: 'm1', type: 'send_email', config: { senderId: 'default', subject: 'first', text: '1' } },
          { id: 'm2', type: 'send_email', config: { senderId: 'default', subject: 'second', text: '2' } },
        ],
        [
          ['t', 'next', 'm1'],
          ['m1', 'next', 'm2'],
        ],
      ),
    );
    const v = randomUUID();
    await stack.db.query(
      `INSERT INTO visitors (site_id, id, traits, first_seen_at, last_seen_at) VALUES ($1, $2, $3, now(), now())`,
      [t.siteId, v, JSON.stringify({ email: 'slow@example.com' })],
    );
    rx.delayMs = 3000;
    try {
      await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'cancel_me' }]);
      const [run] = await waitFor('running run', async () => {
        const runs = await runsOf(stack.db, t.siteId, flowId);
        return runs[0]?.status === 'running' ? runs : undefined;
      });
      // The first send is in flight (its data arrived; the receiver holds it 3 s), holding the run's lock
      // (lockRun); the cancel queues behind that lock before the send is accepted, so it commits before
      // any later step can take the lock (lockRun grants the run in arrival order).
      await waitFor('first send in flight', async () => rx.arrived.includes('first') || undefined);
      const cancelling = stack.api.request(`/api/sites/${t.siteId}/runs/${run.id}/cancel`, {
        method: 'POST',
        token: t.tokens.editor,
      });
      await waitFor('cancel waiting on the run lock', async () => {
        // The cancel's own wait: a backend of the API (the harness names its connections
        // `nudgeflow-api`) on the run's lock. The worker's next step locks the run with the same
        // statement, so the statement alone could be the step's wait behind the cancel, or after it.
        // On Citus the lock wait happens on the worker holding the site; citus_lock_waits names it by
        // the global pid of the coordinator backend that sent it.
        const { rows } = await stack.db.query<{ n: number }>(
          process.env.CITUS_WORKER_URLS
            ? `SELECT count(*)::int AS n FROM citus_lock_waits w
                WHERE w.blocked_statement LIKE '%FROM runs WHERE site_id = $1 AND id = $2 FOR UPDATE'
                  AND EXISTS (SELECT 1 FROM citus_stat_activity a
                               WHERE a.global_pid = w.waiting_gpid AND a.application_name = 'nudgeflow-api')`
            : `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'nudgeflow-api'
                  AND wait_event_type = 'Lock'
                  AND query LIKE '%FROM runs WHERE site_id = $1 AND id = $2 FOR UPDATE'`,
        );
        return rows[0].n > 0 || undefined;
      });
      expect(rx.mails.filter((m) => m.to === 'slow@example.com')).toEqual([]); // still held
      const cancelled = await cancelling;
      expect(cancelled.status).toBe(201);
      expect(cancelled.body.status).toBe('cancelled');
      await sleep(3500); // longer than the receiver holds a message: a send after the cancel would show
    } finally {
      rx.delayMs = 0;
    }
    const mails = rx.mails.filter((m) => m.to === 'slow@example.com').map((m) => m.subject);
    expect(mails).toEqual(['first']);
    const steps = await stack.db.query(
      `SELECT node_id, effect_status FROM run_steps WHERE site_id = $1 AND flow_id = $2 ORDER BY ord`,
      [t.siteId, flowId],
    );
    expect(steps.rows.map((r) => [r.node_id, r.effect_status])).toEqual([
      ['t', 'none'],
      ['m1', 'done'],
      ['m2', 'cancelled'],
    ]);
  });

  it('versions in flight: a waiting run finishes on its version after a new one is published', async () => {
    const doc = (tag: string) =>
      flowDoc(
        'versions',
        [
          trigger('v_evt'),
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'seconds' } } },
          { id: 'u', type: 'update_visitor', config: { addTags: [tag] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'u'],
        ],
        { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 5 },
      );
    const flowId = await publishFlow(stack, t, doc('v1'));
    const v = randomUUID();
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'v_evt' }]);
    await waitFor('waiting', async () => (await runsOf(stack.db, t.siteId, flowId))[0]?.status === 'waiting');
    const flow = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}`, {
      token: t.tokens.editor,
    });
    const revision = (flow.body.revision ?? (flow.body.flow as { revision: number })?.revision) as number;
    const d2 = doc('v2');
    const saved = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/draft`, {
      method: 'PUT',
      token: t.tokens.editor,
      body: { revision, graph: d2.graph, settings: d2.settings },
    });
    expect(saved.status).toBe(200);
    const pub = await stack.api.request(`/api/sites/${t.siteId}/flows/${flowId}/publish`, {
      method: 'POST',
      token: t.tokens.editor,
      body: {},
    });
    expect([200, 201]).toContain(pub.status);
    await sleep(300);
    await ingest(stack.db, t.siteId, [{ visitorId: v, name: 'v_evt' }]);
    const runs = await ended(flowId, 2);
    expect(runs.map((r) => [r.flow_version, r.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
    ]);
    expect((await visitor(v)).tags).toEqual(['v1', 'v2']);
  });

  it('the reconciler prunes in-flight markers long past due (a job that failed for good never settles its own)', async () => {
    const key = `${stack.env.QUEUE_PREFIX}:rt:inflight:runs`;
    const dead = `dead-${randomUUID()}`;
    const fresh = `fresh-${randomUUID()}`;
    // Stale after 20 rescue graces (2 s here): the dead one is an hour overdue, the fresh one due soon.
    await stack.redis.hset(key, dead, String(Date.now() - 3_600_000), fresh, String(Date.now() + 60_000));
    await waitFor('the dead marker pruned', async () => (await stack.redis.hexists(key, dead)) === 0, 20_000);
    expect(await stack.redis.hexists(key, fresh)).toBe(1);
    await stack.redis.hdel(key, fresh);
  });
});
