import fc from 'fast-check';
import {
  bucketStarts,
  decompose,
  localDayStart,
  localLabel,
  nextLocalDayStart,
  parseInstant,
  snapRange,
} from './report-range';

const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
];
const MIN = 60_000;
const instant = fc
  .integer({ min: Date.UTC(2024, 0, 1) / MIN, max: Date.UTC(2027, 0, 1) / MIN })
  .map((m) => m * MIN);

describe('report ranges', () => {
  it('local days: Paris across the DST change', () => {
    const tz = 'Europe/Paris';
    const d = parseInstant('2026-03-29', tz)!;
    expect(new Date(d).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(nextLocalDayStart(d, tz) - d).toBe(23 * 3_600_000);
    expect(localLabel(d, 'day', tz)).toBe('2026-03-29');
  });

  it('decompose tiles the range exactly with aligned pieces', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 0, max: 80 * 24 * 60 }),
        fc.constantFrom(...ZONES),
        (from, mins, tz) => {
          const to = from + mins * MIN;
          const pieces = decompose(from, to, tz);
          let cursor = from;
          for (const p of pieces) {
            expect(p.from).toBe(cursor);
            expect(p.to).toBeGreaterThan(p.from);
            if (p.grain === 'hour') expect(p.from % 3_600_000).toBe(0);
            if (p.grain === 'hour') expect(p.to % 3_600_000).toBe(0);
            if (p.grain === 'day') expect(localDayStart(p.from, tz)).toBe(p.from);
            if (p.grain === 'day') expect(localDayStart(p.to, tz)).toBe(p.to);
            cursor = p.to;
          }
          expect(cursor).toBe(to);
          expect(pieces.length).toBeLessThanOrEqual(7);
        },
      ),
    );
  });

  it('snapRange widens to whole buckets and bucketStarts enumerates them', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 1, max: 10 * 24 * 60 }),
        fc.constantFrom(...ZONES),
        fc.constantFrom('minute' as const, 'hour' as const, 'day' as const),
        (from, mins, tz, grain) => {
          const to = from + mins * MIN - 1;
          const r = snapRange(from, to, grain, tz);
          expect(r.from).toBeLessThanOrEqual(from);
          expect(r.to).toBeGreaterThanOrEqual(to);
          const starts = bucketStarts(r.from, r.to, grain, tz);
          expect(starts[0]).toBe(r.from);
          for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1]);
          if (grain === 'day') for (const s of starts) expect(localDayStart(s, tz)).toBe(s);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('parseInstant refuses what is not a date', () => {
  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '2025-02-29', 'yesterday', ''])('%s', (value) => {
    expect(parseInstant(value, 'Europe/Paris')).toBeNull();
  });

  it('accepts a leap day and an ISO instant', () => {
    expect(parseInstant('2024-02-29', 'UTC')).toBe(Date.UTC(2024, 1, 29));
    expect(parseInstant('2026-03-01T10:00:00Z', 'UTC')).toBe(Date.UTC(2026, 2, 1, 10));
  });
});
