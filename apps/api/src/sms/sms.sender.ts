import { HttpStatus, Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import { AppError } from '../common/app-error';
import { WebhookSecrets } from '../webhooks/webhook-secrets';
import { WebhookSender } from '../webhooks/webhook-sender';
import { SmsProviderRepository } from './sms-provider.repository';
import { classifyAnswer, messageReceipt, messageRequest, providerError } from './twilio-request';

/** No answer, a timeout, 408, 429 or 5xx: the runtime retries the action with backoff. */
export class SmsUnavailableError extends Error {
  readonly code = 'SMS_PROVIDER_UNAVAILABLE';
}

/**
 * The `send_sms` effect: one POST to the site's Twilio-compatible provider through the webhooks'
 * outbound client (same SSRF guard, pinned DNS answers, timeout). A deferred effect: the runtime calls
 * it after the step committed, holding the run's row lock, and retries it like email (attempts and
 * errors in the run timeline). A missing provider, a refused address or a 4xx answer fail for good.
 */
@Injectable()
export class SmsSender {
  constructor(
    private readonly providers: SmsProviderRepository,
    private readonly secrets: WebhookSecrets,
    private readonly outbound: WebhookSender,
  ) {}

  async send(
    siteId: string,
    e: Extract<EngineEffect, { kind: 'send_sms' }>,
  ): Promise<{ sid: string | null; status: string | null; statusCode: number; latencyMs: number }> {
    const provider = await this.providers.get(siteId);
    if (!provider)
      throw new AppError(HttpStatus.NOT_FOUND, 'SMS_PROVIDER_NOT_CONFIGURED', 'SMS provider not configured');
    const req = messageRequest(
      {
        baseUrl: provider.base_url,
        accountSid: provider.account_sid,
        authToken: this.secrets.open(provider.auth_token_sealed),
        fromNumber: provider.from_number,
      },
      e,
      e.idempotencyKey,
    );
    const res = await this.outbound.send(req.url, req.headers, req.body);
    if (res.refused)
      throw new AppError(HttpStatus.BAD_REQUEST, 'SMS_PROVIDER_URL_FORBIDDEN', res.error ?? 'refused');
    const detail = providerError(res.statusCode, res.responseBody, res.error);
    switch (classifyAnswer(res.statusCode)) {
      case 'sent':
        return {
          ...messageReceipt(res.responseBody),
          statusCode: res.statusCode ?? 0,
          latencyMs: res.latencyMs,
        };
      case 'retry':
        throw new SmsUnavailableError(detail);
      case 'rejected':
        throw new AppError(HttpStatus.UNPROCESSABLE_ENTITY, 'SMS_REJECTED', detail);
    }
  }
}
