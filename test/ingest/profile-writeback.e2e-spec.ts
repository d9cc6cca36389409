import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Client } from 'pg';
import { normalizeEvent } from '../../apps/api/src/ingest/event-normalize';
import { eventFacts } from '../../apps/api/src/visitors/visitor-facts';
import {
  applyEvent,
  mergeTraits,
  newVisitor,
  type VisitorState,
} from '../../apps/api/src/visitors/visitor-profile';
import { closeFold, folded } from '../support/fold';
import { startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { BROWSER_UA, dbClient, send } from './ingest-helpers';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const URLS = [
  'https://shop.test/a',
  'https://shop.test/b?utm_source=news&utm_medium=email',
  'https://shop.test/c?utm_source=ads&utm_campaign=spring',
];

type Step =
  | { kind: 'page'; url: string; ua: string | null }
  | { kind: 'cta'; ctaId: string; variantId: string | null }
  | { kind: 'identify'; traits: Record<string, string> }
  | { kind: 'track' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('page' as const),
    url: fc.constantFrom(...URLS),
    ua: fc.constantFrom(null, BROWSER_UA, IPHONE_UA),
  }),
  fc.record({
    kind: fc.constant('cta' as const),
    ctaId: fc.constantFrom('c1', 'c2'),
    variantId: fc.constantFrom(null, 'v1'),
  }),
  fc.record({
    kind: fc.constant('identify' as const),
    traits: fc.record(
      { plan: fc.constantFrom('free', 'pro'), name: fc.constantFrom('Ana', 'Bo') },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ kind: fc.constant('track' as const) }),
);

/** Requests of 1–3 events each, minutes apart (sessions split at 30). */
const requests = fc.array(
  fc.array(fc.record({ step, gapMinutes: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 3 }),
  { minLength: 2, maxLength: 5 },
);

function rawEvent(anon: string, s: Step, ts: number): Record<string, unknown> {
  const base = { anonymousId: anon, messageId: randomUUID(), timestamp: new Date(ts).toISOString() };
  switch (s.kind) {
    case 'page':
      return {
        ...base,
        type: 'page',
        context: { page: { url: s.url }, ...(s.ua ? { userAgent: s.ua } : {}) },
      };
    case 'cta':
      return {
        ...base,
        type: 'track',
        event: 'cta_viewed',
        properties: { cta_id: s.ctaId, ...(s.variantId ? { variant_id: s.variantId } : {}) },
      };
    case 'identify':
      return { ...base, type: 'identify', traits: s.traits };
    case 'track':
      return { ...base, type: 'track', event: 'Clicked' };
  }
}

/** The pure profile rules over the same events, in order: what the stored profile must equal. */
function fold(events: Record<string, unknown>[]): VisitorState {
  let v: VisitorState | undefined;
  for (const raw of events) {
    const r = normalizeEvent(raw, { receivedAt: new Date(), newMessageId: randomUUID });
    if (!r.ok) throw new Error(r.reason);
    const facts = eventFacts(r.event, { userAgent: BROWSER_UA, country: null });
    v ??= { ...newVisitor('site', 'visitor', r.event.ts), anonymousIds: [r.event.anonymousId as string] };
    applyEvent(v, facts);
    if (r.event.type === 'identify') mergeTraits(v, r.event.traits);
  }
  return v as VisitorState;
}

// Each request after the first updates a stored profile; a JSON column an update leaves out keeps the
// row's value. The stored profile must equal the pure fold of every event, whichever columns changed.
describe('visitor profiles updated over many requests', () => {
  let api: TestApi;
  let db: Client;
  let site: Tenant;

  beforeAll(async () => {
    api = await startApi();
    db = await dbClient();
    site = await createTenant(api, 'profile-writeback');
  });
  afterAll(async () => {
    await closeFold();
    await db.end();
    await api.stop();
  });

  it('stores the fold of every event, whichever JSON columns an update sends back', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (reqs) => {
        const anon = `wb-${randomUUID()}`;
        let ts = Date.now() - 6 * 3_600_000;
        const sent: Record<string, unknown>[] = [];
        for (const [n, req] of reqs.entries()) {
          // Folded after some requests, and at the end: a profile built over several folds.
          if (n % 2 === 1) await folded(site.siteId);
          const batch = req.map(({ step: s, gapMinutes }) => rawEvent(anon, s, (ts += gapMinutes * 60_000)));
          const res = await send(api, '/v1/batch', { batch }, { key: site.writeKey });
          expect(res.status).toBe(202);
          sent.push(...batch);
        }
        await folded(site.siteId);
        const want = fold(sent);
        const { rows } = await db.query(
          `SELECT v.* FROM visitors v JOIN visitor_identities i ON i.site_id = v.site_id AND i.visitor_id = v.id
            WHERE i.site_id = $1 AND i.kind = 'anon' AND i.value = $2`,
          [site.siteId, anon],
        );
        expect(rows).toHaveLength(1);
        const got = rows[0];
        expect({
          anonymousIds: got.anonymous_ids,
          traits: got.traits,
          utm: got.utm,
          device: got.device,
          ctaLog: got.cta_log,
          eventCount: got.event_count,
          visitCount: got.visit_count,
          sessionCount: got.session_count,
          lastPageUrl: got.last_page_url,
          lastSeenAt: got.last_seen_at.getTime(),
        }).toEqual({
          anonymousIds: want.anonymousIds,
          traits: want.traits,
          utm: want.utm,
          device: want.device,
          ctaLog: want.ctaLog,
          eventCount: want.eventCount,
          visitCount: want.visitCount,
          sessionCount: want.sessionCount,
          lastPageUrl: want.lastPageUrl,
          lastSeenAt: want.lastSeenAt.getTime(),
        });
      }),
      { numRuns: 25 },
    );
  });
});
