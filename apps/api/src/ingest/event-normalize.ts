import { hash } from 'node:crypto';
import { INBOUND_HOOK_SOURCE } from '@nudgeflow/flow-schema';

/**
 * Pure validation and normalisation of Segment-spec events (no Nest, no I/O), shared by the HTTP
 * API and the bulk import so both accept exactly the same input.
 */
export const INGEST_LIMITS = {
  eventBytes: 32 * 1024,
  requestBytes: 500 * 1024,
  batchEvents: 2500,
  idChars: 255,
  nameChars: 255,
  /** Levels of objects and arrays in one event (the event itself is level 0). */
  jsonDepth: 100,
} as const;

export const EVENT_TYPES = ['track', 'page', 'identify', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Stored names of the non-track types (a track's name is its `event`). */
export const TYPE_NAMES: Record<Exclude<EventType, 'track'>, string> = {
  page: '$page',
  identify: '$identify',
  alias: '$alias',
};
export const TRAIT_CHANGED = '$trait_changed';

export type Json = Record<string, unknown>;

export interface NormalizedEvent {
  type: EventType;
  name: string;
  messageId: string;
  anonymousId: string | null;
  userId: string | null;
  /** alias only: the id that becomes `userId`. */
  previousId: string | null;
  properties: Json;
  traits: Json;
  context: Json;
  /** Event time after skew correction. */
  ts: Date;
}

export type RejectCode =
  | 'EVENT_NOT_OBJECT'
  | 'EVENT_TOO_LARGE'
  | 'INVALID_TYPE'
  | 'MISSING_IDENTITY'
  | 'INVALID_ID'
  | 'MISSING_EVENT_NAME'
  | 'RESERVED_EVENT_NAME'
  | 'INVALID_FIELD'
  | 'INVALID_TIMESTAMP'
  | 'MISSING_PREVIOUS_ID'
  | 'INVALID_STRING'
  | 'NESTING_TOO_DEEP'
  // Identity verification (identity-verification.ts), after normalisation.
  | 'USER_HASH_INVALID'
  | 'ALIAS_UNVERIFIED';

export interface Rejection {
  index: number;
  code: RejectCode;
  reason: string;
}

export type NormalizeResult =
  { ok: true; event: NormalizedEvent } | { ok: false; code: RejectCode; reason: string };

export interface NormalizeOptions {
  receivedAt: Date;
  /** The request's `sentAt` (batch level); an event's own `sentAt` wins. */
  sentAt?: unknown;
  /** Route-implied type (`/v1/track`); batch events must carry their own. */
  type?: EventType;
  newMessageId: () => string;
  /** Set by the inbound hook route only: marks the event as that hook's (`context.source/hookId`). */
  inboundHookId?: string;
}

const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_FUTURE_MS = 24 * 3_600_000;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTime(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/**
 * Segment's clock-skew correction: the client's clock is off by (sentAt - receivedAt), so
 * `timestamp = receivedAt - (sentAt - timestamp)`. Without sentAt the timestamp is trusted; a
 * result more than a day ahead of receipt is replaced by receipt time.
 */
export function correctSkew(
  receivedAt: number,
  timestamp: number | undefined,
  sentAt: number | undefined,
): number {
  if (timestamp === undefined) return receivedAt;
  const ts = sentAt === undefined ? timestamp : receivedAt - (sentAt - timestamp);
  return ts > receivedAt + MAX_FUTURE_MS ? receivedAt : ts;
}

function idField(raw: Json, key: string): string | null | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.length > INGEST_LIMITS.idChars) return undefined;
  return v;
}

function objectField(raw: Json, key: string): Json | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return {};
  return isObject(v) ? v : undefined;
}

/** UTF-8 size of the event as JSON (what the 32 KB limit counts). */
export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

/** Any NUL, or a UTF-16 surrogate: the rare strings that need the exact check below. */
const SUSPECT = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL could not store this string (text and jsonb refuse both), or null. */
function badString(s: string): string | null {
  if (!SUSPECT.test(s)) return null;
  if (s.includes('\0')) return 'contains a NUL character';
  return LONE_SURROGATE.test(s) ? 'contains a lone UTF-16 surrogate' : null;
}

interface Frame {
  value: unknown;
  depth: number;
  key: string | number | null;
  parent: Frame | null;
}

function pathOf(f: Frame): string {
  let path = '';
  let childIsIndex = false;
  for (let at: Frame | null = f; at && at.key !== null; at = at.parent) {
    // Array indexes join as `[n]`; a key is always `.key`, even one that starts with `[`.
    if (typeof at.key === 'number') path = `[${at.key}]${path}`;
    else {
      const key = at.key.replace(/[\0\uD800-\uDFFF]/g, '\uFFFD').slice(0, 64);
      path = path === '' || childIsIndex ? `${key}${path}` : `${key}.${path}`;
    }
    childIsIndex = typeof at.key === 'number';
  }
  return path || 'event';
}

/**
 * The first value of an event that no store can take: a string (value or key) with a NUL or a lone
 * surrogate, or objects nested deeper than `INGEST_LIMITS.jsonDepth`. Iterative, so a body nested
 * 100,000 levels deep (JSON.parse takes it) is answered, not a stack overflow; checked before
 * anything walks the event recursively (JSON.stringify, PostgreSQL's jsonb input).
 */
export function unstorableValue(event: Json): { code: RejectCode; reason: string } | null {
  const scan = scanEvent(event);
  return 'code' in scan ? scan : null;
}

/**
 * One walk over the event, in document order: the first unstorable value (see `unstorableValue`), else
 * an upper bound of its JSON size in UTF-8 bytes (a string counts 6 bytes a UTF-16 unit, as if every
 * one were escaped; a number 24), so the exact size (a JSON.stringify) is only needed for the rare
 * event near the limit. A frame per object or array only (with its place among the children): a leaf
 * is checked where it is found.
 */
export function scanEvent(event: Json): { code: RejectCode; reason: string } | { maxBytes: number } {
  let maxBytes = 0;
  const stack: ScanFrame[] = [];
  /** Enters an object or array: its depth, then its keys (all before any child, the last bad one). */
  const enter = (f: ScanFrame): { code: RejectCode; reason: string } | null => {
    if (f.depth >= INGEST_LIMITS.jsonDepth) {
      return {
        code: 'NESTING_TOO_DEEP',
        reason: `${pathOf(f)}: nested more than ${INGEST_LIMITS.jsonDepth} levels`,
      };
    }
    const v = f.value as Json;
    if (f.keys === null) {
      maxBytes += 2 + (v as unknown as unknown[]).length;
    } else {
      maxBytes += 2 + f.keys.length;
      for (let i = f.keys.length - 1; i >= 0; i--) {
        const key = f.keys[i];
        maxBytes += 6 * key.length + 3;
        const bad = badString(key);
        if (bad) {
          const child: Frame = { value: v[key], depth: f.depth + 1, key, parent: f };
          return { code: 'INVALID_STRING', reason: `${pathOf(child)}: the key ${bad}` };
        }
      }
    }
    stack.push(f);
    return null;
  };
  const frameOf = (
    value: object,
    depth: number,
    key: string | number | null,
    parent: Frame | null,
  ): ScanFrame => ({
    value,
    depth,
    key,
    parent,
    keys: Array.isArray(value) ? null : Object.keys(value),
    next: 0,
  });
  const root = enter(frameOf(event, 0, null, null));
  if (root) return root;
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    const size = f.keys === null ? (f.value as unknown[]).length : f.keys.length;
    if (f.next >= size) {
      stack.pop();
      continue;
    }
    const i = f.next++;
    const key = f.keys === null ? i : f.keys[i];
    const c: unknown = f.keys === null ? (f.value as unknown[])[i] : (f.value as Json)[key as string];
    if (typeof c === 'object' && c !== null) {
      const bad = enter(frameOf(c, f.depth + 1, key, f));
      if (bad) return bad;
    } else if (typeof c === 'string') {
      maxBytes += 6 * c.length + 2;
      const bad = badString(c);
      if (bad)
        return {
          code: 'INVALID_STRING',
          reason: `${pathOf({ value: c, depth: f.depth + 1, key, parent: f })}: ${bad}`,
        };
    } else maxBytes += 24;
  }
  return { maxBytes };
}

/** An object or array being walked: its keys (null for an array) and the next child to visit. */
interface ScanFrame extends Frame {
  keys: string[] | null;
  next: number;
}

export function normalizeEvent(raw: unknown, opts: NormalizeOptions): NormalizeResult {
  const fail = (code: RejectCode, reason: string): NormalizeResult => ({ ok: false, code, reason });
  if (!isObject(raw)) return fail('EVENT_NOT_OBJECT', 'event: must be a JSON object');
  const scan = scanEvent(raw);
  if ('code' in scan) return fail(scan.code, scan.reason);
  if (scan.maxBytes > INGEST_LIMITS.eventBytes && jsonBytes(raw) > INGEST_LIMITS.eventBytes) {
    return fail('EVENT_TOO_LARGE', `event: larger than ${INGEST_LIMITS.eventBytes} bytes`);
  }
  const type = (raw.type ?? opts.type) as EventType;
  if (!EVENT_TYPES.includes(type) || (opts.type && raw.type !== undefined && raw.type !== opts.type)) {
    return fail('INVALID_TYPE', `type: must be one of ${(opts.type ? [opts.type] : EVENT_TYPES).join(', ')}`);
  }
  const userId = idField(raw, 'userId');
  const anonymousId = idField(raw, 'anonymousId');
  if (userId === undefined) return fail('INVALID_ID', `userId: must be a string of at most 255 characters`);
  if (anonymousId === undefined) {
    return fail('INVALID_ID', `anonymousId: must be a string of at most 255 characters`);
  }
  if (!userId && !anonymousId) return fail('MISSING_IDENTITY', 'userId or anonymousId is required');
  const messageId = idField(raw, 'messageId');
  if (messageId === undefined)
    return fail('INVALID_ID', 'messageId: must be a string of at most 255 characters');

  const properties = objectField(raw, 'properties');
  let context = objectField(raw, 'context');
  let traits = objectField(raw, 'traits');
  if (!properties) return fail('INVALID_FIELD', 'properties: must be an object');
  if (!context) return fail('INVALID_FIELD', 'context: must be an object');
  // The inbound hook marker is the server's to set: a client-sent one is dropped, never trusted.
  if (context.source === INBOUND_HOOK_SOURCE) {
    const { source: _source, hookId: _hookId, ...rest } = context;
    context = rest;
  }
  if (opts.inboundHookId) context = { ...context, source: INBOUND_HOOK_SOURCE, hookId: opts.inboundHookId };
  if (!traits) return fail('INVALID_FIELD', 'traits: must be an object');
  if (type === 'identify' && Object.keys(traits).length === 0 && isObject(context.traits))
    traits = context.traits;

  let name: string;
  let previousId: string | null = null;
  if (type === 'track') {
    const event = raw.event;
    if (typeof event !== 'string' || event.trim() === '')
      return fail('MISSING_EVENT_NAME', 'event: is required');
    if (event.length > INGEST_LIMITS.nameChars) return fail('INVALID_FIELD', 'event: at most 255 characters');
    if (event.startsWith('$'))
      return fail('RESERVED_EVENT_NAME', 'event: names starting with $ are reserved');
    name = event;
  } else {
    name = TYPE_NAMES[type];
    if (type === 'alias') {
      const prev = idField(raw, 'previousId');
      if (!prev) return fail('MISSING_PREVIOUS_ID', 'previousId: is required');
      if (!userId) return fail('MISSING_IDENTITY', 'userId: is required for alias');
      previousId = prev;
    }
  }

  const timestamp = parseTime(raw.timestamp ?? raw.originalTimestamp);
  const sentAt = parseTime(raw.sentAt ?? opts.sentAt);
  if (timestamp === null) return fail('INVALID_TIMESTAMP', 'timestamp: must be an ISO-8601 date');
  const ts = correctSkew(opts.receivedAt.getTime(), timestamp, sentAt ?? undefined);
  if (ts < MIN_TS) return fail('INVALID_TIMESTAMP', 'timestamp: before 2000-01-01');

  let props = properties;
  if (type === 'page') props = pageProperties(properties, context, raw.name);

  return {
    ok: true,
    event: {
      type,
      name,
      messageId: messageId ?? opts.newMessageId(),
      anonymousId,
      userId,
      previousId,
      properties: props,
      traits,
      context,
      ts: new Date(ts),
    },
  };
}

const PAGE_KEYS = ['url', 'path', 'referrer', 'title', 'search'] as const;

/** Page properties always carry url, path, referrer, title and search (from context.page if absent). */
export function pageProperties(properties: Json, context: Json, name: unknown): Json {
  const page = isObject(context.page) ? context.page : {};
  const out: Json = { ...properties };
  for (const k of PAGE_KEYS) {
    if (out[k] === undefined || out[k] === null) out[k] = typeof page[k] === 'string' ? page[k] : null;
  }
  if (typeof out.url === 'string' && (out.path === null || out.search === null)) {
    try {
      const u = new URL(out.url);
      if (out.path === null) out.path = u.pathname;
      if (out.search === null) out.search = u.search;
    } catch {
      // not an absolute URL; leave path/search empty
    }
  }
  if (typeof name === 'string' && out.name === undefined) out.name = name;
  return out;
}

export interface BatchResult {
  events: { index: number; event: NormalizedEvent }[];
  rejected: Rejection[];
}

export function normalizeBatch(batch: unknown[], opts: Omit<NormalizeOptions, 'type'>): BatchResult {
  const events: BatchResult['events'] = [];
  const rejected: Rejection[] = [];
  batch.forEach((raw, index) => {
    const r = normalizeEvent(raw, opts);
    if (r.ok) events.push({ index, event: r.event });
    else rejected.push({ index, code: r.code, reason: r.reason });
  });
  return { events, rejected };
}

/** 64-bit hash of a messageId (as a decimal string for a pg bigint); the dedupe window stores only this. */
export function messageHash(messageId: string): string {
  // The first 8 bytes of SHA-256, signed big-endian. One-shot `hash` (no Hash object): 1.5 µs, not 4.
  return BigInt.asIntN(64, BigInt(`0x${hash('sha256', messageId).slice(0, 16)}`)).toString();
}
