import { Injectable } from '@nestjs/common';
import type { JsonValue } from '@nudgeflow/engine';
import type { EntityManager } from 'typeorm';

export interface OutboundMessage {
  endpointId: string;
  /** `flow.webhook` for send_webhook, `flow.notify` for notify. */
  eventType: string;
  idempotencyKey: string;
  body: JsonValue;
}

/**
 * Where send_webhook and notify effects go: the webhooks feature records a delivery (and delivers it
 * with signatures, backoff and dead letter). One small seam so the runtime never fakes success.
 */
export abstract class OutboundMessageSink {
  /** Records the delivery inside the caller's transaction; a repeated idempotency key is a no-op. */
  abstract record(
    tx: EntityManager,
    siteId: string,
    message: OutboundMessage,
  ): Promise<{ messageId: string | null }>;
}

export class OutboundUnavailableError extends Error {
  readonly code = 'WEBHOOKS_UNAVAILABLE';
}

/** Used until the webhooks feature provides its service: the action fails (and is retried) visibly. */
@Injectable()
export class UnavailableOutboundSink extends OutboundMessageSink {
  record(): Promise<{ messageId: string | null }> {
    return Promise.reject(new OutboundUnavailableError('webhook deliveries are not available in this build'));
  }
}
