import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { launchBrowser, LaunchedBrowser } from '../../libs/embed/test/browser';
import { flowDoc, waitFor } from '../runtime/runtime-harness';
import { RunningProcess, startApi, startWorker, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { DESKTOP_UA, migrateOnsiteDatabase, ONSITE_ENV, onsiteDb, publishCta } from './onsite-harness';

const XSS_BODY =
  '<p>Welcome</p><img src="x" onerror="window.pwned=1;alert(1)"><script>window.pwned=2</script>' +
  '<a href="javascript:window.pwned=3">x</a>';
const XSS_NAME = '<img src=x onerror="window.pwned=4;alert(4)">';

/**
 * The real embed script in headless Chromium against the real API (and worker, for live push). The
 * host page keeps a reference to each closed shadow root (it could anyway) so the test can look
 * inside, and styles everything aggressively to prove its CSS does not reach the CTA.
 */
describe('CTAs in the browser', () => {
  let api: TestApi;
  let worker: RunningProcess;
  let db: Client;
  let t: Tenant;
  let site: Server;
  let siteUrl: string;
  let browser: LaunchedBrowser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    migrateOnsiteDatabase();
    const env = { ...ONSITE_ENV, SCHEDULE_MAINTENANCE: 'true' };
    [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
    db = await onsiteDb();
    t = await createTenant(api, 'embed-cta');
    site = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><head><title>Shop ${req.url}</title>
        <style>* { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
          h2 { display: none !important; } button { visibility: hidden !important; }</style>
        <script>
          window.__roots = [];
          const attach = Element.prototype.attachShadow;
          Element.prototype.attachShadow = function (init) { const r = attach.call(this, init); window.__roots.push(r); return r; };
        </script>
        <script async src="${api.url}/embed.js" data-write-key="${t.writeKey}"></script>
        </head><body><h2 id="host">Host heading</h2><div id="slot"></div></body></html>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    // HeadlessChrome's user agent is (rightly) flagged as a bot by ingestion and decide.
    await browser.context.addInitScript(
      `Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => ${JSON.stringify(DESKTOP_UA)} });`,
    );
    browser.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (site) await new Promise((r) => site.close(r));
    await db?.end();
    await Promise.all([api?.stop(), worker?.stop()]);
  });

  /** The CTA hosts the embed rendered, by CTA id, with what is inside their (closed) shadow roots. */
  interface Shown {
    id?: string;
    headline?: string;
    body?: string;
    h2Display: string | null;
    h2Color: string | null;
    h2Size: string | null;
    buttonVisibility: string | null;
  }
  // Page scripts are strings: this project's TypeScript has no DOM types.
  async function shownCtas(): Promise<Shown[]> {
    return browser.page.evaluate(`window.__roots
      .filter((r) => r.host.isConnected)
      .map((r) => {
        const box = r.querySelector('[data-cta-id]');
        const h2 = r.querySelector('h2');
        const button = r.querySelector('button');
        return {
          id: box && box.dataset.ctaId,
          headline: h2 && h2.textContent,
          body: r.querySelector('.t') && r.querySelector('.t').innerHTML,
          h2Display: h2 ? getComputedStyle(h2).display : null,
          h2Color: h2 ? getComputedStyle(h2).color : null,
          h2Size: h2 ? getComputedStyle(h2).fontSize : null,
          buttonVisibility: button ? getComputedStyle(button).visibility : null,
        };
      })`);
  }

  async function eventsOf(name: string) {
    const { rows } = await db.query<{
      name: string;
      properties: Record<string, unknown>;
      visitor_id: string;
    }>(`SELECT name, properties, visitor_id FROM events WHERE site_id = $1 AND name = $2 ORDER BY id`, [
      t.siteId,
      name,
    ]);
    return rows;
  }

  it('shows the targeted popup isolated from host CSS; a form submit and a click produce events and identify the visitor; XSS does not run', async () => {
    const popup = await publishCta(
      api,
      t,
      {
        kind: 'modal',
        targeting: { urlRules: [{ target: 'path', operator: 'starts_with', value: '/landing' }] },
        variants: [
          {
            id: 'v1',
            content: {
              headline: 'Get 10% off',
              body: XSS_BODY,
              buttons: [{ label: 'No thanks', action: 'close' }],
              form: {
                fields: [
                  { name: 'email', label: 'Email', type: 'email', required: true },
                  { name: 'name', label: 'Name', type: 'text', required: false },
                ],
                submitLabel: 'Send',
              },
            },
            style: { background: '#ffffff', color: 'rgb(17, 17, 17)', accent: '#2563eb' },
          },
        ],
      },
      'welcome-popup',
    );
    const other = await publishCta(api, t, {
      kind: 'bar',
      targeting: { urlRules: [{ target: 'path', operator: 'starts_with', value: '/other' }] },
      variants: [{ id: 'a', content: { headline: 'Not here' } }],
    });
    const hello = await publishCta(api, t, {
      kind: 'bar',
      targeting: { urlRules: [{ target: 'path', operator: 'equals', value: '/hello' }] },
      variants: [
        {
          id: 'a',
          content: { headline: 'Hi {{visitor.traits.name}}', body: '<p>Dear {{visitor.traits.name}}</p>' },
        },
      ],
    });

    const { page } = browser;
    await page.goto(`${siteUrl}/landing`);
    await waitFor('popup', async () => (await shownCtas()).find((c) => c.id === popup));
    const [shown] = await shownCtas();
    expect((await shownCtas()).map((c) => c.id)).not.toContain(other);
    expect(shown).toMatchObject({ headline: 'Get 10% off', h2Display: 'block', h2Color: 'rgb(17, 17, 17)' });
    expect(shown.h2Size).not.toBe('40px');
    expect(shown.buttonVisibility).toBe('visible');
    expect(shown.body).toContain('Welcome');
    expect(shown.body).not.toMatch(/onerror|script|javascript/i);

    // Fill and submit the form inside the shadow root, then close with the button.
    await page.evaluate(`(() => {
      const r = window.__roots.find((x) => x.host.isConnected);
      r.querySelector('input[name=email]').value = 'ada@example.com';
      r.querySelector('input[name=name]').value = ${JSON.stringify(XSS_NAME)};
      r.querySelector('form button[type=submit]').click();
    })()`);
    await page.evaluate(`(() => {
      const r = window.__roots.find((x) => x.host.isConnected);
      [...r.querySelectorAll('button')].find((b) => b.textContent === 'No thanks').click();
    })()`);

    const props = { cta_id: popup, variant_id: 'v1' };
    await waitFor(
      'CTA events',
      async () => (await eventsOf('cta_closed')).length > 0 && (await eventsOf('form_submitted')).length > 0,
    );
    expect((await eventsOf('cta_viewed'))[0].properties).toMatchObject(props);
    const clicks = (await eventsOf('cta_clicked')).map((e) => e.properties);
    expect(clicks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ...props, action: 'submit' }),
        expect.objectContaining({ ...props, action: 'close', label: 'No thanks' }),
      ]),
    );
    expect((await eventsOf('cta_converted'))[0].properties).toMatchObject(props);
    expect((await eventsOf('form_submitted'))[0].properties).toMatchObject({
      ...props,
      fields: ['email', 'name'],
    });
    const visitorId = (await eventsOf('cta_viewed'))[0].visitor_id;
    const identified = await waitFor('identified visitor', async () => {
      const { rows } = await db.query<{ traits: Record<string, string> }>(
        `SELECT traits FROM visitors WHERE site_id = $1 AND id = $2`,
        [t.siteId, visitorId],
      );
      return rows[0]?.traits.email ? rows[0].traits : undefined;
    });
    expect(identified).toMatchObject({ email: 'ada@example.com', name: XSS_NAME });

    // The trait comes back as a token: shown as text, never as markup.
    await page.goto(`${siteUrl}/hello`);
    const bar = await waitFor('hello bar', async () => (await shownCtas()).find((c) => c.id === hello));
    expect(bar.headline).toBe(`Hi ${XSS_NAME}`);
    expect(bar.body).toContain('&lt;img');
    expect(bar.body).not.toMatch(/<img/i);
    // The converted popup does not come back.
    await page.goto(`${siteUrl}/landing`);
    await page.waitForTimeout(1500);
    expect((await shownCtas()).map((c) => c.id)).not.toContain(popup);

    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    expect(dialogs).toEqual([]);
  });

  it('pushes a flow "page visit -> wait 2 s -> show CTA" to a visitor still on the page', async () => {
    const offer = await publishCta(
      api,
      t,
      { kind: 'slide_in', mode: 'flow', variants: [{ id: 'a', content: { headline: 'Still looking?' } }] },
      'live-offer',
    );
    const doc = flowDoc(
      'Live offer',
      [
        {
          id: 'visit',
          type: 'trigger_page_visit',
          config: { urlRules: [{ target: 'path', operator: 'equals', value: '/live' }], queryFilters: [] },
        },
        { id: 'wait', type: 'wait', config: { mode: 'duration', duration: { amount: 2, unit: 'seconds' } } },
        { id: 'show', type: 'show_cta', config: { ctaId: offer } },
      ],
      [
        ['visit', 'next', 'wait'],
        ['wait', 'next', 'show'],
      ],
      { reEntry: { mode: 'once' }, maxConcurrentRunsPerVisitor: 1, exitConditions: [] },
    );
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

    const { page } = browser;
    const decides: number[] = [];
    page.on('request', (r) => r.url().endsWith('/v1/decide') && decides.push(Date.now()));
    const opened = Date.now();
    await page.goto(`${siteUrl}/live`);
    const shown = await waitFor(
      'live CTA',
      async () => (await shownCtas()).find((c) => c.id === offer),
      15_000,
      50,
    );
    const elapsed = Date.now() - opened;
    expect(shown.headline).toBe('Still looking?');
    // Only the page-load decide ran (polling is every 15 s): the CTA arrived over the live stream.
    expect(decides).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    const { rows } = await db.query(
      `SELECT created_at FROM onsite_messages WHERE site_id = $1 AND cta_id = $2`,
      [t.siteId, offer],
    );
    expect(rows).toHaveLength(1);
  });
});
