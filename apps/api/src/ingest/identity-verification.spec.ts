import fc from 'fast-check';
import { NO_VERIFICATION, userHashOf } from '../sites/identity-hash';
import type { NormalizedEvent } from './event-normalize';
import { verifyBrowserIdentities } from './identity-verification';

const event = (e: Partial<NormalizedEvent>): NormalizedEvent => ({
  type: 'identify',
  name: '$identify',
  messageId: 'm',
  anonymousId: null,
  userId: null,
  previousId: null,
  properties: {},
  traits: {},
  context: {},
  ts: new Date(0),
  ...e,
});

const secret = 'nf_is_current';
const on = {
  required: true,
  secrets: [
    { secret, until: null },
    { secret: 'nf_is_old', until: Date.now() + 60_000 },
  ],
};
const write = { kind: 'write' as const, identity: on };

describe('verifyBrowserIdentities', () => {
  it('keeps verified userIds (current or previous secret in its grace), strips or rejects the rest', () => {
    const raw = [
      { userHash: userHashOf(secret, 'u1') },
      { userHash: userHashOf('nf_is_old', 'u1') },
      { userHash: userHashOf(secret, 'u2') },
      {},
      {},
      {},
    ];
    const events = [
      event({ userId: 'u1' }),
      event({ userId: 'u1', anonymousId: 'a' }),
      event({ userId: 'u1', anonymousId: 'b' }),
      event({ userId: 'u1' }),
      event({ anonymousId: 'c' }),
      event({ type: 'alias', userId: 'u1', previousId: 'x', anonymousId: 'd' }),
    ].map((e, index) => ({ index, event: e }));
    const r = verifyBrowserIdentities(write, raw, events);
    expect(r.events.map((e) => [e.index, e.event.userId, e.event.context.unverifiedUserId])).toEqual([
      [0, 'u1', undefined],
      [1, 'u1', undefined],
      [2, null, 'u1'],
      [4, null, undefined],
    ]);
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
      [3, 'USER_HASH_INVALID'],
      [5, 'ALIAS_UNVERIFIED'],
    ]);
  });

  it('drops the previous secret after its grace period', () => {
    const expired = {
      kind: 'write' as const,
      identity: { required: true, secrets: [{ secret: 'old', until: Date.now() - 1 }] },
    };
    const r = verifyBrowserIdentities(
      expired,
      [{ userHash: userHashOf('old', 'u') }],
      [{ index: 0, event: event({ userId: 'u' }) }],
    );
    expect(r.rejected).toHaveLength(1);
  });

  it('trusts secret keys and sites with verification off, unchanged', () => {
    const events = [{ index: 0, event: event({ type: 'alias', userId: 'u', previousId: 'p' }) }];
    expect(verifyBrowserIdentities({ kind: 'secret', identity: on }, [{}], events).events).toBe(events);
    expect(verifyBrowserIdentities({ kind: 'write', identity: NO_VERIFICATION }, [{}], events).events).toBe(
      events,
    );
  });

  it('property: a kept write-key event names a userId only with its valid hash', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            userId: fc.option(fc.string({ minLength: 1, maxLength: 10 })),
            anonymousId: fc.option(fc.string({ minLength: 1, maxLength: 10 })),
            hash: fc.oneof(
              fc.constant(undefined),
              fc.string(),
              fc.string({ minLength: 1 }).map((u) => userHashOf(secret, u)),
            ),
            sign: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        (items) => {
          const raw = items.map((i) => ({
            userHash: i.sign && i.userId ? userHashOf(secret, i.userId) : i.hash,
          }));
          const events = items.map((i, index) => ({
            index,
            event: event({ userId: i.userId, anonymousId: i.anonymousId }),
          }));
          const r = verifyBrowserIdentities(write, raw, events);
          expect(r.events.length + r.rejected.length).toBe(items.length);
          for (const k of r.events) {
            if (k.event.userId) expect(raw[k.index].userHash).toBe(userHashOf(secret, k.event.userId));
          }
        },
      ),
    );
  });
});
