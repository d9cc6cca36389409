import {
  inboundWebhookView,
  toFlowEvent,
  toVisitorSnapshot as visitorSnapshotOf,
  type FlowEvent,
  type VisitorSnapshot,
} from '@nudgeflow/engine';
import type { TriggerEventRow } from '../ingest/ingested-events.repository';

/** The columns of an `events` row the runtime reads (ingest's read for the trigger job). */
export type StoredEvent = TriggerEventRow;

/** An ingested event as the engine sees it (`toFlowEvent`, shared with the builder's simulator). */
export function toEngineEvent(row: StoredEvent): FlowEvent {
  return toFlowEvent({
    type: row.type,
    name: row.name,
    messageId: row.message_id,
    timestamp: row.ts,
    properties: row.properties,
    context: row.context,
  });
}

/** The `$webhook` view of an event an inbound hook stored (undefined for any other event). */
export function inboundWebhookEvent(row: StoredEvent): FlowEvent | undefined {
  return inboundWebhookView({
    type: row.type,
    name: row.name,
    messageId: row.message_id,
    timestamp: row.ts,
    properties: row.properties,
    context: row.context,
  });
}

/** The columns of a `visitors` row the engine reads. */
export interface StoredVisitor {
  id: string;
  anonymous_ids?: string[] | null;
  user_id?: string | null;
  traits: Record<string, unknown> | null;
  tags: string[] | null;
  visit_count: number | null;
  first_seen_at: Date | string | null;
  device: Record<string, unknown> | null;
  utm: Record<string, string> | null;
  last_page_url: string | null;
}

export function toVisitorSnapshot(row: StoredVisitor | undefined, visitorId: string): VisitorSnapshot {
  if (!row) return { id: visitorId, traits: {}, tags: [] };
  return visitorSnapshotOf({
    id: row.id,
    anonymousIds: row.anonymous_ids,
    userId: row.user_id,
    traits: row.traits,
    tags: row.tags,
    visitCount: row.visit_count,
    firstSeenAt: row.first_seen_at,
    device: row.device,
    utm: row.utm,
    lastPageUrl: row.last_page_url,
  });
}

/** Exponential backoff with full jitter in [base·2^(n-1)/2, base·2^(n-1)], capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Deterministic BullMQ job ids: one per run transition, so a re-enqueue of the same moment dedupes.
 * No `:` in them: BullMQ refuses custom ids with colons (except its own three-part repeat ids).
 */
export const runJobId = {
  due: (runId: string, seq: number) => `run_${runId}_${seq}`,
  event: (runId: string, eventId: string) => `run_${runId}_e${eventId}`,
  rescue: (runId: string, seq: number, bucket: number) => `run_${runId}_${seq}_r${bucket}`,
  wake: (siteId: string, at: number) => `wake_${siteId}_${at}`,
  deferred: (jobId: string, at: number) => `${jobId.replace(/:/g, '_')}_b${at}`,
  handoff: (siteId: string, handoffId: string, attempt: number | string) =>
    `handoff_${siteId}_${handoffId}${attempt ? `_r${attempt}` : ''}`,
};

/** Splits items so that each round holds a visitor at most once, keeping their order. */
export function visitorRounds<T extends { visitorId: string }>(items: T[]): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const r = seen.get(item.visitorId) ?? 0;
    seen.set(item.visitorId, r + 1);
    (rounds[r] ??= []).push(item);
  }
  return rounds;
}
