import fc from 'fast-check';
import {
  applyEvent,
  CTA_LOG_DAYS,
  CTA_LOG_MAX,
  type CtaLogEntry,
  mergeVisitor,
  newVisitor,
  trimCtaLog,
} from './visitor-profile';
import { facts } from './visitor-profile.fixture';

const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');

describe("a visitor's CTA log", () => {
  it('records CTA interactions oldest first and ignores other events', () => {
    const v = newVisitor('s', 'v', new Date(T0));
    applyEvent(v, facts(T0 + 2000, { name: 'cta_clicked', ctaId: 'c1', variantId: 'b' }));
    applyEvent(v, facts(T0 + 3000, null));
    applyEvent(v, facts(T0 + 1000, { name: 'cta_viewed', ctaId: 'c1', variantId: 'b' })); // late
    expect(v.ctaLog).toEqual([
      ['cta_viewed', 'c1', 'b', T0 + 1000],
      ['cta_clicked', 'c1', 'b', T0 + 2000],
    ]);
  });

  it('keeps the newest entries, none older than the window before the newest', () => {
    const old: CtaLogEntry = ['cta_closed', 'c1', null, T0];
    const log = trimCtaLog([
      old,
      ...Array.from({ length: CTA_LOG_MAX + 10 }, (_, i): CtaLogEntry => [
        'cta_viewed',
        'c2',
        null,
        T0 + (CTA_LOG_DAYS + 1) * DAY + i,
      ]),
    ]);
    expect(log).toHaveLength(CTA_LOG_MAX);
    expect(log[0][3]).toBe(T0 + (CTA_LOG_DAYS + 1) * DAY + 10);
    expect(log).not.toContainEqual(old);
  });

  it('a merge folds the logs of both visitors in time order', () => {
    const into = newVisitor('s', 'a', new Date(T0));
    const from = newVisitor('s', 'b', new Date(T0));
    applyEvent(into, facts(T0 + 5, { name: 'cta_viewed', ctaId: 'x', variantId: null }));
    applyEvent(from, facts(T0 + 1, { name: 'cta_converted', ctaId: 'x', variantId: null }));
    mergeVisitor(into, from);
    expect(into.ctaLog.map((e) => e[3])).toEqual([T0 + 1, T0 + 5]);
  });

  it('one event at a time gives the same log as trimming all of them at once (any order, any gaps)', () => {
    const event = fc.record({
      at: fc.integer({ min: 0, max: 200 * DAY }),
      name: fc.constantFrom('cta_viewed', 'cta_clicked', 'cta_closed', 'cta_converted'),
      ctaId: fc.constantFrom('a', 'b', 'c'),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 700 }), (events) => {
        const v = newVisitor('s', 'v', new Date(T0));
        const all: CtaLogEntry[] = [];
        for (const e of events) {
          applyEvent(v, facts(T0 + e.at, { name: e.name, ctaId: e.ctaId, variantId: null }));
          all.push([e.name, e.ctaId, null, T0 + e.at]);
        }
        const expected = trimCtaLog(all);
        expect(v.ctaLog.length).toBeLessThanOrEqual(CTA_LOG_MAX);
        // The same set of newest entries (ties may keep a different one of equal time).
        expect(v.ctaLog.map((e) => e[3])).toEqual(expected.map((e) => e[3]));
        const times = v.ctaLog.map((e) => e[3]);
        expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
        if (times.length) expect(times[0]).toBeGreaterThan(times[times.length - 1] - CTA_LOG_DAYS * DAY);
      }),
      { numRuns: 60 },
    );
  });
});
