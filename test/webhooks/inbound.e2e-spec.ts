import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROWSER_UA, basic } from '../ingest/ingest-helpers';
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

  describe('through the ingestion path', () => {
    const SITE_RATE = 20;
    const profile = join(mkdtempSync(join(tmpdir(), 'nf-inbound-')), 'ingest-profile.log');
    let ing: TestApi;
    let t: Tenant;

    beforeAll(async () => {
      // One line per ingestion flush (group commit) goes to INGEST_PROFILE.
      ing = await startApi(
        {
          INBOUND_HOOK_RATE_PER_MINUTE: '1000',
          INGEST_RATE_LIMIT: String(SITE_RATE),
          INGEST_PROFILE: profile,
        },
        START_MS,
      );
      t = await createTenant(ing, 'in-path');
    }, 2 * START_MS);
    afterAll(() => ing?.stop());

    const flushes = () =>
      existsSync(profile)
        ? readFileSync(profile, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('PROF '))
        : [];
    const hookPost = (path: string, raw: string, headers: Record<string, string> = {}) =>
      ing.request(path, {
        method: 'POST',
        body: raw,
        headers: { 'content-type': 'application/json', ...headers },
      });

    it('concurrent hook posts share ingestion group commits with each other', async () => {
      const res = await ing.request(`/api/sites/${t.siteId}/inbound-hooks`, {
        method: 'POST',
        token: t.tokens.editor,
        body: { name: 'crm', eventPath: 'type', visitorPath: 'data.customer.id' },
      });
      const hook = res.body as unknown as Hook;
      const before = flushes().length;
      const customers = Array.from({ length: SITE_RATE }, () => `cus_${randomUUID()}`);
      const answers = await Promise.all(
        customers.map((c) =>
          hookPost(hook.path, JSON.stringify({ type: 'burst', data: { customer: { id: c } } })),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(customers.map(() => 202));
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE site_id = $1 AND user_id = ANY ($2::text[])`,
        [t.siteId, customers],
      );
      expect(rows[0].n).toBe(SITE_RATE);
      const used = flushes().slice(before);
      // Every stored event went through a flush, and at least one flush carried several hook events.
      const items = used.map((l) => Number(/ n=(\d+)/.exec(l)?.[1] ?? 0));
      expect(items.reduce((x, y) => x + y, 0)).toBe(SITE_RATE);
      expect(used.length).toBeLessThan(SITE_RATE);
    });

    it("counts against the site's ingest rate limit shared with /v1, and a refused webhook-id can be retried", async () => {
      const res = await ing.request(`/api/sites/${t.siteId}/inbound-hooks`, {
        method: 'POST',
        token: t.tokens.editor,
        body: { name: 'crm2', eventPath: 'type', visitorPath: 'data.customer.id' },
      });
      const hook = res.body as unknown as Hook;
      // Fill the site's one-second window through /v1/track, then post the hook right after: refused
      // unless the window turned in between (then another round, with a fresh id; bounded).
      let refused:
        | {
            answer: Awaited<ReturnType<typeof hookPost>>;
            raw: string;
            id: Record<string, string>;
            customer: string;
          }
        | undefined;
      for (let round = 0; round < 5 && !refused; round++) {
        const customer = `cus_${randomUUID()}`;
        const raw = JSON.stringify({ type: 'limited', data: { customer: { id: customer } } });
        const id = { 'webhook-id': `msg_${randomUUID()}` };
        await Promise.all(
          Array.from({ length: SITE_RATE }, () =>
            ing.request('/v1/track', {
              method: 'POST',
              body: { event: 'filler', anonymousId: `anon-${randomUUID()}`, messageId: randomUUID() },
              headers: { authorization: basic(t.writeKey), 'user-agent': BROWSER_UA },
            }),
          ),
        );
        const answer = await hookPost(hook.path, raw, id);
        if (answer.status === 429) refused = { answer, raw, id, customer };
        else expect(answer.status).toBe(202);
      }
      if (!refused) throw new Error('the hook was never refused after the site used its window');
      const { answer, raw, id, customer } = refused;
      expect(answer.body.code).toBe('RATE_LIMITED');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await eventsOf(t.siteId, customer)).toHaveLength(0);
      // The refused webhook-id was not recorded as received: the sender's retry is stored once.
      await new Promise((r) => setTimeout(r, 1100));
      const retried = await hookPost(hook.path, raw, id);
      expect(retried.status).toBe(202);
      expect(retried.body).toMatchObject({ duplicate: false });
      expect(await eventsOf(t.siteId, customer)).toHaveLength(1);
    });
  });
});
