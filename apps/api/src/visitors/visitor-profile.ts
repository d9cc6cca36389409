/**
 * Pure visitor-profile rules (no Nest, no I/O): how one event changes a profile, how two profiles
 * merge, and which traits an identify changed. The event store applies them under a per-site lock.
 */
export type Json = Record<string, unknown>;

export const SESSION_GAP_MS = 30 * 60_000;

/** The CTA interactions the on-site decision reads (events of these names carrying a `cta_id`). */
export const CTA_LOG_EVENT_NAMES = [
  'cta_viewed',
  'cta_clicked',
  'cta_closed',
  'cta_converted',
  'form_submitted',
] as const;
export const CTA_LOG_EVENTS: ReadonlySet<string> = new Set(CTA_LOG_EVENT_NAMES);
/** Entries a visitor's CTA log keeps (the newest), and how far back from its newest entry. */
export const CTA_LOG_MAX = 500;
export const CTA_LOG_DAYS = 90;

/** One CTA interaction: event name, CTA id, variant id, epoch ms. */
export type CtaLogEntry = [name: string, ctaId: string, variantId: string | null, ts: number];

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
  /** Recent CTA interactions, oldest first (see `trimCtaLog`). */
  ctaLog: CtaLogEntry[];
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
  /** A CTA interaction this event records (`CTA_LOG_EVENTS` with a `cta_id`), else null. */
  cta: { name: string; ctaId: string; variantId: string | null } | null;
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
    ctaLog: [],
  };
}

/**
 * Oldest first, at most `CTA_LOG_MAX` entries, none more than `CTA_LOG_DAYS` older than the newest
 * (decide looks back at most 90 days). Entries of the same time keep their arrival order.
 */
export function trimCtaLog(log: readonly CtaLogEntry[]): CtaLogEntry[] {
  const sorted = log
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => a.entry[3] - b.entry[3] || a.order - b.order)
    .map(({ entry }) => entry);
  const newest = sorted.length ? sorted[sorted.length - 1][3] : 0;
  const kept = sorted.filter((e) => e[3] > newest - CTA_LOG_DAYS * 86_400_000);
  return kept.length > CTA_LOG_MAX ? kept.slice(kept.length - CTA_LOG_MAX) : kept;
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
  if (f.cta) {
    const entry: CtaLogEntry = [f.cta.name, f.cta.ctaId, f.cta.variantId, t];
    const first = v.ctaLog[0];
    const last = v.ctaLog[v.ctaLog.length - 1];
    const inBounds = v.ctaLog.length < CTA_LOG_MAX && (!first || first[3] > t - CTA_LOG_DAYS * 86_400_000);
    // In order and within bounds (the usual case): append; otherwise sort and trim.
    if (inBounds && (!last || last[3] <= t)) v.ctaLog = [...v.ctaLog, entry];
    else v.ctaLog = trimCtaLog([...v.ctaLog, entry]);
  }
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
  if (from.ctaLog.length) into.ctaLog = trimCtaLog([...into.ctaLog, ...from.ctaLog]);
  from.mergedInto = into.id;
}
