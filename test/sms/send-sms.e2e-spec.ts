import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { Tenant } from '../support/tenants';
import {
  flowDoc,
  ingest,
  publishFlow,
  Receivers,
  runsOf,
  Stack,
  stackEnv,
  startReceivers,
  startStack,
  tenant,
  waitFor,
} from '../runtime/runtime-harness';

/**
 * "Send SMS" end to end: the real API and worker on PostgreSQL and Redis, a fake Twilio-compatible
 * provider on 127.0.0.1. Each test plans the provider's answers (`ok`, a status, or `hang` past the
 * outbound timeout) and reads what reached it.
 */
type Answer = 'ok' | 'hang' | number;

interface FakeProvider {
  baseUrl: string;
  requests: { path: string; headers: IncomingHttpHeaders; form: Record<string, string> }[];
  plan: Answer[];
  close: () => Promise<void>;
}

async function startFakeProvider(): Promise<FakeProvider> {
  const hanging: ServerResponse[] = [];
  const fake: FakeProvider = { baseUrl: '', requests: [], plan: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      fake.requests.push({
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(raw)),
      });
      const answer = fake.plan.shift() ?? 'ok';
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      if (answer !== 'ok') {
        res.writeHead(answer, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 21211, message: `planned ${answer}`, status: answer }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          account_sid: 'AC_test',
          sid: `SM${String(fake.requests.length).padStart(32, '0')}`,
          status: 'queued',
          to: fake.requests.at(-1)?.form.To,
        }),
      );
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  };
  return fake;
}

const smsNode: { id: string; type: string; config: Record<string, unknown> } = {
  id: 's',
  type: 'send_sms',
  config: { body: 'Hi {{visitor.traits.first_name}}, welcome!' },
};
const done = new Set(['completed', 'converted', 'exited', 'failed', 'cancelled']);

interface TimelineStep {
  nodeId: string;
  effect: Record<string, unknown> | null;
  effectStatus: string;
  effectResult: Record<string, unknown> | null;
  attempts: number;
  error: string | null;
  skipped: string | null;
}

describe('Send SMS (real worker, PostgreSQL, Redis, a fake Twilio-compatible provider)', () => {
  let rx: Receivers;
  let fake: FakeProvider;
  let stack: Stack;
  let t: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    rx = await startReceivers();
    fake = await startFakeProvider();
    stack = await startStack(
      stackEnv(rx, {
        WEBHOOK_TIMEOUT_MS: '1000',
        // A name answered by the operator's fixed table (no DNS): the send-time guard must refuse it.
        WEBHOOK_RESOLVE: 'sms-gateway.example.test=10.1.2.3,rebind.example.test=169.254.169.254',
      }),
    );
    t = await tenant(stack, 'sms');
    other = await tenant(stack, 'sms-other');
    const put = await stack.api.request(`/api/sites/${t.siteId}/sms-provider`, {
      method: 'PUT',
      token: t.tokens.editor,
      body: {
        baseUrl: fake.baseUrl,
        accountSid: 'AC_test',
        authToken: 'tok-s3cret',
        fromNumber: '+15005550006',
      },
    });
    expect(put.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
    await rx?.close();
  });

  const ended = (site: Tenant, flowId: string, n: number) =>
    waitFor(`${n} ended runs`, async () => {
      const runs = await runsOf(stack.db, site.siteId, flowId);
      return runs.length >= n && runs.every((r) => done.has(r.status)) ? runs : undefined;
    });

  const timelineOf = async (site: Tenant, runId: string) => {
    const res = await stack.api.request(`/api/sites/${site.siteId}/runs/${runId}`, {
      token: site.tokens.viewer,
    });
    expect(res.status).toBe(200);
    return (res.body.timeline as TimelineStep[]).find((s) => s.nodeId === 's');
  };

  /** Publishes trigger → send SMS and enrols one visitor with these traits; returns its run id. */
  const textOne = async (
    site: Tenant,
    traits: Record<string, unknown>,
    settings: Record<string, unknown> = {},
  ) => {
    // An event of its own: the site's earlier flows stay live and must not enrol this visitor.
    const event = `signup_${randomUUID().slice(0, 8)}`;
    const trigger = { id: 't', type: 'trigger_event', config: { event, filters: [] } };
    const flowId = await publishFlow(
      stack,
      site,
      flowDoc(event, [trigger, smsNode], [['t', 'next', 's']], settings),
    );
    const visitorId = randomUUID();
    await ingest(stack.db, site.siteId, [{ visitorId, name: event, traits }]);
    return { flowId, visitorId };
  };

  it('the provider settings: token sealed at rest and never shown; roles, validation and tenants kept apart', async () => {
    const got = await stack.api.request(`/api/sites/${t.siteId}/sms-provider`, { token: t.tokens.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      baseUrl: fake.baseUrl,
      accountSid: 'AC_test',
      fromNumber: '+15005550006',
      authTokenSet: true,
    });
    expect(got.raw).not.toContain('tok-s3cret');
    const row = await stack.db.query<{ auth_token_sealed: string }>(
      `SELECT auth_token_sealed FROM sms_providers WHERE site_id = $1`,
      [t.siteId],
    );
    expect(row.rows[0].auth_token_sealed).toMatch(/^v1\./);
    expect(row.rows[0].auth_token_sealed).not.toContain('tok-s3cret');

    // Another tenant neither reads nor changes it; a viewer cannot change it.
    const base = `/api/sites/${t.siteId}/sms-provider`;
    expect((await stack.api.request(base, { token: other.tokens.owner })).status).toBe(404);
    const body = { baseUrl: fake.baseUrl, accountSid: 'AC_x', authToken: 'x', fromNumber: '+15005550007' };
    expect((await stack.api.request(base, { method: 'PUT', token: other.tokens.owner, body })).status).toBe(
      404,
    );
    expect((await stack.api.request(base, { method: 'PUT', token: t.tokens.viewer, body })).status).toBe(403);
    expect(
      (await stack.api.request(`/api/sites/${other.siteId}/sms-provider`, { token: other.tokens.owner }))
        .body,
    ).toMatchObject({ code: 'SMS_PROVIDER_NOT_FOUND' });

    // Bad input names the field; a new provider needs a token.
    const bad = await stack.api.request(`/api/sites/${other.siteId}/sms-provider`, {
      method: 'PUT',
      token: other.tokens.editor,
      body: { ...body, fromNumber: '12' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('fromNumber'),
    });
    const noToken = await stack.api.request(`/api/sites/${other.siteId}/sms-provider`, {
      method: 'PUT',
      token: other.tokens.editor,
      body: { baseUrl: fake.baseUrl, accountSid: 'AC_x', fromNumber: '+15005550007' },
    });
    expect(noToken.status).toBe(400);
    expect(noToken.body.message).toContain('authToken');
  });

  it('refuses private and metadata provider URLs when saved (IP literals and names from the fixed table, no DNS)', async () => {
    for (const baseUrl of [
      'http://10.0.0.5',
      'http://169.254.169.254',
      'http://[::ffff:10.0.0.1]',
      'http://sms-gateway.example.test',
      'ftp://127.0.0.1',
    ]) {
      const res = await stack.api.request(`/api/sites/${other.siteId}/sms-provider`, {
        method: 'PUT',
        token: other.tokens.editor,
        body: { baseUrl, accountSid: 'AC_x', authToken: 'x', fromNumber: '+15005550007' },
      });
      expect({ baseUrl, status: res.status }).toEqual({ baseUrl, status: 400 });
      expect(['SMS_PROVIDER_URL_FORBIDDEN', 'VALIDATION_FAILED']).toContain(res.body.code);
    }
    expect(
      (await stack.api.request(`/api/sites/${other.siteId}/sms-provider`, { token: other.tokens.owner }))
        .status,
    ).toBe(404);
  });

  it('texts the number from the trait once: form-encoded, basic auth, rendered body, receipt in the run timeline', async () => {
    const before = fake.requests.length;
    const { flowId } = await textOne(t, { first_name: 'Ada', phone: '+49 151 1234-5678' });
    const [run] = await ended(t, flowId, 1);
    expect(run.status).toBe('completed');
    const sent = fake.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/2010-04-01/Accounts/AC_test/Messages.json');
    expect(sent[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent[0].headers.authorization).toBe(
      `Basic ${Buffer.from('AC_test:tok-s3cret').toString('base64')}`,
    );
    expect(sent[0].form).toEqual({ To: '+4915112345678', From: '+15005550006', Body: 'Hi Ada, welcome!' });
    expect(sent[0].headers['idempotency-key']).toBe(`${run.id}:s:1`);
    const step = await timelineOf(t, run.id);
    expect(step).toMatchObject({
      effect: { kind: 'send_sms', to: '+4915112345678', body: 'Hi Ada, welcome!' },
      effectStatus: 'done',
      effectResult: { sid: expect.stringMatching(/^SM/), status: 'queued', statusCode: 201 },
      attempts: 1,
      skipped: null,
    });
  });

  it('retries after a 5xx and after a timeout, then delivers; the attempts show in the timeline', async () => {
    const before = fake.requests.length;
    fake.plan = [503, 'hang'];
    const { flowId } = await textOne(t, { first_name: 'Bo', phone: '+15005550001' });
    const [run] = await ended(t, flowId, 1);
    expect(run.status).toBe('completed');
    expect(fake.requests.slice(before).map((r) => r.form.To)).toEqual([
      '+15005550001',
      '+15005550001',
      '+15005550001',
    ]);
    expect(await timelineOf(t, run.id)).toMatchObject({ effectStatus: 'done', attempts: 3 });
  });

  it('fails the run visibly: a rejected message at once, an unavailable provider after every attempt', async () => {
    fake.plan = [400];
    const rejected = await textOne(t, { phone: '+15005550002' });
    const [r1] = await ended(t, rejected.flowId, 1);
    expect(r1.status).toBe('failed');
    expect(r1.error).toMatchObject({ code: 'SMS_REJECTED', message: expect.stringContaining('HTTP 400') });
    expect(await timelineOf(t, r1.id)).toMatchObject({ effectStatus: 'failed', attempts: 1 });

    fake.plan = [500, 502, 503];
    const down = await textOne(t, { phone: '+15005550003' });
    const [r2] = await ended(t, down.flowId, 1);
    expect(r2.status).toBe('failed');
    expect(r2.error).toMatchObject({
      code: 'SMS_PROVIDER_UNAVAILABLE',
      message: expect.stringMatching(/send_sms failed after 3 attempt\(s\): HTTP 503/),
    });
    const dead = await stack.api.request(`/api/sites/${t.siteId}/runs/dead-letter`, {
      token: t.tokens.viewer,
    });
    expect(JSON.stringify(dead.body)).toContain(r2.id);
  });

  it('respects opt-out and a missing number: the step is skipped, nothing is sent, the run goes on', async () => {
    const before = fake.requests.length;
    const optedOut = await textOne(t, { phone: '+15005550004', sms_opt_out: true });
    const noPhone = await textOne(t, { first_name: 'Cy' });
    const [a] = await ended(t, optedOut.flowId, 1);
    const [b] = await ended(t, noPhone.flowId, 1);
    expect([a.status, b.status]).toEqual(['completed', 'completed']);
    expect(await timelineOf(t, a.id)).toMatchObject({
      skipped: 'OPTED_OUT',
      effect: null,
      effectStatus: 'none',
    });
    expect(await timelineOf(t, b.id)).toMatchObject({ skipped: 'NO_RECIPIENT', effect: null });
    expect(fake.requests.length).toBe(before);
  });

  it('holds a text back in quiet hours and sends it once they end', async () => {
    const hour = new Date().getUTCHours();
    const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    const before = fake.requests.length;
    const { flowId } = await textOne(
      t,
      { first_name: 'Di', phone: '+15005550005' },
      { quietHours: { from: hh(hour - 1), to: hh(hour + 2), timezone: 'UTC' } },
    );
    const [waiting] = await waitFor('the run waiting out quiet hours', async () => {
      const runs = await runsOf(stack.db, t.siteId, flowId);
      return runs[0]?.status === 'waiting' ? runs : undefined;
    });
    const state = await stack.db.query<{ waiting: { reason: string; nodeId: string; fireAt: string } }>(
      `SELECT state->'waiting' AS waiting FROM runs WHERE site_id = $1 AND id = $2`,
      [t.siteId, waiting.id],
    );
    expect(state.rows[0].waiting).toMatchObject({ reason: 'quiet_hours', nodeId: 's' });
    expect(Date.parse(state.rows[0].waiting.fireAt)).toBeGreaterThan(Date.now() + 3_600_000);
    expect(fake.requests.length).toBe(before);

    // The quiet hours end: move the run's wake-up to now (what the clock would do) and let the
    // reconciler find it.
    const now = new Date().toISOString();
    await stack.db.query(
      `UPDATE runs SET state = jsonb_set(state, '{waiting,fireAt}', to_jsonb($3::text)), next_step_at = $3::timestamptz
        WHERE site_id = $1 AND id = $2`,
      [t.siteId, waiting.id, now],
    );
    const [run] = await ended(t, flowId, 1);
    expect(run.status).toBe('completed');
    expect(fake.requests.slice(before).map((r) => r.form.Body)).toEqual(['Hi Di, welcome!']);
  });

  it('a site without a provider fails the action for good; a provider URL refused at send time sends nothing', async () => {
    const none = await textOne(other, { phone: '+15005550008' });
    const [r1] = await ended(other, none.flowId, 1);
    expect(r1.status).toBe('failed');
    expect(r1.error).toMatchObject({ code: 'SMS_PROVIDER_NOT_CONFIGURED' });

    // A row written past the save-time check (e.g. before an operator narrowed the allowlist): the
    // connection's own lookup refuses the fixed answer, so no socket is opened.
    const sealed = await stack.db.query<{ auth_token_sealed: string }>(
      `SELECT auth_token_sealed FROM sms_providers WHERE site_id = $1`,
      [t.siteId],
    );
    await stack.db.query(
      `INSERT INTO sms_providers (site_id, base_url, account_sid, auth_token_sealed, from_number)
       VALUES ($1, 'http://rebind.example.test', 'AC_x', $2, '+15005550006')`,
      [other.siteId, sealed.rows[0].auth_token_sealed],
    );
    const before = fake.requests.length;
    const refused = await textOne(other, { phone: '+15005550008' });
    const [r2] = await ended(other, refused.flowId, 1);
    expect(r2.status).toBe('failed');
    expect(r2.error).toMatchObject({
      code: 'SMS_PROVIDER_URL_FORBIDDEN',
      message: expect.stringContaining('169.254.169.254'),
    });
    expect(fake.requests.length).toBe(before);
  });
});
