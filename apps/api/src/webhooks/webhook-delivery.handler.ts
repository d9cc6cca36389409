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
  DELIVER_JOB_ATTEMPTS,
  deliverJobId,
  DUE_PASS_LIMIT,
  GIVEN_UP_GRACE_MS,
  QUEUE_HORIZON_MS,
} from './webhook-events';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { EndpointRow, MessageStatus, WebhookRepository } from './webhook.repository';
import { AttemptWriter } from './attempt-writer';
import { MessageLoader } from './message-loader';

/**
 * One attempt of one message (attempt number in the job id). A stale or duplicate job finds the
 * message moved on and does nothing; a job re-run after a crash repeats the same attempt with the
 * same webhook-id — the receiver's idempotency key never changes for a message.
 */
@Injectable()
export class WebhookDeliveryHandler {
  private readonly logger = new Logger(WebhookDeliveryHandler.name);

  constructor(
    private readonly repo: WebhookRepository,
    private readonly attempts: AttemptWriter,
    private readonly loader: MessageLoader,
    private readonly sender: WebhookSender,
    private readonly secrets: WebhookSecrets,
    private readonly dispatcher: WebhookDispatcher,
    private readonly subscriptions: SystemEventSubscriptions,
    private readonly queues: JobQueueService,
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  @OnJob(JobName.WebhookMessageDeliver)
  async deliver(
    job: JobPayloadMap[JobName.WebhookMessageDeliver],
    ctx?: JobContext,
  ): Promise<{ outcome: string }> {
    try {
      return await this.attempt(job);
    } catch (err) {
      // BullMQ retries a throwing job (DELIVER_JOB_ATTEMPTS in all); on the last one the message ends
      // failed here, visible in the log and recoverable, instead of pending with no job behind it.
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

  private async attempt(job: JobPayloadMap[JobName.WebhookMessageDeliver]): Promise<{ outcome: string }> {
    const { siteId, messageId, attempt } = job;
    const loaded = await this.loader.load(siteId, messageId, attempt);
    if (!loaded) return { outcome: 'skipped' };
    const { message, endpoint } = loaded;
    if (!endpoint.enabled) {
      await this.repo.failMessage(siteId, messageId, attempt, 'endpoint disabled');
      return { outcome: 'endpoint-disabled' };
    }

    const now = new Date();
    const headers = {
      ...endpoint.headers,
      ...this.secretHeaders(endpoint),
      ...signedHeaders(this.signingSecrets(endpoint, now), message.webhook_id, now, message.body),
    };
    const result = await this.sender.send(endpoint.url, headers, message.body);
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const record = (nextStatus: MessageStatus, retryIndex: number, nextAttemptAt: Date | null) =>
      this.attempts.record({
        siteId,
        messageId,
        attempt: attempt + 1,
        webhookId: message.webhook_id,
        statusCode: result.statusCode,
        error: result.error,
        latencyMs: result.latencyMs,
        responseBody: result.responseBody,
        nextStatus,
        retryIndex,
        nextAttemptAt,
      });

    if (ok) {
      await record('succeeded', message.retry_index, null);
      if (endpoint.failing_since) await this.repo.markHealthy(siteId, endpoint.id);
      return { outcome: 'succeeded' };
    }
    if (result.statusCode === 410) {
      await record('failed', message.retry_index, null);
      await this.disable(siteId, endpoint, 'gone', 'the receiver answered 410 Gone');
      return { outcome: 'endpoint-gone' };
    }
    const failingSince = new Date(await this.repo.markFailing(siteId, endpoint.id));
    if (Date.now() - failingSince.getTime() >= this.cfg.WEBHOOK_DISABLE_AFTER_SECONDS * 1000) {
      await record('failed', message.retry_index, null);
      await this.disable(siteId, endpoint, 'failing', `failing since ${failingSince.toISOString()}`);
      return { outcome: 'endpoint-disabled' };
    }
    const nextIndex = message.retry_index + 1;
    const delay = retryDelayMs(nextIndex, {
      scale: this.cfg.WEBHOOK_RETRY_SCALE,
      retryAfterMs: honoursRetryAfter(result.statusCode ?? undefined)
        ? parseRetryAfter(result.retryAfter)
        : undefined,
    });
    if (delay === undefined) {
      await record('failed', message.retry_index, null);
      return { outcome: 'exhausted' };
    }
    const moved = await record('pending', nextIndex, new Date(Date.now() + delay));
    if (moved && delay <= QUEUE_HORIZON_MS)
      await this.dispatcher.enqueue(siteId, messageId, attempt + 1, delay);
    return { outcome: 'retry' };
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
      const noticeId = await this.repo.disableEndpoint(siteId, e.id, reason, notice, tx);
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
