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
 * Messages one delivery job claims and sends at once: its own and up to this many - 1 more of its
 * site that are due (one BullMQ job, one claim and one attempt write for the batch).
 */
export const DELIVER_BATCH = 32;

/** BullMQ options of every delivery job (a finished job leaves Redis, so its id can be queued again). */
export const deliverJobOpts = (messageId: string, attempt: number, delayMs = 0) => ({
  jobId: deliverJobId(messageId, attempt),
  delay: delayMs,
  attempts: DELIVER_JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
});

export interface DeliverJob {
  data: { siteId: string; messageId: string; attempt: number };
  opts: ReturnType<typeof deliverJobOpts>;
}

/**
 * The delivery jobs for messages to send now or later. Messages due now share jobs: one per
 * `batch` messages of a site (the first one's job id), since each job claims that many due
 * messages of its site — so every message is claimed by some job. Later ones get a job each,
 * delayed to their own time. Pure, so the bench enqueues exactly what the product does.
 */
export function deliverJobs(
  messages: { siteId: string; id: string; attempt: number; delayMs?: number }[],
  batch = DELIVER_BATCH,
): DeliverJob[] {
  const jobs: DeliverJob[] = [];
  const dueBySite = new Map<string, number>();
  for (const m of messages) {
    const delayMs = Math.max(0, m.delayMs ?? 0);
    if (delayMs === 0) {
      const n = dueBySite.get(m.siteId) ?? 0;
      dueBySite.set(m.siteId, n + 1);
      if (n % batch !== 0) continue;
    }
    jobs.push({
      data: { siteId: m.siteId, messageId: m.id, attempt: m.attempt },
      opts: deliverJobOpts(m.id, m.attempt, delayMs),
    });
  }
  return jobs;
}

/**
 * Retries due later than this stay only in PostgreSQL (`next_attempt_at`); a maintenance pass moves
 * them into BullMQ when they come within it, and re-enqueues anything Redis lost. Days-long backoffs
 * for millions of messages never sit in Redis.
 */
export const QUEUE_HORIZON_MS = 10 * 60_000;
export const DUE_PASS_LIMIT = 5000;
