import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { request, startApi, TestApi } from '../support/processes';
import { createTenant, Tenant } from '../support/tenants';
import { basic, BROWSER_HEADERS, dbClient, eventsOf, track } from './ingest-helpers';

/** Strings PostgreSQL refuses (text and jsonb): a NUL, lone UTF-16 surrogates of either half. */
const POISON = ['\u0000', 'a\u0000b', '\uD800', '\uDBFF', 'x\uDC00', '\uDFFF\uD800y'];
/** Strings that only look like them, or need escaping somewhere: must be stored exactly. */
const TRICKY = ['\\u0000', '\\ud800', '😀 \uD83D\uDE00', '\uFFFD\uFFFF\uFFFE', 'tab\tnl\n\\N\r', '\u2028"q"'];

/** Where a poisoned string goes: every string field an event stores, keys included. */
const FIELDS = [
  'event',
  'anonymousId',
  'userId',
  'messageId',
  'previousId',
  'propertyKey',
  'propertyValue',
  'nestedValue',
  'traitKey',
  'traitValue',
  'contextValue',
  'pageName',
] as const;
type Field = (typeof FIELDS)[number];

type Slot =
  | { kind: 'valid'; tricky: string | null }
  | { kind: 'poison'; field: Field; value: string }
  | { kind: 'deep'; field: 'properties' | 'traits' | 'context'; levels: number };

const slot: fc.Arbitrary<Slot> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      tricky: fc.option(fc.constantFrom(...TRICKY)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('poison' as const),
      field: fc.constantFrom(...FIELDS),
      value: fc.constantFrom(...POISON),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      field: fc.constantFrom('properties' as const, 'traits' as const, 'context' as const),
      levels: fc.integer({ min: 5_000, max: 12_000 }),
    }),
  },
);

/** The slot as a raw event; a deep value is a placeholder replaced in the JSON text (no JS recursion). */
interface Raw {
  event: Record<string, unknown>;
  /** A deep value's JSON text and the placeholder string it replaces. */
  deep?: { placeholder: string; text: string };
}

function rawEvent(s: Slot, n: number): Raw {
  const anonymousId = `bad-${randomUUID()}`;
  const base = (extra: Record<string, unknown> = {}) => ({
    type: 'track',
    event: 'Checked',
    anonymousId,
    messageId: randomUUID(),
    properties: { n, nested: { list: ['a', 1] } },
    traits: {},
    context: { page: { url: 'https://shop.test/' } },
    ...extra,
  });
  if (s.kind === 'valid') {
    const t = s.tricky;
    return { event: t === null ? base() : base({ event: `e${t}`, properties: { n, [t]: t, nested: [t] } }) };
  }
  if (s.kind === 'deep') {
    const placeholder = `__deep_${n}__`;
    const levels = s.levels;
    const open = '{"a":['.repeat(Math.floor(levels / 2)) + '['.repeat(levels % 2);
    const close = ']'.repeat(levels % 2) + ']}'.repeat(Math.floor(levels / 2));
    return {
      event: base({ [s.field]: { x: placeholder } }),
      deep: { placeholder, text: `${open}1${close}` },
    };
  }
  const v = s.value;
  switch (s.field) {
    case 'event':
      return { event: base({ event: `e${v}` }) };
    case 'anonymousId':
      return { event: base({ anonymousId: v }) };
    case 'userId':
      return { event: base({ userId: v }) };
    case 'messageId':
      return { event: base({ messageId: `${randomUUID()}${v}` }) };
    case 'previousId':
      return { event: base({ type: 'alias', event: undefined, userId: `u-${n}`, previousId: v }) };
    case 'propertyKey':
      return { event: base({ properties: { n, [v]: 1 } }) };
    case 'propertyValue':
      return { event: base({ properties: { n, k: v } }) };
    case 'nestedValue':
      return { event: base({ properties: { n, nested: { list: ['a', { deeper: v }] } } }) };
    case 'traitKey':
      return { event: base({ type: 'identify', event: undefined, traits: { [v]: 'x' } }) };
    case 'traitValue':
      return { event: base({ type: 'identify', event: undefined, traits: { name: v } }) };
    case 'contextValue':
      return { event: base({ context: { page: { url: `https://shop.test/${v}` } } }) };
    case 'pageName':
      return { event: base({ type: 'page', event: undefined, name: v }) };
  }
}

/** The batch as JSON text, deep values spliced in where their placeholders are. */
function batchText(events: Raw[]): string {
  let text = JSON.stringify({ batch: events.map((e) => e.event), sentAt: new Date().toISOString() });
  for (const { deep } of events) if (deep) text = text.replace(`"${deep.placeholder}"`, deep.text);
  return text;
}

describe('one bad string never poisons a batch', () => {
  let api: TestApi;
  let db: Client;
  let t: Tenant;

  beforeAll(async () => {
    api = await startApi();
    db = await dbClient();
    t = await createTenant(api, 'bad-strings');
  });
  afterAll(async () => {
    await db.end();
    await api.stop();
  });

  const post = (path: string, body: string) =>
    request(api.url, path, {
      method: 'POST',
      body,
      headers: { ...BROWSER_HEADERS, 'content-type': 'application/json', authorization: basic(t.writeKey) },
    });

  it('NULs, lone surrogates and deep nesting in any field: rejected by index with a code, the rest stored, no 5xx', async () => {
    const cases = fc.record({
      slots: fc.array(slot, { minLength: 1, maxLength: 8 }),
      valid: fc.constantFrom(...TRICKY.map((x) => x as string | null), null),
      at: fc.nat(),
      // Sometimes enough valid events for the COPY path (from 100 rows).
      pad: fc.constantFrom(0, 0, 0, 110),
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ slots: drawn, valid, at, pad }) => {
        const slots: Slot[] = [...drawn];
        slots.splice(at % (slots.length + 1), 0, { kind: 'valid', tricky: valid });
        for (let i = 0; i < pad; i++) slots.push({ kind: 'valid', tricky: null });
        const events = slots.map((s, n) => rawEvent(s, n));
        // A bystander request at the same moment: groups gather concurrent requests.
        const bystander = track('bystander');
        const [res, other] = await Promise.all([
          post('/v1/batch', batchText(events)),
          post('/v1/track', JSON.stringify(bystander)),
        ]);
        expect(other.status).toBe(202);
        expect(res.status).toBe(202);

        const wantRejected = slots.flatMap((s, index) =>
          s.kind === 'valid' ? [] : [[index, s.kind === 'deep' ? 'NESTING_TOO_DEEP' : 'INVALID_STRING']],
        );
        const rejected = res.body.rejected as { index: number; code: string; reason: string }[];
        expect(rejected.map((r) => [r.index, r.code])).toEqual(wantRejected);
        const validEvents = events.filter((_, i) => slots[i].kind === 'valid').map((e) => e.event);
        expect(res.body).toMatchObject({ accepted: validEvents.length, stored: validEvents.length });

        // A poisoned messageId cannot even be asked for (PostgreSQL refuses the parameter).
        const ids = [...events.map((e) => e.event.messageId as string), bystander.messageId].filter(
          (id) => !/[\0\uD800-\uDFFF]/.test(id),
        );
        const rows = await eventsOf(db, t.siteId, 'message_id = ANY($2)', [ids]);
        const byId = new Map(rows.map((r) => [r.message_id, r]));
        expect(rows.length).toBe(validEvents.length + 1);
        for (const e of validEvents) {
          const row = byId.get(e.messageId as string)!;
          expect(row).toBeDefined();
          expect(row.name).toBe(e.event);
          expect(row.properties).toEqual(e.properties);
        }
      }),
      { numRuns: 50 },
    );
  }, 240_000);

  it('a single event route answers a clear 400 with the code; nesting outside the events is harmless', async () => {
    for (const v of POISON) {
      const res = await post('/v1/track', JSON.stringify(track('x', { properties: { v } })));
      expect(res).toMatchObject({ status: 400, body: { code: 'INVALID_STRING' } });
      expect(res.body.message).toContain('properties.v');
      const id = await post('/v1/identify', JSON.stringify({ userId: `u${v}`, traits: {} }));
      expect(id).toMatchObject({ status: 400, body: { code: 'INVALID_STRING' } });
    }
    const deep = `{"anonymousId":"a","event":"x","properties":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(await post('/v1/track', deep)).toMatchObject({ status: 400, body: { code: 'NESTING_TOO_DEEP' } });

    const ok = track('beside deep junk');
    const junk = `{"batch":[${JSON.stringify(ok)}],"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(await post('/v1/batch', junk)).toMatchObject({ status: 202, body: { stored: 1 } });
    const bare = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(await post('/v1/batch', bare)).toMatchObject({ status: 400, body: { code: 'INVALID_JSON' } });
    const nulKey = JSON.stringify({ writeKey: `${t.writeKey}\u0000`, batch: [track('x')] });
    const keyRes = await request(api.url, '/v1/batch', {
      method: 'POST',
      body: nulKey,
      headers: { 'content-type': 'application/json' },
    });
    expect(keyRes.status).toBe(401);
  });
});
