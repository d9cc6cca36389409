/**
 * The visitors API (profiles and their recorded events), used by the simulator to replay a real visitor.
 * Shapes follow apps/api/src/visitors/visitors.service.ts.
 */
import type { RecordedEvent, RecordedVisitor } from '@nudgeflow/engine';
import { api, enc } from './client';

export interface VisitorSummary extends RecordedVisitor {
  anonymousIds: string[];
  userId: string | null;
  lastSeenAt: string;
  eventCount: number;
  isBot: boolean;
}

export interface VisitorEvent extends RecordedEvent {
  id: string;
  timestamp: string;
}

export interface VisitorDetail extends VisitorSummary {
  timeline: VisitorEvent[];
  nextBefore: string | null;
}

export const visitorsApi = {
  search: (siteId: string, search: string, limit = 10) =>
    api.get<{ items: VisitorSummary[]; nextCursor: string | null }>(
      `/api/sites/${enc(siteId)}/visitors?search=${enc(search)}&limit=${limit}`,
    ),
  /** The most recently seen visitor, if any: the install check waits for the first one. */
  latest: (siteId: string) =>
    api.get<{ items: VisitorSummary[]; nextCursor: string | null }>(
      `/api/sites/${enc(siteId)}/visitors?limit=1`,
    ),
  /** A visitor with their latest `limit` events, newest first. */
  get: (siteId: string, visitorId: string, limit = 100) =>
    api.get<VisitorDetail>(`/api/sites/${enc(siteId)}/visitors/${enc(visitorId)}?limit=${limit}`),
};
