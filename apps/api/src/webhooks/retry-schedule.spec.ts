import { MAX_RETRY_AFTER_MS, parseRetryAfter, RETRY_SCHEDULE_MS, retryDelayMs } from './retry-schedule';

describe('retry schedule', () => {
  it('is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    const h = 3_600_000;
    expect(RETRY_SCHEDULE_MS).toEqual([
      0,
      5_000,
      300_000,
      1_800_000,
      2 * h,
      5 * h,
      10 * h,
      14 * h,
      20 * h,
      24 * h,
    ]);
  });

  it('jitters within ±10 % and stops after the last entry', () => {
    expect(retryDelayMs(1, { random: () => 0 })).toBe(4_500);
    expect(retryDelayMs(1, { random: () => 0.5 })).toBe(5_000);
    expect(retryDelayMs(1, { random: () => 1 })).toBe(5_500);
    expect(retryDelayMs(0, { random: () => 1 })).toBe(0);
    expect(retryDelayMs(RETRY_SCHEDULE_MS.length)).toBeUndefined();
  });

  it('compresses by scale', () => {
    expect(retryDelayMs(2, { scale: 0.001, random: () => 0.5 })).toBe(300);
  });

  it('never retries sooner than Retry-After, capped at a day', () => {
    expect(retryDelayMs(1, { scale: 0.001, retryAfterMs: 2_000, random: () => 0.5 })).toBe(2_000);
    expect(retryDelayMs(4, { retryAfterMs: 1_000, random: () => 0.5 })).toBe(7_200_000);
    expect(retryDelayMs(1, { retryAfterMs: 10 * MAX_RETRY_AFTER_MS, random: () => 0.5 })).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
