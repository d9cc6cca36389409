import { Queue } from 'bullmq';
import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { startApi, startWorker, RunningProcess, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testClientConfig } from '../support/test-env';
import { Receiver, verifies } from './receiver';

// 5 s -> 1 ms, 5 min -> 60 ms, 30 min -> 360 ms, 2 h -> 1.44 s, 5 h -> 3.6 s.
const SCALE = 0.0002;
/** Start-up on a loaded shared machine can be slow; never a timing assertion, only a bound. */
const START_MS = 120_000;
const ENV = {
  WEBHOOK_ALLOWLIST: '127.0.0.1,::1',
  WEBHOOK_RESOLVE: 'receiver.hooks.test=127.0.0.1',
  WEBHOOK_RETRY_SCALE: String(SCALE),
  WEBHOOK_DISABLE_AFTER_SECONDS: '4',
  WEBHOOK_TIMEOUT_MS: '3000',
  SECRETS_KEY: 'test-secrets-key-for-webhooks-e2e',
  // The SIGKILL test waits for BullMQ to see the dead worker's job stalled: ~2× this, not a minute.
  QUEUE_LOCK_MS: '10000',
};

interface EndpointCreated {
  id: string;
  secret: string;
}
interface Attempt {
  attempt: number;
  webhookId: string;
  status: number | null;
  error: string | null;
  latencyMs: number;
  response: string | null;
  tries: number;
}
interface Message {
  id: string;
  status: string;
  lastError: string | null;
  webhookId: string;
  attemptCount: number;
  attempts: Attempt[];
}

describe('outbound webhooks', () => {
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
    a = await createTenant(api, 'wh-a');
    b = await createTenant(api, 'wh-b');
    db = new Client(testClientConfig(TEST_DATABASE_URL));
    await db.connect();
  }, 3 * START_MS);
  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop(), rx?.stop(), db?.end()]);
  });

  const base = (t: Tenant) => `/api/sites/${t.siteId}/webhooks`;
  async function createEndpoint(t: Tenant, path: string, extra: Record<string, unknown> = {}) {
    const res = await api.request(`${base(t)}/endpoints`, {
      method: 'POST',
      token: t.tokens.editor,
      body: { url: rx.url(path), description: path, ...extra },
    });
    expect(res.status).toBe(201);
    return res.body as unknown as EndpointCreated;
  }
  async function sendTest(t: Tenant, endpointId: string, body: Record<string, unknown> = {}) {
    const res = await api.request(`${base(t)}/endpoints/${endpointId}/test`, {
      method: 'POST',
      token: t.tokens.editor,
      body,
    });
    expect(res.status).toBe(201);
    return res.body.messageId as string;
  }
  async function message(t: Tenant, id: string): Promise<Message> {
    const res = await api.request(`${base(t)}/messages/${id}`, { token: t.tokens.viewer });
    expect(res.status).toBe(200);
    return res.body as unknown as Message;
  }
  async function waitForMessage(t: Tenant, id: string, pred: (m: Message) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await message(t, id);
      if (pred(m)) return m;
      if (Date.now() > deadline) throw new Error(`message ${id} never matched: ${JSON.stringify(m)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('creates an endpoint with a whsec_ secret; secret header values are encrypted and never returned', async () => {
    const ep = await createEndpoint(a, '/create', {
      headers: { 'x-plain': 'visible' },
      secretHeaders: { authorization: 'Bearer very-secret-value' },
    });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const got = await api.request(`${base(a)}/endpoints/${ep.id}`, { token: a.tokens.viewer });
    expect(got.body).toMatchObject({
      headers: { 'x-plain': 'visible' },
      secretHeaderNames: ['authorization'],
    });
    expect(got.raw).not.toContain('very-secret-value');
    expect(got.raw).not.toContain(ep.secret);
    const list = await api.request(`${base(a)}/endpoints`, { token: a.tokens.viewer });
    expect(list.raw).not.toContain('very-secret-value');
    const row = await db.query(`SELECT * FROM webhook_endpoints WHERE site_id = $1 AND id = $2`, [
      a.siteId,
      ep.id,
    ]);
    expect(JSON.stringify(row.rows[0])).not.toContain('very-secret-value');
    expect(JSON.stringify(row.rows[0])).not.toContain(ep.secret.slice(6));
    // A viewer cannot read the signing secret; an editor can.
    expect(
      (await api.request(`${base(a)}/endpoints/${ep.id}/secret`, { token: a.tokens.viewer })).status,
    ).toBe(403);
    const secret = await api.request(`${base(a)}/endpoints/${ep.id}/secret`, { token: a.tokens.editor });
    expect(secret.body.secret).toBe(ep.secret);
  });

  it('delivers a signed message that the standardwebhooks library verifies, and a tampered body fails', async () => {
    const ep = await createEndpoint(a, '/signed', { secretHeaders: { 'x-api-key': 'k-123' } });
    rx.on('/signed', () => ({ status: 200 }), [ep.secret]);
    const payload = { hello: 'wörld', n: 1, nested: { list: [1, 2, 3] } };
    const id = await sendTest(a, ep.id, { eventType: 'flow.send_webhook', payload });
    const [d] = await rx.waitFor('/signed', 1);
    expect(d.verifiedWith).toEqual([ep.secret]);
    expect(JSON.parse(d.body)).toEqual(payload);
    expect(d.headers['x-api-key']).toBe('k-123');
    expect(d.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(verifies(ep.secret, d.body.replace('1', '2'), d.headers)).toBe(false);
    expect(verifies(ep.secret, `${d.body} `, d.headers)).toBe(false);
    const m = await waitForMessage(a, id, (x) => x.status === 'succeeded');
    expect(m.webhookId).toBe(d.headers['webhook-id']);
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]).toMatchObject({ status: 200, response: 'ok', error: null });
  });

  it('delivers to a host name through the pinned, vetted lookup', async () => {
    const res = await api.request(`${base(a)}/endpoints`, {
      method: 'POST',
      token: a.tokens.editor,
      body: { url: `http://receiver.hooks.test:${rx.port}/by-name` },
    });
    expect(res.status).toBe(201);
    rx.on('/by-name', () => ({ status: 200 }), [res.body.secret as string]);
    await sendTest(a, res.body.id as string);
    const [d] = await rx.waitFor('/by-name', 1);
    expect(d.verifiedWith).toHaveLength(1);
    expect(d.headers.host).toBe(`receiver.hooks.test:${rx.port}`);
  });

  it('a repeated idempotency key returns the same message and delivers once', async () => {
    const ep = await createEndpoint(a, '/idem');
    const key = randomUUID();
    const first = await sendTest(a, ep.id, { idempotencyKey: key });
    const second = await sendTest(a, ep.id, { idempotencyKey: key });
    expect(second).toBe(first);
    await waitForMessage(a, first, (x) => x.status === 'succeeded');
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.for('/idem')).toHaveLength(1);
  });

  it('retries on the compressed schedule with one webhook-id, and logs each attempt (first 1 KB)', async () => {
    const ep = await createEndpoint(a, '/flaky');
    rx.on('/flaky', (_, n) => (n <= 4 ? { status: 500, body: 'x'.repeat(3000) } : { status: 204 }), [
      ep.secret,
    ]);
    const id = await sendTest(a, ep.id);
    const ds = await rx.waitFor('/flaky', 5);
    expect(new Set(ds.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(ds.every((d) => d.verifiedWith.length === 1)).toBe(true);
    // Gaps follow 5 s, 5 min, 30 min, 2 h scaled (±10 % jitter): never earlier than 90 %.
    const expected = [5_000, 300_000, 1_800_000, 7_200_000].map((ms) => ms * SCALE * 0.9);
    ds.slice(1).forEach((d, i) =>
      expect(d.at - ds[i].at).toBeGreaterThanOrEqual(Math.floor(expected[i]) - 5),
    );
    const m = await waitForMessage(a, id, (x) => x.status === 'succeeded');
    expect(m.attempts.map((x) => x.status)).toEqual([500, 500, 500, 500, 204]);
    expect(m.attempts[0].response).toHaveLength(1024);
    expect(m.attempts.every((x) => x.webhookId === m.webhookId && x.latencyMs >= 0)).toBe(true);
  });

  it('a receiver hanging past the timeout is a failed attempt ("timeout"); a response over 64 KB keeps its first 1 KB', async () => {
    const ep = await createEndpoint(a, '/hangs');
    rx.on('/hangs', (_, n) => (n === 1 ? 'hang' : { status: 200 }), [ep.secret]);
    const big = await createEndpoint(a, '/big');
    rx.on('/big', () => ({ status: 200, body: 'y'.repeat(100_000) }), [big.secret]);
    const hung = await sendTest(a, ep.id);
    const long = await sendTest(a, big.id);
    const m = await waitForMessage(a, hung, (x) => x.status === 'succeeded');
    expect(m.attempts.map((x) => [x.status, x.error])).toEqual([
      [null, 'timeout'],
      [200, null],
    ]);
    expect(new Set(rx.for('/hangs').map((d) => d.headers['webhook-id']))).toEqual(new Set([m.webhookId]));
    const l = await waitForMessage(a, long, (x) => x.status === 'succeeded');
    expect(l.attempts).toHaveLength(1);
    expect(l.attempts[0]).toMatchObject({ status: 200, error: null, response: 'y'.repeat(1024) });
  });

  it('honours Retry-After (seconds) on 503 too', async () => {
    const ep = await createEndpoint(a, '/unavailable');
    rx.on('/unavailable', (_, n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 },
    );
    await sendTest(a, ep.id);
    const ds = await rx.waitFor('/unavailable', 2, 15_000);
    // The compressed schedule alone would retry after ~1 ms.
    expect(ds[1].at - ds[0].at).toBeGreaterThanOrEqual(1_950);
  });

  it('honours Retry-After on 429', async () => {
    const ep = await createEndpoint(a, '/slow-down');
    rx.on('/slow-down', (_, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
    );
    await sendTest(a, ep.id);
    const ds = await rx.waitFor('/slow-down', 2, 15_000);
    expect(ds[1].at - ds[0].at).toBeGreaterThanOrEqual(1_950);
  });

  it('410 disables the endpoint, tells the owners (notice + endpoint.disabled event), and recover resends', async () => {
    const watcher = await createEndpoint(a, '/watcher', { eventTypes: ['endpoint.disabled'] });
    rx.on('/watcher', () => ({ status: 200 }), [watcher.secret]);
    const ep = await createEndpoint(a, '/gone');
    let gone = true;
    rx.on('/gone', () => (gone ? { status: 410 } : { status: 200 }), [ep.secret]);
    const since = new Date(Date.now() - 1000).toISOString();
    const id = await sendTest(a, ep.id);
    await waitForMessage(a, id, (x) => x.status === 'failed');
    const got = await api.request(`${base(a)}/endpoints/${ep.id}`, { token: a.tokens.viewer });
    expect(got.body).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const notices = await api.request(`${base(a)}/notices`, { token: a.tokens.viewer });
    expect(notices.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ endpointId: ep.id, kind: 'endpoint.disabled' })]),
    );
    const [event] = await rx.waitFor('/watcher', 1);
    expect(event.verifiedWith).toEqual([watcher.secret]);
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'endpoint.disabled',
      data: { endpointId: ep.id, reason: 'gone' },
    });
    // Disabled: dispatch is refused with a stable code; recover needs it enabled again.
    const refused = await api.request(`${base(a)}/endpoints/${ep.id}/test`, {
      method: 'POST',
      token: a.tokens.editor,
      body: {},
    });
    expect(refused.body.code).toBe('WEBHOOK_ENDPOINT_DISABLED');
    gone = false;
    const patched = await api.request(`${base(a)}/endpoints/${ep.id}`, {
      method: 'PATCH',
      token: a.tokens.editor,
      body: { enabled: true },
    });
    expect(patched.body).toMatchObject({ enabled: true, disabledReason: null });
    const rec = await api.request(`${base(a)}/endpoints/${ep.id}/recover`, {
      method: 'POST',
      token: a.tokens.editor,
      body: { since },
    });
    expect(rec.body).toEqual({ requeued: 1 });
    const m = await waitForMessage(a, id, (x) => x.status === 'succeeded');
    expect(m.attempts.map((x) => x.status)).toEqual([410, 200]);
    const ds = rx.for('/gone');
    expect(ds.map((d) => d.headers['webhook-id'])).toEqual([m.webhookId, m.webhookId]);
  });

  it('an endpoint failing for longer than the limit is disabled, with a notice and an endpoint.disabled event', async () => {
    const watcher = await createEndpoint(b, '/down-watcher', { eventTypes: ['endpoint.disabled'] });
    rx.on('/down-watcher', () => ({ status: 200 }), [watcher.secret]);
    const ep = await createEndpoint(b, '/down');
    rx.on('/down', () => ({ status: 503 }));
    const id = await sendTest(b, ep.id);
    const m = await waitForMessage(b, id, (x) => x.status === 'failed', 30_000);
    // Retried over the (compressed) schedule until the failure clock passed the limit.
    expect(m.attempts.length).toBeGreaterThanOrEqual(2);
    expect(m.attempts.every((x) => x.status === 503)).toBe(true);
    const got = await api.request(`${base(b)}/endpoints/${ep.id}`, { token: b.tokens.viewer });
    expect(got.body).toMatchObject({ enabled: false, disabledReason: 'failing' });
    const notices = await api.request(`${base(b)}/notices`, { token: b.tokens.viewer });
    const notice = (notices.body as unknown as { endpointId: string; kind: string; message: string }[]).find(
      (n) => n.endpointId === ep.id,
    );
    expect(notice).toMatchObject({
      kind: 'endpoint.disabled',
      message: expect.stringMatching(/failing since/),
    });
    const [event] = await rx.waitFor('/down-watcher', 1);
    expect(event.verifiedWith).toEqual([watcher.secret]);
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'endpoint.disabled',
      data: { endpointId: ep.id, reason: 'failing' },
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.for('/down-watcher')).toHaveLength(1);
  });

  it('a delivery job that keeps throwing ends failed after its last BullMQ attempt, and resend delivers it', async () => {
    const ep = await createEndpoint(a, '/throws');
    rx.on('/throws', () => ({ status: 200 }), [ep.secret]);
    const where = [a.siteId, ep.id];
    const { rows } = await db.query<{ secret_enc: string }>(
      `SELECT secret_enc FROM webhook_endpoints WHERE site_id = $1 AND id = $2`,
      where,
    );
    // An unreadable signing secret: every run of the job throws before anything is sent.
    await db.query(
      `UPDATE webhook_endpoints SET secret_enc = 'v1.broken' WHERE site_id = $1 AND id = $2`,
      where,
    );
    const id = await sendTest(a, ep.id);
    const failed = await waitForMessage(a, id, (x) => x.status === 'failed', 60_000);
    expect(failed.lastError).toMatch(/^delivery job failed 5 times: /);
    expect(failed.attempts).toEqual([]);
    expect(rx.for('/throws')).toHaveLength(0);
    const list = await api.request(`${base(a)}/messages?endpointId=${ep.id}&status=failed`, {
      token: a.tokens.viewer,
    });
    expect((list.body.data as unknown as Message[]).map((x) => x.id)).toEqual([id]);

    await db.query(`UPDATE webhook_endpoints SET secret_enc = $3 WHERE site_id = $1 AND id = $2`, [
      ...where,
      rows[0].secret_enc,
    ]);
    const res = await api.request(`${base(a)}/messages/${id}/resend`, {
      method: 'POST',
      token: a.tokens.editor,
    });
    expect(res.status).toBe(201);
    const [d] = await rx.waitFor('/throws', 1);
    expect(d.verifiedWith).toEqual([ep.secret]);
    const m = await waitForMessage(a, id, (x) => x.status === 'succeeded');
    expect(d.headers['webhook-id']).toBe(m.webhookId);
  }, 90_000);

  it('a pending message whose job BullMQ gave up on elsewhere (stalled, old attempts) ends failed at the due pass; recover sends it', async () => {
    const ep = await createEndpoint(a, '/given-up');
    rx.on('/given-up', () => ({ status: 200 }), [ep.secret]);
    const where = [a.siteId, ep.id];
    const { rows } = await db.query<{ secret_enc: string }>(
      `SELECT secret_enc FROM webhook_endpoints WHERE site_id = $1 AND id = $2`,
      where,
    );
    await db.query(
      `UPDATE webhook_endpoints SET secret_enc = 'v1.broken' WHERE site_id = $1 AND id = $2`,
      where,
    );
    const id = randomUUID();
    const webhookId = `msg_${id.replace(/-/g, '')}`;
    await db.query(
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at, created_at)
       VALUES ($1, $2, $3, 'given.up', $4, $5, '{"n":1}', now() - interval '2 minutes', now() - interval '2 minutes')`,
      [a.siteId, id, ep.id, webhookId, `given-up:${id}`],
    );
    const queue = (name: string) =>
      new Queue(name, {
        prefix: process.env.QUEUE_PREFIX,
        connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
      });
    const webhooks = queue('webhooks');
    const maintenance = queue('maintenance');
    try {
      // Its job with a single attempt: the worker's throw is final for BullMQ, not for the handler.
      await webhooks.add(
        'WebhookMessageDeliver',
        { siteId: a.siteId, messageId: id, attempt: 0 },
        { jobId: `whmsg-${id}-0`, attempts: 1 },
      );
      const deadline = Date.now() + 30_000;
      while (!(await (await webhooks.getJob(`whmsg-${id}-0`))?.isFailed())) {
        if (Date.now() > deadline) throw new Error('job never failed');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await message(a, id)).status).toBe('pending');
      await db.query(`UPDATE webhook_endpoints SET secret_enc = $3 WHERE site_id = $1 AND id = $2`, [
        ...where,
        rows[0].secret_enc,
      ]);
      await maintenance.add('WebhookMessagesQueueDue', {});
      const failed = await waitForMessage(a, id, (x) => x.status === 'failed');
      expect(failed.lastError).toMatch(/^delivery job given up by the queue: /);
      expect(await webhooks.getJob(`whmsg-${id}-0`)).toBeUndefined();
      expect(rx.for('/given-up')).toHaveLength(0);
      const rec = await api.request(`${base(a)}/endpoints/${ep.id}/recover`, {
        method: 'POST',
        token: a.tokens.editor,
        body: { since: new Date(Date.now() - 5 * 60_000).toISOString() },
      });
      expect(rec.body).toEqual({ requeued: 1 });
      const [d] = await rx.waitFor('/given-up', 1);
      expect(d.headers['webhook-id']).toBe(webhookId);
      expect(d.verifiedWith).toEqual([ep.secret]);
      await waitForMessage(a, id, (x) => x.status === 'succeeded');
    } finally {
      await Promise.all([webhooks.close(), maintenance.close()]);
    }
  }, 90_000);

  it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
    const ep = await createEndpoint(a, '/rotate');
    const rot = await api.request(`${base(a)}/endpoints/${ep.id}/rotate-secret`, {
      method: 'POST',
      token: a.tokens.editor,
      body: { overlapSeconds: 3600 },
    });
    const fresh = rot.body.secret as string;
    expect(fresh).not.toBe(ep.secret);
    rx.on('/rotate', () => ({ status: 200 }), [ep.secret, fresh]);
    await sendTest(a, ep.id);
    const [d] = await rx.waitFor('/rotate', 1);
    expect(d.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(d.verifiedWith).toEqual([ep.secret, fresh]);
    await api.request(`${base(a)}/endpoints/${ep.id}/rotate-secret`, {
      method: 'POST',
      token: a.tokens.editor,
      body: { overlapSeconds: 0 },
    });
    const newest = (await api.request(`${base(a)}/endpoints/${ep.id}/secret`, { token: a.tokens.editor }))
      .body;
    expect(newest.previousSecret).toBeNull();
    rx.setSecrets('/rotate', [ep.secret, fresh, newest.secret as string]);
    await sendTest(a, ep.id);
    const [, d2] = await rx.waitFor('/rotate', 2);
    expect(d2.verifiedWith).toEqual([newest.secret]);
  });

  it('resends one message with the same webhook-id and filters the log by endpoint and status', async () => {
    const ep = await createEndpoint(a, '/resend');
    const id = await sendTest(a, ep.id);
    await waitForMessage(a, id, (x) => x.status === 'succeeded');
    const res = await api.request(`${base(a)}/messages/${id}/resend`, {
      method: 'POST',
      token: a.tokens.editor,
    });
    expect(res.status).toBe(201);
    const ds = await rx.waitFor('/resend', 2);
    expect(ds[1].headers['webhook-id']).toBe(ds[0].headers['webhook-id']);
    // The receiver has the re-send before the worker records it.
    await waitForMessage(a, id, (x) => x.status === 'succeeded' && x.attemptCount === 2);
    const list = await api.request(`${base(a)}/messages?endpointId=${ep.id}&status=succeeded`, {
      token: a.tokens.viewer,
    });
    const data = list.body.data as unknown as Message[];
    expect(data.map((m) => m.id)).toEqual([id]);
    const failed = await api.request(`${base(a)}/messages?endpointId=${ep.id}&status=failed`, {
      token: a.tokens.viewer,
    });
    expect(failed.body.data).toEqual([]);
  });

  it('another tenant sees none of it', async () => {
    const ep = await createEndpoint(a, '/private');
    const id = await sendTest(a, ep.id);
    for (const token of [b.tokens.owner, b.secretKey]) {
      expect((await api.request(`${base(a)}/endpoints/${ep.id}`, { token })).status).toBe(404);
      expect((await api.request(`${base(b)}/endpoints/${ep.id}`, { token })).status).toBe(404);
      expect((await api.request(`${base(b)}/messages/${id}`, { token })).status).toBe(404);
      const res = await api.request(`${base(b)}/messages/${id}/resend`, { method: 'POST', token });
      expect(res.status).toBe(404);
      const test = await api.request(`${base(b)}/endpoints/${ep.id}/test`, {
        method: 'POST',
        token,
        body: {},
      });
      expect(test.body.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
      const list = await api.request(`${base(b)}/messages`, { token });
      expect(list.raw).not.toContain(id);
    }
  });

  it('the due pass re-enqueues a pending message whose job Redis lost', async () => {
    const ep = await createEndpoint(a, '/lost');
    rx.on('/lost', () => ({ status: 200 }), [ep.secret]);
    const id = randomUUID();
    // A message committed while its job never reached Redis (or Redis lost it).
    await db.query(
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at)
       VALUES ($1, $2, $3, 'lost.event', $4, $5, '{"lost":true}', now())`,
      [a.siteId, id, ep.id, `msg_${id.replace(/-/g, '')}`, `lost:${id}`],
    );
    const maintenance = new Queue('maintenance', {
      prefix: process.env.QUEUE_PREFIX,
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      await maintenance.add('WebhookMessagesQueueDue', {});
      const [d] = await rx.waitFor('/lost', 1);
      expect(d.verifiedWith).toEqual([ep.secret]);
      expect(d.headers['webhook-id']).toBe(`msg_${id.replace(/-/g, '')}`);
      await waitForMessage(a, id, (x) => x.status === 'succeeded');
    } finally {
      await maintenance.close();
    }
  });

  async function insertDue(t: Tenant, endpointId: string, n: number, extra = ''): Promise<string[]> {
    const ids = Array.from({ length: n }, () => randomUUID());
    await db.query(
      `INSERT INTO webhook_messages (site_id, id, endpoint_id, event_type, webhook_id, idempotency_key, body, next_attempt_at)
       SELECT $1, id, $2, 'batch.event', 'msg_' || replace(id::text, '-', ''), 'batch:' || id, json_build_object('id', id)::text,
              now() - interval '1 minute'
         FROM unnest($3::uuid[]) AS id`,
      [t.siteId, endpointId, ids],
    );
    if (extra) await db.query(extra, [t.siteId, ids]);
    return ids;
  }
  async function duePass(): Promise<void> {
    const maintenance = new Queue('maintenance', {
      prefix: process.env.QUEUE_PREFIX,
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      await maintenance.add('WebhookMessagesQueueDue', {});
    } finally {
      await maintenance.close();
    }
  }

  it('messages due together go out through shared jobs: each exactly once, signed, with its own webhook-id', async () => {
    const ep = await createEndpoint(a, '/batch');
    rx.on('/batch', () => ({ status: 200 }), [ep.secret]);
    // 70 messages whose jobs Redis lost: the due pass queues one job per batch of them.
    const ids = await insertDue(a, ep.id, 70);
    await duePass();
    const ds = await rx.waitFor('/batch', 70, 60_000);
    for (const id of ids) await waitForMessage(a, id, (x) => x.status === 'succeeded');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.for('/batch')).toHaveLength(70);
    expect(ds.every((d) => d.verifiedWith.length === 1)).toBe(true);
    expect(new Set(ds.map((d) => d.headers['webhook-id']))).toEqual(
      new Set(ids.map((id) => `msg_${id.replace(/-/g, '')}`)),
    );
    // Each body went with its own message's id and signature.
    for (const d of ds)
      expect(`msg_${(JSON.parse(d.body) as { id: string }).id.replace(/-/g, '')}`).toBe(
        d.headers['webhook-id'],
      );
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_attempts WHERE site_id = $1 AND message_id = ANY ($2::uuid[])`,
      [a.siteId, ids],
    );
    expect(rows[0].n).toBe(70);
  }, 90_000);

  it("a live job's claim keeps other jobs off its messages; a lapsed claim (its job died) is sent again with the same webhook-id", async () => {
    const ep = await createEndpoint(a, '/claims');
    rx.on('/claims', () => ({ status: 200 }), [ep.secret]);
    const [live] = await insertDue(
      a,
      ep.id,
      1,
      `UPDATE webhook_messages SET claimed_by = 'whmsg-live', claimed_until = now() + interval '1 hour' WHERE site_id = $1 AND id = ANY ($2)`,
    );
    const [lapsed] = await insertDue(
      a,
      ep.id,
      1,
      `UPDATE webhook_messages SET claimed_by = 'whmsg-dead', claimed_until = now() - interval '1 second' WHERE site_id = $1 AND id = ANY ($2)`,
    );
    await duePass();
    const [d] = await rx.waitFor('/claims', 1);
    expect(d.headers['webhook-id']).toBe(`msg_${lapsed.replace(/-/g, '')}`);
    await waitForMessage(a, lapsed, (x) => x.status === 'succeeded');
    // The live claim's message is neither queued by the due pass nor taken by another job's claim.
    await sendTest(a, ep.id);
    await rx.waitFor('/claims', 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.for('/claims').map((x) => x.headers['webhook-id'])).not.toContain(
      `msg_${live.replace(/-/g, '')}`,
    );
    expect((await message(a, live)).status).toBe('pending');
    // Its job dies: the claim lapses, and the message goes out once, with its webhook-id.
    await db.query(
      `UPDATE webhook_messages SET claimed_until = now() - interval '1 second' WHERE site_id = $1 AND id = $2`,
      [a.siteId, live],
    );
    await duePass();
    await waitForMessage(a, live, (x) => x.status === 'succeeded');
    const ds = rx.for('/claims').filter((x) => x.headers['webhook-id'] === `msg_${live.replace(/-/g, '')}`);
    expect(ds).toHaveLength(1);
    expect(ds[0].verifiedWith).toEqual([ep.secret]);
  }, 90_000);

  it('a delivery job run again after its worker died takes back its whole batch: each message once more, same webhook-id', async () => {
    const ep = await createEndpoint(a, '/rerun');
    rx.on('/rerun', () => ({ status: 200 }), [ep.secret]);
    const [own] = await insertDue(a, ep.id, 1);
    const job = `whmsg-${own}-0`;
    // What a dead run leaves: its own message and two more claimed by it, the claims still live.
    const followers = await insertDue(a, ep.id, 2);
    await db.query(
      `UPDATE webhook_messages SET claimed_by = $3, claimed_until = now() + interval '1 hour'
        WHERE site_id = $1 AND id = ANY ($2::uuid[])`,
      [a.siteId, [own, ...followers], job],
    );
    const webhooks = new Queue('webhooks', {
      prefix: process.env.QUEUE_PREFIX,
      connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
    });
    try {
      await webhooks.add(
        'WebhookMessageDeliver',
        { siteId: a.siteId, messageId: own, attempt: 0, others: followers.map((id) => ({ id, attempt: 0 })) },
        { jobId: job },
      );
      const ds = await rx.waitFor('/rerun', 3);
      for (const id of [own, ...followers]) await waitForMessage(a, id, (x) => x.status === 'succeeded');
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.for('/rerun')).toHaveLength(3);
      expect(new Set(ds.map((d) => d.headers['webhook-id']))).toEqual(
        new Set([own, ...followers].map((id) => `msg_${id.replace(/-/g, '')}`)),
      );
      expect(ds.every((d) => d.verifiedWith.length === 1)).toBe(true);
    } finally {
      await webhooks.close();
    }
  }, 90_000);

  it('a SIGKILLed worker mid-delivery never causes a delivery with a new webhook-id', async () => {
    const ep = await createEndpoint(a, '/killed');
    let hang = true;
    rx.on('/killed', () => (hang ? 'hang' : { status: 200 }), [ep.secret]);
    const id = await sendTest(a, ep.id);
    await rx.waitFor('/killed', 1);
    await worker.stop('SIGKILL');
    hang = false;
    worker = await startWorker(ENV, START_MS);
    const m = await waitForMessage(a, id, (x) => x.status === 'succeeded', 100_000);
    const ds = rx.for('/killed');
    expect(ds.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ds.map((d) => d.headers['webhook-id']))).toEqual(new Set([m.webhookId]));
    expect(ds.every((d) => d.verifiedWith.length === 1)).toBe(true);
    // The log counts every real HTTP try: the send the crash cut off and the re-send, one attempt.
    expect(m.attempts).toHaveLength(1);
    expect(m.attempts[0]).toMatchObject({ attempt: 1, status: 200, tries: ds.length });
  }, 120_000);
});
