import { Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error';
import { TimelineRow, VisitorEventSource } from './visitor-events';
import { VisitorListRow, VisitorRepository } from './visitor.repository';

const toView = (v: VisitorListRow) => ({
  id: v.id,
  anonymousIds: v.anonymous_ids,
  userId: v.user_id,
  traits: v.traits,
  tags: v.tags,
  firstSeenAt: v.first_seen_at,
  lastSeenAt: v.last_seen_at,
  sessionCount: v.session_count,
  visitCount: v.visit_count,
  eventCount: v.event_count,
  lastPageUrl: v.last_page_url,
  utm: v.utm,
  referrer: v.referrer,
  device: v.device,
  country: v.country,
  isBot: v.is_bot,
  mergedInto: v.merged_into,
});

const toEvent = (e: TimelineRow) => ({
  id: e.id,
  type: e.type,
  name: e.name,
  timestamp: e.ts,
  receivedAt: e.received_at,
  messageId: e.message_id,
  visitorId: e.visitor_id,
  anonymousId: e.anonymous_id,
  userId: e.user_id,
  properties: e.properties,
  traits: e.traits,
  context: e.context,
  isBot: e.is_bot,
});

const encode = (parts: string[]) => Buffer.from(parts.join('|')).toString('base64url');
function decode(cursor: string | undefined, n: number): string[] | undefined {
  if (!cursor) return undefined;
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== n || parts.some((p) => !p))
    throw new AppError(400, 'INVALID_CURSOR', 'cursor: is malformed');
  return parts;
}

@Injectable()
export class VisitorsService {
  constructor(
    private readonly visitors: VisitorRepository,
    private readonly events: VisitorEventSource,
  ) {}

  async list(siteId: string, q: { search?: string; limit: number; cursor?: string }) {
    const after = decode(q.cursor, 2);
    if (after && (Number.isNaN(Date.parse(after[0])) || !/^[0-9a-f-]{36}$/.test(after[1]))) {
      throw new AppError(400, 'INVALID_CURSOR', 'cursor: is malformed');
    }
    const rows = await this.visitors.list(siteId, {
      search: q.search || undefined,
      limit: q.limit + 1,
      after: after && { lastSeenAt: after[0], id: after[1] },
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toView),
      nextCursor: rows.length > q.limit && last ? encode([last.last_seen_at.toISOString(), last.id]) : null,
    };
  }

  async get(siteId: string, visitorId: string, q: { limit: number; before?: string }) {
    const visitor = await this.visitors.get(siteId, visitorId);
    if (!visitor) throw notFound('visitor', 'VISITOR_NOT_FOUND');
    const before = decode(q.before, 2);
    if (before && (Number.isNaN(Date.parse(before[0])) || !/^\d+$/.test(before[1]))) {
      throw new AppError(400, 'INVALID_CURSOR', 'before: is malformed');
    }
    const merged = await this.visitors.mergedInto(siteId, visitorId);
    const events = await this.events.timeline(siteId, [visitorId, ...merged], {
      limit: q.limit + 1,
      before: before && { ts: before[0], id: before[1] },
    });
    const page = events.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      ...toView(visitor),
      mergedVisitorIds: merged,
      timeline: page.map(toEvent),
      nextBefore: events.length > q.limit && last ? encode([last.ts.toISOString(), last.id]) : null,
    };
  }
}
