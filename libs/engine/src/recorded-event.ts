import { INBOUND_HOOK_SOURCE, SYSTEM_EVENTS } from '@nudgeflow/flow-schema';
import type { FlowEvent, VisitorSnapshot } from './engine-types';

/**
 * An ingested event as stored (and as the visitor timeline API returns it). The runtime turns these into
 * engine events when it matches triggers, and the builder's simulator when it replays a real visitor, so
 * both go through `toFlowEvent`.
 */
export interface RecordedEvent {
  /** Segment type: track, page, identify, … */
  type: string;
  name: string;
  messageId: string;
  /** ISO string or Date. */
  timestamp: string | Date;
  properties: Record<string, unknown> | null;
  context?: Record<string, unknown> | null;
}

const CTA_TRACK_EVENTS: Record<string, string> = {
  cta_viewed: SYSTEM_EVENTS.ctaViewed,
  cta_clicked: SYSTEM_EVENTS.ctaClicked,
  cta_converted: SYSTEM_EVENTS.ctaConverted,
  cta_closed: SYSTEM_EVENTS.ctaClosed,
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A recorded event as the engine sees it: the embed's CTA tracks become `$cta_*` with `ctaId`, page
 * views carry `url` (from properties, else the page context), everything else keeps its name.
 */
export function toFlowEvent(event: RecordedEvent): FlowEvent {
  const properties: Record<string, unknown> = { ...(event.properties ?? {}) };
  let name = event.name;
  const cta = event.type === 'track' ? CTA_TRACK_EVENTS[event.name] : undefined;
  if (cta) {
    name = cta;
    if (properties.ctaId === undefined && properties.cta_id !== undefined)
      properties.ctaId = properties.cta_id;
    if (properties.variantId === undefined && properties.variant_id !== undefined)
      properties.variantId = properties.variant_id;
  } else if (event.type === 'page') {
    name = SYSTEM_EVENTS.pageView;
    const page = (event.context?.page ?? {}) as Record<string, unknown>;
    if (str(properties.url) === undefined && str(page.url)) properties.url = page.url;
  } else if (event.type === 'identify') {
    name = SYSTEM_EVENTS.identify;
  }
  const ts = event.timestamp instanceof Date ? event.timestamp : new Date(event.timestamp);
  return { id: event.messageId, name, properties, timestamp: ts.toISOString() };
}

/**
 * The `$webhook` view of an event an inbound hook stored: what `trigger_inbound_webhook` listens to.
 * The stored event keeps the name the integration's JSON gave it (so `trigger_event` flows on that
 * name still match); its properties gain `hookId` (the hook's own, never the body's) and `event`.
 */
export function inboundWebhookView(event: RecordedEvent): FlowEvent | undefined {
  const hookId = event.context?.hookId;
  if (event.type !== 'track' || event.context?.source !== INBOUND_HOOK_SOURCE || typeof hookId !== 'string')
    return undefined;
  const base = toFlowEvent(event);
  return {
    ...base,
    name: SYSTEM_EVENTS.inboundWebhook,
    properties: { ...base.properties, event: event.name, hookId },
  };
}

/** A visitor profile as stored (camel-cased, as the visitors API returns it). */
export interface RecordedVisitor {
  id: string;
  /** Anonymous ids in the order they were seen (the last is the current one). */
  anonymousIds?: readonly string[] | null;
  userId?: string | null;
  traits: Record<string, unknown> | null;
  tags: readonly string[] | null;
  visitCount: number | null;
  firstSeenAt: string | Date | null;
  device: Record<string, unknown> | null;
  utm: Record<string, string> | null;
  lastPageUrl: string | null;
}

/** A stored visitor as the engine sees it (the same snapshot for the runtime and the simulator). */
export function toVisitorSnapshot(visitor: RecordedVisitor): VisitorSnapshot {
  const device = visitor.device ?? {};
  const deviceType = str(device.type) ?? str(device.kind);
  const firstSeen = visitor.firstSeenAt;
  return {
    id: visitor.id,
    ...(visitor.anonymousIds?.length
      ? { anonymousId: visitor.anonymousIds[visitor.anonymousIds.length - 1] }
      : {}),
    ...(visitor.userId ? { userId: visitor.userId } : {}),
    traits: visitor.traits ?? {},
    tags: visitor.tags ?? [],
    ...(visitor.visitCount !== null ? { visitCount: visitor.visitCount } : {}),
    ...(firstSeen ? { firstSeenAt: firstSeen instanceof Date ? firstSeen.toISOString() : firstSeen } : {}),
    ...(deviceType ? { device: deviceType } : {}),
    ...(visitor.utm ? { utm: visitor.utm } : {}),
    ...(visitor.lastPageUrl ? { pageUrl: visitor.lastPageUrl } : {}),
  };
}
