import { type CtaLogEntry, type Json, type VisitorState } from '../visitors/visitor-profile';
import { NormalizedEvent, type EventType } from './event-normalize';

/** The rows the fold reads (`ProfileFold`): outbox rows, their events and the visitors they name. */

export interface OutboxRow {
  id: string;
  event_ids: string[];
  ts_min: Date | null;
  ts_max: Date | null;
}

export interface EventRow {
  id: string;
  ts: Date;
  received_at: Date;
  message_id: string;
  type: EventType;
  name: string;
  visitor_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Json;
  traits: Json;
  context: Json;
  is_bot: boolean;
}

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

/** The event as the write path received it (the fold's resolver input). */
export const toNormalized = (r: EventRow): NormalizedEvent => {
  const { previousId, ...properties } = r.properties;
  return {
    type: r.type,
    name: r.name,
    messageId: r.message_id,
    anonymousId: r.anonymous_id,
    userId: r.user_id,
    previousId: r.type === 'alias' && typeof previousId === 'string' ? previousId : null,
    properties: r.type === 'alias' ? properties : r.properties,
    traits: r.traits,
    context: r.context,
    ts: r.ts,
  };
};
