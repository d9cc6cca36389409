/** Delay before each attempt of a message: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  20 * 3_600_000,
  24 * 3_600_000,
];

export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;
const JITTER = 0.1;

/**
 * Delay before attempt `nextIndex` (0-based position in the schedule), or undefined when the schedule
 * is exhausted. `scale` compresses the schedule (tests); jitter spreads a burst of retries by ±10 %.
 * A receiver's Retry-After (429/503) is honoured: never retry sooner than it asked.
 */
export function retryDelayMs(
  nextIndex: number,
  opts: { scale?: number; retryAfterMs?: number; random?: () => number } = {},
): number | undefined {
  const base = RETRY_SCHEDULE_MS[nextIndex];
  if (base === undefined) return undefined;
  const random = opts.random ?? Math.random;
  const scaled = base * (opts.scale ?? 1);
  const jittered = Math.round(scaled * (1 + JITTER * (2 * random() - 1)));
  const floor = Math.min(opts.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(0, jittered, floor);
}

/** Parses Retry-After (delta seconds or HTTP date) into milliseconds from `now`; undefined if absent or bad. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** 429 and 503 carry a meaningful Retry-After; elsewhere it is ignored. */
export const honoursRetryAfter = (status: number | undefined): boolean => status === 429 || status === 503;
