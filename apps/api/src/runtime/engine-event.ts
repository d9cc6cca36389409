import type { FlowEvent, VisitorSnapshot } from '@nudgeflow/engine';
import { SYSTEM_EVENTS } from '@nudgeflow/flow-schema';

/** The columns of an `events` row the runtime reads. */
export interface StoredEvent {
  id: string;
  visitor_id: string;
  message_id: string;
  type: string;
  name: string;
  ts: Date | string;
  properties: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  is_bot: boolean;
}

const CTA_TRACK_EVENTS: Record<string, string> = {
  cta_viewed: SYSTEM_EVENTS.ctaViewed,
  cta_clicked: SYSTEM_EVENTS.ctaClicked,
  cta_converted: SYSTEM_EVENTS.ctaConverted,
  cta_closed: SYSTEM_EVENTS.ctaClosed,
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * An ingested event as the engine sees it: the embed's CTA tracks become `$cta_*` with `ctaId`, page
 * views carry `url` (from properties, else the page context), everything else keeps its name.
 */
export function toEngineEvent(row: StoredEvent): FlowEvent {
  const properties: Record<string, unknown> = { ...(row.properties ?? {}) };
  let name = row.name;
  const cta = row.type === 'track' ? CTA_TRACK_EVENTS[row.name] : undefined;
  if (cta) {
    name = cta;
    if (properties.ctaId === undefined && properties.cta_id !== undefined)
      properties.ctaId = properties.cta_id;
    if (properties.variantId === undefined && properties.variant_id !== undefined)
      properties.variantId = properties.variant_id;
  } else if (row.type === 'page') {
    name = SYSTEM_EVENTS.pageView;
    const page = (row.context?.page ?? {}) as Record<string, unknown>;
    if (str(properties.url) === undefined && str(page.url)) properties.url = page.url;
  } else if (row.type === 'identify') {
    name = SYSTEM_EVENTS.identify;
  }
  const ts = row.ts instanceof Date ? row.ts.toISOString() : new Date(row.ts).toISOString();
  return { id: row.message_id, name, properties, timestamp: ts };
}

/** The columns of a `visitors` row the engine reads. */
export interface StoredVisitor {
  id: string;
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
  const device = row.device ?? {};
  const deviceType = str(device.type) ?? str(device.kind);
  return {
    id: row.id,
    traits: row.traits ?? {},
    tags: row.tags ?? [],
    ...(row.visit_count !== null ? { visitCount: row.visit_count } : {}),
    ...(row.first_seen_at
      ? {
          firstSeenAt:
            row.first_seen_at instanceof Date ? row.first_seen_at.toISOString() : row.first_seen_at,
        }
      : {}),
    ...(deviceType ? { device: deviceType } : {}),
    ...(row.utm ? { utm: row.utm } : {}),
    ...(row.last_page_url ? { pageUrl: row.last_page_url } : {}),
  };
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
