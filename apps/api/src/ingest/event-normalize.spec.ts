import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  correctSkew,
  INGEST_LIMITS,
  jsonBytes,
  messageHash,
  normalizeBatch,
  normalizeEvent,
  scanEvent,
  unstorableValue,
} from './event-normalize';
import { mergeTraits, newVisitor } from '../visitors/visitor-profile';

const receivedAt = new Date('2026-01-10T12:00:00Z');
const opts = { receivedAt, newMessageId: () => 'generated' };
const id = fc.string({ minLength: 1, maxLength: 40 });
const json = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });

const anyEvent = fc.record(
  {
    type: fc.constantFrom('track', 'page', 'identify', 'alias', 'bogus'),
    event: fc.oneof(id, fc.constant('$x'), fc.integer()),
    anonymousId: fc.oneof(id, fc.constant(''), fc.integer()),
    userId: id,
    previousId: id,
    messageId: id,
    properties: fc.oneof(json, fc.constant('nope')),
    traits: json,
    timestamp: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constant('garbage'),
    ),
  },
  { requiredKeys: [] },
);

describe('event normalisation (properties)', () => {
  it('every event is either normalised or rejected with a code; accepted ones are well-formed', () => {
    fc.assert(
      fc.property(anyEvent, (raw) => {
        const r = normalizeEvent(raw, opts);
        if (!r.ok) return expect(r.code).toMatch(/^[A-Z_]+$/);
        const e = r.event;
        expect(e.anonymousId || e.userId).toBeTruthy();
        expect(e.messageId.length).toBeGreaterThan(0);
        expect(Number.isFinite(e.ts.getTime())).toBe(true);
        expect(e.ts.getTime()).toBeLessThanOrEqual(receivedAt.getTime() + 86_400_000);
        if (e.type === 'track') expect(e.name.startsWith('$')).toBe(false);
        else expect(e.name).toBe(`$${e.type}`);
        if (e.type === 'page')
          expect(Object.keys(e.properties)).toEqual(
            expect.arrayContaining(['url', 'path', 'referrer', 'title', 'search']),
          );
      }),
    );
  });

  it('a batch partitions into accepted and rejected indexes, in order, nothing dropped', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyEvent, fc.anything()), { maxLength: 30 }), (batch) => {
        const r = normalizeBatch(batch, opts);
        const indexes = [...r.events.map((e) => e.index), ...r.rejected.map((x) => x.index)].sort(
          (a, b) => a - b,
        );
        expect(indexes).toEqual(batch.map((_, i) => i));
      }),
    );
  });

  it('skew correction keeps the client-measured delay between event and send', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (skew, delay) => {
          const sent = receivedAt.getTime() + skew;
          expect(correctSkew(receivedAt.getTime(), sent - delay, sent)).toBe(receivedAt.getTime() - delay);
        },
      ),
    );
  });

  it('rejects events over the size limit', () => {
    const big = {
      type: 'track',
      event: 'e',
      anonymousId: 'a',
      properties: { s: 'x'.repeat(INGEST_LIMITS.eventBytes) },
    };
    expect(normalizeEvent(big, opts)).toMatchObject({ ok: false, code: 'EVENT_TOO_LARGE' });
  });

  it('message hashes are stable 64-bit integers', () => {
    fc.assert(
      fc.property(id, (m) => {
        const h = BigInt(messageHash(m));
        expect(h >= -(2n ** 63n) && h < 2n ** 63n).toBe(true);
        expect(messageHash(m)).toBe(messageHash(m));
        // The dedupe window already holds hashes: the value never changes (first 8 bytes of SHA-256).
        expect(messageHash(m)).toBe(createHash('sha256').update(m).digest().readBigInt64BE(0).toString());
      }),
    );
  });

  it('merging the same traits twice reports no change the second time', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const v = newVisitor('s', 'v', receivedAt);
        mergeTraits(v, a);
        mergeTraits(v, b);
        expect(mergeTraits(v, b)).toEqual([]);
        expect(v.traits).toEqual({ ...a, ...b });
      }),
    );
  });

  it('a NUL or a lone surrogate anywhere (ids, name, keys, values) rejects the event, naming the field', () => {
    const poison = fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uDC00\uD800');
    const places = [
      'event',
      'anonymousId',
      'userId',
      'messageId',
      'properties.k',
      'properties.list[1]',
      'properties.deep.er',
      'traits.k',
      'context.page.url',
      'key:properties',
      'key:traits',
      'key:context',
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...places),
        poison,
        fc.string({ maxLength: 5 }),
        fc.string({ maxLength: 5 }),
        (place, bad, before, after) => {
          const str = before + bad + after;
          const raw: Record<string, unknown> = {
            type: 'track',
            event: 'e',
            anonymousId: 'a',
            userId: 'u',
            messageId: 'm',
            properties: { k: 'v', list: ['x', 'y'], deep: { er: 'z' } },
            traits: { k: 'v' },
            context: { page: { url: 'https://x.test/' } },
          };
          const [top, ...rest] = place.startsWith('key:') ? [place.slice(4)] : place.split('.');
          if (place.startsWith('key:')) (raw[top] as Record<string, unknown>)[str] = 1;
          else if (rest.length === 0) raw[top] = str;
          else if (place === 'properties.list[1]') (raw.properties as { list: string[] }).list[1] = str;
          else if (place === 'properties.deep.er') (raw.properties as { deep: { er: string } }).deep.er = str;
          else if (place === 'context.page.url') raw.context = { page: { url: str } };
          else (raw[top] as Record<string, unknown>)[rest[0]] = str;
          const r = normalizeEvent(raw, opts);
          expect(r).toMatchObject({ ok: false, code: 'INVALID_STRING' });
          if (!r.ok)
            expect(r.reason.startsWith(place.startsWith('key:') ? `${top}.` : `${place}:`)).toBe(true);
        },
      ),
    );
  });

  it('deep nesting is rejected without recursion, whatever the depth', () => {
    const nest = (levels: number, leaf: unknown = 1): unknown => {
      let v = leaf;
      for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
      return v;
    };
    for (const levels of [INGEST_LIMITS.jsonDepth, 5_000, 200_000]) {
      for (const field of ['properties', 'traits', 'context']) {
        const r = normalizeEvent(
          { type: 'track', event: 'e', anonymousId: 'a', [field]: { x: nest(levels) } },
          opts,
        );
        expect(r).toMatchObject({ ok: false, code: 'NESTING_TOO_DEEP' });
      }
    }
    const deepest = nest(INGEST_LIMITS.jsonDepth - 3);
    const ok = normalizeEvent(
      { type: 'track', event: 'e', anonymousId: 'a', properties: { x: deepest } },
      opts,
    );
    expect(ok.ok).toBe(true);
  });

  it('strings that only look like the bad ones are kept exactly', () => {
    const fine = ['\\u0000', '\\ud800', '😀 \uD83D\uDE00', '\uFFFD\uFFFF\uFFFE', 'tab\tnl\n\\N', '\u2028'];
    for (const s of fine) {
      const r = normalizeEvent(
        { type: 'track', event: `e${s}`, anonymousId: s, properties: { [s]: s } },
        opts,
      );
      expect(r).toMatchObject({ ok: true, event: { name: `e${s}`, anonymousId: s, properties: { [s]: s } } });
    }
  });
});

describe('the inbound hook marker', () => {
  const opts = { receivedAt: new Date(), type: 'track' as const, newMessageId: () => 'm-1' };
  const forged = {
    event: 'order.paid',
    userId: 'u',
    context: { source: 'inbound_hook', hookId: 'h', page: {} },
  };

  it('is dropped when a client sends it', () => {
    const r = normalizeEvent(forged, opts);
    expect(r.ok && r.event.context).toEqual({ page: {} });
  });

  it('is set by the hook route only, whatever the body says', () => {
    const r = normalizeEvent(forged, { ...opts, inboundHookId: 'real-hook' });
    expect(r.ok && r.event.context).toEqual({ page: {}, source: 'inbound_hook', hookId: 'real-hook' });
  });
});

describe('the size bound of one walk', () => {
  // Any JSON value the parser can hand over, with full Unicode (surrogate pairs, controls that JSON
  // escapes as six bytes), big and tiny numbers: the bound is never below the exact UTF-8 size, so
  // skipping the exact size under the limit never lets a larger event through.
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const controls = fc.string({
    unit: fc.constantFrom('\u0001', '\u001f', '"', '\\', '\u2028'),
    maxLength: 40,
  });
  const leaf = fc.oneof(text, controls, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('v'), { maxLength: 6 }),
      fc.dictionary(fc.oneof(text, controls), tie('v'), { maxKeys: 6 }),
    ),
  })).v;

  it('bounds the exact JSON size from above, for any event', () =>
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(text, controls), value, { maxKeys: 8 }), (event) => {
        const scan = scanEvent(JSON.parse(JSON.stringify(event)));
        expect('maxBytes' in scan).toBe(true);
        if ('maxBytes' in scan) expect(scan.maxBytes).toBeGreaterThanOrEqual(jsonBytes(event));
      }),
      { numRuns: 500 },
    ));

  it('reports the first unstorable value in document order, as before', () => {
    const deep = (n: number): unknown => (n === 0 ? 'x' : { d: deep(n - 1) });
    expect(unstorableValue({ a: 'ok', b: 'bad\0', c: deep(100) })?.code).toBe('INVALID_STRING');
    expect(unstorableValue({ a: deep(100), b: 'bad\0' })?.code).toBe('NESTING_TOO_DEEP');
    expect(unstorableValue({ a: ['ok', { 'k\0': 1 }] })?.reason).toMatch(/^a\[1\]/);
    expect(unstorableValue({ list: [1, 'x\uD800y'] })?.reason).toBe(
      'list[1]: contains a lone UTF-16 surrogate',
    );
  });
});
