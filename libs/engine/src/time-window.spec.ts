import {
  nextWindowInstant,
  quietHoursEnd,
  timeZoneOffset,
  wallTimeToInstant,
  zonedDateTime,
} from './time-window';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

describe('time zone helpers', () => {
  it('reads local time and offsets', () => {
    expect(zonedDateTime(at('2025-01-15T12:00:00Z'), 'Europe/Paris')).toMatchObject({
      hour: 13,
      weekday: 'wed',
    });
    expect(timeZoneOffset(at('2025-07-01T00:00:00Z'), 'Europe/Paris')).toBe(2 * 3600_000);
    expect(timeZoneOffset(at('2025-07-01T00:00:00Z'), 'Asia/Kolkata')).toBe(5.5 * 3600_000);
  });

  it('maps a wall time skipped by spring-forward to the jump, and a repeated one to its first occurrence', () => {
    // Europe/Paris 2025-03-30: 02:00 -> 03:00. America/New_York 2025-11-02: 02:00 -> 01:00.
    expect(iso(wallTimeToInstant(at('2025-03-30T02:30:00Z'), 'Europe/Paris'))).toBe(
      '2025-03-30T01:00:00.000Z',
    );
    expect(iso(wallTimeToInstant(at('2025-03-30T03:30:00Z'), 'Europe/Paris'))).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(iso(wallTimeToInstant(at('2025-11-02T01:30:00Z'), 'America/New_York'))).toBe(
      '2025-11-02T05:30:00.000Z',
    );
    expect(iso(wallTimeToInstant(at('2025-11-02T03:00:00Z'), 'America/New_York'))).toBe(
      '2025-11-02T08:00:00.000Z',
    );
  });
});

describe('nextWindowInstant', () => {
  const office = { days: weekdays, from: '09:00', to: '17:00' };

  it('returns now inside the window', () => {
    const now = at('2025-01-15T10:00:00Z'); // Wed 11:00 Paris
    expect(nextWindowInstant(now, office, 'Europe/Paris')).toBe(now);
  });

  it('moves to the next opening, skipping the weekend, in the site zone', () => {
    expect(iso(nextWindowInstant(at('2025-01-15T17:00:00Z'), office, 'Europe/Paris'))).toBe(
      '2025-01-16T08:00:00.000Z',
    );
    // Friday 18:00 Paris -> Monday 09:00 Paris.
    expect(iso(nextWindowInstant(at('2025-01-17T17:00:00Z'), office, 'Europe/Paris'))).toBe(
      '2025-01-20T08:00:00.000Z',
    );
    expect(iso(nextWindowInstant(at('2025-01-17T17:00:00Z'), office, 'America/Los_Angeles'))).toBe(
      '2025-01-17T17:00:00.000Z',
    );
  });

  it('handles DST changes between now and the opening', () => {
    // Saturday before spring-forward (Paris, UTC+1) -> Monday 09:00 CEST (UTC+2).
    expect(iso(nextWindowInstant(at('2025-03-29T12:00:00Z'), office, 'Europe/Paris'))).toBe(
      '2025-03-31T07:00:00.000Z',
    );
    // New York falls back on Sunday 2025-11-02: Monday 09:00 EST is 14:00Z.
    expect(iso(nextWindowInstant(at('2025-11-01T12:00:00Z'), office, 'America/New_York'))).toBe(
      '2025-11-03T14:00:00.000Z',
    );
    // A window opening inside the spring-forward gap opens when the clocks jump.
    const gap = { days: ['sun'] as const, from: '02:30', to: '04:00' };
    expect(iso(nextWindowInstant(at('2025-03-29T12:00:00Z'), gap, 'Europe/Paris'))).toBe(
      '2025-03-30T01:00:00.000Z',
    );
    // A window during the repeated hour opens at its first occurrence.
    const repeated = { days: ['sun'] as const, from: '01:15', to: '01:45' };
    expect(iso(nextWindowInstant(at('2025-11-01T12:00:00Z'), repeated, 'America/New_York'))).toBe(
      '2025-11-02T05:15:00.000Z',
    );
  });

  it('supports windows across midnight and until 24:00', () => {
    const night = { days: ['fri'] as const, from: '22:00', to: '02:00' };
    // Saturday 01:00 UTC is still inside Friday night's window.
    const saturdayEarly = at('2025-01-18T01:00:00Z');
    expect(nextWindowInstant(saturdayEarly, night, 'UTC')).toBe(saturdayEarly);
    expect(iso(nextWindowInstant(at('2025-01-18T03:00:00Z'), night, 'UTC'))).toBe('2025-01-24T22:00:00.000Z');
    const evening = { days: ['sat'] as const, from: '20:00', to: '24:00' };
    expect(iso(nextWindowInstant(at('2025-01-18T23:59:00Z'), evening, 'UTC'))).toBe(
      '2025-01-18T23:59:00.000Z',
    );
    expect(iso(nextWindowInstant(at('2025-01-19T00:00:00Z'), evening, 'UTC'))).toBe(
      '2025-01-25T20:00:00.000Z',
    );
  });
});

describe('quietHoursEnd', () => {
  const quiet = { from: '21:00', to: '08:00' };
  it('returns the end of the current quiet period, or now outside it', () => {
    expect(iso(quietHoursEnd(at('2025-01-15T22:30:00Z'), quiet, 'UTC'))).toBe('2025-01-16T08:00:00.000Z');
    expect(iso(quietHoursEnd(at('2025-01-16T03:00:00Z'), quiet, 'UTC'))).toBe('2025-01-16T08:00:00.000Z');
    const day = at('2025-01-16T12:00:00Z');
    expect(quietHoursEnd(day, quiet, 'UTC')).toBe(day);
    // 08:00 Paris on the morning after spring-forward is 06:00Z.
    expect(iso(quietHoursEnd(at('2025-03-29T23:00:00Z'), quiet, 'Europe/Paris'))).toBe(
      '2025-03-30T06:00:00.000Z',
    );
  });
});
