import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL } from '../support/test-env';

const RATE = 5;
/** Start-up on a loaded shared machine can be slow; a bound, never a timing assertion. */
const START_MS = 120_000;

interface Hook {
  id: string;
  path: string;
  secret?: string;
}

describe('inbound hooks', () => {
  let api: TestApi;
  let a: Tenant;
  let b: Tenant;
  let db: Client;

  beforeAll(async () => {
    api = await startApi({ INBOUND_HOOK_RATE_PER_MINUTE: String(RATE) }, START_MS);
    a = await createTenant(api, 'in-a');
    b = await createTenant(api, 'in-b');
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  }, 2 * START_MS);
  afterAll(async () => {
    await Promise.all([api?.stop(), db?.end()]);
  });

  async function createHook(t: Tenant, body: Record<string, unknown>): Promise<Hook> {
    const res = await api.request(`/api/sites/${t.siteId}/inbound-hooks`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { name: 'crm', eventPath: 'type', visitorPath: 'data.customer.id', ...body },
    });
    expect(res.status).toBe(201);
    return res.body as unknown as Hook;
  }
  const post = (path: string, raw: string, headers: Record<string, string> = {}) =>
    api.request(path, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const signed = (secret: string, raw: string, id = `msg_${randomUUID()}`) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, new Date(), raw),
  });
  const eventsOf = async (siteId: string, userId: string) =>
    (
      await db.query(
        `SELECT name, user_id, properties, context FROM events WHERE site_id = $1 AND user_id = $2`,
        [siteId, userId],
      )
    ).rows;

  it('verifies Standard Webhooks signatures over the exact bytes and stores the event through ingestion', async () => {
    const hook = await createHook(a, { secret: true });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.path).toMatch(/^\/v1\/hooks\/nf_ih_/);
    const customer = `cus_${randomUUID()}`;
    // Deliberately odd spacing: re-serialising the parsed JSON would break the signature.
    const raw = `{ "type" : "order.paid",  "data": {"customer": {"id": "${customer}"}, "total": 42} }`;
    const ok = await post(hook.path, raw, signed(hook.secret!, raw));
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ success: true, duplicate: false });
    const rows = await eventsOf(a.siteId, customer);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      name: 'order.paid',
      properties: { type: 'order.paid', data: { total: 42 } },
      context: { source: 'inbound_hook', hookId: hook.id },
    });

    const tampered = await post(hook.path, raw.replace('42', '43'), signed(hook.secret!, raw));
    expect(tampered.status).toBe(401);
    expect(tampered.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect((await post(hook.path, raw)).status).toBe(401);
    const wrong = await post(hook.path, raw, signed(`whsec_${Buffer.alloc(24, 9).toString('base64')}`, raw));
    expect(wrong.status).toBe(401);
    expect(await eventsOf(a.siteId, customer)).toHaveLength(1);
  });

  it('deduplicates on webhook-id', async () => {
    const hook = await createHook(a, { secret: true });
    const customer = `cus_${randomUUID()}`;
    const raw = JSON.stringify({ type: 'invoice.created', data: { customer: { id: customer } } });
    const headers = signed(hook.secret!, raw);
    const first = await post(hook.path, raw, headers);
    const again = await post(hook.path, raw, headers);
    expect(first.body).toMatchObject({ duplicate: false });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ duplicate: true, messageId: first.body.messageId });
    expect(await eventsOf(a.siteId, customer)).toHaveLength(1);
  });

  it('uses the default event name, and rejects payloads without a visitor id or that are not JSON objects', async () => {
    const hook = await createHook(a, { eventPath: 'kind', defaultEvent: 'crm.update' });
    const customer = `cus_${randomUUID()}`;
    const ok = await post(hook.path, JSON.stringify({ data: { customer: { id: customer } } }));
    expect(ok.status).toBe(202);
    expect((await eventsOf(a.siteId, customer))[0]).toMatchObject({ name: 'crm.update' });
    const noVisitor = await post(hook.path, JSON.stringify({ kind: 'x', data: {} }));
    expect(noVisitor.body.code).toBe('MISSING_IDENTITY');
    expect((await post(hook.path, '[1,2]')).body.code).toBe('INVALID_JSON');
    expect((await post(hook.path, '{not json')).status).toBe(400);
  });

  it('rate-limits each hook on its own', async () => {
    const limited = await createHook(a, {});
    const other = await createHook(b, {});
    const body = () => JSON.stringify({ type: 'ping', data: { customer: { id: randomUUID() } } });
    const statuses: number[] = [];
    for (let i = 0; i < RATE + 2; i++) statuses.push((await post(limited.path, body())).status);
    expect(statuses.slice(0, RATE)).toEqual(Array(RATE).fill(202));
    const refused = await post(limited.path, body());
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await post(other.path, body())).status).toBe(202);
  });

  it('is isolated per site: tokens, events and management', async () => {
    const hook = await createHook(a, {});
    const token = hook.path.split('/').pop()!;
    // The same secret part under another site's id is not a hook.
    const forged = `/v1/hooks/nf_ih_${b.siteId.replace(/-/g, '')}${token.slice(6 + 32)}`;
    const customer = `cus_${randomUUID()}`;
    const raw = JSON.stringify({ type: 'signup', data: { customer: { id: customer } } });
    expect((await post(forged, raw)).status).toBe(404);
    expect((await post('/v1/hooks/nf_ih_garbage', raw)).status).toBe(404);
    expect((await post(hook.path, raw)).status).toBe(202);
    expect(await eventsOf(a.siteId, customer)).toHaveLength(1);
    expect(await eventsOf(b.siteId, customer)).toHaveLength(0);
    for (const token of [b.tokens.owner, b.secretKey]) {
      const list = await api.request(`/api/sites/${a.siteId}/inbound-hooks`, { token });
      expect(list.status).toBe(404);
      const del = await api.request(`/api/sites/${a.siteId}/inbound-hooks/${hook.id}`, {
        method: 'DELETE',
        token,
      });
      expect(del.status).toBe(404);
      const own = await api.request(`/api/sites/${b.siteId}/inbound-hooks/${hook.id}`, {
        method: 'DELETE',
        token,
      });
      expect(own.status).toBe(404);
    }
    const listed = await api.request(`/api/sites/${a.siteId}/inbound-hooks`, { token: a.tokens.viewer });
    expect(listed.raw).not.toContain(token);
    const del = await api.request(`/api/sites/${a.siteId}/inbound-hooks/${hook.id}`, {
      method: 'DELETE',
      token: a.tokens.editor,
    });
    expect(del.status).toBe(204);
    expect((await post(hook.path, raw)).status).toBe(404);
  });
});
