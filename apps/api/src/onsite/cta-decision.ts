import { matchesUrlRule, parseUrl, pickWeighted, stableUnit } from '@nudgeflow/engine';
import type { CTA_LOG_EVENT_NAMES } from '../visitors/visitor-profile';
import type { Caps, CtaConfig, CtaVariant, Targeting } from './cta.schemas';

/**
 * The decision, as a pure function of (published CTAs, the request, the visitor's profile, their
 * recent CTA events and pending flow messages, now). No I/O, so every rule is unit-tested here.
 */
export interface PublishedCta {
  id: string;
  version: number;
  config: CtaConfig;
}

export type Device = 'desktop' | 'mobile' | 'tablet';

export interface DecideRequest {
  anonymousId: string;
  url: string;
  referrer: string;
  device: Device;
  /** utm_* from the embed's `context.campaign` (name = utm_campaign). */
  campaign?: Record<string, unknown>;
}

export interface VisitorSnapshot {
  id: string;
  traits: Record<string, unknown>;
  tags: string[];
  sessionCount: number;
  visitCount: number;
}

/** The names ingestion keeps in a visitor's CTA log (`visitors.cta_log`). */
export type CtaEventName = (typeof CTA_LOG_EVENT_NAMES)[number];

export interface CtaEvent {
  name: CtaEventName | string;
  ctaId: string;
  variantId: string | null;
  ts: number;
}

export interface PendingMessage {
  id: string;
  ctaId: string;
  priority: number;
  createdAt: number;
}

export interface Decision {
  cta: PublishedCta;
  variant: CtaVariant;
  priority: number;
  source: 'targeting' | 'message';
  messageId?: string;
}

export const MAX_CTAS_PER_DECISION = 3;
export const SESSION_GAP_MS = 30 * 60_000;
const DAY_MS = 86_400_000;

export interface CtaState {
  lastClosedAt: number | null;
  converted: boolean;
  viewsToday: number;
  viewsSession: number;
  lastViewedAt: number | null;
  lastVariant: string | null;
}

/**
 * Summarises one visitor's CTA events per CTA. A session is approximated from the CTA events
 * themselves: views chained back from now without a gap of 30 minutes.
 */
export function summarise(events: readonly CtaEvent[], now: number): Map<string, CtaState> {
  const sorted = [...events].sort((a, b) => b.ts - a.ts);
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  const states = new Map<string, CtaState>();
  let sessionEdge = now;
  let inSession = true;
  for (const e of sorted) {
    let s = states.get(e.ctaId);
    if (!s) {
      s = {
        lastClosedAt: null,
        converted: false,
        viewsToday: 0,
        viewsSession: 0,
        lastViewedAt: null,
        lastVariant: null,
      };
      states.set(e.ctaId, s);
    }
    if (inSession && sessionEdge - e.ts > SESSION_GAP_MS) inSession = false;
    if (inSession) sessionEdge = Math.min(sessionEdge, e.ts);
    switch (e.name) {
      case 'cta_viewed':
        if (s.lastViewedAt === null) {
          s.lastViewedAt = e.ts;
          s.lastVariant = e.variantId;
        }
        if (e.ts >= dayStart) s.viewsToday += 1;
        if (inSession) s.viewsSession += 1;
        break;
      case 'cta_closed':
        if (s.lastClosedAt === null) s.lastClosedAt = e.ts;
        break;
      case 'cta_converted':
      case 'form_submitted':
        s.converted = true;
        break;
      default:
        break;
    }
  }
  return states;
}

export function withinCaps(caps: Caps, s: CtaState | undefined, now: number): boolean {
  if (!s) return true;
  if (caps.stopAfterConversion && s.converted) return false;
  if (
    s.lastClosedAt !== null &&
    caps.hideAfterCloseDays > 0 &&
    now - s.lastClosedAt < caps.hideAfterCloseDays * DAY_MS
  ) {
    return false;
  }
  if (caps.maxPerDay !== undefined && s.viewsToday >= caps.maxPerDay) return false;
  if (caps.maxPerSession !== undefined && s.viewsSession >= caps.maxPerSession) return false;
  return true;
}

function matchString(rule: { operator: string; value: string }, actual: string | undefined | null): boolean {
  const v = (actual ?? '').toLowerCase();
  const want = rule.value.toLowerCase();
  switch (rule.operator) {
    case 'exists':
      return v !== '';
    case 'not_exists':
      return v === '';
    case 'equals':
      return v === want;
    case 'contains':
      return v !== '' && v.includes(want);
    case 'starts_with':
      return v !== '' && v.startsWith(want);
    default:
      return false;
  }
}

function traitAt(traits: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(traits, key)) return traits[key];
  let cur: unknown = traits;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || !Object.prototype.hasOwnProperty.call(cur, part))
      return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function matchTrait(rule: Targeting['traits'][number], traits: Record<string, unknown>): boolean {
  const actual = traitAt(traits, rule.key);
  const present = actual !== undefined && actual !== null && actual !== '';
  switch (rule.operator) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'equals':
      return present && String(actual).toLowerCase() === String(rule.value ?? '').toLowerCase();
    case 'not_equals':
      return !present || String(actual).toLowerCase() !== String(rule.value ?? '').toLowerCase();
    case 'contains':
      return (
        present &&
        String(actual)
          .toLowerCase()
          .includes(String(rule.value ?? '').toLowerCase())
      );
    case 'gt':
    case 'lt': {
      const a = Number(actual);
      const b = Number(rule.value);
      if (!present || Number.isNaN(a) || Number.isNaN(b)) return false;
      return rule.operator === 'gt' ? a > b : a < b;
    }
    default: {
      const never: never = rule.operator;
      return never;
    }
  }
}

export function utmOf(req: DecideRequest): Record<string, string> {
  const query = parseUrl(req.url).query;
  const c = req.campaign ?? {};
  const pick = (param: string, campaignKey: string) => {
    const q = query[`utm_${param}`];
    const v = typeof q === 'string' && q ? q : c[campaignKey];
    return typeof v === 'string' ? v : '';
  };
  return {
    source: pick('source', 'source'),
    medium: pick('medium', 'medium'),
    campaign: pick('campaign', 'name'),
    term: pick('term', 'term'),
    content: pick('content', 'content'),
  };
}

export function matchesTargeting(
  t: Targeting,
  req: DecideRequest,
  visitor: VisitorSnapshot | null,
  states: Map<string, CtaState>,
): boolean {
  if (t.urlRules.length && !t.urlRules.some((r) => matchesUrlRule(r, req.url))) return false;
  if (t.excludeUrlRules.some((r) => matchesUrlRule(r, req.url))) return false;
  if (t.devices.length && !t.devices.includes(req.device)) return false;
  if (t.visitorType !== 'any') {
    const returning = !!visitor && (visitor.sessionCount > 1 || visitor.visitCount > 1);
    if ((t.visitorType === 'returning') !== returning) return false;
  }
  if (t.utm.length) {
    const utm = utmOf(req);
    if (!t.utm.every((r) => matchString(r, utm[r.param]))) return false;
  }
  if (!t.referrer.every((r) => matchString(r, req.referrer))) return false;
  const traits = visitor?.traits ?? {};
  if (!t.traits.every((r) => matchTrait(r, traits))) return false;
  const tags = visitor?.tags ?? [];
  if (!t.tagsAll.every((tag) => tags.includes(tag))) return false;
  if (t.tagsNone.some((tag) => tags.includes(tag))) return false;
  if (!t.conversions.every((c) => (states.get(c.ctaId)?.converted ?? false) === c.converted)) return false;
  return true;
}

/**
 * Sticky variant: the one this visitor last saw (if it still has weight), else a weighted pick by a
 * stable hash of (anonymous id, CTA id), so the same browser always lands in the same bucket.
 */
export function pickVariant(
  config: CtaConfig,
  ctaId: string,
  stickyKey: string,
  state?: CtaState,
): CtaVariant {
  const seen = state?.lastVariant
    ? config.variants.find((v) => v.id === state.lastVariant && v.weight > 0)
    : undefined;
  if (seen) return seen;
  const index = pickWeighted(
    stableUnit(stickyKey, ctaId),
    config.variants.map((v) => v.weight),
  );
  return config.variants[index] ?? config.variants[0];
}

export interface DecideInput {
  ctas: ReadonlyMap<string, PublishedCta>;
  request: DecideRequest;
  visitor: VisitorSnapshot | null;
  events: readonly CtaEvent[];
  messages: readonly PendingMessage[];
  now: number;
}

/**
 * Flow messages (not yet shown since they were queued) and always-on CTAs whose targeting matches,
 * all within their caps, highest priority first; at most one modal and MAX_CTAS_PER_DECISION in all.
 */
export function decide(input: DecideInput): Decision[] {
  const { ctas, request, visitor, events, messages, now } = input;
  const states = summarise(events, now);
  const chosen = new Map<string, Decision>();
  const consider = (cta: PublishedCta, priority: number, source: Decision['source'], messageId?: string) => {
    const prev = chosen.get(cta.id);
    if (prev && prev.priority >= priority) return;
    if (!prev && !withinCaps(cta.config.caps, states.get(cta.id), now)) return;
    const variant = prev?.variant ?? pickVariant(cta.config, cta.id, request.anonymousId, states.get(cta.id));
    chosen.set(cta.id, { cta, variant, priority, source, ...(messageId ? { messageId } : {}) });
  };

  for (const m of messages) {
    const cta = ctas.get(m.ctaId);
    if (!cta) continue;
    const shown = states.get(m.ctaId)?.lastViewedAt;
    if (shown != null && shown >= m.createdAt) continue; // delivered since it was queued
    consider(cta, m.priority, 'message', m.id);
  }
  for (const cta of ctas.values()) {
    if (cta.config.mode !== 'always') continue;
    if (!matchesTargeting(cta.config.targeting, request, visitor, states)) continue;
    consider(cta, cta.config.priority, 'targeting');
  }

  const ordered = [...chosen.values()].sort(
    (a, b) =>
      b.priority - a.priority ||
      (a.source === b.source ? 0 : a.source === 'message' ? -1 : 1) ||
      (a.cta.id < b.cta.id ? -1 : 1),
  );
  const out: Decision[] = [];
  let modal = false;
  for (const d of ordered) {
    if (d.cta.config.kind === 'modal') {
      if (modal) continue;
      modal = true;
    }
    out.push(d);
    if (out.length >= MAX_CTAS_PER_DECISION) break;
  }
  return out;
}

/** How far back decide needs CTA events: the longest close-hide window, at least 30 days (conversions,
 * message TTL); older conversions are not seen (retention decides anyway). */
export function eventWindowDays(ctas: Iterable<PublishedCta>): number {
  let days = 30;
  for (const c of ctas) days = Math.max(days, Math.ceil(c.config.caps.hideAfterCloseDays));
  return Math.min(days, 90);
}
