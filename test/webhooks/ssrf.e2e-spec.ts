import { startApi, startWorker, RunningProcess, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { Receiver } from './receiver';

/**
 * Outbound safety. Only loopback is ever a real target here: names resolve through the operator's
 * fixed answers (WEBHOOK_RESOLVE), so no DNS query leaves the machine, and saving an endpoint opens
 * no socket at all. The send-time check is proven against a loopback receiver that counts connections.
 */
/** Start-up on a loaded shared machine can be slow; a bound, never a timing assertion. */
const START_MS = 120_000;

describe('webhook SSRF guard', () => {
  let strict: TestApi;
  let tenant: Tenant;

  beforeAll(async () => {
    strict = await startApi(
      {
        WEBHOOK_ALLOWLIST: '',
        WEBHOOK_RESOLVE:
          'intranet.hooks.test=10.0.0.1,metadata.hooks.test=169.254.169.254,loop6.hooks.test=::1,' +
          'translated.hooks.test=::ffff:0:7f00:1,nat64.hooks.test=64:ff9b:1::a9fe:a9fe,' +
          'compat.hooks.test=::7f00:1,two.hooks.test=93.184.215.14,two.hooks.test=::ffff:0:a00:1',
      },
      START_MS,
    );
    tenant = await createTenant(strict, 'ssrf');
  }, 2 * START_MS);
  afterAll(() => strict?.stop());

  it.each([
    'http://127.0.0.1/hook',
    'http://127.0.0.1:8080/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/hook',
    'http://192.168.1.10/hook',
    'http://100.64.0.1/hook',
    'http://intranet.hooks.test/hook',
    'http://metadata.hooks.test/hook',
    'http://loop6.hooks.test/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:0:127.0.0.1]/hook',
    'http://[::ffff:0:7f00:1]/hook',
    'http://[::ffff:0:a9fe:a9fe]/hook',
    'http://[64:ff9b:1::a9fe:a9fe]/hook',
    'http://[64:ff9b:1::808:808]/hook',
    'http://[64:ff9b::7f00:1]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[2002:7f00:1::1]/hook',
    'http://translated.hooks.test/hook',
    'http://nat64.hooks.test/hook',
    'http://compat.hooks.test/hook',
    'http://two.hooks.test/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://localhost/hook',
    'http://0.0.0.0/hook',
  ])('refuses %s at save time without the allowlist', async (url) => {
    const res = await strict.request(`/api/sites/${tenant.siteId}/webhooks/endpoints`, {
      method: 'POST',
      token: tenant.tokens.editor,
      body: { url },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' });
  });

  it('refuses other schemes and credentials in URLs', async () => {
    for (const url of ['ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/x']) {
      const res = await strict.request(`/api/sites/${tenant.siteId}/webhooks/endpoints`, {
        method: 'POST',
        token: tenant.tokens.editor,
        body: { url },
      });
      expect(res.status).toBe(400);
    }
  });

  describe('at send time', () => {
    const QUEUE_PREFIX = 'nftest-ssrf';
    const WEBHOOK_RESOLVE = 'receiver.hooks.test=127.0.0.1';
    let loose: TestApi;
    let worker: RunningProcess;
    let rx: Receiver;
    let t: Tenant;

    beforeAll(async () => {
      rx = await new Receiver().start();
      // The endpoint was saved while loopback was allowed; the worker's operator has since removed it.
      await Promise.all([
        startApi({ QUEUE_PREFIX, WEBHOOK_ALLOWLIST: '127.0.0.1', WEBHOOK_RESOLVE }, START_MS).then(
          (p) => (loose = p),
        ),
        startWorker(
          { QUEUE_PREFIX, WEBHOOK_ALLOWLIST: '', WEBHOOK_RETRY_SCALE: '0', WEBHOOK_RESOLVE },
          START_MS,
        ).then((p) => (worker = p)),
      ]);
      t = await createTenant(loose, 'ssrf-send');
    }, 2 * START_MS);
    afterAll(async () => {
      await Promise.all([loose?.stop(), worker?.stop(), rx?.stop()]);
    });

    it.each([
      ['an address', () => rx.url('/blocked')],
      ['a name, inside the connection lookup', () => `http://receiver.hooks.test:${rx.port}/blocked-name`],
    ])('re-checks %s and opens no connection to a refused address', async (_, url) => {
      const base = `/api/sites/${t.siteId}/webhooks`;
      const ep = await loose.request(`${base}/endpoints`, {
        method: 'POST',
        token: t.tokens.editor,
        body: { url: url() },
      });
      expect(ep.status).toBe(201);
      const sent = await loose.request(`${base}/endpoints/${ep.body.id as string}/test`, {
        method: 'POST',
        token: t.tokens.editor,
        body: {},
      });
      const id = sent.body.messageId as string;
      const deadline = Date.now() + 20_000;
      let m: { status?: string; attempts?: { error: string | null; status: number | null }[] } = {};
      while (Date.now() < deadline) {
        m = (await loose.request(`${base}/messages/${id}`, { token: t.tokens.viewer })).body as typeof m;
        if ((m.attempts?.length ?? 0) >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(m.attempts?.[0]).toMatchObject({
        status: null,
        error: expect.stringMatching(/^refused: .*loopback/),
      });
      expect(rx.connections).toBe(0);
      expect(rx.deliveries).toHaveLength(0);
    });
  });
});
