import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { BROWSER_UA, basic } from '../ingest/ingest-helpers';
import { startApi, startWorker, RunningProcess, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/test-env';
import { Delivery, Receiver } from './receiver';

/**
 * System events from their real producers: ingestion (/v1 identify and the embed's cta_converted
 * track, handed to the trigger job through the outbox) and the flow runtime (a run that completes,
 * a run whose action fails). Every delivery is verified with the standardwebhooks library.
 */
const START_MS = 120_000;
const QUEUE_PREFIX = `nfsys${randomUUID().slice(0, 6)}`;
const ENV = {
  QUEUE_PREFIX,
  WEBHOOK_ALLOWLIST: '127.0.0.1',
  WEBHOOK_RETRY_SCALE: '0.001',
  SECRETS_KEY: 'test-secrets-key-for-system-events',
  RUNTIME_RELAY_IDLE_MS: '50',
};
const ALL = ['cta.converted', 'visitor.identified', 'run.completed', 'run.failed'];

interface Envelope {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

describe('webhook system events from their producers', () => {
  let api: TestApi;
  let worker: RunningProcess;
  let a: Tenant;
  let b: Tenant;
  let rx: Receiver;
  let db: Client;

  beforeAll(async () => {
    rx = await new Receiver().start();
    await Promise.all([
      startApi(ENV, START_MS).then((p) => (api = p)),
      startWorker(ENV, START_MS).then((p) => (worker = p)),
    ]);
    a = await createTenant(api, 'sys-a');
    b = await createTenant(api, 'sys-b');
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  }, 3 * START_MS);
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop(), rx?.stop(), db?.end()]);
  });

  async function endpoint(t: Tenant, path: string, eventTypes: string[]) {
    const res = await api.request(`/api/sites/${t.siteId}/webhooks/endpoints`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { url: rx.url(path), eventTypes },
    });
    expect(res.status).toBe(201);
    rx.on(path, () => ({ status: 200 }), [res.body.secret as string]);
    return { id: res.body.id as string, secret: res.body.secret as string };
  }

  async function publish(t: Tenant, name: string, nodes: Record<string, unknown>[], edges: string[][]) {
    const doc = {
      schemaVersion: 1,
      name,
      settings: { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 5 },
      graph: {
        nodes: nodes.map((n, i) => ({ ...n, position: { x: 0, y: i * 100 } })),
        edges: edges.map(([source, sourceHandle, target], i) => ({
          id: `e${i}`,
          source,
          sourceHandle,
          target,
        })),
      },
    };
    const created = await api.request(`/api/sites/${t.siteId}/flows/import`, {
      method: 'POST',
      token: t.tokens.editor,
      body: doc,
    });
    expect(created.status).toBe(201);
    const flowId = (created.body.id ?? (created.body.flow as { id: string }).id) as string;
    const published = await api.request(`/api/sites/${t.siteId}/flows/${flowId}/publish`, {
      method: 'POST',
      token: t.tokens.editor,
      body: {},
    });
    expect([200, 201]).toContain(published.status);
    return flowId;
  }

  const send = async (t: Tenant, path: string, body: Record<string, unknown>) => {
    const res = await api.request(path, {
      method: 'POST',
      body: { messageId: randomUUID(), ...body },
      headers: { authorization: basic(t.writeKey), 'user-agent': BROWSER_UA },
    });
    expect(res.status).toBe(202);
    return res;
  };

  /** Until the site's outbox rows and hand-offs are consumed by trigger jobs (bounded). */
  async function waitForHandoffs(siteId: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM event_outbox WHERE site_id = $1)::int
              + (SELECT count(*) FROM trigger_handoffs WHERE site_id = $1)::int AS n`,
        [siteId],
      );
      if (rows[0].n === 0) return;
      if (Date.now() > deadline) throw new Error('hand-offs never consumed');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const trigger = (event: string) => ({ id: 't', type: 'trigger_event', config: { event, filters: [] } });
  const parse = (d: Delivery) => JSON.parse(d.body) as Envelope;

  it('a subscribed endpoint receives each of the four system events exactly once; other sites and unsubscribed endpoints nothing', async () => {
    const subscribed = await endpoint(a, '/sys-a', ALL);
    await endpoint(a, '/sys-a-other', ['endpoint.disabled']);
    await endpoint(b, '/sys-b', ALL);
    // The failing flow's action targets an endpoint that is disabled after publishing (409: permanent).
    const doomed = await endpoint(a, '/sys-doomed', []);
    const completes = await publish(
      a,
      'completes',
      [trigger('sys_buy'), { id: 'u', type: 'update_visitor', config: { addTags: ['buyer'] } }],
      [['t', 'next', 'u']],
    );
    const fails = await publish(
      a,
      'fails',
      [
        trigger('sys_explode'),
        { id: 'h', type: 'send_webhook', config: { endpointId: doomed.id, bodyTemplate: '{}' } },
      ],
      [['t', 'next', 'h']],
    );
    const off = await api.request(`/api/sites/${a.siteId}/webhooks/endpoints/${doomed.id}`, {
      method: 'PATCH',
      token: a.tokens.editor,
      body: { enabled: false },
    });
    expect(off.body).toMatchObject({ enabled: false });

    const anon = `anon-${randomUUID()}`;
    const userId = `user-${randomUUID()}`;
    const ctaId = randomUUID();
    const variantId = randomUUID();
    await send(a, '/v1/identify', { anonymousId: anon, userId, traits: { plan: 'pro' } });
    await send(a, '/v1/track', {
      anonymousId: anon,
      event: 'cta_converted',
      properties: { ctaId, variantId },
    });
    await send(a, '/v1/track', { anonymousId: anon, event: 'sys_buy' });
    await send(a, '/v1/track', { anonymousId: `anon-${randomUUID()}`, event: 'sys_explode' });
    // The same kinds of events on site b reach none of site a's endpoints, and site b has no flows.
    await send(b, '/v1/identify', { anonymousId: anon, userId, traits: {} });
    await send(b, '/v1/track', { anonymousId: anon, event: 'cta_converted', properties: { ctaId } });

    const ds = await rx.waitFor('/sys-a', 4, 60_000);
    // Let anything duplicated arrive, and run the due pass (it re-sends pending messages Redis lost).
    const maintenance = new Queue('maintenance', {
      prefix: QUEUE_PREFIX,
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      await maintenance.add('WebhookMessagesQueueDue', {});
    } finally {
      await maintenance.close();
    }
    await new Promise((r) => setTimeout(r, 3000));

    const got = rx.for('/sys-a');
    expect(got.map((d) => parse(d).type).sort()).toEqual([...ALL].sort());
    expect(got.every((d) => d.verifiedWith.length === 1 && d.verifiedWith[0] === subscribed.secret)).toBe(
      true,
    );
    expect(new Set(got.map((d) => d.headers['webhook-id'])).size).toBe(4);
    const byType = new Map(ds.map((d) => [parse(d).type, parse(d)]));

    const visitor = (
      await db.query<{ visitor_id: string }>(
        `SELECT visitor_id FROM events WHERE site_id = $1 AND anonymous_id = $2 AND type = 'identify'`,
        [a.siteId, anon],
      )
    ).rows[0].visitor_id;
    expect(byType.get('visitor.identified')?.data).toMatchObject({
      visitorId: visitor,
      userId,
      anonymousId: anon,
      traits: { plan: 'pro' },
    });
    expect(byType.get('cta.converted')?.data).toMatchObject({ visitorId: visitor, ctaId, variantId });
    const runs = (
      await db.query<{ id: string; flow_id: string; status: string }>(
        `SELECT id, flow_id, status FROM runs WHERE site_id = $1 AND flow_id = ANY ($2::uuid[])`,
        [a.siteId, [completes, fails]],
      )
    ).rows;
    const completed = runs.find((r) => r.flow_id === completes)!;
    const failed = runs.find((r) => r.flow_id === fails)!;
    expect([completed.status, failed.status]).toEqual(['completed', 'failed']);
    expect(byType.get('run.completed')?.data).toMatchObject({
      runId: completed.id,
      flowId: completes,
      status: 'completed',
      visitorId: visitor,
    });
    expect(byType.get('run.failed')?.data).toMatchObject({
      runId: failed.id,
      flowId: fails,
      status: 'failed',
      error: { code: 'WEBHOOK_ENDPOINT_DISABLED', nodeId: 'h' },
    });

    // Site b's endpoint got site b's own two events, none of site a's (b has no flows: no run events).
    const bs = await rx.waitFor('/sys-b', 2, 60_000);
    const bVisitor = (
      await db.query<{ visitor_id: string }>(
        `SELECT visitor_id FROM events WHERE site_id = $1 AND anonymous_id = $2 AND type = 'identify'`,
        [b.siteId, anon],
      )
    ).rows[0].visitor_id;
    expect(bVisitor).not.toBe(visitor);
    expect(bs.map((d) => parse(d).type).sort()).toEqual(['cta.converted', 'visitor.identified']);
    expect(bs.every((d) => parse(d).data.visitorId === bVisitor)).toBe(true);
    expect(bs.some((d) => d.verifiedWith.length === 1)).toBe(true);
    expect(got.every((d) => parse(d).data.visitorId !== bVisitor)).toBe(true);
    expect(rx.for('/sys-a-other')).toHaveLength(0);
    expect(rx.for('/sys-doomed')).toHaveLength(0);
    const rows = await db.query<{ event_type: string; n: number }>(
      `SELECT event_type, count(*)::int AS n FROM webhook_messages
        WHERE site_id = $1 AND event_type = ANY ($2::text[]) GROUP BY 1 ORDER BY 1`,
      [a.siteId, ALL],
    );
    expect(rows.rows).toEqual([...ALL].sort().map((event_type) => ({ event_type, n: 1 })));
  }, 120_000);

  it('an endpoint subscribed after the fact gets the next occurrence (cache invalidated across processes)', async () => {
    const c = await createTenant(api, 'sys-c');
    const before = randomUUID();
    // Warm the worker's cache for site c with "nothing subscribed" (the event is matched, sends nothing) ...
    await send(c, '/v1/track', {
      anonymousId: `anon-${randomUUID()}`,
      event: 'cta_converted',
      properties: { ctaId: before },
    });
    await waitForHandoffs(c.siteId);
    // ... then subscribe: the API's invalidation reaches the worker, the next conversion is sent.
    const late = await endpoint(c, '/sys-c-late', ['cta.converted']);
    const ctaId = randomUUID();
    await send(c, '/v1/track', {
      anonymousId: `anon-${randomUUID()}`,
      event: 'cta_converted',
      properties: { ctaId },
    });
    const [d] = await rx.waitFor('/sys-c-late', 1, 60_000);
    expect(d.verifiedWith).toEqual([late.secret]);
    expect(parse(d)).toMatchObject({ type: 'cta.converted', data: { ctaId } });
    await waitForHandoffs(c.siteId);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.for('/sys-c-late')).toHaveLength(1);
  }, 120_000);
  it('runs ended by the reaper (run.failed) and by archiving their flow with exit (run.completed) are announced too', async () => {
    const d = await createTenant(api, 'sys-d');
    const ep = await endpoint(d, '/sys-d', ['run.completed', 'run.failed']);
    const waits = (name: string) =>
      publish(
        d,
        name,
        [
          trigger(name),
          { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'hours' } } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['later'] } },
        ],
        [
          ['t', 'next', 'w'],
          ['w', 'next', 'u'],
        ],
      );
    const stuckFlow = await waits('sys_stuck');
    const archivedFlow = await waits('sys_archived');
    await send(d, '/v1/track', { anonymousId: `anon-${randomUUID()}`, event: 'sys_stuck' });
    await send(d, '/v1/track', { anonymousId: `anon-${randomUUID()}`, event: 'sys_archived' });
    const deadline = Date.now() + 30_000;
    let waiting: { id: string; flow_id: string }[] = [];
    while (waiting.length < 2) {
      if (Date.now() > deadline) throw new Error('runs never reached their wait');
      await new Promise((r) => setTimeout(r, 100));
      waiting = (
        await db.query<{ id: string; flow_id: string }>(
          `SELECT id, flow_id FROM runs WHERE site_id = $1 AND status = 'waiting'`,
          [d.siteId],
        )
      ).rows;
    }
    const stuck = waiting.find((r) => r.flow_id === stuckFlow)!;
    const exiting = waiting.find((r) => r.flow_id === archivedFlow)!;
    // A step that died without a trace an hour ago: the reaper's case.
    await db.query(
      `UPDATE runs SET status = 'running', next_step_at = NULL, updated_at = now() - interval '1 hour'
        WHERE site_id = $1 AND id = $2`,
      [d.siteId, stuck.id],
    );
    const archived = await api.request(`/api/sites/${d.siteId}/flows/${archivedFlow}/archive`, {
      method: 'POST',
      token: d.tokens.editor,
      body: { exitRuns: true },
    });
    expect([200, 201]).toContain(archived.status);
    const maintenance = new Queue('maintenance', {
      prefix: QUEUE_PREFIX,
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      await maintenance.add('RunsReap', {});
    } finally {
      await maintenance.close();
    }
    const ds = await rx.waitFor('/sys-d', 2, 60_000);
    expect(ds.every((x) => x.verifiedWith.length === 1 && x.verifiedWith[0] === ep.secret)).toBe(true);
    const byRun = new Map(ds.map((x) => [parse(x).data.runId as string, parse(x)]));
    expect(byRun.get(stuck.id)).toMatchObject({
      type: 'run.failed',
      data: { flowId: stuckFlow, status: 'failed', error: { code: 'STUCK' } },
    });
    expect(byRun.get(exiting.id)).toMatchObject({
      type: 'run.completed',
      data: { flowId: archivedFlow, status: 'exited' },
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.for('/sys-d')).toHaveLength(2);
  }, 120_000);
});
