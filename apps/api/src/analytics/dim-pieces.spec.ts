import fc from 'fast-check';
import { decompose, dimPieces, localDayStart, nextLocalDayStart, Piece } from './report-range';

const ZONES = ['UTC', 'Europe/Paris', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** No two pieces overlap (sorted by start, each starts at or after the previous one's end). */
function disjoint(pieces: Piece[]): boolean {
  const sorted = [...pieces].sort((x, y) => x.from - y.from);
  return sorted.every((p, i) => i === 0 || p.from >= sorted[i - 1].to);
}

describe('dimPieces (the pieces breakdowns read)', () => {
  const now = Date.UTC(2026, 11, 7, 9, 13);

  it('keeps recent hour edges and widens minute edges to hours', () => {
    const from = now - 5 * HOUR - 7 * MIN;
    const pieces = dimPieces(decompose(from, now, 'UTC'), 'UTC', now);
    expect(pieces.every((p) => p.grain === 'hour')).toBe(true);
    expect(Math.min(...pieces.map((p) => p.from))).toBe(Math.floor(from / HOUR) * HOUR);
  });

  it('widens edges older than the hourly breakdowns kept to their whole local days, each day once', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 3 * 24 * 60, max: 40 * 24 * 60 }),
        fc.integer({ min: 1, max: 20 * 24 * 60 }),
        (tz, agoMin, spanMin) => {
          const from = Math.floor((now - agoMin * MIN) / MIN) * MIN;
          const to = Math.min(now, from + spanMin * MIN);
          fc.pre(localDayStart(from, tz) !== from); // an hour edge older than 48 hours
          const pieces = dimPieces(decompose(from, to, tz), tz, now);
          // the range is covered, by whole local days only, and nothing is read twice
          expect(disjoint(pieces)).toBe(true);
          expect(pieces.every((p) => p.grain === 'day')).toBe(true);
          // the local days of the range's first and last hours (an hour belongs to the day of its start)
          const dayOfHour = (t: number) => localDayStart(Math.floor(t / HOUR) * HOUR, tz);
          expect(Math.min(...pieces.map((p) => p.from))).toBe(dayOfHour(from));
          const end = Math.max(...pieces.map((p) => p.to));
          expect(end).toBe(nextLocalDayStart(dayOfHour(to - 1), tz));
          expect(end - Math.min(...pieces.map((p) => p.from))).toBeLessThan(to - from + 2 * DAY + 2 * HOUR);
        },
      ),
      { numRuns: 200 },
    );
  });
});
