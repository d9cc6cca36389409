import type { JobName, JobPayloadMap } from '../jobs/job.types';

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
 * Messages one delivery job claims and sends at once: its own and up to this many - 1 more of its site
 * that were due together, named in its payload (one BullMQ job, one claim and one attempt write for
 * the batch).
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
  data: JobPayloadMap[JobName.WebhookMessageDeliver];
  opts: ReturnType<typeof deliverJobOpts>;
}

/** Every message a delivery job is for: its own first, then the others of its batch. */
export const deliverJobMessages = (
  job: JobPayloadMap[JobName.WebhookMessageDeliver],
): { id: string; attempt: number }[] => [{ id: job.messageId, attempt: job.attempt }, ...(job.others ?? [])];

/**
 * The delivery jobs for messages to send now or later. Messages due now share jobs: one per `batch`
 * messages of a site, named after the first and listing the others, so a job's claim is a
 * primary-key lookup of exactly its messages. Later ones get a job each, delayed to their own time.
 * Pure, so the bench enqueues exactly what the product does.
 */
export function deliverJobs(
  messages: { siteId: string; id: string; attempt: number; delayMs?: number }[],
  batch = DELIVER_BATCH,
): DeliverJob[] {
  const jobs: DeliverJob[] = [];
  const filling = new Map<string, DeliverJob>();
  for (const m of messages) {
    const delayMs = Math.max(0, m.delayMs ?? 0);
    const open = delayMs === 0 ? filling.get(m.siteId) : undefined;
    if (open?.data.others && open.data.others.length + 1 < batch) {
      open.data.others.push({ id: m.id, attempt: m.attempt });
      continue;
    }
    const job: DeliverJob = {
      data: { siteId: m.siteId, messageId: m.id, attempt: m.attempt },
      opts: deliverJobOpts(m.id, m.attempt, delayMs),
    };
    if (delayMs === 0 && batch > 1) {
      job.data.others = [];
      filling.set(m.siteId, job);
    }
    jobs.push(job);
  }
  for (const j of jobs) if (j.data.others?.length === 0) delete j.data.others;
  return jobs;
}

/**
 * Retries due later than this stay only in PostgreSQL (`next_attempt_at`); a maintenance pass moves
 * them into BullMQ when they come within it, and re-enqueues anything Redis lost. Days-long backoffs
 * for millions of messages never sit in Redis.
 */
export const QUEUE_HORIZON_MS = 10 * 60_000;
export const DUE_PASS_LIMIT = 5000;
