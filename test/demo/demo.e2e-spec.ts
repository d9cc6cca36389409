/**
 * The living demo, as `npm run demo` runs it, from a fresh database: the seed (user, site, write key),
 * the API and worker with the demo shop on, the demo content put on the site through the marketer API,
 * then the traffic simulator for 20 seconds at three times its default rate (the visits of a default minute). In Chromium: the flows list shows
 * visitors entered in every template, the abandoned-cart canvas shows counts on at least four steps,
 * the reports show real-time visitors, the webhook delivery log shows successful deliveries, and the
 * demo shop shows a CTA; the populated screens lay out at 1280×720 and 1920×1080 (the runs, settings and
 * delivery log screenshotted at both). Screenshots go to test-output/demo/.
 *
 * Needs `npm run build` (API, embed and builder).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../libs/embed/test/browser';
import { migrateRuntimeDatabase } from '../runtime/runtime-harness';
import { startApi, startWorker, type RunningProcess, type TestApi } from '../support/processes';
import { dropDatabase } from '../support/provision';
import { siblingDatabaseUrl, TEST_REDIS_URL } from '../support/test-env';

const ROOT = resolve(__dirname, '../..');
const DATABASE_URL = process.env.DEMO_DATABASE_URL ?? siblingDatabaseUrl('demo');
const OUTPUT_DIR = resolve(ROOT, 'test-output/demo');
const SIMULATE_SECONDS = 20;
const SIMULATE_RATE = 90;
const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';
const TEMPLATES = [
  'Abandoned cart',
  'Exit-intent popup',
  'Welcome series for new leads',
  'Re-engage returning visitors',
];

jest.setTimeout(300_000);

let api: TestApi;
let worker: RunningProcess;
let smtp: SMTPServer;
let browser: Browser;
let page: Page;
let writeKey = '';
let siteId = '';
const pageErrors: string[] = [];

/** Polls `read` until `check` accepts its value (or throws with the last value after `timeoutMs`). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const shot = (name: string) => page.screenshot({ path: resolve(OUTPUT_DIR, `${name}.png`) });

beforeAll(async () => {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  // A fresh database (on every node under test:citus), provisioned and migrated.
  await dropDatabase(DATABASE_URL);
  migrateRuntimeDatabase(DATABASE_URL);
  const seeded = execFileSync(process.execPath, [resolve(ROOT, 'apps/api/dist/database/seed.js')], {
    env: { ...process.env, DATABASE_URL },
    encoding: 'utf8',
  });
  writeKey = /nf_wk_[A-Za-z0-9_-]+/.exec(seeded)?.[0] ?? '';
  siteId = /\(([0-9a-f-]{36})\)/.exec(seeded)?.[1] ?? '';
  expect([writeKey.length > 0, siteId.length > 0]).toEqual([true, true]);

  smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  const env = {
    DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `nfdemo${randomUUID().slice(0, 6)}`,
    SCHEDULE_MAINTENANCE: 'true',
    WEBHOOK_ALLOWLIST: '127.0.0.1,::1',
    SECRETS_KEY: 'test-secrets-key-for-the-demo-e2e',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    DEMO_WRITE_KEY: writeKey,
    DEMO_TRAFFIC: 'true',
  };
  [api, worker] = await Promise.all([startApi(env, 60_000), startWorker(env, 60_000)]);
  execFileSync(process.execPath, [resolve(ROOT, 'apps/api/dist/demo/demo-seed-cli.js'), '--api', api.url], {
    encoding: 'utf8',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1280, height: 720 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.stop(), worker?.stop()]);
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

describe('the living demo', () => {
  it('seeds idempotently: a second run creates nothing', () => {
    const again = execFileSync(
      process.execPath,
      [resolve(ROOT, 'apps/api/dist/demo/demo-seed-cli.js'), '--api', api.url],
      { encoding: 'utf8' },
    );
    expect(again.trim().split('\n')).toEqual([
      'Demo content (flows, CTAs, webhook endpoint, funnels):',
      '  ready',
    ]);
  });

  it(`simulates visitors through the public API for ${SIMULATE_SECONDS} s`, async () => {
    const sim = spawn(
      process.execPath,
      [
        resolve(ROOT, 'apps/api/dist/demo/simulate-cli.js'),
        '--write-key',
        writeKey,
        '--api',
        api.url,
        '--duration',
        String(SIMULATE_SECONDS),
        '--rate',
        String(SIMULATE_RATE),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    sim.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sim.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => sim.on('exit', r));
    expect([code, out]).toEqual([0, expect.stringContaining('simulator: done')]);
    const stats = JSON.parse(/simulator: done (.*)$/m.exec(out)?.[1] ?? '{}') as Record<string, number>;
    // 90 visits a minute for 20 s; a visit ends a few seconds after it starts.
    expect(stats.visits).toBeGreaterThanOrEqual(25);
    expect(stats.errors).toBe(0);
    expect(stats.ctasSeen).toBeGreaterThan(0);
  });

  it('shows entered visitors for every template in the flows list, under the demo banner', async () => {
    await page.goto(`${api.url}/login`);
    await page.getByLabel('Email').fill('demo@nudgeflow.dev');
    await page.getByLabel('Password').fill('nudgeflow-demo');
    await page.getByRole('button', { name: /^Log in/ }).click();
    await page.waitForURL(/\/sites\/[^/]+\/flows$/);
    await page
      .getByRole('note', { name: 'Demo data' })
      .getByText(/simulated/)
      .waitFor();
    const entered = async () => {
      await page.reload();
      await page.getByRole('table').waitFor();
      return Promise.all(
        TEMPLATES.map(async (name) => {
          const row = page.getByRole('row', { name: new RegExp(`^${name}`) });
          return Number(((await row.getByRole('cell').nth(3).textContent()) ?? '').replace(/\D/g, '') || 0);
        }),
      );
    };
    await until(entered, (counts) => counts.every((n) => n > 0), 30_000);
    await shot('flows-list');
  });

  it('shows counts on at least four steps of the abandoned-cart canvas', async () => {
    await page.getByRole('link', { name: 'Abandoned cart', exact: true }).click();
    await page.getByTestId('node-added_to_cart').waitFor();
    const counted = () =>
      page
        .locator('[data-testid^="node-"]')
        .evaluateAll(
          (nodes) =>
            nodes.filter((n) => (n.querySelector('[aria-label="Live counts"]')?.textContent ?? '') !== '')
              .length,
        );
    await until(counted, (n) => n >= 4, 30_000);
    await page.getByRole('button', { name: 'Fit view', exact: true }).click();
    await shot('flow-editor-abandoned-cart');
  });

  it('shows real-time visitors in the reports', async () => {
    await page
      .getByRole('navigation', { name: 'Site sections' })
      .getByRole('link', { name: 'Reports' })
      .click();
    const totals = page.getByLabel('Real-time totals');
    await until(
      async () =>
        Number(/(\d[\d,]*) visitors/.exec((await totals.textContent().catch(() => '')) ?? '')?.[1] ?? 0),
      (visitors) => visitors > 0,
      45_000,
    );
    await shot('reports');
    // The seeded funnels and the CTA variants, further down.
    await page.getByRole('heading', { name: 'CTA variants' }).scrollIntoViewIfNeeded();
    await shot('reports-cta-variants');
    await page.getByRole('heading', { name: 'Funnels' }).scrollIntoViewIfNeeded();
    await shot('reports-funnels');
  });

  it('shows successful deliveries in the webhook delivery log', async () => {
    await page
      .getByRole('navigation', { name: 'Site sections' })
      .getByRole('link', { name: 'Webhooks' })
      .click();
    const url = `${api.url}/demo-shop/webhook`;
    await page.getByRole('row', { name: url }).getByRole('button', { name: 'Log' }).click();
    await page.getByRole('table', { name: 'Delivery log' }).getByText('succeeded').first().waitFor();
    await shot('webhooks-delivery-log');
    const received = (await (await fetch(url)).json()) as { received: number };
    expect(received.received).toBeGreaterThan(0);
  });

  it('previews a CTA on desktop and on mobile in the CTA editor', async () => {
    await page.getByRole('navigation', { name: 'Site sections' }).getByRole('link', { name: 'CTAs' }).click();
    await page
      .getByRole('navigation', { name: 'CTAs' })
      .getByRole('button', { name: /Exit-intent offer/ })
      .click();
    await page.getByRole('region', { name: 'Content' }).waitFor();
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.getByRole('img', { name: 'CTA preview on desktop' }).waitFor();
    await shot('cta-editor-desktop');
    await page
      .getByRole('radiogroup', { name: 'Preview device' })
      .getByRole('radio', { name: 'Mobile' })
      .click();
    await page.getByRole('img', { name: 'CTA preview on mobile' }).waitFor();
    await shot('cta-editor-mobile');
    await page.setViewportSize({ width: 1280, height: 720 });
    // The variants' results are those of the simulated visitors.
    await page.getByRole('table', { name: 'Results by variant' }).waitFor();
  });

  it('lays out the populated screens at 1280×720 and 1920×1080 without horizontal overflow', async () => {
    const screens = [
      'flows',
      'ctas',
      'webhooks?tab=endpoints',
      'webhooks?tab=log',
      'webhooks?tab=inbound',
      'runs',
      'reports',
      'settings',
      'settings?tab=install',
      'settings?tab=members',
    ];
    // Runs, settings and webhooks (labelled sections): screenshotted at both sizes too.
    const shots = new Set(['runs', 'settings', 'webhooks?tab=log']);
    const broken: string[] = [];
    for (const viewport of [
      { width: 1280, height: 720 },
      { width: 1920, height: 1080 },
    ]) {
      await page.setViewportSize(viewport);
      for (const screen of screens) {
        await page.goto(`${api.url}/sites/${siteId}/${screen}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        const overflow = (await page.evaluate(`(() => {
          const main = document.querySelector('main');
          return { doc: document.documentElement.scrollWidth - window.innerWidth, main: main.scrollWidth - main.clientWidth };
        })()`)) as { doc: number; main: number };
        if (overflow.doc > 0 || overflow.main > 0) {
          broken.push(`${viewport.width}×${viewport.height} ${screen}: ${JSON.stringify(overflow)}`);
        }
        if (shots.has(screen))
          await shot(`layout-${screen.replace(/\W+/g, '-')}-${viewport.width}x${viewport.height}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(broken).toEqual([]);
  });

  it('serves the demo shop with the real snippet, and the embed opens a CTA there', async () => {
    await page.goto(`${api.url}/demo-shop/products/trail-runner`);
    const snippet = await page.locator(`script[data-write-key="${writeKey}"]`).getAttribute('src');
    expect(snippet).toBe(`${api.url}/embed.js`);
    // The always-on free-shipping bar targets product pages.
    await page.locator('nudgeflow-cta').first().waitFor({ state: 'attached' });
    await page.waitForTimeout(500);
    await shot('demo-shop-with-cta');
    expect(pageErrors).toEqual([]);
  });
});
