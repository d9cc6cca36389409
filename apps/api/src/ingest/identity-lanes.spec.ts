import fc from 'fast-check';
import type { NormalizedEvent } from './event-normalize';
import { identityLaneKeys } from './identity-lanes';

const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', null);
const event = fc
  .record({ anonymousId: ids, userId: ids, previousId: ids })
  .filter((e) => e.anonymousId !== null || e.userId !== null)
  .map((e) => e as unknown as NormalizedEvent);

/** The identity values an event names, with the kind (previousId counts as both, like the resolver). */
const named = (e: NormalizedEvent) => [
  ...(e.anonymousId ? [`anon|${e.anonymousId}`] : []),
  ...(e.userId ? [`user|${e.userId}`] : []),
  ...(e.previousId ? [`anon|${e.previousId}`, `user|${e.previousId}`] : []),
];

describe('identityLaneKeys', () => {
  it('gives linked events (sharing an identity, directly or through others) one key, unlinked ones different keys', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const keys = identityLaneKeys('s', events);
        // reference: connected components by repeated relaxation
        const comp = events.map((_, i) => i);
        for (let changed = true; changed;) {
          changed = false;
          events.forEach((e, i) =>
            events.forEach((f, j) => {
              if (comp[i] !== comp[j] && named(e).some((k) => named(f).includes(k))) {
                const low = Math.min(comp[i], comp[j]);
                if (comp[i] !== low || comp[j] !== low) changed = true;
                comp[i] = comp[j] = low;
              }
            }),
          );
        }
        for (let i = 0; i < events.length; i++)
          for (let j = 0; j < events.length; j++) expect(keys[i] === keys[j]).toBe(comp[i] === comp[j]);
        // a set is named by its first event's first identity, for one site only
        events.forEach((_, i) => expect(keys[i]).toBe(`s|${named(events[comp[i]])[0]}`));
      }),
      { numRuns: 500 },
    );
  });
});
