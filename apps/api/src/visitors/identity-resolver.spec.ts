import type { ProfileEvent } from './profile-event';
import { identityKey, IdentityResolver, visitorKey } from './identity-resolver';
import { applyEvent, newVisitor, type VisitorState } from './visitor-profile';
import { facts } from './visitor-profile.fixture';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const at = (n: number) => facts(T0 + n * 1000);
const ev = (e: Partial<ProfileEvent>) =>
  ({ type: 'track', anonymousId: null, userId: null, previousId: null, traits: {}, ...e }) as ProfileEvent;

describe('IdentityResolver', () => {
  it('follows a chain of aliases: an id aliased into a profile moves on when that profile is merged', () => {
    const identities = new Map<string, string>();
    const visitors = new Map<string, VisitorState>();
    for (const n of [0, 1, 2]) {
      const v = newVisitor('s', `v${n}`, new Date(T0));
      v.userId = `u${n}`;
      applyEvent(v, at(n)); // one event each
      visitors.set(visitorKey('s', v.id), v);
      identities.set(identityKey('s', 'user', `u${n}`), v.id);
    }
    let next = 0;
    const r = new IdentityResolver(identities, visitors, () => `new-${next++}`);

    r.resolve('s', ev({ type: 'alias', previousId: 'u0', userId: 'u1' }), at(10));
    r.resolve('s', ev({ type: 'alias', previousId: 'u1', userId: 'u2' }), at(11));
    const { visitor } = r.resolve('s', ev({ userId: 'u0' }), at(12));

    expect(visitor.id).toBe('v2');
    // 3 events before, 3 now, each counted once on the one live profile
    expect(visitor.eventCount).toBe(6);
    expect(visitors.get(visitorKey('s', 'v0'))?.mergedInto).toBe('v1');
    expect(visitors.get(visitorKey('s', 'v1'))?.mergedInto).toBe('v2');
    for (const u of ['u0', 'u1', 'u2']) {
      expect(identities.get(identityKey('s', 'user', u))).toBe('v2');
      expect(r.identityWrites.get(identityKey('s', 'user', u))?.visitorId ?? 'v2').toBe('v2');
    }
    expect(r.identityWrites.get(identityKey('s', 'user', 'u0'))).toEqual({
      siteId: 's',
      kind: 'user',
      value: 'u0',
      visitorId: 'v2',
    });
    expect(r.merges).toEqual([
      { siteId: 's', from: 'v0', into: 'v1' },
      { siteId: 's', from: 'v1', into: 'v2' },
    ]);
  });
});
