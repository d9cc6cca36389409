import { Analytics } from '@segment/analytics-node';
import { randomUUID } from 'node:crypto';
import { isbot } from 'isbot';
import {
  flowDoc,
  publishFlow,
  runsOf,
  tenant,
  untilCompleted,
  useStack,
  waitFor,
} from '../runtime/runtime-harness';
import { waitFolded } from '../support/fold';
import type { Tenant } from '../support/tenants';
import { basic, BROWSER_HEADERS } from './ingest-helpers';

const VISITORS = 300;
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36';

/** The official Segment Node SDK pointed at the loopback API, recording what it sent and got back. */
function segmentClient(host: string, writeKey: string) {
  const analytics = new Analytics({ writeKey, host, flushAt: 100, flushInterval: 50, maxRetries: 2 });
  const sent = { userAgents: new Set<string>(), statuses: [] as number[], errors: [] as unknown[] };
  analytics.on('http_request', (r) =>
    sent.userAgents.add((r.headers as Record<string, string>)['User-Agent']),
  );
  analytics.on('http_response', (r) => sent.statuses.push(r.status));
  analytics.on('error', (err) => sent.errors.push(err));
  const messageIds: string[] = [];
  /** Resolves with the messageId once the SDK delivered the event (rejects on its failure). */
  const delivered = (call: (cb: (err?: unknown, ctx?: { event: { messageId?: string } }) => void) => void) =>
    new Promise<void>((res, rej) =>
      call((err, ctx) => {
        if (err) return rej(err instanceof Error ? err : new Error(JSON.stringify(err)));
        messageIds.push(ctx!.event.messageId!);
        res();
      }),
    );
  return { analytics, sent, messageIds, delivered };
}

describe('server-side sources are not bots (official Segment Node SDK)', () => {
  const ctx = useStack();
  let t: Tenant;
  let flowId: string;

  beforeAll(async () => {
    t = await tenant(ctx.stack, 'server-side');
    flowId = await publishFlow(
      ctx.stack,
      t,
      flowDoc(
        'server purchase',
        [
          { id: 't', type: 'trigger_event', config: { event: 'Server Purchase', filters: [] } },
          { id: 'u', type: 'update_visitor', config: { addTags: ['server_purchase'] } },
        ],
        [['t', 'next', 'u']],
      ),
    );
  });

  it(`stores the SDK's track/page/identify of ${VISITORS} visitors unflagged, and its track enrols a live flow`, async () => {
    const { analytics, sent, messageIds, delivered } = segmentClient(ctx.stack.api.url, t.writeKey);
    const run = randomUUID().slice(0, 8);
    const deliveries: Promise<void>[] = [];
    for (let i = 0; i < VISITORS; i++) {
      const anonymousId = `srv-anon-${run}-${i}`;
      const userId = `srv-user-${run}-${i}`;
      deliveries.push(
        delivered((cb) =>
          analytics.page(
            { anonymousId, name: 'Pricing', properties: { url: 'https://shop.test/pricing' } },
            cb,
          ),
        ),
        delivered((cb) => analytics.identify({ anonymousId, userId, traits: { plan: 'pro', n: i } }, cb)),
        delivered((cb) =>
          analytics.track({ userId, event: 'Server Purchase', properties: { amount: i } }, cb),
        ),
      );
    }
    await Promise.all(deliveries);
    await analytics.closeAndFlush();

    // The SDK sent its own User-Agent, which isbot flags; the API answered every request 2xx.
    expect([...sent.userAgents]).toEqual(['analytics-node-next/latest']);
    expect(isbot('analytics-node-next/latest')).toBe(true);
    expect(sent.errors).toEqual([]);
    expect(sent.statuses.length).toBeGreaterThan(1);
    expect(sent.statuses.every((s) => s === 202)).toBe(true);

    // Every event stored once, none flagged; neither are their visitors.
    expect(new Set(messageIds).size).toBe(3 * VISITORS);
    const events = await ctx.stack.db.query<{ name: string; is_bot: boolean; n: number }>(
      `SELECT name, is_bot, count(*)::int AS n FROM events WHERE site_id = $1 AND message_id = ANY($2)
        GROUP BY 1, 2 ORDER BY 1`,
      [t.siteId, messageIds],
    );
    expect(events.rows).toEqual([
      { name: '$identify', is_bot: false, n: VISITORS },
      { name: '$page', is_bot: false, n: VISITORS },
      { name: 'Server Purchase', is_bot: false, n: VISITORS },
    ]);
    await waitFolded(ctx.stack.db, t.siteId, 60_000); // profiles are folded by the worker right behind the 2xx
    const visitors = await ctx.stack.db.query<{ is_bot: boolean; n: number; events: number }>(
      `SELECT is_bot, count(*)::int AS n, sum(event_count)::int AS events FROM visitors
        WHERE site_id = $1 AND user_id LIKE $2 AND merged_into IS NULL GROUP BY 1`,
      [t.siteId, `srv-user-${run}-%`],
    );
    expect(visitors.rows).toEqual([{ is_bot: false, n: VISITORS, events: 3 * VISITORS }]);

    // Each visitor's server-side track enrolled the live flow once, and the run did its work.
    await untilCompleted(ctx.stack, t.siteId, flowId, VISITORS, 120_000);
    const tagged = await ctx.stack.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM visitors WHERE site_id = $1 AND user_id LIKE $2 AND 'server_purchase' = ANY(tags)`,
      [t.siteId, `srv-user-${run}-%`],
    );
    expect(tagged.rows[0].n).toBe(VISITORS);
  }, 240_000);

  it("a bot is still a bot: the browser's context.userAgent, or a browser request's own User-Agent", async () => {
    const { analytics, messageIds, delivered } = segmentClient(ctx.stack.api.url, t.writeKey);
    const crawler = `crawler-${randomUUID()}`;
    const headless = `headless-${randomUUID()}`;
    const forwarded = `forwarded-${randomUUID()}`;
    // A backend relaying a crawler's hit names the crawler's browser string in context.userAgent.
    await delivered((cb) =>
      analytics.track(
        { anonymousId: crawler, event: 'Server Purchase', context: { userAgent: GOOGLEBOT } },
        cb,
      ),
    );
    await analytics.closeAndFlush();
    // A headless browser posting itself: its request carries Origin and Sec-Fetch-*.
    const post = (anonymousId: string, headers: Record<string, string>) =>
      ctx.stack.api.request('/v1/track', {
        method: 'POST',
        body: { anonymousId, event: 'Server Purchase', messageId: randomUUID() },
        headers: { authorization: basic(t.writeKey), ...headers },
      });
    expect((await post(headless, { ...BROWSER_HEADERS, 'user-agent': HEADLESS })).status).toBe(202);
    // The same string from a server (no browser headers) names no browser: not a bot verdict.
    expect((await post(forwarded, { 'user-agent': HEADLESS })).status).toBe(202);
    await waitFolded(ctx.stack.db, t.siteId);

    const flagged = await ctx.stack.db.query<{ anonymous_id: string; is_bot: boolean; v_bot: boolean }>(
      `SELECT e.anonymous_id, e.is_bot, v.is_bot AS v_bot FROM events e
         JOIN visitors v ON v.site_id = e.site_id AND v.id = e.visitor_id
        WHERE e.site_id = $1 AND (e.message_id = ANY($2) OR e.anonymous_id = ANY($3)) ORDER BY 1`,
      [t.siteId, messageIds, [headless, forwarded]],
    );
    expect(flagged.rows).toEqual(
      [
        { anonymous_id: crawler, is_bot: true, v_bot: true },
        { anonymous_id: forwarded, is_bot: false, v_bot: false },
        { anonymous_id: headless, is_bot: true, v_bot: true },
      ].sort((a, b) => a.anonymous_id.localeCompare(b.anonymous_id)),
    );

    // The human's event enrols; by then the bots' events (sent before it) would have too.
    const human = await waitFor('the forwarded visitor enrolled', async () => {
      const runs = await runsOf(ctx.stack.db, t.siteId, flowId);
      const ids = await ctx.stack.db.query<{ id: string; anonymous_ids: string[] }>(
        `SELECT id, anonymous_ids FROM visitors WHERE site_id = $1 AND anonymous_ids && $2::text[]`,
        [t.siteId, [crawler, headless, forwarded]],
      );
      const byAnon = new Map(ids.rows.map((v) => [v.anonymous_ids[0], v.id]));
      const enrolled = new Set(runs.map((r) => r.visitor_id));
      return enrolled.has(byAnon.get(forwarded)!) ? { enrolled, byAnon } : undefined;
    });
    expect(human.enrolled.has(human.byAnon.get(crawler)!)).toBe(false);
    expect(human.enrolled.has(human.byAnon.get(headless)!)).toBe(false);
  });
});
