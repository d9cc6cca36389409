import { randomUUID } from 'node:crypto';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';

/**
 * Every reference a flow makes is checked on publish: a `send_email` node's sender and a `notify`
 * node's endpoint must exist in the same site, and every template variable must be in the catalogue,
 * or publish answers 422 naming the node.
 */
const settings = { reEntry: { mode: 'once' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] };

describe('flow references checked on publish: email senders and notify targets', () => {
  let t: TestApi;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await startApi({ WEBHOOK_ALLOWLIST: '127.0.0.1' });
    [a, b] = await Promise.all([createTenant(t, 'refs-a'), createTenant(t, 'refs-b')]);
  });
  afterAll(() => t.stop());

  const sender = async (tenant: Tenant) => {
    const res = await t.request(`/api/sites/${tenant.siteId}/email-senders`, {
      method: 'POST',
      token: tenant.tokens.editor,
      body: {
        name: 'News',
        fromName: 'Ann from Shop',
        fromAddress: 'ann@shop.example',
        replyTo: 'help@shop.example',
      },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const endpoint = async (tenant: Tenant) => {
    const res = await t.request(`/api/sites/${tenant.siteId}/webhooks/endpoints`, {
      method: 'POST',
      token: tenant.tokens.editor,
      body: { url: 'http://127.0.0.1:9/slack' },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  const publish = async (tenant: Tenant, action: Record<string, unknown>) => {
    const base = `/api/sites/${tenant.siteId}/flows`;
    const created = await t.request(base, {
      method: 'POST',
      token: tenant.tokens.editor,
      body: { name: 'refs' },
    });
    const id = created.body.id as string;
    const graph = {
      nodes: [
        {
          id: 'start',
          type: 'trigger_event',
          position: { x: 0, y: 0 },
          config: { event: 'signup', filters: [] },
        },
        { id: 'act', position: { x: 0, y: 100 }, ...action },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'next', target: 'act' }],
    };
    const saved = await t.request(`${base}/${id}/draft`, {
      method: 'PUT',
      token: tenant.tokens.editor,
      body: { revision: 1, graph, settings },
    });
    expect(saved.status).toBe(200);
    return t.request(`${base}/${id}/publish`, { method: 'POST', token: tenant.tokens.editor, body: {} });
  };
  const email = (senderId: string) => ({
    type: 'send_email',
    config: { senderId, subject: 'Hi', text: 'Hello' },
  });
  const notify = (endpointId: string) => ({ type: 'notify', config: { endpointId, text: 'New lead' } });

  it('manages senders: viewers read, editors write, header injection is refused', async () => {
    const id = await sender(a);
    const list = await t.request(`/api/sites/${a.siteId}/email-senders`, { token: a.tokens.viewer });
    expect(list.body).toEqual([
      expect.objectContaining({
        id,
        fromName: 'Ann from Shop',
        fromAddress: 'ann@shop.example',
        replyTo: 'help@shop.example',
      }),
    ]);
    const viewer = await t.request(`/api/sites/${a.siteId}/email-senders`, {
      method: 'POST',
      token: a.tokens.viewer,
      body: { name: 'x', fromName: 'x', fromAddress: 'x@example.com' },
    });
    expect(viewer.status).toBe(403);
    for (const body of [
      { name: 'x', fromName: 'Evil\r\nBcc: all@example.com', fromAddress: 'x@example.com' },
      { name: 'x', fromName: 'x', fromAddress: 'not-an-address' },
    ]) {
      const res = await t.request(`/api/sites/${a.siteId}/email-senders`, {
        method: 'POST',
        token: a.tokens.editor,
        body,
      });
      expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    }
  });

  it.each([
    ['send_email with a missing sender', () => email(randomUUID()), 'UNKNOWN_EMAIL_SENDER'],
    ['send_email with another site’s sender', async () => email(await sender(b)), 'UNKNOWN_EMAIL_SENDER'],
    ['notify with a missing endpoint', () => notify(randomUUID()), 'UNKNOWN_NOTIFY_ENDPOINT'],
    ['notify with another site’s endpoint', async () => notify(await endpoint(b)), 'UNKNOWN_NOTIFY_ENDPOINT'],
  ])('refuses to publish %s (422, error on the node)', async (_, action, code) => {
    const res = await publish(a, await action());
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ code, nodeId: 'act' })]);
  });

  it('refuses to publish a template with an unknown variable, naming the node (not an empty string at send time)', async () => {
    const ep = await endpoint(a);
    for (const text of ['Lead {{visitor.anonymousID}}', 'Hi {{first_name}}', '{{event.props.total}}']) {
      const res = await publish(a, { type: 'notify', config: { endpointId: ep, text } });
      expect({ text, status: res.status }).toEqual({ text, status: 422 });
      expect(res.body.errors).toEqual([
        expect.objectContaining({ code: 'UNKNOWN_TEMPLATE_VARIABLE', nodeId: 'act' }),
      ]);
    }
    const ok = await publish(a, {
      type: 'notify',
      config: { endpointId: ep, text: '{{visitor.anonymousId}} {{visitor.userId}} {{visitor.traits.plan}}' },
    });
    expect(ok.status).toBe(201);
  });

  it('publishes with the site’s own sender and endpoint', async () => {
    expect((await publish(a, email(await sender(a)))).status).toBe(201);
    expect((await publish(a, notify(await endpoint(a)))).status).toBe(201);
  });
});
