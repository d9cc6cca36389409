import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import { launchBrowser, LaunchedBrowser } from '../../libs/embed/test/browser';
import { closeFold, folded } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { dbClient, EventRow } from './ingest-helpers';

/** The real embed script in headless Chromium, served by the real API, writing to the real database. */
describe('embed script against the real API', () => {
  let api: TestApi;
  let db: Client;
  let tenant: Tenant;
  let site: Server;
  let siteUrl: string;
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    api = await startApi();
    db = await dbClient();
    tenant = await createTenant(api, 'embed');
    site = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html><head><title>Shop ${req.url}</title>
        <script async src="${api.url}/embed.js" data-write-key="${tenant.writeKey}"></script>
        </head><body><a id="next" href="/pricing">pricing</a></body></html>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => site.close(r));
    await db.end();
    await api.stop();
    await closeFold();
  });

  async function waitForEvents(min: number): Promise<EventRow[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await db.query<EventRow>(`SELECT * FROM events WHERE site_id = $1 ORDER BY id`, [
        tenant.siteId,
      ]);
      if (rows.length >= min || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('records page views and a custom track in the database', async () => {
    const { page } = browser;
    await page.goto(`${siteUrl}/?utm_source=test`);
    await page.waitForFunction(
      () =>
        typeof (globalThis as unknown as { nudgeflow?: { track?: unknown } }).nudgeflow?.track === 'function',
    );
    await page.evaluate(() =>
      (globalThis as unknown as { nudgeflow: { track: (e: string, p: object) => void } }).nudgeflow.track(
        'Added To Cart',
        { sku: 'A-1' },
      ),
    );
    await page.click('#next');
    await page.waitForURL(`${siteUrl}/pricing`);
    await page.waitForFunction(
      () =>
        typeof (globalThis as unknown as { nudgeflow?: { track?: unknown } }).nudgeflow?.track === 'function',
    );

    const rows = await waitForEvents(3);
    const pages = rows.filter((r) => r.type === 'page');
    const custom = rows.find((r) => r.name === 'Added To Cart');
    expect(pages.map((p) => p.properties.path)).toEqual(expect.arrayContaining(['/', '/pricing']));
    expect(custom?.properties).toMatchObject({ sku: 'A-1' });
    expect(new Set(rows.map((r) => r.visitor_id)).size).toBe(1);
    // Headless Chromium says so in its user agent: stored, but flagged as a bot.
    expect(rows.every((r) => r.is_bot)).toBe(true);
    // The profile follows in the fold (the worker's; this suite runs none, so it folds here).
    await folded(tenant.siteId);
    const v = await db.query(`SELECT visit_count, utm FROM visitors WHERE site_id = $1 AND id = $2`, [
      tenant.siteId,
      rows[0].visitor_id,
    ]);
    expect(v.rows[0].visit_count).toBeGreaterThanOrEqual(2);
    expect(v.rows[0].utm).toMatchObject({ source: 'test' });
  });
});
