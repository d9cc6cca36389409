/** System events an endpoint can subscribe to without a flow. */
export const SYSTEM_EVENT_TYPES = [
  'cta.converted',
  'visitor.identified',
  'run.completed',
  'run.failed',
  'endpoint.disabled',
] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];

/** A message body is at most this many bytes of JSON. */
export const MAX_BODY_BYTES = 256 * 1024;
/** How many bytes of a receiver's response the delivery log keeps. */
export const RESPONSE_LOG_BYTES = 1024;

export const deliverJobId = (messageId: string, attempt: number): string => `whmsg-${messageId}-${attempt}`;
