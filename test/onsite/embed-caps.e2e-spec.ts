import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { launchBrowser, LaunchedBrowser } from '../../libs/embed/test/browser';
import { waitFor } from '../runtime/runtime-harness';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import {
  decide,
  DESKTOP_UA,
  migrateOnsiteDatabase,
  ONSITE_DATABASE_URL,
  ONSITE_ENV,
  onsiteDb,
  publishCta,
} from './onsite-harness';
import { closeFold, folded } from '../support/fold';

/**
 * Caps at once (issue #25): the embed records views, closes and conversions in first-party storage
 * and applies them before rendering, so a CTA closed or converted does not come back on the next page
 * while the server has not folded the event yet. The test holds the events back (the browser's
 * /v1/batch requests fail) to stand for the fold's lag: only the script knows.
 */
describe('CTA caps in the browser', () => {
  let api: TestApi;
  let db: Client;
  let t: Tenant;
  let site: Server;
  let siteUrl: string;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    migrateOnsiteDatabase();
    api = await startApi(ONSITE_ENV);
    db = await onsiteDb();
    t = await createTenant(api, 'embed-caps', { identityVerification: true });
    site = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><head><title>Shop ${req.url}</title>
        <script>
          window.__roots = [];
          const attach = Element.prototype.attachShadow;
          Element.prototype.attachShadow = function (init) { const r = attach.call(this, init); window.__roots.push(r); return r; };
        </script>
        <script async src="${api.url}/embed.js" data-write-key="${t.writeKey}"></script>
        </head><body><h1>Shop</h1></body></html>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    await browser.context.addInitScript(
      `Object.defineProperty(Navigator.prototype, 'userAgent', { get: () => ${JSON.stringify(DESKTOP_UA)} });`,
    );
    // While events are held back, beacons (sent on page hide, not routed) fail too.
    await browser.context.addInitScript(
      `if (localStorage.getItem('__nf_hold')) navigator.sendBeacon = () => false;`,
    );
  });
  afterAll(async () => {
    await browser?.close();
    if (site) await new Promise((r) => site.close(r));
    await db?.end();
    await api?.stop();
    await closeFold();
  });

  const shownIds = async (): Promise<string[]> =>
    browser.page.evaluate(`window.__roots
      .filter((r) => r.host.isConnected)
      .map((r) => { const box = r.querySelector('[data-cta-id]'); return box && box.dataset.ctaId; })`);

  const serverEvents = async (name: string, ctaId: string) =>
    (
      await db.query(`SELECT 1 FROM events WHERE site_id = $1 AND name = $2 AND properties->>'cta_id' = $3`, [
        t.siteId,
        name,
        ctaId,
      ])
    ).rowCount ?? 0;

  /** Opens a page and waits until its decide answered and the script rendered what it would. */
  async function visit(path: string): Promise<string[]> {
    const answered = browser.page.waitForResponse((r) => r.url().endsWith('/v1/decide'));
    await browser.page.goto(`${siteUrl}${path}`);
    await answered;
    await browser.page.waitForTimeout(400);
    return shownIds();
  }

  const onPath = (path: string) => ({ urlRules: [{ target: 'path', operator: 'equals', value: path }] });
  const content = (headline: string, extra: Record<string, unknown> = {}) => ({
    id: 'a',
    name: 'a',
    weight: 1,
    content: { headline, body: '<p>x</p>', buttons: [{ label: 'No thanks', action: 'close' }], ...extra },
  });

  it('a closed popup does not come back on the next page, a converted one never, before the server knows', async () => {
    const closable = await publishCta(api, t, {
      kind: 'modal',
      targeting: onPath('/close'),
      variants: [content('Close me')],
    });
    const convertible = await publishCta(api, t, {
      kind: 'slide_in',
      targeting: onPath('/convert'),
      variants: [
        content('Join', {
          form: {
            fields: [{ name: 'email', label: 'Email', type: 'email', required: true }],
            submitLabel: 'Go',
          },
        }),
      ],
    });
    const once = await publishCta(api, t, {
      kind: 'bar',
      targeting: onPath('/once'),
      caps: { hideAfterCloseDays: 7, stopAfterConversion: true, maxPerSession: 1 },
      variants: [content('Once a session')],
    });
    const { page } = browser;

    expect(await visit('/close')).toEqual([closable]);
    // From here the events do not reach the API: the fold has not seen them.
    await page.route('**/v1/batch', (route) => route.abort());
    await page.evaluate(`localStorage.setItem('__nf_hold', '1'); navigator.sendBeacon = () => false;`);
    await page.evaluate(`(() => {
      const r = window.__roots.find((x) => x.host.isConnected);
      [...r.querySelectorAll('button')].find((b) => b.textContent === 'No thanks').click();
    })()`);
    expect(await shownIds()).toEqual([]);
    // The server would still show it (it has no close), the script does not.
    const anonymousId = (await page.evaluate('nudgeflow.anonymousId()')) as string;
    expect((await decide(api, t, { anonymousId, url: `${siteUrl}/close` })).ctas.map((c) => c.id)).toEqual([
      closable,
    ]);
    expect(await visit('/close')).toEqual([]);
    expect(await visit('/close')).toEqual([]);

    expect(await visit('/convert')).toEqual([convertible]);
    await page.evaluate(`(() => {
      const r = window.__roots.find((x) => x.host.isConnected);
      r.querySelector('input[name=email]').value = 'caps@example.com';
      r.querySelector('form button[type=submit]').click();
    })()`);
    for (let i = 0; i < 3; i++) expect(await visit('/convert')).toEqual([]);

    expect(await visit('/once')).toEqual([once]);
    expect(await visit('/once')).toEqual([]);

    expect(await serverEvents('cta_closed', closable)).toBe(0);
    expect(await serverEvents('cta_converted', convertible)).toBe(0);

    // The events reach the API once it can be reached again (the queue persisted them), and then
    // decide itself applies the caps from the folded profile.
    await page.evaluate(`localStorage.removeItem('__nf_hold')`);
    await page.unroute('**/v1/batch');
    await page.goto(`${siteUrl}/elsewhere`);
    await waitFor(
      'events delivered',
      async () =>
        (await serverEvents('cta_closed', closable)) > 0 &&
        (await serverEvents('cta_converted', convertible)) > 0,
      30_000,
      200,
    );
    await waitFor('decide applies the folded caps', async () => {
      await folded(t.siteId, 30_000, ONSITE_DATABASE_URL);
      const res = await decide(api, t, { anonymousId, url: `${siteUrl}/close` });
      const conv = await decide(api, t, { anonymousId, url: `${siteUrl}/convert` });
      return res.ctas.length === 0 && conv.ctas.length === 0;
    });
  });
});
