/**
 * Guided set-up in Chromium: a marketer signs up and creates a site; the set-up guide shows the snippet
 * and a live install check that waits, then turns green when a page served from loopback with that
 * snippet sends its first page view; the flows page's checklist then has the install step done.
 *
 * Needs `npm run build` (API, embed and builder).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../libs/embed/test/browser';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { startApi, startWorker, type RunningProcess, type TestApi } from '../support/processes';
import { siblingDatabaseUrl, TEST_REDIS_URL } from '../support/test-env';

const DATABASE_URL = process.env.SETUP_DATABASE_URL ?? siblingDatabaseUrl('setup');
const OUTPUT_DIR = resolve(__dirname, '../../test-output');
const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

jest.setTimeout(120_000);

let api: TestApi;
let worker: RunningProcess;
let browser: Browser;
let page: Page;
let site: Server;
let sitePort = 0;
/** The customer's page: served from loopback with whatever snippet the test pasted. */
let snippet = '';

beforeAll(async () => {
  migrateRuntimeDatabase(DATABASE_URL);
  const env = {
    DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `nfsetup${randomUUID().slice(0, 6)}`,
    SCHEDULE_MAINTENANCE: 'true',
  };
  [api, worker] = await Promise.all([startApi(env, 60_000), startWorker(env, 60_000)]);
  site = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html><head><title>My shop</title>${snippet}</head><body><h1>My shop</h1></body></html>`,
    );
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as { port: number }).port;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1280, height: 720 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.stop(), worker?.stop()]);
  await new Promise<void>((r) => (site ? site.close(() => r()) : r()));
});

describe('guided set-up', () => {
  it('turns the install check green when the first page view arrives through the snippet', async () => {
    await page.goto(`${api.url}/signup`);
    await page.getByLabel('Your name').fill('Sam Setup');
    await page.getByLabel('Email').fill(`setup-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/sites\/new$/);
    await page.getByLabel('Site name').fill('Sam shop');
    await page.getByLabel('Domain').fill('shop.sam.example.com');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('heading', { name: 'Sam shop is ready' }).waitFor();

    const check = page.getByRole('status', { name: 'Install check' });
    await check.getByText(/Waiting for your first event/).waitFor();
    snippet = (await page.getByLabel('Embed snippet').textContent()) ?? '';
    expect(snippet).toMatch(
      /^<script async src="http:\/\/127\.0\.0\.1:\d+\/embed\.js" data-write-key="nf_wk_/,
    );

    // The customer's site, on loopback, with the snippet pasted in: one page view.
    const shop = await page.context().newPage();
    await shop.goto(`http://127.0.0.1:${sitePort}/`);
    await check.getByText('First event received').waitFor({ timeout: 45_000 });
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'setup-install-check.png') });
    await shop.close();

    // Next: a flow from a template; the checklist on the flows page has the install step done.
    await page.getByRole('link', { name: 'Create your first flow' }).click();
    await page.waitForURL(/\/sites\/[^/]+\/flows$/);
    const checklist = page.getByRole('list', { name: 'Set-up checklist' });
    await checklist.getByText('Install the snippet and receive a first event (done)').waitFor();
    await checklist.getByText('Create a flow from a template (to do)').waitFor();
    await checklist.getByRole('button', { name: 'Choose a template' }).click();
    await page
      .getByRole('dialog', { name: 'New flow' })
      .getByRole('radio', { name: /Abandoned cart/ })
      .waitFor();
  });
});
