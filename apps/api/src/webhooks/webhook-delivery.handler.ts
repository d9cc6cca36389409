import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobQueueService } from '../jobs/job-queue.service';
import type { JobContext } from '../jobs/job-registry';
import { JobName, JobPayloadMap, QueueName } from '../jobs/job.types';
import { honoursRetryAfter, parseRetryAfter, retryDelayMs } from './retry-schedule';
import { DataSource } from 'typeorm';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import {
  DELIVER_BATCH,
  DELIVER_JOB_ATTEMPTS,
  deliverJobId,
  deliverJobMessages,
  DUE_PASS_LIMIT,
  GIVEN_UP_GRACE_MS,
  QUEUE_HORIZON_MS,
} from './webhook-events';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { SendResult, WebhookSender } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { EndpointRow, WebhookEndpointRepository } from './webhook-endpoint.repository';
import { AttemptRecord, ClaimedRow, MessageStatus, WebhookRepository } from './webhook.repository';
import { AttemptWriter } from './attempt-writer';
import { SendSlots } from './send-slots';
import { queueConcurrency } from '../jobs/queue-concurrency';

type Claimed = { message: ClaimedRow; endpoint: EndpointRow };
type Sent =
  | { c: Claimed; kind: 'sent'; result: SendResult }
  | { c: Claimed; kind: 'disabled' }
  | { c: Claimed; kind: 'unprepared'; err: Error };
type Outcome = 'succeeded' | 'endpoint-gone' | 'endpoint-disabled' | 'exhausted' | 'retry' | 'released';

/**
 * A delivery job claims its batch of one site's messages (its own and the others due with it, named
 * in its payload: `DELIVER_BATCH`), sends them concurrently within the process's send slots and
 * records their attempts in one write, so BullMQ, the claim and the write are paid once per batch.
 * Nothing but the claim is written before sending: a job re-run after a crash takes its claims back
 * and repeats the same attempts with the same webhook-ids — a message's idempotency key never
 * changes. A stale or duplicate job finds its messages moved on (or claimed by a live job) and skips
 * them.
 */
@Injectable()
export class WebhookDeliveryHandler {
  private readonly logger = new Logger(WebhookDeliveryHandler.name);
  private readonly slots: SendSlots;
  /** A claim outlives a full batch waiting its turn for slots and timing out, so only a dead job's lapses. */
  private readonly leaseMs: number;

  constructor(
    private readonly repo: WebhookRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly attempts: AttemptWriter,
    private readonly sender: WebhookSender,
    private readonly secrets: WebhookSecrets,
    private readonly dispatcher: WebhookDispatcher,
    private readonly subscriptions: SystemEventSubscriptions,
    private readonly queues: JobQueueService,
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {
    this.slots = new SendSlots(queueConcurrency(QueueName.Webhooks, cfg));
    this.leaseMs = cfg.WEBHOOK_TIMEOUT_MS * (DELIVER_BATCH + 2) + 30_000;
  }

  @OnJob(JobName.WebhookMessageDeliver)
  async deliver(
    job: JobPayloadMap[JobName.WebhookMessageDeliver],
    ctx?: JobContext,
  ): Promise<{ outcome: string; sent: number }> {
    const claimant = ctx?.jobId ?? deliverJobId(job.messageId, job.attempt);
    let claimed: Claimed[] = [];
    try {
      claimed = this.withEndpoints(
        await this.repo.claimBatch(job.siteId, deliverJobMessages(job), claimant, this.leaseMs),
      );
      return await this.sendBatch(job, claimant, claimed);
    } catch (err) {
      // Claims not recorded go back at once (a re-run takes its own back anyway, the others need not
      // wait for the lease). BullMQ retries a throwing job (DELIVER_JOB_ATTEMPTS in all); on the last
      // one its message ends failed here, visible in the log and recoverable, instead of pending
      // with no job behind it.
      await this.repo
        .releaseClaims(
          job.siteId,
          claimed.map((c) => c.message.id),
          claimant,
        )
        .catch(() => undefined);
      if ((ctx?.attemptsMade ?? 0) + 1 >= DELIVER_JOB_ATTEMPTS) {
        const reason = `delivery job failed ${DELIVER_JOB_ATTEMPTS} times: ${(err as Error).message}`;
        await this.repo
          .failMessage(job.siteId, job.messageId, job.attempt, reason)
          .catch((e: Error) =>
            this.logger.error({ err: e.message, messageId: job.messageId }, 'could not fail message'),
          );
      }
      throw err;
    }
  }

  /** Pairs each claimed message with its endpoint (the claim sends each endpoint once). */
  private withEndpoints(rows: ClaimedRow[]): Claimed[] {
    const endpoints = new Map<string, EndpointRow>();
    for (const r of rows) if (r.endpoint) endpoints.set(r.endpoint_id, r.endpoint);
    return rows.map((message) => ({ message, endpoint: endpoints.get(message.endpoint_id)! }));
  }

  private async sendBatch(
    job: JobPayloadMap[JobName.WebhookMessageDeliver],
    claimant: string,
    claimed: Claimed[],
  ): Promise<{ outcome: string; sent: number }> {
    const { siteId } = job;
    if (claimed.length === 0) return { outcome: 'skipped', sent: 0 };
    const prepared = new Map<string, { secrets: string[]; headers: Record<string, string> }>();
    const sent = await Promise.all(claimed.map((c) => this.sendOne(c, prepared)));

    const outcomes = new Map<string, Outcome>();
    const records: AttemptRecord[] = [];
    const retries: { id: string; attempt_count: number; delayMs: number }[] = [];
    const disables = new Map<string, { e: EndpointRow; reason: string; why: string }>();
    const failing = new Map<string, Promise<Date>>();
    let ownError: Error | undefined;
    const released: string[] = [];

    for (const s of sent) {
      const { message, endpoint } = s.c;
      if (s.kind === 'disabled') {
        await this.repo.failMessage(siteId, message.id, message.attempt_count, 'endpoint disabled');
        outcomes.set(message.id, 'endpoint-disabled');
        continue;
      }
      if (s.kind === 'unprepared') {
        // Not sent: it goes back, and through its own job, whose retries (and final failure) are BullMQ's.
        released.push(message.id);
        outcomes.set(message.id, 'released');
        if (message.id === job.messageId) ownError = s.err;
        continue;
      }
      const { result } = s;
      const record = (nextStatus: MessageStatus, retryIndex: number, nextAttemptAt: Date | null) =>
        records.push({
          siteId,
          messageId: message.id,
          attempt: message.attempt_count + 1,
          webhookId: message.webhook_id,
          statusCode: result.statusCode,
          error: result.error,
          latencyMs: result.latencyMs,
          responseBody: result.responseBody,
          nextStatus,
          retryIndex,
          nextAttemptAt,
          tries: message.sends,
        });
      const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      if (ok) {
        record('succeeded', message.retry_index, null);
        outcomes.set(message.id, 'succeeded');
        continue;
      }
      if (result.statusCode === 410) {
        record('failed', message.retry_index, null);
        disables.set(endpoint.id, { e: endpoint, reason: 'gone', why: 'the receiver answered 410 Gone' });
        outcomes.set(message.id, 'endpoint-gone');
        continue;
      }
      if (!failing.has(endpoint.id))
        failing.set(endpoint.id, this.endpoints.markFailing(siteId, endpoint.id));
      const failingSince = new Date(await failing.get(endpoint.id)!);
      if (Date.now() - failingSince.getTime() >= this.cfg.WEBHOOK_DISABLE_AFTER_SECONDS * 1000) {
        record('failed', message.retry_index, null);
        if (!disables.has(endpoint.id))
          disables.set(endpoint.id, {
            e: endpoint,
            reason: 'failing',
            why: `failing since ${failingSince.toISOString()}`,
          });
        outcomes.set(message.id, 'endpoint-disabled');
        continue;
      }
      const nextIndex = message.retry_index + 1;
      const delay = retryDelayMs(nextIndex, {
        scale: this.cfg.WEBHOOK_RETRY_SCALE,
        retryAfterMs: honoursRetryAfter(result.statusCode ?? undefined)
          ? parseRetryAfter(result.retryAfter)
          : undefined,
      });
      if (delay === undefined) {
        record('failed', message.retry_index, null);
        outcomes.set(message.id, 'exhausted');
        continue;
      }
      record('pending', nextIndex, new Date(Date.now() + delay));
      if (delay <= QUEUE_HORIZON_MS)
        retries.push({ id: message.id, attempt_count: message.attempt_count + 1, delayMs: delay });
      outcomes.set(message.id, 'retry');
    }

    // The endpoint is off before its messages show failed (whoever sees the failure sees why).
    for (const d of disables.values()) await this.disable(siteId, d.e, d.reason, d.why);
    const moved = await this.attempts.recordMany(records);
    const movedIds = new Set(records.filter((_, i) => moved[i]).map((r) => r.messageId));
    const healthy = new Set(
      sent
        .filter((s) => s.kind === 'sent' && outcomes.get(s.c.message.id) === 'succeeded')
        .filter((s) => s.c.endpoint.failing_since)
        .map((s) => s.c.endpoint.id),
    );
    for (const endpointId of healthy) await this.endpoints.markHealthy(siteId, endpointId);
    const later = retries.filter((r) => movedIds.has(r.id));
    if (later.length) await this.dispatcher.enqueueMany(siteId, later);
    if (released.length) {
      await this.repo.releaseClaims(siteId, released, claimant);
      const others = claimed.filter((c) => released.includes(c.message.id) && c.message.id !== job.messageId);
      if (others.length)
        await this.dispatcher.enqueueEach(
          siteId,
          others.map((c) => ({ id: c.message.id, attempt_count: c.message.attempt_count })),
        );
    }
    if (ownError) throw ownError;
    return { outcome: outcomes.get(job.messageId) ?? 'skipped', sent: claimed.length };
  }

  /** Signs and sends one claimed message within a send slot (signed in the slot: a fresh timestamp). */
  private async sendOne(
    c: Claimed,
    prepared: Map<string, { secrets: string[]; headers: Record<string, string> }>,
  ): Promise<Sent> {
    const { message, endpoint } = c;
    if (!endpoint.enabled) return { c, kind: 'disabled' };
    return this.slots.run(async () => {
      let headers: Record<string, string>;
      try {
        const now = new Date();
        let p = prepared.get(endpoint.id);
        if (!p) {
          p = {
            secrets: this.signingSecrets(endpoint, now),
            headers: { ...endpoint.headers, ...this.secretHeaders(endpoint) },
          };
          prepared.set(endpoint.id, p);
        }
        headers = { ...p.headers, ...signedHeaders(p.secrets, message.webhook_id, now, message.body) };
      } catch (err) {
        return { c, kind: 'unprepared', err: err as Error };
      }
      return { c, kind: 'sent', result: await this.sender.send(endpoint.url, headers, message.body) };
    });
  }

  /**
   * Moves retries that came within the horizon into BullMQ and re-enqueues any Redis lost; a message
   * whose job BullMQ gave up on (attempts exhausted, stalled too often) ends failed, with the reason.
   */
  @OnJob(JobName.WebhookMessagesQueueDue)
  async queueDue(): Promise<{ queued: number; givenUp: number }> {
    const givenUp = await this.failGivenUp();
    const due = await this.repo.dueMessages(QUEUE_HORIZON_MS, DUE_PASS_LIMIT);
    const now = Date.now();
    // Same deterministic job ids: a message whose job is still in Redis is not queued twice.
    await this.dispatcher.enqueueMany(
      undefined,
      due.map((m) => ({ ...m, delayMs: Math.max(0, new Date(m.next_attempt_at).getTime() - now) })),
    );
    return { queued: due.length, givenUp };
  }

  /** Overdue pending messages whose current job sits in BullMQ's failed set: fail them, drop the job. */
  private async failGivenUp(): Promise<number> {
    const overdue = await this.repo.overdueMessages(GIVEN_UP_GRACE_MS, DUE_PASS_LIMIT);
    const queue = this.queues.queue(QueueName.Webhooks);
    let failed = 0;
    for (let i = 0; i < overdue.length; i += 100) {
      await Promise.all(
        overdue.slice(i, i + 100).map(async (m) => {
          const job = await queue.getJob(deliverJobId(m.id, m.attempt_count));
          if (!job || !(await job.isFailed())) return;
          const reason = `delivery job given up by the queue: ${job.failedReason || 'unknown reason'}`;
          if (await this.repo.failMessage(m.site_id, m.id, m.attempt_count, reason)) failed++;
          await job.remove().catch(() => undefined);
        }),
      );
    }
    if (failed) this.logger.warn({ failed }, 'webhook messages whose delivery job was given up');
    return failed;
  }

  private signingSecrets(e: EndpointRow, now: Date): string[] {
    const secrets = [this.secrets.open(e.secret_enc)];
    if (e.previous_secret_enc && e.previous_secret_expires_at && new Date(e.previous_secret_expires_at) > now)
      secrets.push(this.secrets.open(e.previous_secret_enc));
    return secrets;
  }

  private secretHeaders(e: EndpointRow): Record<string, string> {
    return e.secret_headers_enc
      ? (JSON.parse(this.secrets.open(e.secret_headers_enc)) as Record<string, string>)
      : {};
  }

  /** Disables the endpoint, leaves the owners' notice and emits endpoint.disabled in one transaction. */
  private async disable(siteId: string, e: EndpointRow, reason: string, why: string): Promise<void> {
    const notice = `Webhook endpoint ${e.url} was disabled: ${why}.`;
    const disabled = await this.db.transaction(async (tx) => {
      const noticeId = await this.endpoints.disableEndpoint(siteId, e.id, reason, notice, tx);
      if (!noticeId) return false;
      await this.dispatcher.emitSystemEvent(
        siteId,
        'endpoint.disabled',
        { endpointId: e.id, url: e.url, reason, message: notice },
        { idempotencyKey: noticeId, tx },
      );
      return true;
    });
    if (!disabled) return;
    await this.subscriptions.changed(siteId);
    this.logger.warn({ siteId, endpointId: e.id, reason }, 'webhook endpoint disabled');
  }
}
