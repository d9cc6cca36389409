import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { normalizeEvent } from './event-normalize';
import { provisionalVisitorId, uuidV5 } from './write-statement';

const event = (raw: Record<string, unknown>) => {
  const r = normalizeEvent(raw, { receivedAt: new Date(), newMessageId: randomUUID });
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};

describe('provisional visitor ids', () => {
  it('are RFC 4122 version 5 UUIDs (the RFC example)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('name the identity first seen: userId before anonymousId, per site and kind', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.uuid(),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (a, b, anon, user) => {
          const site = a;
          const track = event({ type: 'track', event: 'x', anonymousId: anon });
          const identify = event({ type: 'identify', anonymousId: anon, userId: user });
          const byUser = event({ type: 'track', event: 'y', userId: user });
          expect(provisionalVisitorId(site, track)).toBe(provisionalVisitorId(site, { ...track, name: 'z' }));
          expect(provisionalVisitorId(site, identify)).toBe(provisionalVisitorId(site, byUser));
          expect(provisionalVisitorId(site, track)).not.toBe(provisionalVisitorId(site, identify));
          if (a !== b) expect(provisionalVisitorId(b, track)).not.toBe(provisionalVisitorId(site, track));
          expect(provisionalVisitorId(site, track)).toMatch(
            /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          );
        },
      ),
    );
  });

  it('are the same whether computed or remembered (60,000 identities: past the cache, evicting)', () => {
    const site = randomUUID();
    const ids = Array.from({ length: 60_000 }, (_, i) => `anon-${i}`);
    const first = ids.map((anon) => provisionalVisitorId(site, event({ type: 'page', anonymousId: anon })));
    const again = ids.map((anon) => provisionalVisitorId(site, event({ type: 'page', anonymousId: anon })));
    expect(again).toEqual(first);
    ids.forEach((anon, i) => {
      if (i % 997 === 0) expect(first[i]).toBe(uuidV5(site, `anon|${anon}`));
    });
  });
});
