import { WEEKDAYS, Weekday, isValidTimeZone, timeOfDayToMinutes } from '@nudgeflow/flow-schema';

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function safeTimeZone(timeZone: string | undefined): string {
  return timeZone && isValidTimeZone(timeZone) ? timeZone : 'UTC';
}

export interface ZonedDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
}

export function zonedDateTime(instant: number, timeZone: string): ZonedDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  return {
    year,
    month,
    day,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    weekday: WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()] as Weekday,
  };
}

/** The local wall-clock time of an instant, expressed as if it were UTC (ms). */
function wallClock(instant: number, timeZone: string): number {
  const local = zonedDateTime(instant, timeZone);
  const wholeSeconds = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
  );
  return wholeSeconds + (((instant % 1000) + 1000) % 1000);
}

export function timeZoneOffset(instant: number, timeZone: string): number {
  return wallClock(instant, timeZone) - instant;
}

/**
 * The earliest instant whose local wall-clock time is at or after `wall` (a local date-time written
 * as if UTC). A time skipped by a DST gap maps to the moment the clocks jump; a time repeated by a
 * DST fall-back maps to its first occurrence.
 */
export function wallTimeToInstant(wall: number, timeZone: string): number {
  const offsets = new Set([
    timeZoneOffset(wall - DAY, timeZone),
    timeZoneOffset(wall, timeZone),
    timeZoneOffset(wall + DAY, timeZone),
  ]);
  const candidates = [...offsets].map((offset) => wall - offset);
  const exact = candidates.filter((instant) => wallClock(instant, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  let low = Math.min(...candidates);
  let high = Math.max(...candidates);
  if (wallClock(high, timeZone) < wall) return high;
  // Binary search in whole seconds for the first instant past the gap.
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (wallClock(middle, timeZone) >= wall) high = middle;
    else low = middle;
  }
  return high;
}

export interface DailyWindow {
  days: readonly Weekday[];
  /** HH:MM local time. */
  from: string;
  /** HH:MM local time; at or before `from` means the window ends the next day. */
  to: string;
}

/**
 * The first window occurrence that has not ended yet at `now`, as instants [start, end).
 * Occurrences are keyed by the local day they start on; the search covers the next eight days.
 */
export function currentOrNextWindow(
  now: number,
  window: DailyWindow,
  timeZone: string,
): { start: number; end: number } | null {
  const days = new Set(window.days);
  const fromMinutes = timeOfDayToMinutes(window.from);
  const toMinutes = timeOfDayToMinutes(window.to);
  const local = zonedDateTime(now, timeZone);
  for (let offset = -1; offset <= 8; offset += 1) {
    const dayStart = Date.UTC(local.year, local.month - 1, local.day + offset);
    const weekday = WEEKDAYS[new Date(dayStart).getUTCDay()] as Weekday;
    if (!days.has(weekday)) continue;
    const endDay = toMinutes > fromMinutes ? dayStart : dayStart + DAY;
    const start = wallTimeToInstant(dayStart + fromMinutes * MINUTE, timeZone);
    const end = wallTimeToInstant(endDay + toMinutes * MINUTE, timeZone);
    if (end > start && end > now) return { start, end };
  }
  return null;
}

/** The next instant at or after `now` inside the window (`now` itself when already inside). */
export function nextWindowInstant(now: number, window: DailyWindow, timeZone: string): number {
  const occurrence = currentOrNextWindow(now, window, timeZone);
  return occurrence ? Math.max(now, occurrence.start) : now;
}

/** When `now` falls inside quiet hours, the instant they end; otherwise `now`. */
export function quietHoursEnd(now: number, quiet: { from: string; to: string }, timeZone: string): number {
  const occurrence = currentOrNextWindow(now, { days: WEEKDAYS, from: quiet.from, to: quiet.to }, timeZone);
  return occurrence && occurrence.start <= now ? occurrence.end : now;
}
