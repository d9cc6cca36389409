import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { CollectorServer, type ReceivedEvent } from './collector-server';
import { BAR_CTA, INLINE_CTA, MODAL_CTA, PAGES, TRIGGER_CTAS } from './test-pages';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CtaProbe {
  mode: string;
  hostTag: string;
  parentId: string;
  headline: string;
  headlineColor: string;
  color: string;
  background: string;
  display: string;
  width: number;
  height: number;
  onTop: boolean;
  bodyHtml: string;
  errors: string[];
  status: string | null;
  leakedToDocument: number;
}

type Maybe<T> = T | undefined | null | false;

async function waitFor<T>(
  what: string,
  fn: () => Maybe<T> | Promise<Maybe<T>>,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('embed.js in Chromium', () => {
  let server: CollectorServer;
  let browser: LaunchedBrowser;
  let page: Page;
  let origin: string;
  const dialogs: string[] = [];

  const find = (
    pred: (e: ReceivedEvent) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<ReceivedEvent> => waitFor(what, () => server.events.find(pred), timeoutMs);
  const tracked = (event: string, pred: (e: ReceivedEvent) => boolean = () => true): Promise<ReceivedEvent> =>
    find((e) => e.type === 'track' && e.event === event && pred(e), `track "${event}"`);
  const probe = (id: string): Promise<CtaProbe | null> =>
    page.evaluate(`__probe.cta(${JSON.stringify(id)})`) as Promise<CtaProbe | null>;
  const clickIn = async (id: string, selector: string): Promise<void> => {
    const p = (await page.evaluate(`__probe.point(${JSON.stringify(id)}, ${JSON.stringify(selector)})`)) as {
      x: number;
      y: number;
    };
    await page.mouse.click(p.x, p.y);
  };
  const typeIn = async (id: string, selector: string, text: string): Promise<void> => {
    await page.evaluate(`__probe.focus(${JSON.stringify(id)}, ${JSON.stringify(selector)})`);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(text);
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(__dirname, '..', 'build.mjs')], { stdio: 'pipe' });
    server = new CollectorServer({ ctas: [MODAL_CTA, BAR_CTA], pages: PAGES });
    origin = await server.start();
    browser = await launchBrowser();
    page = browser.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  let firstPage: ReceivedEvent;

  it('sends a Segment-style page event with ids and context on load', async () => {
    await page.goto(`${origin}/page.html?utm_source=news&utm_campaign=spring`);
    firstPage = await find((e) => e.type === 'page', 'first page event');
    expect(firstPage.anonymousId).toMatch(UUID);
    expect(firstPage.messageId).toMatch(UUID);
    expect(new Date(firstPage.timestamp).toISOString()).toBe(firstPage.timestamp);
    expect(firstPage.context).toMatchObject({
      page: {
        url: `${origin}/page.html?utm_source=news&utm_campaign=spring`,
        path: '/page.html',
        referrer: '',
        title: 'Test page',
        search: '?utm_source=news&utm_campaign=spring',
      },
      locale: expect.any(String),
      screen: { width: expect.any(Number), height: expect.any(Number) },
      library: { name: 'nudgeflow.js', version: '0.1.0' },
      campaign: { source: 'news', name: 'spring' },
    });
    expect(firstPage.context.userAgent).toContain('Chrome');
    expect(firstPage.properties).toMatchObject({ path: '/page.html', title: 'Test page' });

    const batch = server.batches.find((b) => b.batch.includes(firstPage))!;
    expect(batch.writeKey).toBe('wk_test');
    expect(batch.contentType).toMatch(/^text\/plain/);
    expect(new Date(batch.sentAt).getTime()).toBeGreaterThan(0);

    const decide = await waitFor('decide call', () => server.decides[0]);
    expect(decide).toMatchObject({
      writeKey: 'wk_test',
      anonymousId: firstPage.anonymousId,
      url: firstPage.context.page.url,
      referrer: '',
      context: { library: { name: 'nudgeflow.js' } },
    });
  });

  it('delivers nudgeflow.track()', async () => {
    await page.evaluate(`nudgeflow.track('Signed Up', { plan: 'pro' })`);
    const e = await tracked('Signed Up');
    expect(e.properties).toEqual({ plan: 'pro' });
    expect(e.anonymousId).toBe(firstPage.anonymousId);
  });

  it('sends a page on SPA navigation and dedupes the same URL', async () => {
    await page.evaluate(`history.pushState({}, '', '/pricing')`);
    const spa = await find((e) => e.type === 'page' && e.context.page.path === '/pricing', 'SPA page');
    expect(spa.context.page.referrer).toBe(firstPage.context.page.url);
    await page.evaluate(`history.replaceState({ x: 1 }, '', '/pricing'); nudgeflow.track('After Replace')`);
    await tracked('After Replace');
    expect(server.events.filter((e) => e.type === 'page' && e.context.page.path === '/pricing')).toHaveLength(
      1,
    );
    await page.evaluate(`history.back()`);
    await find((e) => e.type === 'page' && e.context.page.referrer === `${origin}/pricing`, 'popstate page');
  });

  it('renders the decided CTA in a closed shadow root, immune to host CSS, with the XSS payload stripped', async () => {
    expect(await page.evaluate(`getComputedStyle(document.querySelector('h1')).color`)).toBe(
      'rgb(255, 0, 0)',
    );
    const p = await waitFor('modal CTA', () => probe('cta_modal'));
    expect(p).toMatchObject({
      mode: 'closed',
      hostTag: 'nudgeflow-cta',
      headline: 'Join the list <b>now</b>', // textContent, not markup
      color: 'rgb(17, 34, 51)',
      headlineColor: 'rgb(17, 34, 51)',
      background: 'rgb(255, 255, 255)',
      display: 'block',
      onTop: true,
      leakedToDocument: 0,
    });
    expect(p.width).toBeGreaterThan(100);
    expect(p.height).toBeGreaterThan(100);
    expect(p.bodyHtml).toContain('<b>10%</b>');
    expect(p.bodyHtml).not.toMatch(/script|onerror|onload|javascript:|iframe|srcdoc/i);
    await tracked('cta_viewed', (e) => e.properties?.cta_id === 'cta_modal');
    const viewed = await tracked('cta_viewed');
    expect(viewed.properties).toEqual({ cta_id: 'cta_modal', variant_id: 'var_a' });
    await new Promise((r) => setTimeout(r, 300)); // give a broken <img onerror> time to fire
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('validates and submits the form: cta_clicked, identify with traits, cta_converted, form_submitted', async () => {
    await clickIn('cta_modal', 'form button[type=submit]');
    await tracked('cta_clicked', (e) => e.properties?.action === 'submit');
    expect((await probe('cta_modal'))!.errors).toEqual(['Required', '']);

    await typeIn('cta_modal', 'input[name=email]', 'not-an-email');
    await clickIn('cta_modal', 'form button[type=submit]');
    await waitFor('email error', async () => (await probe('cta_modal'))!.errors[0] === 'Enter a valid email');

    await typeIn('cta_modal', 'input[name=email]', 'ada@example.com');
    await typeIn('cta_modal', 'input[name=name]', 'Ada');
    await page.keyboard.press('Enter');
    const converted = await tracked('cta_converted');
    expect(converted.properties).toEqual({ cta_id: 'cta_modal', variant_id: 'var_a' });
    const identify = await find((e) => e.type === 'identify', 'identify');
    expect(identify.traits).toEqual({ email: 'ada@example.com', name: 'Ada' });
    expect(identify.anonymousId).toBe(firstPage.anonymousId);
    const submitted = await tracked('form_submitted');
    expect(submitted.properties).toEqual({
      cta_id: 'cta_modal',
      variant_id: 'var_a',
      fields: ['email', 'name'],
    });
    expect(server.events.filter((e) => e.event === 'cta_converted')).toHaveLength(1);
    expect((await probe('cta_modal'))!.status).toBe('Thanks!');

    await clickIn('cta_modal', '.a button');
    const closed = await tracked('cta_closed', (e) => e.properties?.cta_id === 'cta_modal');
    expect(closed.properties).toEqual({ cta_id: 'cta_modal', variant_id: 'var_a' });
    expect(await probe('cta_modal')).toBeNull();
  });

  it('honours a click trigger and reports the close button', async () => {
    expect(await probe('cta_bar')).toBeNull();
    await page.click('#open-bar');
    const bar = await waitFor('bar CTA', () => probe('cta_bar'));
    expect(bar).toMatchObject({ headline: 'Free shipping today', color: 'rgb(255, 255, 255)', onTop: true });
    await tracked('cta_viewed', (e) => e.properties?.cta_id === 'cta_bar');
    await clickIn('cta_bar', 'button[aria-label=Close]');
    await tracked('cta_closed', (e) => e.properties?.cta_id === 'cta_bar');
  });

  it('renders a CTA pushed over the live EventSource', async () => {
    await waitFor('live stream', () => server.liveStreams > 0);
    server.push(INLINE_CTA);
    await tracked('cta_viewed', (e) => e.properties?.cta_id === 'cta_inline');
    const p = (await probe('cta_inline'))!;
    expect(p).toMatchObject({ parentId: 'slot', headline: 'Pushed live', color: 'rgb(17, 34, 51)' });
  });

  it('retries a failed batch with backoff and delivers it once', async () => {
    server.failNextBatches = 1;
    await page.evaluate(`nudgeflow.track('Retry Me')`);
    const e = await tracked('Retry Me');
    const attempts = server.batches.filter((b) => b.batch.some((x) => x.messageId === e.messageId));
    expect(attempts.map((b) => b.status)).toEqual([503, 202]);
  });

  it('keeps a failing batch in localStorage so a reload retries it', async () => {
    server.failNextBatches = 1000;
    await page.evaluate(`nudgeflow.track('Persist Me')`);
    await waitFor('failed attempt', () =>
      server.batches.find((b) => b.status === 503 && b.batch.some((x) => x.event === 'Persist Me')),
    );
    expect(await page.evaluate(`localStorage.getItem('nf_q:wk_test')`)).toContain('Persist Me');
    await page.goto(`${origin}/page.html`);
    const failedSince = server.batches.length;
    await waitFor('a failed batch from the new page', () => server.batches.length > failedSince);
    server.failNextBatches = 0;
    const e = await find((x) => x.event === 'Persist Me', 'Persist Me after reload', 20000);
    expect(server.events.filter((x) => x.messageId === e.messageId)).toHaveLength(1);
  });

  it('persists the anonymous id in a first-party cookie across reloads', async () => {
    const cookies = await browser.context.cookies(origin);
    const aid = cookies.find((c) => c.name === 'nf_aid')!;
    expect(aid.value).toBe(firstPage.anonymousId);
    expect(aid.sameSite).toBe('Lax');
    expect(aid.expires * 1000 - Date.now()).toBeGreaterThan(360 * 24 * 3600 * 1000);
    const before = server.events.length;
    await page.reload();
    const again = await waitFor('page after reload', () =>
      server.events.slice(before).find((e) => e.type === 'page'),
    );
    expect(again.anonymousId).toBe(firstPage.anonymousId);
  });

  it('flushes queued events with sendBeacon on pagehide', async () => {
    await page.evaluate(`nudgeflow.track('Bye'); location.href = '/other.html'`);
    await page.waitForURL(`${origin}/other.html`);
    const e = await tracked('Bye');
    const batch = server.batches.find((b) => b.batch.includes(e))!;
    expect(batch.fetchMode).toBe('no-cors'); // sendBeacon, not the 1 s fetch timer
  });

  it('replays a queued-stub snippet and resets identity', async () => {
    await page.goto(`${origin}/stub.html`);
    const identify = await find((e) => e.type === 'identify' && e.userId === 'user_42', 'stub identify');
    expect(identify.traits).toEqual({ plan: 'pro' });
    const stub = await tracked('Stub Event');
    expect(stub).toMatchObject({ userId: 'user_42', properties: { from: 'stub' } });
    await find((e) => e.type === 'page' && e.userId === 'user_42', 'page after stub');

    await page.evaluate(`nudgeflow.reset(); nudgeflow.track('After Reset')`);
    const after = await tracked('After Reset');
    expect(after.userId).toBeUndefined();
    expect(after.anonymousId).toMatch(UUID);
    expect(after.anonymousId).not.toBe(firstPage.anonymousId);
  });

  it('honours delay, scroll and exit-intent display triggers', async () => {
    server.ctas = TRIGGER_CTAS;
    const decides = server.decides.length;
    await page.goto(`${origin}/page.html`);
    const loadedAt = Date.now();
    await waitFor('decide', () => server.decides.length > decides);
    await new Promise((r) => setTimeout(r, 200));
    expect(await probe('cta_delay')).toBeNull();
    expect(await probe('cta_scroll')).toBeNull();
    expect(await probe('cta_exit')).toBeNull();

    await waitFor('delayed CTA', () => probe('cta_delay'));
    expect(Date.now() - loadedAt).toBeGreaterThanOrEqual(900);

    expect(await probe('cta_scroll')).toBeNull();
    await page.mouse.wheel(0, 5000);
    await waitFor('scroll CTA', () => probe('cta_scroll'));

    expect(await probe('cta_exit')).toBeNull();
    await page.mouse.move(300, 200);
    await page.mouse.move(300, 50);
    await page.mouse.move(300, -20); // leave through the top edge
    await waitFor('exit-intent CTA', () => probe('cta_exit'));
    await tracked('cta_viewed', (e) => e.properties?.cta_id === 'cta_exit');
  });

  it('falls back to getRandomValues where crypto.randomUUID is missing (insecure origins)', async () => {
    const tab = await browser.context.newPage();
    await tab.addInitScript('delete Crypto.prototype.randomUUID');
    await browser.context.clearCookies();
    const before = server.events.length;
    await tab.goto(`${origin}/other.html`);
    await tab.evaluate(`localStorage.clear()`);
    await tab.goto(`${origin}/page.html?fallback=1`);
    const e = await waitFor('page event', () =>
      server.events.slice(before).find((x) => x.type === 'page' && x.context.page.search === '?fallback=1'),
    );
    expect(await tab.evaluate('typeof crypto.randomUUID')).toBe('undefined');
    expect(e.anonymousId).toMatch(UUID);
    expect(e.messageId).toMatch(UUID);
    expect(e.anonymousId).not.toBe(firstPage.anonymousId);
    await tab.close();
  });

  it('never gives two different events the same messageId (a resend after a timeout is the same event)', () => {
    // The script delivers at least once: a batch whose answer timed out on a loaded machine is sent
    // again with the same ids, and the API dedupes on them. What must never happen is two distinct
    // events sharing an id (the API would drop the second as a duplicate).
    const identity = (e: (typeof server.events)[number]) =>
      JSON.stringify([e.type, e.event, e.anonymousId, e.timestamp, e.properties]);
    const byId = new Map<string, Set<string>>();
    for (const e of server.events)
      byId.set(e.messageId, (byId.get(e.messageId) ?? new Set()).add(identity(e)));
    expect(server.events.length).toBeGreaterThan(5);
    expect([...byId].filter(([, forms]) => forms.size > 1)).toEqual([]);
  });
});
