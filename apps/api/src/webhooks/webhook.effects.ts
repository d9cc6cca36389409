import { Injectable } from '@nestjs/common';
import type { EngineEffect } from '@nudgeflow/engine';
import type { EntityManager } from 'typeorm';
import { WebhookDispatcher } from './webhook-dispatcher';

/**
 * The send_webhook and notify effects: a webhook message to the node's endpoint, written in the
 * step's transaction (its delivery job is enqueued after the commit). The idempotency key is the
 * step's, so a retried step gets its first message back.
 */
@Injectable()
export class WebhookEffects {
  constructor(private readonly dispatcher: WebhookDispatcher) {}

  sendWebhook(
    tx: EntityManager,
    siteId: string,
    effect: Extract<EngineEffect, { kind: 'send_webhook' }>,
  ): Promise<{ messageId: string }> {
    const body = effect.body;
    const payload = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : { data: body };
    return this.dispatcher.dispatch(
      siteId,
      {
        endpointId: effect.endpointId,
        eventType: 'flow.send_webhook',
        payload,
        idempotencyKey: `run:${effect.idempotencyKey}`,
      },
      tx,
    );
  }

  /** Slack-style: the payload is `{ text }`. */
  notify(
    tx: EntityManager,
    siteId: string,
    effect: Extract<EngineEffect, { kind: 'notify' }>,
  ): Promise<{ messageId: string }> {
    return this.dispatcher.dispatch(
      siteId,
      {
        endpointId: effect.endpointId,
        eventType: 'flow.notify',
        payload: { text: effect.text },
        idempotencyKey: `run:${effect.idempotencyKey}`,
      },
      tx,
    );
  }
}
