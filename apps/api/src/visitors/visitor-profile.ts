/**
 * Pure visitor-profile rules (no Nest, no I/O): how one event changes a profile, how two profiles
 * merge, and which traits an identify changed. The event store applies them under a per-site lock.
 */
export type Json = Record<string, unknown>;

export const SESSION_GAP_MS = 30 * 60_000;

export interface VisitorState {
  siteId: string;
  id: string;
  isNew: boolean;
  anonymousIds: string[];
  userId: string | null;
  traits: Json;
  firstSeenAt: Date;
  lastSeenAt: Date;
  sessionCount: number;
  visitCount: number;
  eventCount: number;
  lastPageUrl: string | null;
  utm: Json;
  referrer: string | null;
  device: Json;
  country: string | null;
  isBot: boolean;
  mergedInto: string | null;
}

/** What an event tells about its visitor (derived from the event and request headers). */
export interface EventFacts {
  ts: Date;
  isPage: boolean;
  pageUrl: string | null;
  referrer: string | null;
  utm: Json | null;
  device: Json | null;
  country: string | null;
  isBot: boolean;
}

export interface TraitChange {
  key: string;
  value: unknown;
  previous: unknown;
}

export function newVisitor(siteId: string, id: string, ts: Date): VisitorState {
  return {
    siteId,
    id,
    isNew: true,
    anonymousIds: [],
    userId: null,
    traits: {},
    firstSeenAt: ts,
    lastSeenAt: ts,
    sessionCount: 0,
    visitCount: 0,
    eventCount: 0,
    lastPageUrl: null,
    utm: {},
    referrer: null,
    device: {},
    country: null,
    isBot: false,
    mergedInto: null,
  };
}

/** Counts a new session when the visitor was inactive for 30 minutes (late events never do). */
export function applyEvent(v: VisitorState, f: EventFacts): void {
  const t = f.ts.getTime();
  if (v.eventCount === 0 || t - v.lastSeenAt.getTime() > SESSION_GAP_MS) v.sessionCount += 1;
  v.eventCount += 1;
  if (t < v.firstSeenAt.getTime()) v.firstSeenAt = f.ts;
  const latest = t >= v.lastSeenAt.getTime();
  if (latest) v.lastSeenAt = f.ts;
  if (f.isPage) {
    v.visitCount += 1;
    if (latest && f.pageUrl) v.lastPageUrl = f.pageUrl;
  }
  if (!v.referrer && f.referrer && isExternalReferrer(f.referrer, f.pageUrl)) v.referrer = f.referrer;
  if (f.utm && Object.keys(f.utm).length > 0 && latest) v.utm = f.utm;
  if (f.device && latest) v.device = f.device;
  if (f.country && latest) v.country = f.country;
  if (f.isBot) v.isBot = true;
}

function isExternalReferrer(referrer: string, pageUrl: string | null): boolean {
  try {
    const r = new URL(referrer);
    return !pageUrl || new URL(pageUrl).host !== r.host;
  } catch {
    return false;
  }
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Json);
  const kb = Object.keys(b as Json);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b as Json, k) && sameJson((a as Json)[k], (b as Json)[k]));
}

/** Merges identify traits (new values win) and returns one change per key whose value changed. */
export function mergeTraits(v: VisitorState, traits: Json): TraitChange[] {
  const changes: TraitChange[] = [];
  for (const [key, value] of Object.entries(traits)) {
    if (value === undefined) continue;
    const previous = Object.hasOwn(v.traits, key) ? v.traits[key] : null;
    if (Object.hasOwn(v.traits, key) && sameJson(previous, value)) continue;
    changes.push({ key, value, previous });
  }
  if (changes.length > 0)
    v.traits = { ...v.traits, ...Object.fromEntries(changes.map((c) => [c.key, c.value])) };
  return changes;
}

/**
 * Folds `from` into `into` (an anonymous visitor identified as a known one). Nothing is lost: `from`
 * keeps its events and row, marked `mergedInto`; `into` gains its ids, counts and missing traits.
 */
export function mergeVisitor(into: VisitorState, from: VisitorState): void {
  for (const a of from.anonymousIds) if (!into.anonymousIds.includes(a)) into.anonymousIds.push(a);
  into.traits = { ...from.traits, ...into.traits };
  if (from.firstSeenAt < into.firstSeenAt) {
    into.firstSeenAt = from.firstSeenAt;
    into.referrer = from.referrer ?? into.referrer;
  }
  if (from.lastSeenAt > into.lastSeenAt) {
    into.lastSeenAt = from.lastSeenAt;
    into.lastPageUrl = from.lastPageUrl ?? into.lastPageUrl;
    if (Object.keys(from.utm).length) into.utm = from.utm;
    if (Object.keys(from.device).length) into.device = from.device;
    into.country = from.country ?? into.country;
  }
  into.referrer = into.referrer ?? from.referrer;
  into.sessionCount += from.sessionCount;
  into.visitCount += from.visitCount;
  into.eventCount += from.eventCount;
  into.isBot = into.isBot || from.isBot;
  from.mergedInto = into.id;
}
