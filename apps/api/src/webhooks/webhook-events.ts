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

/** BullMQ's own retries of one delivery job (crashes, database errors), before it gives up. */
export const DELIVER_JOB_ATTEMPTS = 5;

/** A pending message this long past due is checked against BullMQ: did it give up on its job? */
export const GIVEN_UP_GRACE_MS = 30_000;

export const deliverJobId = (messageId: string, attempt: number): string => `whmsg-${messageId}-${attempt}`;

/**
 * Retries due later than this stay only in PostgreSQL (`next_attempt_at`); a maintenance pass moves
 * them into BullMQ when they come within it, and re-enqueues anything Redis lost. Days-long backoffs
 * for millions of messages never sit in Redis.
 */
export const QUEUE_HORIZON_MS = 10 * 60_000;
export const DUE_PASS_LIMIT = 5000;
