import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError, conflict, notFound } from '../common/app-error';
import { SsrfError } from './ssrf-guard';
import type { SystemEventType } from './webhook-events';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { generateSigningSecret } from './webhook-signature';
import { EndpointRow, WebhookEndpointRepository } from './webhook-endpoint.repository';
import { AttemptRow, MessageRow, MessageStatus, WebhookRepository } from './webhook.repository';
import { CreateEndpointInput, ListMessagesQuery, UpdateEndpointInput } from './webhook.schemas';

export interface EndpointView {
  id: string;
  url: string;
  description: string;
  enabled: boolean;
  disabledReason: string | null;
  eventTypes: SystemEventType[];
  headers: Record<string, string>;
  /** Names only: values are encrypted at rest and never returned. */
  secretHeaderNames: string[];
  failingSince: Date | null;
  secretRotatedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const endpointNotFound = () => notFound('webhook endpoint', 'WEBHOOK_ENDPOINT_NOT_FOUND');

/** Endpoint management and the delivery log, for the marketer API. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly secrets: WebhookSecrets,
    private readonly sender: WebhookSender,
    private readonly dispatcher: WebhookDispatcher,
    private readonly subscriptions: SystemEventSubscriptions,
  ) {}

  private async vetUrl(url: string): Promise<void> {
    try {
      await this.sender.vetUrl(url);
    } catch (err) {
      if (err instanceof SsrfError)
        throw new AppError(HttpStatus.BAD_REQUEST, 'WEBHOOK_URL_FORBIDDEN', `url: ${err.message}`, {
          path: 'url',
        });
      throw err;
    }
  }

  async create(siteId: string, input: CreateEndpointInput): Promise<EndpointView & { secret: string }> {
    await this.vetUrl(input.url);
    const secret = generateSigningSecret();
    const names = Object.keys(input.secretHeaders);
    const row = await this.endpoints.insertEndpoint(siteId, {
      url: input.url,
      description: input.description,
      enabled: input.enabled,
      secretEnc: this.secrets.seal(secret),
      eventTypes: input.eventTypes,
      headers: input.headers,
      secretHeadersEnc: names.length ? this.secrets.seal(JSON.stringify(input.secretHeaders)) : null,
      secretHeaderNames: names,
    });
    await this.subscriptions.changed(siteId);
    return { ...toView(row), secret };
  }

  async list(siteId: string): Promise<EndpointView[]> {
    return (await this.endpoints.listEndpoints(siteId)).map(toView);
  }

  async get(siteId: string, id: string): Promise<EndpointView> {
    const row = await this.endpoints.getEndpoint(siteId, id);
    if (!row) throw endpointNotFound();
    return toView(row);
  }

  async update(siteId: string, id: string, input: UpdateEndpointInput): Promise<EndpointView> {
    if (input.url) await this.vetUrl(input.url);
    const names = input.secretHeaders ? Object.keys(input.secretHeaders) : undefined;
    const row = await this.endpoints.updateEndpoint(siteId, id, {
      url: input.url,
      description: input.description,
      enabled: input.enabled,
      eventTypes: input.eventTypes,
      headers: input.headers,
      ...(input.secretHeaders
        ? {
            secretHeadersEnc: names!.length ? this.secrets.seal(JSON.stringify(input.secretHeaders)) : null,
            secretHeaderNames: names,
          }
        : {}),
    });
    if (!row) throw endpointNotFound();
    await this.subscriptions.changed(siteId);
    return toView(row);
  }

  async remove(siteId: string, id: string): Promise<void> {
    if (!(await this.endpoints.deleteEndpoint(siteId, id))) throw endpointNotFound();
    await this.subscriptions.changed(siteId);
  }

  /** The signing secret, for the owner to configure the receiver (the previous one while it overlaps). */
  async secret(siteId: string, id: string): Promise<{ secret: string; previousSecret: string | null }> {
    const row = await this.endpoints.getEndpoint(siteId, id);
    if (!row) throw endpointNotFound();
    const overlapping =
      row.previous_secret_enc &&
      row.previous_secret_expires_at &&
      row.previous_secret_expires_at > new Date();
    return {
      secret: this.secrets.open(row.secret_enc),
      previousSecret: overlapping ? this.secrets.open(row.previous_secret_enc!) : null,
    };
  }

  async rotate(
    siteId: string,
    id: string,
    overlapSeconds: number,
  ): Promise<EndpointView & { secret: string }> {
    const secret = generateSigningSecret();
    const row = await this.endpoints.rotateSecret(siteId, id, this.secrets.seal(secret), overlapSeconds);
    if (!row) throw endpointNotFound();
    return { ...toView(row), secret };
  }

  async sendTest(
    siteId: string,
    id: string,
    input: { eventType: string; payload?: Record<string, unknown>; idempotencyKey?: string },
  ): Promise<{ messageId: string }> {
    return this.dispatcher.dispatch(siteId, {
      endpointId: id,
      eventType: input.eventType,
      payload: input.payload ?? {
        type: input.eventType,
        timestamp: new Date().toISOString(),
        data: { test: true },
      },
      idempotencyKey: `test:${input.idempotencyKey ?? randomUUID()}`,
    });
  }

  async messages(siteId: string, q: ListMessagesQuery) {
    const rows = await this.repo.listMessages(siteId, {
      endpointId: q.endpointId,
      status: q.status ? statusFilter(q.status) : undefined,
      before: q.before ? new Date(q.before) : undefined,
      limit: q.limit,
    });
    const attempts = await this.repo.attemptsOf(
      siteId,
      rows.map((r) => r.id),
    );
    const data = rows.map((r) => messageView(r, attempts));
    const last = rows[rows.length - 1];
    return { data, nextBefore: rows.length === q.limit && last ? last.created_at : null };
  }

  async message(siteId: string, id: string) {
    const row = await this.repo.getMessage(siteId, id);
    if (!row) throw notFound('webhook message', 'WEBHOOK_MESSAGE_NOT_FOUND');
    return messageView(row, await this.repo.attemptsOf(siteId, [id]));
  }

  /** Sends a finished message again with the same webhook-id (receivers dedupe on it). */
  async resend(siteId: string, id: string): Promise<{ messageId: string }> {
    const row = await this.repo.getMessage(siteId, id);
    if (!row) throw notFound('webhook message', 'WEBHOOK_MESSAGE_NOT_FOUND');
    await this.assertEnabled(siteId, row.endpoint_id);
    const requeued = await this.repo.requeue(siteId, { messageId: id, onlyFailed: false });
    if (requeued.length === 0)
      throw conflict('WEBHOOK_MESSAGE_IN_FLIGHT', 'message: is still being delivered');
    await this.dispatcher.enqueueAgain(siteId, requeued);
    return { messageId: id };
  }

  /** "Recover": every failed message of the endpoint created since `since` goes out again. */
  async recover(siteId: string, endpointId: string, since: Date): Promise<{ requeued: number }> {
    await this.assertEnabled(siteId, endpointId);
    const requeued = await this.repo.requeue(siteId, { endpointId, since, onlyFailed: true });
    await this.dispatcher.enqueueAgain(siteId, requeued);
    return { requeued: requeued.length };
  }

  async notices(siteId: string) {
    return (await this.endpoints.listNotices(siteId)).map((n) => ({
      id: n.id,
      endpointId: n.endpoint_id,
      kind: n.kind,
      message: n.message,
      createdAt: n.created_at,
    }));
  }

  private async assertEnabled(siteId: string, endpointId: string): Promise<void> {
    const e = await this.endpoints.getEndpoint(siteId, endpointId);
    if (!e) throw endpointNotFound();
    if (!e.enabled) throw conflict('WEBHOOK_ENDPOINT_DISABLED', 'endpoint: is disabled; enable it first');
  }
}

const statusFilter = (s: 'pending' | 'succeeded' | 'failed'): MessageStatus[] =>
  s === 'pending' ? ['pending', 'sending'] : [s];

function toView(r: EndpointRow): EndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    eventTypes: r.event_types,
    headers: r.headers,
    secretHeaderNames: r.secret_header_names,
    failingSince: r.failing_since,
    secretRotatedUntil:
      r.previous_secret_expires_at && r.previous_secret_expires_at > new Date()
        ? r.previous_secret_expires_at
        : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function messageView(m: MessageRow, attempts: AttemptRow[]) {
  return {
    id: m.id,
    endpointId: m.endpoint_id,
    eventType: m.event_type,
    webhookId: m.webhook_id,
    status: m.status === 'sending' ? 'pending' : m.status,
    attemptCount: m.attempt_count,
    nextAttemptAt: m.next_attempt_at,
    lastStatus: m.last_status,
    lastError: m.last_error,
    createdAt: m.created_at,
    payload: JSON.parse(m.body) as unknown,
    attempts: attempts
      .filter((a) => a.message_id === m.id)
      .map((a) => ({
        attempt: a.attempt,
        webhookId: a.webhook_id,
        at: a.attempted_at,
        status: a.status_code,
        error: a.error,
        latencyMs: a.latency_ms,
        response: a.response_body,
        tries: a.tries,
      })),
  };
}
