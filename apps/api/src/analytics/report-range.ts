/**
 * Report ranges in the site's timezone, pure and Nest-free. Rollups hold UTC minute and hour buckets
 * and day buckets that start at the site's local midnight; `decompose` tiles any minute-aligned range
 * with the coarsest buckets that fit, so totals and unique visitors read a few dozen rows.
 */
export type Grain = 'minute' | 'hour' | 'day';

export interface Piece {
  grain: Grain;
  from: number;
  to: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Minute rows (traffic, CTA, flows) are kept this long: the real-time report reads the last 30
 * minutes, and minute-grain reports may start up to MINUTE_REPORTS_MS back (their comparison period
 * as far again). Older minutes live on in their hour and day rows.
 */
export const MINUTE_ROWS_KEEP_MS = 6 * HOUR;
/** Minute-grain reports (and their default for short ranges) cover at most the last 3 hours. */
export const MINUTE_REPORTS_MS = 3 * HOUR;
/**
 * Hourly breakdowns are kept this long (a report's hour edges older than that widen to local days);
 * daily breakdowns are kept for good.
 */
export const HOUR_DIMS_KEEP_MS = 48 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Local wall-clock fields of an instant. */
export function localParts(
  t: number,
  tz: string,
): { y: number; mo: number; d: number; h: number; mi: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(t)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute };
}

/** Offset (ms) of local time from UTC at an instant. */
export function tzOffset(t: number, tz: string): number {
  const p = localParts(t, tz);
  const sec = Math.floor((((t % MINUTE) + MINUTE) % MINUTE) / 1000);
  const wall = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, sec);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** The instant of a local wall time (the earlier one if it repeats, the next valid one in a gap). */
export function fromLocal(y: number, mo: number, d: number, tz: string, h = 0, mi = 0): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let t = wall - tzOffset(wall, tz);
  t = wall - tzOffset(t, tz);
  const earlier = wall - tzOffset(t - HOUR, tz);
  if (earlier < t && localParts(earlier, tz).h === h) t = earlier;
  return t;
}

/**
 * Memo of day starts and labels per (timezone, instant): a report walks the same local midnights on
 * every request (each costs several Intl formatToParts calls), so repeated reports reuse them.
 */
const memo = new Map<string, number | string>();
function memoised<T extends number | string>(key: string, compute: () => T): T {
  const hit = memo.get(key);
  if (hit !== undefined) return hit as T;
  if (memo.size >= 50_000) memo.clear();
  const v = compute();
  memo.set(key, v);
  return v;
}

/** Start of the local day containing t. */
export function localDayStart(t: number, tz: string): number {
  return memoised(`d${tz}\n${t}`, () => {
    const p = localParts(t, tz);
    const start = fromLocal(p.y, p.mo, p.d, tz);
    return start > t ? localDayStart(t - HOUR, tz) : start;
  });
}

export function nextLocalDayStart(t: number, tz: string): number {
  return localDayStart(localDayStart(t, tz) + 26 * HOUR, tz);
}

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/** Widens [from, to) to whole buckets of the granularity (days in the site's timezone). */
export function snapRange(from: number, to: number, grain: Grain, tz: string): { from: number; to: number } {
  if (grain === 'minute') return { from: floorTo(from, MINUTE), to: ceilTo(to, MINUTE) };
  if (grain === 'hour') return { from: floorTo(from, HOUR), to: ceilTo(to, HOUR) };
  const f = localDayStart(from, tz);
  const endStart = localDayStart(to, tz);
  return { from: f, to: endStart === to ? to : nextLocalDayStart(to, tz) };
}

/** Bucket starts of [from, to) at a granularity (for zero-filled series). */
export function bucketStarts(from: number, to: number, grain: Grain, tz: string): number[] {
  const out: number[] = [];
  for (let t = from; t < to;) {
    out.push(t);
    t = grain === 'minute' ? t + MINUTE : grain === 'hour' ? t + HOUR : nextLocalDayStart(t, tz);
  }
  return out;
}

function cover(a: number, b: number, out: Piece[]): void {
  if (a >= b) return;
  const h1 = ceilTo(a, HOUR);
  const h2 = floorTo(b, HOUR);
  if (h1 < h2) {
    if (a < h1) out.push({ grain: 'minute', from: a, to: h1 });
    out.push({ grain: 'hour', from: h1, to: h2 });
    if (h2 < b) out.push({ grain: 'minute', from: h2, to: b });
  } else out.push({ grain: 'minute', from: a, to: b });
}

/** Tiles a minute-aligned [from, to) with local days, then UTC hours, then minutes. */
export function decompose(from: number, to: number, tz: string): Piece[] {
  const out: Piece[] = [];
  if (from >= to) return out;
  const d1 = localDayStart(from, tz) === from ? from : nextLocalDayStart(from, tz);
  const d2 = localDayStart(to, tz);
  if (d1 < d2) {
    cover(from, d1, out);
    out.push({ grain: 'day', from: d1, to: d2 });
    cover(d2, to, out);
  } else cover(from, to, out);
  return out;
}

/** The local calendar label of a bucket start: `YYYY-MM-DD` for days, local `YYYY-MM-DDTHH:mm` otherwise. */
export function localLabel(t: number, grain: Grain, tz: string): string {
  return memoised(`l${grain}${tz}\n${t}`, () => {
    const p = localParts(t, tz);
    const pad = (n: number) => String(n).padStart(2, '0');
    const day = `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
    return grain === 'day' ? day : `${day}T${pad(p.h)}:${pad(p.mi)}`;
  });
}

/** Parses `YYYY-MM-DD` (a local date in the site's timezone) or an ISO-8601 instant. */
export function parseInstant(value: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // A calendar date that does not exist (2026-02-30) is refused, not rolled over into March.
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
    return fromLocal(y, mo, d, tz);
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/**
 * The pieces breakdowns read: minute edges widen to hours (breakdowns have no minute rows), and when
 * an edge is older than the hourly breakdowns kept (HOUR_DIMS_KEEP_MS, less an hour for the prune's
 * cadence), every edge widens to the whole local days of its hours (each day once; edges never
 * share a day with the range's whole days).
 */
export function dimPieces(pieces: Piece[], tz: string, now: number): Piece[] {
  const hours = pieces.map((p): Piece =>
    p.grain === 'minute'
      ? { grain: 'hour', from: Math.floor(p.from / HOUR) * HOUR, to: Math.ceil(p.to / HOUR) * HOUR }
      : p,
  );
  const cutoff = now - HOUR_DIMS_KEEP_MS + HOUR;
  if (!hours.some((p) => p.grain === 'hour' && p.from < cutoff)) return hours;
  const days = new Map<number, Piece>();
  const whole = hours.filter((p) => p.grain === 'day');
  for (const p of hours) {
    if (p.grain === 'day') continue;
    // an hour belongs to the local day of its start (as in the rollups: half-hour zones too)
    for (let h = p.from; h < p.to; h += HOUR) {
      const d = localDayStart(h, tz);
      // (in a half-hour zone an edge's first or last hour can belong to one of the whole days)
      if (!days.has(d) && !whole.some((w) => d >= w.from && d < w.to))
        days.set(d, { grain: 'day', from: d, to: nextLocalDayStart(d, tz) });
    }
  }
  return [...whole, ...days.values()];
}
