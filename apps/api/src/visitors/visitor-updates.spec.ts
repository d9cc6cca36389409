import fc from 'fast-check';
import { applyStoredUpdate, composeVisitorUpdates, VisitorUpdate } from './visitor-updates';

const key = fc.constantFrom('plan', 'name', 'score', '__proto__', 'constructor', 'x');
const tag = fc.constantFrom('vip', 'lead', 'cart', 'churned', '__proto__');
const value = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant(null));
const update: fc.Arbitrary<VisitorUpdate> = fc.record({
  setTraits: fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => {
    const o = {};
    for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
    return o;
  }),
  unsetTraits: fc.uniqueArray(key, { maxLength: 3 }),
  addTags: fc.uniqueArray(tag, { maxLength: 3 }),
  removeTags: fc.uniqueArray(tag, { maxLength: 3 }),
});
const row = fc.record({
  traits: fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => {
    const o = {};
    for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
    return o;
  }),
  tags: fc.uniqueArray(tag, { maxLength: 4 }),
});

describe('composeVisitorUpdates', () => {
  it('applying the composition equals applying each update in turn', () => {
    fc.assert(
      fc.property(row, fc.array(update, { minLength: 1, maxLength: 5 }), (start, updates) => {
        const oneByOne = updates.reduce(applyStoredUpdate, start);
        const composed = applyStoredUpdate(start, composeVisitorUpdates(updates));
        expect(composed.tags).toEqual(oneByOne.tags);
        expect(Object.entries(composed.traits).sort()).toEqual(Object.entries(oneByOne.traits).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('a later update wins: set after unset keeps the trait, remove after add drops the tag', () => {
    const c = composeVisitorUpdates([
      { setTraits: { plan: 'free' }, unsetTraits: [], addTags: ['vip'], removeTags: [] },
      { setTraits: {}, unsetTraits: ['plan'], addTags: [], removeTags: ['vip'] },
      { setTraits: { plan: 'pro' }, unsetTraits: [], addTags: [], removeTags: [] },
    ]);
    expect(c).toEqual({ setTraits: { plan: 'pro' }, unsetTraits: [], addTags: [], removeTags: ['vip'] });
  });
});
