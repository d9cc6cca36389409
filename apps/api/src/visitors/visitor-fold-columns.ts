import { sameJson, type CtaLogEntry, type Json, type VisitorState } from './visitor-profile';

/** How the fold reads visitors (locked rows) and writes them back, one array per column (`VisitorFold`). */

export interface VisitorRow {
  id: string;
  anonymous_ids: string[];
  user_id: string | null;
  traits: Json;
  first_seen_at: Date;
  last_seen_at: Date;
  session_count: number;
  visit_count: number;
  event_count: number;
  last_page_url: string | null;
  utm: Json;
  referrer: string | null;
  device: Json;
  country: string | null;
  is_bot: boolean;
  merged_into: string | null;
  cta_log: CtaLogEntry[] | null;
}

export const toState = (siteId: string, r: VisitorRow): VisitorState => ({
  siteId,
  id: r.id,
  isNew: false,
  anonymousIds: r.anonymous_ids,
  userId: r.user_id,
  traits: r.traits,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  sessionCount: r.session_count,
  visitCount: r.visit_count,
  eventCount: r.event_count,
  lastPageUrl: r.last_page_url,
  utm: r.utm,
  referrer: r.referrer,
  device: r.device,
  country: r.country,
  isBot: r.is_bot,
  mergedInto: r.merged_into,
  ctaLog: r.cta_log ?? [],
});

export const VISITOR_COLUMNS =
  'id, anonymous_ids, user_id, traits, first_seen_at, last_seen_at, session_count, visit_count, ' +
  'event_count, last_page_url, utm, referrer, device, country, is_bot, merged_into, cta_log';
export const VISITOR_TYPES = [
  '::uuid[]',
  '::jsonb[]',
  '::text[]',
  '::jsonb[]',
  '::timestamptz[]',
  '::timestamptz[]',
  '::int[]',
  '::int[]',
  '::int[]',
  '::text[]',
  '::jsonb[]',
  '::text[]',
  '::jsonb[]',
  '::text[]',
  '::boolean[]',
  '::uuid[]',
  '::jsonb[]',
];

/**
 * A loaded profile's JSON values as loaded. The profile rules replace these objects when they change
 * them (anonymous ids only grow, in place), so an update can tell which ones it need not send back.
 */
export interface LoadedJson {
  anonymousIds: number;
  traits: VisitorState['traits'];
  utm: VisitorState['utm'];
  device: VisitorState['device'];
  ctaLog: CtaLogEntry[];
}

export const loadedJson = (v: VisitorState): LoadedJson => ({
  anonymousIds: v.anonymousIds.length,
  traits: v.traits,
  utm: v.utm,
  device: v.device,
  ctaLog: v.ctaLog,
});

/**
 * Visitor rows as one array per column. An update passes null for a JSON column its row keeps
 * (`coalesce` with the locked row's value): most events change a profile's times and counts only.
 */
export class VisitorColumns {
  static readonly WIDTH = 17;
  readonly cols: unknown[][] = Array.from({ length: VisitorColumns.WIDTH }, () => []);

  push(v: VisitorState, loaded?: LoadedJson): void {
    const json = (value: unknown, keep: boolean) => (keep ? null : JSON.stringify(value));
    const values = [
      v.id,
      json(v.anonymousIds, v.anonymousIds.length === loaded?.anonymousIds),
      v.userId,
      json(v.traits, v.traits === loaded?.traits),
      v.firstSeenAt.toISOString(),
      v.lastSeenAt.toISOString(),
      v.sessionCount,
      v.visitCount,
      v.eventCount,
      v.lastPageUrl,
      json(v.utm, loaded !== undefined && sameJson(v.utm, loaded.utm)),
      v.referrer,
      json(v.device, loaded !== undefined && sameJson(v.device, loaded.device)),
      v.country,
      v.isBot,
      v.mergedInto,
      json(v.ctaLog, v.ctaLog === loaded?.ctaLog),
    ];
    for (let i = 0; i < values.length; i++) this.cols[i].push(values[i]);
  }
}
