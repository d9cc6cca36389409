import { randomUUID } from 'node:crypto';
import type { Tenant } from '../support/tenants';
import { basic, BROWSER_UA } from '../ingest/ingest-helpers';
import { request } from '../support/processes';
import { flowDoc, publishFlow, runsOf, sleep, tenant, useStack, waitFor } from './runtime-harness';

/**
 * An inbound hook's JSON starts the flows whose trigger is that hook (the `trigger_inbound_webhook`
 * node), end to end: POST to the hook URL, the worker enrols the visitor the JSON names, the flow's
 * action shows on the visitor. A public write key cannot forge the hook's marker.
 */
describe('inbound webhook trigger', () => {
  const ctx = useStack();
  let t: Tenant;

  beforeAll(async () => {
    t = await tenant(ctx.stack, 'inbound-trigger');
  });

  const createHook = async () => {
    const res = await ctx.stack.api.request(`/api/sites/${t.siteId}/inbound-hooks`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { name: 'crm', eventPath: 'type', visitorPath: 'customer.id' },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; path: string };
  };

  const hookFlow = (hookId: string, tag: string) =>
    flowDoc(
      `on hook ${tag}`,
      [
        { id: 'start', type: 'trigger_inbound_webhook', config: { hookId } },
        {
          id: 'tag',
          type: 'update_visitor',
          config: { addTags: [tag], setTraits: [{ key: 'crm_id', value: '{{visitor.userId}}' }] },
        },
        { id: 'done', type: 'exit', config: {} },
      ],
      [
        ['start', 'next', 'tag'],
        ['tag', 'next', 'done'],
      ],
      { reEntry: { mode: 'every_time' }, maxConcurrentRunsPerVisitor: 5, exitConditions: [] },
    );

  const visitorRow = async (visitorId: string) =>
    (
      await ctx.stack.db.query<{ tags: string[]; traits: Record<string, unknown> }>(
        `SELECT tags, traits FROM visitors WHERE site_id = $1 AND id = $2`,
        [t.siteId, visitorId],
      )
    ).rows[0];
  const tagsOf = async (visitorId: string) => (await visitorRow(visitorId))?.tags ?? [];

  it('POSTing JSON to the hook URL enrols the visitor it names and the run tags them', async () => {
    const hook = await createHook();
    const other = await createHook();
    const flowId = await publishFlow(ctx.stack, t, hookFlow(hook.id, 'from-crm'));
    const otherFlowId = await publishFlow(ctx.stack, t, hookFlow(other.id, 'from-other'));

    const customer = `cus_${randomUUID()}`;
    const res = await ctx.stack.api.request(hook.path, {
      method: 'POST',
      body: { type: 'order.paid', customer: { id: customer }, total: 42 },
    });
    expect(res.status).toBe(202);

    const [run] = await waitFor('the hook flow run to end', async () => {
      const runs = await runsOf(ctx.stack.db, t.siteId, flowId);
      return runs.length === 1 && ['completed', 'exited'].includes(runs[0].status) ? runs : undefined;
    });
    expect(await tagsOf(run.visitor_id)).toContain('from-crm');
    // {{visitor.userId}} is the id the hook's JSON named, not an empty string.
    expect((await visitorRow(run.visitor_id))?.traits).toMatchObject({ crm_id: customer });
    // Only the flow of the hook that was called.
    expect(await runsOf(ctx.stack.db, t.siteId, otherFlowId)).toEqual([]);
  });

  it('{{visitor.anonymousId}} renders the anonymous id the browser sent', async () => {
    const flowId = await publishFlow(
      ctx.stack,
      t,
      flowDoc(
        'anon',
        [
          { id: 'start', type: 'trigger_event', config: { event: 'anon_seen', filters: [] } },
          {
            id: 'set',
            type: 'update_visitor',
            config: { setTraits: [{ key: 'anon', value: '{{visitor.anonymousId}}' }] },
          },
        ],
        [['start', 'next', 'set']],
      ),
    );
    const anonymousId = `anon-${randomUUID()}`;
    const res = await request(ctx.stack.api.url, '/v1/track', {
      method: 'POST',
      headers: { authorization: basic(t.writeKey), 'user-agent': BROWSER_UA },
      body: { event: 'anon_seen', anonymousId },
    });
    expect(res.status).toBe(202);
    const [run] = await waitFor('the anon run to end', async () => {
      const runs = await runsOf(ctx.stack.db, t.siteId, flowId);
      return runs.length === 1 && ['completed', 'exited'].includes(runs[0].status) ? runs : undefined;
    });
    expect((await visitorRow(run.visitor_id))?.traits).toMatchObject({ anon: anonymousId });
  });

  it('a /v1 event carrying a forged inbound-hook marker enrols nothing', async () => {
    const hook = await createHook();
    const flowId = await publishFlow(ctx.stack, t, hookFlow(hook.id, 'forged'));
    const res = await request(ctx.stack.api.url, '/v1/track', {
      method: 'POST',
      headers: { authorization: basic(t.writeKey), 'user-agent': BROWSER_UA },
      body: {
        event: 'order.paid',
        userId: `forger-${randomUUID()}`,
        properties: { hookId: hook.id },
        context: { source: 'inbound_hook', hookId: hook.id },
      },
    });
    expect(res.status).toBe(202);
    // A genuine hook call afterwards proves the flow is live; the forged event left no run before it.
    await sleep(1500);
    expect(await runsOf(ctx.stack.db, t.siteId, flowId)).toEqual([]);
    const stored = await ctx.stack.db.query<{ context: Record<string, unknown> }>(
      `SELECT context FROM events WHERE site_id = $1 AND name = 'order.paid' AND user_id LIKE 'forger-%'`,
      [t.siteId],
    );
    expect(stored.rows[0]?.context).not.toHaveProperty('source');
    await ctx.stack.api.request(hook.path, {
      method: 'POST',
      body: { type: 'order.paid', customer: { id: `cus_${randomUUID()}` } },
    });
    await waitFor(
      'the genuine hook call to enrol',
      async () => (await runsOf(ctx.stack.db, t.siteId, flowId)).length === 1,
    );
  });
});
