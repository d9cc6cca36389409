import fc from 'fast-check';
import {
  compareToControl,
  logGamma,
  normalCdf,
  probabilityBBeatsA,
  probabilityBBeatsASum,
  twoProportionZTest,
} from './variant-stats';

const arm = fc
  .tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }))
  .map(([x, y]) => ({ trials: Math.max(x, y), successes: Math.min(x, y) }));

describe('variant statistics', () => {
  it('logGamma matches factorials', () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 6);
    expect(Math.exp(logGamma(11))).toBeCloseTo(3628800, 0);
  });

  it('normalCdf has the textbook values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(normalCdf(-1.96)).toBeCloseTo(0.025, 3);
  });

  it('P(B>A) + P(A>B) = 1 and identical arms are a coin flip', () => {
    fc.assert(
      fc.property(arm, arm, (a, b) => {
        const p = probabilityBBeatsA(a, b);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(p + probabilityBBeatsA(b, a)).toBeCloseTo(1, 4);
      }),
      { numRuns: 60 },
    );
    expect(probabilityBBeatsA({ trials: 500, successes: 50 }, { trials: 500, successes: 50 })).toBeCloseTo(
      0.5,
      3,
    );
  });

  it('the recurrence equals the closed-form sum term by term', () => {
    fc.assert(
      fc.property(arm, arm, (a, b) => {
        const sum = probabilityBBeatsASum(
          1 + a.successes,
          1 + a.trials - a.successes,
          1 + b.successes,
          1 + b.trials - b.successes,
        );
        expect(Math.abs(probabilityBBeatsA(a, b) - Math.min(1, Math.max(0, sum)))).toBeLessThan(1e-9);
      }),
      { numRuns: 100 },
    );
    const sum = probabilityBBeatsASum(3301, 12_701, 3351, 12_751);
    expect(
      probabilityBBeatsA({ trials: 16_000, successes: 3300 }, { trials: 16_100, successes: 3350 }),
    ).toBeCloseTo(sum, 9);
  });

  it('agrees with the normal approximation on large arms', () => {
    const a = { trials: 20_000, successes: 2_000 };
    const b = { trials: 20_000, successes: 2_100 };
    const exact = probabilityBBeatsA(a, b);
    const big = probabilityBBeatsA(
      { trials: 200_000, successes: 20_000 },
      { trials: 200_000, successes: 21_000 },
    );
    expect(exact).toBeGreaterThan(0.94);
    expect(exact).toBeLessThan(0.96);
    expect(big).toBeGreaterThan(0.9999);
  });

  it('z-test: a known example', () => {
    const { z, pValue } = twoProportionZTest(
      { trials: 1000, successes: 100 },
      { trials: 1000, successes: 130 },
    );
    expect(z).toBeCloseTo(2.103, 3);
    expect(pValue).toBeCloseTo(0.0355, 3);
  });

  it('says "not enough data yet" below the thresholds', () => {
    const v = compareToControl({ trials: 50, successes: 5 }, { trials: 500, successes: 50 });
    expect(v.status).toBe('not_enough_data');
    const ok = compareToControl({ trials: 1000, successes: 100 }, { trials: 1000, successes: 130 });
    expect(ok.status).toBe('ok');
  });
});
