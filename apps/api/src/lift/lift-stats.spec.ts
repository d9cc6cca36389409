import fc from 'fast-check';
import { isHeldOut } from '@nudgeflow/engine';
import { lift, newcombe, normalCdf, wilson } from './lift-stats';

describe('lift statistics', () => {
  it('matches published values (Newcombe 1998, table II: 56/70 vs 48/80)', () => {
    const d = newcombe(56, 70, 48, 80);
    expect(d.value).toBeCloseTo(0.2, 6);
    expect(d.low).toBeCloseTo(0.0524, 3);
    expect(d.high).toBeCloseTo(0.3339, 3);
    const w = wilson(15, 148);
    expect(w.low).toBeCloseTo(0.0624, 3);
    expect(w.high).toBeCloseTo(0.1605, 3);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
  });

  it('gives no interval without both groups', () => {
    const l = lift({ visitors: 10, converted: 3 }, { visitors: 0, converted: 0 });
    expect(l.absolute).toBeNull();
    expect(l.pValue).toBeNull();
    expect(l.treated.rate).toBeCloseTo(0.3);
  });

  it('covers the true lift of a simulated effect in about 95 % of seeded splits', () => {
    // Visitors split by the runtime's own stable hash (20 % held out); the flow raises conversion
    // from 10 % to 15 %: the interval must contain +5 points in ~95 % of the seeded worlds.
    let covered = 0;
    const worlds = 200;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let state = seed >>> 0 || 1;
        const random = () => {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          return (state >>> 0) / 0x1_0000_0000;
        };
        const treated = { visitors: 0, converted: 0 };
        const held = { visitors: 0, converted: 0 };
        for (let i = 0; i < 3000; i += 1) {
          const out = isHeldOut(`v-${seed}-${i}`, 'flow-x', 20);
          const g = out ? held : treated;
          g.visitors += 1;
          if (random() < (out ? 0.1 : 0.15)) g.converted += 1;
        }
        const l = lift(treated, held);
        if (l.absolute && l.absolute.low <= 0.05 && 0.05 <= l.absolute.high) covered += 1;
      }),
      { numRuns: worlds, seed: 24 },
    );
    expect(covered / worlds).toBeGreaterThan(0.9);
    expect(covered / worlds).toBeLessThanOrEqual(0.99);
  });
});
