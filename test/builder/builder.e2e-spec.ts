/**
 * The builder in Debian's Chromium against the real built API (which serves apps/builder/dist at `/`):
 * a marketer signs up, creates a site and a flow from the abandoned-cart template, adds and configures
 * a step, sees its problems on the canvas, fixes them, publishes with a note, and undoes a deletion;
 * then manages a webhook endpoint against a loopback receiver (delivery log, resend, a disabled endpoint
 * shown with its reason) and finds a run with its timeline in the runs explorer.
 *
 * Needs `npm run build` (the API, and the builder with `npm run build -w @nudgeflow/builder`).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Page, Response as PageResponse } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../../libs/embed/test/browser';
import { waitFolded } from '../support/fold';
import { startApi, startWorker, type RunningProcess, type TestApi } from '../support/processes';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { siblingDatabaseUrl, TEST_REDIS_URL } from '../support/test-env';
import { Receiver } from '../webhooks/receiver';

/**
 * Its own database and queue prefix, like the runtime's tests: the worker's outbox relay claims every
 * site's rows, so sharing the common test database with other suites running at the same time would
 * cross-talk. Maintenance schedules on, so the runtime's relay and reconciler run.
 */
const DATABASE_URL = process.env.BUILDER_DATABASE_URL ?? siblingDatabaseUrl('builder');
const STACK_ENV = {
  DATABASE_URL,
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: `nfbuilder${randomUUID().slice(0, 6)}`,
  SCHEDULE_MAINTENANCE: 'true',
  // Webhook endpoints on loopback, as the operator allows them in test/webhooks (only loopback targets).
  WEBHOOK_ALLOWLIST: '127.0.0.1,::1',
  WEBHOOK_TIMEOUT_MS: '3000',
  SECRETS_KEY: 'test-secrets-key-for-builder-e2e',
  // A backtest of a few visitors still takes several slices (jobs), so the editor polls its progress.
  BACKTEST_SLICE_MS: '0',
  BACKTEST_PAGE_VISITORS: '1',
};
const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const OUTPUT_DIR = resolve(__dirname, '../../test-output');
const PASSWORD = 'correct-horse-battery';

jest.setTimeout(120_000);

let api: TestApi;
let worker: RunningProcess;
let db: Client;
let browser: LaunchedBrowser;
let page: Page;
let receiver: Receiver;
const dialogs: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  migrateRuntimeDatabase(DATABASE_URL);
  receiver = await new Receiver().start();
  [api, worker] = await Promise.all([startApi(STACK_ENV, 60_000), startWorker(STACK_ENV, 60_000)]);
  db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  browser = await launchBrowser();
  page = browser.page;
  page.setDefaultTimeout(15_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterEach(async () => {
  if (process.env.BUILDER_DEBUG) {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'builder-debug.png') });
  }
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.stop(), worker?.stop()]);
  await db?.end();
  await receiver?.stop();
});

/** Ids of the flow steps drawn on the canvas, from their `data-testid="node-<id>"`. */
async function canvasNodeIds(): Promise<string[]> {
  return page
    .locator('[data-testid^="node-"]')
    .evaluateAll((elements) => elements.map((e) => (e.getAttribute('data-testid') ?? '').slice(5)));
}

interface Box {
  l: number;
  t: number;
  r: number;
  b: number;
}
const inside = (a: Box, outer: Box) =>
  a.l >= outer.l - 1 && a.t >= outer.t - 1 && a.r <= outer.r + 1 && a.b <= outer.b + 1;
const overlaps = (a: Box, b: Box) => a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;

/** Polls `read` until `check` accepts its value (or throws the last value after `timeoutMs`). */
async function until<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('builder in Chromium', () => {
  let siteId = '';
  let flowId = '';
  let addedId = '';
  let writeKey = '';
  /** Anonymous ids of the visitors the live-counts test enrolled in the cart flow. */
  const enrolled: string[] = [];
  /** Sends events through the ingest API with the site's write key and a browser's user agent (events
   * from bots are stored but never enrol visitors in flows). */
  const ingest = (path: string, body: object) =>
    fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': BROWSER_UA,
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
  const email = `marketer-${Date.now()}@example.com`;

  it('signs up, creates a site and a flow from the abandoned-cart template', async () => {
    await page.goto(`${api.url}/signup`);
    await page.getByLabel('Your name').fill('Mia Marketer');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(/\/sites\/new$/);
    await page.getByLabel('Site name').fill('Mia shop');
    await page.getByLabel('Domain').fill('shop.mia.example.com');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('heading', { name: 'Mia shop is ready' }).waitFor();
    const snippet = (await page.getByLabel('Embed snippet').textContent()) ?? '';
    writeKey = /nf_wk_[A-Za-z0-9_-]+/.exec(snippet)?.[0] ?? '';
    expect(writeKey).not.toBe('');
    await page.getByRole('link', { name: 'Create your first flow' }).click();
    await page.waitForURL(/\/sites\/[^/]+\/flows$/);
    siteId = /\/sites\/([^/]+)\/flows$/.exec(page.url())?.[1] ?? '';

    await page.getByRole('button', { name: 'New flow' }).first().click();
    await page.getByRole('radio', { name: /Abandoned cart/ }).check();
    await page.getByLabel('Flow name').fill('Cart reminder');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.waitForURL(/\/sites\/[^/]+\/flows\/[^/]+$/);
    flowId = /\/flows\/([^/]+)$/.exec(page.url())?.[1] ?? '';

    await page.getByTestId('node-added_to_cart').waitFor();
    expect((await canvasNodeIds()).sort()).toEqual(
      [
        'added_to_cart',
        'checked_out',
        'email_reminder',
        'purchased',
        'show_reminder',
        'wait_checkout',
      ].sort(),
    );
    await expect(page.locator('#flow-name').inputValue()).resolves.toBe('Cart reminder');
    expect(siteId).not.toBe('');
    expect(flowId).not.toBe('');
  });

  it('inserts a step on a connection, shows its problem on the node, and clears it once configured', async () => {
    const before = new Set(await canvasNodeIds());
    // The "+" on the connection from the CTA step to the reminder email (the template's edge e_show_email).
    await page.getByRole('button', { name: 'Fit view', exact: true }).click();
    await page.getByRole('button', { name: /connection e_show_email$/ }).click();
    await page
      .getByRole('menu', { name: 'Insert a step' })
      .getByRole('menuitem', { name: 'Update visitor' })
      .click();
    await until(canvasNodeIds, (ids) => ids.length === before.size + 1);
    addedId = (await canvasNodeIds()).find((id) => !before.has(id)) ?? '';
    const node = page.getByTestId(`node-${addedId}`);

    // Connected but with nothing to do: the problem is on the node and in the side panel.
    await until(
      () => node.getAttribute('aria-label'),
      (label) => /1 problem$/.test(label ?? ''),
    );
    await node.click();
    await page.getByRole('tab', { name: 'Step' }).click();
    const panel = page.getByRole('tabpanel');
    await expect(panel.getByRole('heading', { name: 'Update visitor' }).isVisible()).resolves.toBe(true);
    await expect(panel.getByRole('list', { name: 'Problems in this step' }).textContent()).resolves.toMatch(
      /at least one thing/,
    );

    // Fix it in the side panel: a label and a tag to add.
    await panel.getByLabel('Label on the canvas').fill('Tag cart abandoners');
    const tags = panel.locator('fieldset', { has: page.locator('legend', { hasText: /^Add tags/ }) });
    await tags.getByRole('button', { name: /^Add / }).click();
    await tags.locator('input').first().fill('cart-abandoner');
    await until(
      () => node.getAttribute('aria-label'),
      (label) => label === 'Update visitor: Tag cart abandoners',
    );
    await expect(node.locator('.fnode__errors').count()).resolves.toBe(0);
    await page.getByRole('tab', { name: /^Issues/ }).click();
    await page.getByText('No problems: this flow can be published.').waitFor();
    await page.getByText(/^Saved · rev \d+$/).waitFor();
  });

  it('publishes with a note, which the API records', async () => {
    // The template's "Show CTA" step names a placeholder CTA. When on-site CTAs exist in this build the
    // server checks it on publish; the builder has no CTA screen yet, so the site's CTA is made here.
    const ctas = await db.query<{ present: boolean }>(
      `SELECT to_regclass('public.ctas') IS NOT NULL AS present`,
    );
    if (ctas.rows[0]?.present) {
      await db.query(
        `INSERT INTO ctas (site_id, id, name, draft) VALUES ($1, 'cart-reminder', 'Cart reminder', '{}')`,
        [siteId],
      );
    }
    // The reminder email names the template's placeholder sender: publish checks senders, so the
    // site gets one and the email step picks it from the sender list.
    const senderId = randomUUID();
    await db.query(
      `INSERT INTO email_senders (site_id, id, name, from_name, from_address) VALUES ($1, $2, 'Shop', 'Shop', 'shop@example.com')`,
      [siteId, senderId],
    );
    await page.getByTestId('node-email_reminder').click();
    await page.getByRole('tab', { name: 'Step' }).click();
    const sender = page.getByRole('tabpanel').getByRole('combobox', { name: /^Sender ID/ });
    await until(
      () => sender.locator(`option[value="${senderId}"]`).count(),
      (n) => n === 1,
    );
    await sender.selectOption(senderId);
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page
      .getByText('Checked by the server, including CTAs, endpoints and senders of this site.')
      .waitFor();
    await page.getByText('No problems: this flow can be published.').waitFor();

    await page.getByRole('button', { name: 'Publish…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Note (optional)').fill('Tag visitors who abandon their cart');
    await dialog.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('v1 live').waitFor();

    const token = await loginToken();
    const versions = await api.request(`/api/sites/${siteId}/flows/${flowId}/versions`, { token });
    expect(versions.status).toBe(200);
    expect(versions.body).toEqual([
      expect.objectContaining({ version: 1, note: 'Tag visitors who abandon their cart' }),
    ]);
    const published = await api.request(`/api/sites/${siteId}/flows/${flowId}/versions/1`, { token });
    const graph = published.body.graph as {
      nodes: { id: string }[];
      edges: { source: string; target: string }[];
    };
    expect(graph.nodes.map((n) => n.id)).toContain(addedId);
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'show_reminder', target: addedId }),
        expect.objectContaining({ source: addedId, target: 'email_reminder' }),
      ]),
    );
  });

  it('undo restores a deleted step with its connection', async () => {
    await page.getByTestId(`node-${addedId}`).click();
    await page.getByRole('tab', { name: 'Step' }).click();
    await page.getByRole('tabpanel').getByRole('button', { name: 'Delete step' }).click();
    await until(canvasNodeIds, (ids) => !ids.includes(addedId));

    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await page.getByTestId(`node-${addedId}`).waitFor();
    await expect(page.locator(`.react-flow__edge[data-id], .react-flow__edge`).count()).resolves.toBe(5);
    await page.getByText(/^Saved · rev \d+$/).waitFor();

    // Tidy the canvas (the palette drops new steps in the middle of the view), then take the picture.
    await page.getByRole('button', { name: 'Auto-layout' }).click();
    await page.getByText('Unsaved changes…').waitFor();
    await page.getByText(/^Saved · rev \d+$/).waitFor();
    await page.waitForTimeout(500);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'builder-editor.png') });

    // No part of the editor leaks out of a 1280×720 window.
    // (A string, evaluated in the page: this file is type-checked without the DOM library.)
    const overflow: unknown = await page.evaluate(`({
      x: document.documentElement.scrollWidth - window.innerWidth,
      y: document.documentElement.scrollHeight - window.innerHeight,
    })`);
    expect(overflow).toEqual({ x: 0, y: 0 });

    // The flow is live: the top bar still holds one row, with every control inside it; after the
    // auto-layout every step is in view; the minimap covers neither the zoom controls nor a step.
    const layout = (await page.evaluate(`(() => {
      const box = (el) => { const r = el.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; };
      const bar = document.querySelector('.editor__bar');
      const kids = [...bar.children].filter((el) => el.getBoundingClientRect().width > 0);
      const centers = kids.map((el) => { const r = el.getBoundingClientRect(); return Math.round(r.top + r.height / 2); });
      return {
        bar: box(bar),
        rightmost: Math.max(...kids.map((el) => el.getBoundingClientRect().right)),
        centerSpread: Math.max(...centers) - Math.min(...centers),
        canvas: box(document.querySelector('.react-flow')),
        nodes: [...document.querySelectorAll('.react-flow__node')].map(box),
        minimap: box(document.querySelector('.react-flow__minimap')),
        controls: box(document.querySelector('.react-flow__controls')),
      };
    })()`)) as {
      bar: Box;
      rightmost: number;
      centerSpread: number;
      canvas: Box;
      nodes: Box[];
      minimap: Box;
      controls: Box;
    };
    expect(await page.getByText('v1 live').isVisible()).toBe(true);
    expect(layout.centerSpread).toBeLessThanOrEqual(4);
    expect(layout.rightmost).toBeLessThanOrEqual(layout.bar.r);
    // The template's six steps and the one added above.
    expect(layout.nodes).toHaveLength(7);
    for (const node of layout.nodes) expect(inside(node, layout.canvas)).toBe(true);
    expect(overlaps(layout.minimap, layout.controls)).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('shows live per-node counts on the canvas for visitors enrolled through the ingest API', async () => {
    const visitors = [1, 2, 3].map(() => `anon-${randomUUID()}`);
    enrolled.push(...visitors);
    const res = await ingest('/v1/batch', {
      batch: visitors.map((anonymousId) => ({
        type: 'track',
        event: 'add_to_cart',
        anonymousId,
        messageId: randomUUID(),
        properties: { cart_id: `cart-${anonymousId}` },
      })),
    });
    expect(res.status).toBe(202);

    // Each visitor entered the trigger and now waits (up to an hour) for a checkout.
    const counts = async (id: string) =>
      (await page.getByTestId(`node-${id}`).getByLabel('Live counts').allTextContents()).join('');
    await until(
      async () => [await counts('added_to_cart'), await counts('wait_checkout')],
      ([trigger, wait]) => trigger === '▶ 3' && wait === '▶ 3⏸ 3',
      30_000,
    ).catch(async (error: Error) => {
      const token = await loginToken();
      const stats = await api.request(`/api/sites/${siteId}/flows/${flowId}/stats`, { token });
      const rows = await db.query(
        `SELECT (SELECT count(*) FROM events WHERE site_id = $1) AS events,
                (SELECT count(*) FROM event_outbox WHERE site_id = $1) AS outbox,
                (SELECT count(*) FROM runs WHERE site_id = $1) AS runs`,
        [siteId],
      );
      throw new Error(
        `${error.message}\nstats: ${stats.status} ${stats.raw}\nrows: ${JSON.stringify(rows.rows)}\n` +
          `worker:\n${worker.output().slice(-2000)}`,
      );
    });
    expect(await counts('show_reminder')).toBe('');
  });

  it("replays a real visitor's recorded events in the simulator", async () => {
    // One of the visitors enrolled above (so the runs explorer's count stays theirs), with a page view
    // recorded five minutes before their add_to_cart.
    const anonymousId = enrolled[0]!;
    const res = await ingest('/v1/page', {
      name: 'Cart',
      anonymousId,
      messageId: randomUUID(),
      timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
      properties: { url: 'https://shop.example.com/cart' },
    });
    expect(res.status).toBe(202);
    // The visitor's event count follows in the fold: the search reads the folded profile.
    await waitFolded(db, siteId);

    await page.getByRole('tab', { name: 'Simulate' }).click();
    await page.getByLabel('Replay a real visitor').fill(anonymousId);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByRole('button', { name: new RegExp(`^Load ${anonymousId} \\(2 events\\)`) }).click();
    await page.getByRole('status').getByText(`Replaying ${anonymousId}`).waitFor();
    // The recorded events, oldest first, named as the runtime hands them to the engine.
    expect(
      await page
        .getByLabel(/^Event \d+$/)
        .evaluateAll((inputs) => inputs.map((i) => (i as unknown as { value: string }).value)),
    ).toEqual(['$page', 'add_to_cart']);
    const minutes = await page
      .getByLabel('Minute')
      .evaluateAll((inputs) => inputs.map((i) => Number((i as unknown as { value: string }).value)));
    expect(minutes[0]).toBe(0);
    expect(minutes[1]).toBeGreaterThan(4);
    await page.getByRole('button', { name: 'Run simulation' }).click();
    const outcome = page.getByRole('region', { name: 'Simulation result' });
    // The page view enrols nobody; the recorded add_to_cart starts the run; with no checkout recorded the
    // wait for it times out (fast-forwarded).
    await outcome.getByText('“$page”: no trigger matches').waitFor();
    await outcome.getByText('“add_to_cart” started the run').waitFor();
    await outcome
      .getByText(/Timed out/)
      .first()
      .waitFor();
  });

  it('runs a backtest from the editor, shows its progress, then the forecast on the canvas', async () => {
    // Record every state the editor polled, to check the progress only moves forward.
    const fractions: number[] = [];
    const onResponse = async (response: PageResponse) => {
      if (!/\/backtests\/[0-9a-f-]{36}$/.test(response.url()) || response.request().method() !== 'GET')
        return;
      const body = (await response.json().catch(() => null)) as { progress?: { fraction: number } } | null;
      if (body?.progress) fractions.push(body.progress.fraction);
    };
    page.on('response', onResponse);
    // Without a worker the backtest waits in its queue: the editor shows it queued at 0 %.
    await worker.stop();
    await page.getByRole('tab', { name: 'Backtest' }).click();
    await page.getByLabel('Backtest source').selectOption('1');
    await page.getByLabel('Backtest window').selectOption('1');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const progress = page.getByRole('progressbar', { name: 'Backtest progress' });
    await progress.waitFor();
    expect(await progress.getAttribute('value')).toBe('0');
    await page.getByLabel('Current backtest').getByText('queued').waitFor();
    expect(await page.getByTestId('forecast-added_to_cart').count()).toBe(0);

    worker = await startWorker(STACK_ENV, 60_000);
    await page.getByLabel('Backtest result').waitFor({ timeout: 60_000 });
    await progress.waitFor({ state: 'detached' });
    page.off('response', onResponse);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

    // The forecast replaces the live counts on the canvas, marked as such: the three visitors of the
    // last day entered the trigger and wait for a checkout.
    const forecast = (id: string) => page.getByTestId(`forecast-${id}`);
    await forecast('added_to_cart').waitFor();
    expect(await forecast('added_to_cart').getAttribute('aria-label')).toBe('Forecast counts (backtest)');
    expect(await forecast('added_to_cart').textContent()).toBe('Forecast▶ 3');
    expect(await forecast('wait_checkout').textContent()).toBe('Forecast▶ 3⏸ 3');
    expect(await page.getByTestId('node-added_to_cart').getByLabel('Live counts').count()).toBe(0);
    await page
      .getByLabel('Backtest result')
      .getByText(/3 enrolments/)
      .waitFor();

    // Turned off, the live counts come back.
    await page.getByLabel('Show forecast on the canvas').uncheck();
    await page.getByTestId('node-added_to_cart').getByLabel('Live counts').waitFor();
    expect(await forecast('added_to_cart').count()).toBe(0);

    // A sample path opens in the simulator with that visitor's recorded events.
    await page.getByText(/^Sample paths/).click();
    await page.getByRole('button', { name: 'Open in simulator' }).first().click();
    await page.getByRole('tab', { name: 'Simulate', selected: true }).waitFor();
    await page
      .getByRole('status')
      .getByText(/^Replaying anon-/)
      .waitFor();
  });

  it('creates a webhook endpoint, shows its secret once, and logs a delivery that can be resent', async () => {
    receiver.on('/crm', () => ({ status: 200, body: '{"received":true}' }));
    await page
      .getByRole('navigation', { name: 'Site sections' })
      .getByRole('link', { name: 'Webhooks' })
      .click();
    await page.waitForURL(/\/webhooks/);
    await page.getByText('No webhook endpoints yet').waitFor();

    await page.getByRole('button', { name: 'New endpoint' }).click();
    const form = page.getByRole('dialog', { name: 'New webhook endpoint' });
    // A wrong URL is named before any request.
    await form.getByLabel('Endpoint URL').fill('ftp://crm.example.com');
    await form.getByRole('button', { name: 'Create endpoint' }).click();
    await form.getByText('URL must start with http:// or https://').waitFor();
    await form.getByLabel('Endpoint URL').fill(receiver.url('/crm'));
    await form.getByLabel('Description (optional)').fill('CRM');
    await form.getByRole('checkbox', { name: 'run.completed' }).check();
    await form.getByLabel(/^Extra headers/).fill('X-Team: growth');
    await form.getByRole('button', { name: 'Create endpoint' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'Signing secret' });
    const secret = await secretDialog.getByLabel('Secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await secretDialog.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: receiver.url('/crm') });
    await row.getByText('Enabled').waitFor();
    await expect(row.getByText('run.completed').isVisible()).resolves.toBe(true);

    // A test message reaches the receiver, signed with the secret shown once.
    receiver.setSecrets('/crm', [secret]);
    await row.getByRole('button', { name: `More actions for ${receiver.url('/crm')}` }).click();
    await row.getByRole('menuitem', { name: 'Send test' }).click();
    const [first] = await receiver.waitFor('/crm', 1);
    expect(first?.verifiedWith).toEqual([secret]);
    expect(first?.headers['x-team']).toBe('growth');

    // The delivery log shows it with its attempt: status, latency and the response excerpt.
    await row.getByRole('button', { name: 'Log' }).click();
    await page.waitForURL(/tab=log/);
    const log = page.getByRole('table', { name: 'Delivery log' });
    await log.getByText('succeeded').waitFor({ timeout: 20_000 });
    await log.getByRole('button', { name: 'Details' }).click();
    const attempts = log.getByRole('table', { name: /^Attempts of message/ });
    await attempts.getByText('HTTP 200').waitFor();
    await expect(attempts.getByText('{"received":true}').isVisible()).resolves.toBe(true);
    await expect(attempts.getByText(/^\d+ ms$/).isVisible()).resolves.toBe(true);

    // Resend: the receiver gets it again with the same webhook-id, and the log counts two attempts.
    await log.getByRole('button', { name: 'Resend' }).click();
    const both = await receiver.waitFor('/crm', 2);
    expect(both[1]?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(both[1]?.verifiedWith).toEqual([secret]);
    await attempts.getByRole('cell', { name: '2', exact: true }).waitFor({ timeout: 20_000 });
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'builder-webhooks-log.png') });

    // Filters: nothing failed.
    await page.getByRole('combobox', { name: /^Status/ }).selectOption('failed');
    await page.getByText('Nothing matches these filters.').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows an endpoint the receiver retired (410 Gone) as disabled, with the reason', async () => {
    receiver.on('/retired', () => ({ status: 410, body: 'gone for good' }));
    const token = await loginToken();
    const created = await api.request(`/api/sites/${siteId}/webhooks/endpoints`, {
      method: 'POST',
      token,
      body: { url: receiver.url('/retired'), description: 'Old CRM' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const sent = await api.request(`/api/sites/${siteId}/webhooks/endpoints/${id}/test`, {
      method: 'POST',
      token,
      body: {},
    });
    expect(sent.status).toBe(201);
    await receiver.waitFor('/retired', 1);
    await until(
      async () =>
        (await api.request(`/api/sites/${siteId}/webhooks/endpoints/${id}`, { token })).body.disabledReason,
      (reason) => reason === 'gone',
      20_000,
    );

    await page.getByRole('tab', { name: 'Endpoints' }).click();
    await page.reload();
    const banner = page.getByRole('alert', { name: `Disabled endpoint ${receiver.url('/retired')}` });
    await banner.getByText(/410 Gone/).waitFor();
    const row = page.getByRole('row', { name: receiver.url('/retired') });
    await expect(row.getByText('Disabled: 410 Gone').isVisible()).resolves.toBe(true);
    // The notice stays after the endpoint is fixed.
    await page.getByText('Endpoint notices (1)').click();
    await page
      .getByRole('list', { name: 'Endpoint notices' })
      .getByText(/was disabled: the receiver answered 410 Gone/)
      .waitFor();
    // Disabled endpoints come first.
    const first = page.getByRole('table', { name: 'Webhook endpoints' }).getByRole('row').nth(1);
    await expect(first.textContent()).resolves.toContain('/retired');

    // Enabling it from the banner clears it.
    await banner.getByRole('button', { name: 'Enable' }).click();
    await banner.waitFor({ state: 'detached' });
    await row.getByText('Enabled').waitFor();
  });

  it('picks the webhook endpoint of a "Send webhook" step from the site\'s list', async () => {
    await page.goto(`${api.url}/sites/${siteId}/flows/${flowId}`);
    await page.getByTestId('node-show_reminder').waitFor();
    await page.getByRole('button', { name: 'Fit view', exact: true }).click();
    await page.getByRole('button', { name: /connection e_trigger_wait$/ }).click();
    const before = new Set(await canvasNodeIds());
    await page
      .getByRole('menu', { name: 'Insert a step' })
      .getByRole('menuitem', { name: 'Send webhook' })
      .click();
    await until(canvasNodeIds, (ids) => ids.length === before.size + 1);
    const hookId = (await canvasNodeIds()).find((id) => !before.has(id)) ?? '';
    await page.getByTestId(`node-${hookId}`).click();
    await page.getByRole('tab', { name: 'Step' }).click();
    const panel = page.getByRole('tabpanel');
    const picker = panel.getByLabel('Endpoint ID');
    await expect(picker.evaluate((el) => el.tagName)).resolves.toBe('SELECT');
    await picker.selectOption({ label: 'CRM' });
    await page.getByText(/^Saved · rev \d+$/).waitFor();
    const token = await loginToken();
    const flow = await api.request(`/api/sites/${siteId}/flows/${flowId}`, { token });
    const endpoints = await api.request(`/api/sites/${siteId}/webhooks/endpoints`, { token });
    const crm = (endpoints.body as unknown as { id: string; description: string }[]).find(
      (e) => e.description === 'CRM',
    );
    const saved = (
      flow.body.draft as { graph: { nodes: { id: string; config: { endpointId?: string } }[] } }
    ).graph.nodes.find((n) => n.id === hookId);
    expect(saved?.config.endpointId).toBe(crm?.id);
  });

  it("lists the runs of the live flow and shows a run's timeline", async () => {
    await page.getByRole('navigation', { name: 'Site sections' }).getByRole('link', { name: 'Runs' }).click();
    await page.waitForURL(/\/runs/);
    await expect(
      page.getByRole('combobox', { name: /^Flow/ }).locator('option:checked').textContent(),
    ).resolves.toBe('Cart reminder');
    const runs = page.getByRole('table', { name: 'Runs' });
    await until(
      () => runs.getByRole('button', { name: /^Open run / }).count(),
      (n) => n === 3,
      20_000,
    );
    await expect(runs.getByText('Waiting', { exact: true }).count()).resolves.toBe(3);

    await runs
      .getByRole('button', { name: /^Open run / })
      .first()
      .click();
    const timeline = page.getByRole('region', { name: 'Run timeline' });
    const items = timeline.getByRole('list', { name: 'Timeline' }).getByRole('listitem');
    await items.first().waitFor();
    const texts = await items.allTextContents();
    expect(texts[0]).toMatch(/added_to_cart|Added to cart/i);
    expect(texts[0]).toMatch(/started by event/);
    expect(texts.at(-1)).toMatch(/^Waiting at /);
    await page.screenshot({ path: resolve(OUTPUT_DIR, 'builder-run-timeline.png') });

    // Filters: nothing completed yet; a visitor id that is not one is named.
    await page.getByRole('combobox', { name: /^Status/ }).selectOption('completed');
    await page.getByText('Nothing matches these filters.').waitFor();
    await page.getByRole('textbox', { name: /^Visitor id/ }).fill('anon-1');
    await page.getByText('Visitor id must be a visitor UUID').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('adds an email sender in the site settings, which the API then lists', async () => {
    await page.goto(`${api.url}/sites/${siteId}/settings?tab=email`);
    await page.getByRole('heading', { name: 'Add a sender' }).waitFor();
    await page.getByLabel('Name (shown in the builder)').fill('Newsletter');
    await page.getByLabel('From name').fill('Ann from Shop');
    await page.getByLabel('From address').fill('news@shop.example');
    await page.getByLabel('Reply-To (optional)').fill('help@shop.example');
    await page.getByRole('button', { name: 'Add sender' }).click();
    await page.getByRole('table', { name: 'Email senders' }).getByText('Newsletter').waitFor();
    const listed = await api.request(`/api/sites/${siteId}/email-senders`, { token: await loginToken() });
    expect(listed.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'Newsletter',
          fromName: 'Ann from Shop',
          fromAddress: 'news@shop.example',
          replyTo: 'help@shop.example',
        }),
      ]),
    );
  });

  it('lays out every screen in 1280×720 without horizontal overflow', async () => {
    const screens = [
      'flows',
      'ctas',
      'webhooks?tab=endpoints',
      'webhooks?tab=log',
      'webhooks?tab=inbound',
      `runs?flow=${flowId}`,
      'reports',
      'settings',
      'settings?tab=email',
    ];
    const broken: string[] = [];
    for (const screen of screens) {
      await page.goto(`${api.url}/sites/${siteId}/${screen}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      // The document never scrolls sideways, and neither does the main area (a table may scroll inside its own frame).
      const overflow = (await page.evaluate(`(() => {
        const main = document.querySelector('main');
        return {
          doc: document.documentElement.scrollWidth - window.innerWidth,
          main: main.scrollWidth - main.clientWidth,
        };
      })()`)) as { doc: number; main: number };
      if (overflow.doc > 0 || overflow.main > 0) broken.push(`${screen}: ${JSON.stringify(overflow)}`);
    }
    expect(broken).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  /** The same marketer through the API, to check what the UI did. */
  async function loginToken(): Promise<string> {
    const res = await api.request('/api/auth/login', { method: 'POST', body: { email, password: PASSWORD } });
    if (res.status !== 200 && res.status !== 201) throw new Error(`login failed: ${res.status} ${res.raw}`);
    return res.body.accessToken as string;
  }
});
