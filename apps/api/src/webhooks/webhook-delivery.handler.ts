import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { honoursRetryAfter, parseRetryAfter, retryDelayMs } from './retry-schedule';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { EndpointRow, WebhookRepository } from './webhook.repository';

/**
 * One attempt of one message. The message row is claimed first (attempt number in the job id), so a
 * stale or duplicate job does nothing, and a job re-run after a crash repeats the same attempt with
 * the same webhook-id — the receiver's idempotency key never changes for a message.
 */
@Injectable()
export class WebhookDeliveryHandler {
  private readonly logger = new Logger(WebhookDeliveryHandler.name);

  constructor(
    private readonly repo: WebhookRepository,
    private readonly sender: WebhookSender,
    private readonly secrets: WebhookSecrets,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
  ) {}

  @OnJob(JobName.WebhookMessageDeliver)
  async deliver(job: JobPayloadMap[JobName.WebhookMessageDeliver]): Promise<{ outcome: string }> {
    const { siteId, messageId, attempt } = job;
    const claimed = await this.repo.claim(siteId, messageId, attempt);
    if (!claimed) return { outcome: 'skipped' };
    const { message, endpoint } = claimed;
    if (!endpoint.enabled) {
      await this.repo.failMessage(siteId, messageId, 'endpoint disabled');
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
    const attemptNo = attempt + 1;
    const base = {
      attempt: attemptNo,
      webhookId: message.webhook_id,
      statusCode: result.statusCode,
      error: result.error,
      latencyMs: result.latencyMs,
      responseBody: result.responseBody,
    };

    if (ok) {
      await this.repo.recordAttempt(siteId, messageId, {
        ...base,
        next: { status: 'succeeded', retryIndex: message.retry_index, nextAttemptAt: null },
      });
      await this.repo.markHealthy(siteId, endpoint.id);
      return { outcome: 'succeeded' };
    }

    const fail = () =>
      this.repo.recordAttempt(siteId, messageId, {
        ...base,
        next: { status: 'failed', retryIndex: message.retry_index, nextAttemptAt: null },
      });
    if (result.statusCode === 410) {
      await fail();
      await this.disable(siteId, endpoint, 'gone', 'the receiver answered 410 Gone');
      return { outcome: 'endpoint-gone' };
    }
    const failingSince = new Date(await this.repo.markFailing(siteId, endpoint.id));
    if (Date.now() - failingSince.getTime() >= this.cfg.WEBHOOK_DISABLE_AFTER_SECONDS * 1000) {
      await fail();
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
      await fail();
      return { outcome: 'exhausted' };
    }
    await this.repo.recordAttempt(siteId, messageId, {
      ...base,
      next: { status: 'pending', retryIndex: nextIndex, nextAttemptAt: new Date(Date.now() + delay) },
    });
    await this.dispatcher.enqueue(siteId, messageId, attemptNo, delay);
    return { outcome: 'retry' };
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

  private async disable(siteId: string, e: EndpointRow, reason: string, why: string): Promise<void> {
    const notice = `Webhook endpoint ${e.url} was disabled: ${why}.`;
    if (!(await this.repo.disableEndpoint(siteId, e.id, reason, notice))) return;
    this.logger.warn({ siteId, endpointId: e.id, reason }, 'webhook endpoint disabled');
    await this.dispatcher.emitSystemEvent(
      siteId,
      'endpoint.disabled',
      { endpointId: e.id, url: e.url, reason },
      { idempotencyKey: `${e.id}:${Date.now()}` },
    );
  }
}
