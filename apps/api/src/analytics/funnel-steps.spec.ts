import fc from 'fast-check';
import { attempts, stepMaskSql, stepMatches } from './funnel-steps';

const M = 60_000;

describe('funnel attempts', () => {
  it('advances in order within the window, one step per event, and re-enters after the window', () => {
    const ev = (min: number, mask: number) => ({ ts: min * M, mask });
    // step masks: 1 = A, 2 = B, 4 = C; an event matching A and B (3) advances one step only
    expect(attempts([ev(0, 1), ev(1, 2), ev(2, 4)], 3, 10 * M)).toEqual([
      { startedAt: 0, step: 3, stepAt: [0, M, 2 * M] },
    ]);
    expect(attempts([ev(0, 2), ev(1, 1), ev(2, 4)], 3, 10 * M).map((a) => a.step)).toEqual([1]);
    expect(attempts([ev(0, 3), ev(0, 3)], 3, 10 * M).map((a) => a.step)).toEqual([2]);
    expect(attempts([ev(0, 1), ev(5, 2), ev(10, 4)], 3, 10 * M).map((a) => a.step)).toEqual([2]);
    expect(attempts([ev(0, 1), ev(3, 1), ev(10, 1), ev(11, 2)], 2, 10 * M)).toEqual([
      { startedAt: 0, step: 1, stepAt: [0] },
      { startedAt: 10 * M, step: 2, stepAt: [10 * M, 11 * M] },
    ]);
  });

  it('attempts never overlap and steps are reached in time order within the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ts: fc.integer({ min: 0, max: 100 }), mask: fc.integer({ min: 0, max: 7 }) })),
        fc.integer({ min: 1, max: 30 }),
        (raw, w) => {
          const events = [...raw].sort((a, b) => a.ts - b.ts);
          const out = attempts(events, 3, w);
          for (let i = 1; i < out.length; i++)
            expect(out[i].startedAt).toBeGreaterThanOrEqual(out[i - 1].startedAt + w);
          for (const a of out) {
            expect(a.stepAt).toHaveLength(a.step);
            for (const t of a.stepAt) expect(t).toBeLessThan(a.startedAt + w);
          }
        },
      ),
    );
  });
});

describe('step predicates', () => {
  it('binds every value as a parameter and numbers them after the caller’s', () => {
    const params: unknown[] = ['site'];
    const sql = stepMaskSql(
      [
        {
          event: "x'; DROP TABLE events; --",
          filters: [{ property: 'path', op: 'starts_with', value: '/p' }],
        },
        { event: 'b', filters: [{ property: 'plan', op: 'exists' }] },
      ],
      params,
      2,
    );
    expect(sql).not.toContain('DROP');
    expect(params).toEqual(['site', "x'; DROP TABLE events; --", 'path', 2, '/p', 'b', 'plan']);
    expect(sql).toContain('e.name = $2::text');
    expect(sql).toContain('left((e.properties->>$3::text), $4::int) = $5::text');
    expect(sql).toContain('THEN 2 ELSE 0 END');
  });

  it('matches names and property filters', () => {
    const step = {
      event: 'purchase',
      filters: [
        { property: 'plan', op: 'contains' as const, value: 'pro' },
        { property: 'coupon', op: 'not_equals' as const, value: 'FREE' },
      ],
    };
    expect(stepMatches(step, 'purchase', { plan: 'pro-annual' })).toBe(true);
    expect(stepMatches(step, 'purchase', { plan: 'pro', coupon: 'FREE' })).toBe(false);
    expect(stepMatches(step, 'signup', { plan: 'pro' })).toBe(false);
    expect(stepMatches(step, 'purchase', {})).toBe(false);
  });
});
