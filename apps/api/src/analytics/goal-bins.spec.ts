import fc from 'fast-check';
import { binBounds, binOf, medianFromBins } from './goal-bins';

describe('goal bins', () => {
  it('puts every duration inside its bin bounds', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (s) => {
        const [lo, hi] = binBounds(binOf(s));
        expect(s).toBeGreaterThanOrEqual(lo - 1e-6);
        expect(s).toBeLessThan(hi + 1e-6);
      }),
    );
  });

  it('estimates the median within one bin (~19 %)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 200 }),
        (xs) => {
          const bins = new Map<number, number>();
          for (const x of xs) bins.set(binOf(x), (bins.get(binOf(x)) ?? 0) + 1);
          const sorted = [...xs].sort((a, b) => a - b);
          const exactLow = sorted[Math.ceil(sorted.length / 2) - 1];
          const m = medianFromBins(bins)!;
          expect(m).toBeGreaterThan(exactLow * 0.75 - 1);
          expect(m).toBeLessThan(exactLow * 1.25 + 1);
        },
      ),
    );
  });

  it('has no median without runs', () => {
    expect(medianFromBins(new Map())).toBeNull();
  });
});
