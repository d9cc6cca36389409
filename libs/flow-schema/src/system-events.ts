/**
 * Event names the platform emits itself. Trigger kinds other than `trigger_event` listen to these,
 * so ingestion, the embed script and the engine agree on one spelling.
 */
export const SYSTEM_EVENTS = {
  pageView: '$page',
  identify: '$identify',
  traitChanged: '$trait_changed',
  inboundWebhook: '$webhook',
  ctaViewed: '$cta_viewed',
  ctaClicked: '$cta_clicked',
  ctaConverted: '$cta_converted',
  ctaClosed: '$cta_closed',
} as const;

/**
 * `context.source` of an event an inbound hook stored (with `context.hookId`). Only the inbound hook
 * route sets it: ingestion drops a client-sent one, so a public write key cannot start hook flows.
 */
export const INBOUND_HOOK_SOURCE = 'inbound_hook';

export type SystemEventName = (typeof SYSTEM_EVENTS)[keyof typeof SYSTEM_EVENTS];

export const CTA_INTERACTIONS = ['viewed', 'clicked', 'converted', 'closed'] as const;
export type CtaInteraction = (typeof CTA_INTERACTIONS)[number];

export function ctaInteractionEventName(interaction: CtaInteraction): SystemEventName {
  switch (interaction) {
    case 'viewed':
      return SYSTEM_EVENTS.ctaViewed;
    case 'clicked':
      return SYSTEM_EVENTS.ctaClicked;
    case 'converted':
      return SYSTEM_EVENTS.ctaConverted;
    case 'closed':
      return SYSTEM_EVENTS.ctaClosed;
    default: {
      const _never: never = interaction;
      return _never;
    }
  }
}
