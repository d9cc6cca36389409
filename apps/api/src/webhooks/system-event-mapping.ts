import type { SystemEventType } from './webhook-events';

/** The event columns the trigger job already read (the runtime's StoredEvent). */
export interface HandedOffEvent {
  id: string;
  visitor_id: string;
  message_id: string;
  type: string;
  name: string;
  ts: Date | string;
  properties: Record<string, unknown> | null;
  is_bot: boolean;
}

/** What an identify notice carries that the trigger job's read does not. */
export interface IdentifyDetails {
  user_id: string | null;
  anonymous_id: string | null;
  traits: Record<string, unknown>;
}

export interface Occurrence {
  type: SystemEventType;
  key: string;
  data: Record<string, unknown>;
  at?: Date;
}

/** Run statuses that end a run normally (run.completed) or not (run.failed); others send nothing. */
export const RUN_EVENT: Readonly<Record<string, 'run.completed' | 'run.failed' | undefined>> = {
  completed: 'run.completed',
  converted: 'run.completed',
  exited: 'run.completed',
  failed: 'run.failed',
};

export const CTA_CONVERTED_EVENT = 'cta_converted';

export const isIdentify = (e: HandedOffEvent): boolean => !e.is_bot && e.type === 'identify';
export const isCtaConversion = (e: HandedOffEvent): boolean =>
  !e.is_bot && e.type === 'track' && e.name === CTA_CONVERTED_EVENT;

/**
 * Ingested events → system event occurrences, only for the subscribed types: each stored identify →
 * visitor.identified, each `cta_converted` track → cta.converted; bots nothing. The event id is the
 * occurrence key (a retried trigger job maps the same event to the same key).
 */
export function occurrencesOfEvents(
  events: readonly HandedOffEvent[],
  subscribed: ReadonlySet<string>,
  details: ReadonlyMap<string, IdentifyDetails>,
): Occurrence[] {
  const wantIdentify = subscribed.has('visitor.identified');
  const wantCta = subscribed.has('cta.converted');
  const out: Occurrence[] = [];
  for (const e of events) {
    const at = new Date(e.ts);
    if (wantIdentify && isIdentify(e)) {
      const d = details.get(e.id);
      out.push({
        type: 'visitor.identified',
        key: e.id,
        at,
        data: {
          visitorId: e.visitor_id,
          userId: d?.user_id ?? null,
          anonymousId: d?.anonymous_id ?? null,
          traits: d?.traits ?? {},
          messageId: e.message_id,
        },
      });
    } else if (wantCta && isCtaConversion(e)) {
      const p = e.properties ?? {};
      out.push({
        type: 'cta.converted',
        key: e.id,
        at,
        data: {
          visitorId: e.visitor_id,
          ctaId: p.ctaId ?? p.cta_id ?? null,
          variantId: p.variantId ?? p.variant_id ?? null,
          properties: p,
          messageId: e.message_id,
        },
      });
    }
  }
  return out;
}
