import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { correctSkew, INGEST_LIMITS, messageHash, normalizeBatch, normalizeEvent } from './event-normalize';
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
