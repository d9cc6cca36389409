/**
 * WebhookDispatcher — how other features send webhooks (import WebhooksCoreModule).
 *
 *   // flow action send_webhook / notify (Slack-style: payload = { text }):
 *   const { messageId } = await dispatcher.dispatch(siteId, {
 *     endpointId, eventType: 'flow.send_webhook', payload: renderedObject,
 *     idempotencyKey: `run:${runId}:${nodeId}:${iteration}`,   // same key => same message, same webhook-id
 *   }, tx);                                                    // optional: enqueued after tx commits
 *
 *   // system events to every enabled endpoint subscribed to the type (producers use SystemEvents):
 *   await dispatcher.emitSystemEvent(siteId, 'run.completed', { runId, flowId }, { idempotencyKey: runId, tx });
 *
 * Errors (AppError): WEBHOOK_ENDPOINT_NOT_FOUND (404), WEBHOOK_ENDPOINT_DISABLED (409),
 * WEBHOOK_PAYLOAD_INVALID (400: not a JSON object, or over 256 KB).
 */
import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { TickBatcher } from '../common/tick-batcher';
import { JobQueueService } from '../jobs/job-queue.service';
import { JobName, QueueName } from '../jobs/job.types';
import { AfterCommit } from './after-commit';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import { deliverJobId, deliverJobOpts, deliverJobs, MAX_BODY_BYTES, SystemEventType } from './webhook-events';
import { webhookIdFor } from './webhook-signature';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookRepository } from './webhook.repository';

export interface DispatchInput {
  endpointId: string;
  eventType: string;
  payload: Record<string, unknown>;
  idempotencyKey: string;
}

export interface SystemEventOccurrence {
  type: SystemEventType;
  /** Identifies this occurrence (a run transition, an event id): stable across retries. */
  key: string;
  data: Record<string, unknown>;
  /** When it happened (the envelope's `timestamp`); now by default. */
  at?: Date;
}

export const ENDPOINT_NOT_FOUND = 'WEBHOOK_ENDPOINT_NOT_FOUND';
export const ENDPOINT_DISABLED = 'WEBHOOK_ENDPOINT_DISABLED';
export const PAYLOAD_INVALID = 'WEBHOOK_PAYLOAD_INVALID';

/** Serializes a rendered payload; refuses anything that is not a plain JSON object within the limit. */
export function serializePayload(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new AppError(HttpStatus.BAD_REQUEST, PAYLOAD_INVALID, 'payload: must be a JSON object');
  let body: string;
  try {
    body = JSON.stringify(payload);
  } catch (err) {
    throw new AppError(HttpStatus.BAD_REQUEST, PAYLOAD_INVALID, `payload: ${(err as Error).message}`);
  }
  if (Buffer.byteLength(body) > MAX_BODY_BYTES)
    throw new AppError(
      HttpStatus.BAD_REQUEST,
      PAYLOAD_INVALID,
      `payload: larger than ${MAX_BODY_BYTES} bytes`,
    );
  return body;
}

@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly dueNow = new TickBatcher<{ id: string; attempt_count: number }, void>(
    async (siteId, messages) => {
      await this.enqueueMany(siteId, messages);
      return messages.map(() => undefined);
    },
  );

  constructor(
    private readonly db: DataSource,
    private readonly repo: WebhookRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly queues: JobQueueService,
    private readonly afterCommit: AfterCommit,
    private readonly subscriptions: SystemEventSubscriptions,
  ) {}

  async dispatch(siteId: string, input: DispatchInput, tx?: EntityManager): Promise<{ messageId: string }> {
    const body = serializePayload(input.payload);
    const db = tx ?? this.db;
    const endpoint = await this.endpoints.getEndpoint(siteId, input.endpointId, db);
    if (!endpoint)
      throw new AppError(HttpStatus.NOT_FOUND, ENDPOINT_NOT_FOUND, 'endpointId: webhook endpoint not found');
    if (!endpoint.enabled)
      throw new AppError(HttpStatus.CONFLICT, ENDPOINT_DISABLED, 'endpointId: webhook endpoint is disabled');
    const id = randomUUID();
    const message = await this.repo.insertMessage(db, siteId, {
      id,
      endpointId: endpoint.id,
      eventType: input.eventType,
      webhookId: webhookIdFor(id),
      idempotencyKey: input.idempotencyKey,
      body,
    });
    // Only a new message is enqueued; a retried step gets the first message back, untouched.
    if (message.created) await this.afterCommit.run(tx, () => this.enqueue(siteId, message.id, 0));
    return { messageId: message.id };
  }

  /** Sends `{type, timestamp, data}` to every enabled endpoint subscribed to the type. */
  async emitSystemEvent(
    siteId: string,
    type: SystemEventType,
    payload: Record<string, unknown>,
    opts: { idempotencyKey?: string; tx?: EntityManager } = {},
  ): Promise<{ messageIds: string[] }> {
    const key = opts.idempotencyKey ?? randomUUID();
    return this.emitSystemEvents(siteId, [{ type, key, data: payload }], opts.tx);
  }

  /**
   * Many occurrences of system events at once (one statement), in the caller's transaction when
   * given: the messages commit or roll back with the state change that produced them, and their
   * jobs are enqueued after the commit (the due pass sends any whose enqueue a crash lost). `key`
   * identifies the occurrence: the same key again keeps the first message and its webhook-id.
   * Costs nothing when no endpoint of the site subscribes to these types (cached per site).
   */
  async emitSystemEvents(
    siteId: string,
    occurrences: SystemEventOccurrence[],
    tx?: EntityManager,
  ): Promise<{ messageIds: string[] }> {
    if (occurrences.length === 0) return { messageIds: [] };
    const subscribed = await this.subscriptions.typesOf(siteId);
    const wanted = occurrences.filter((o) => subscribed.has(o.type));
    if (wanted.length === 0) return { messageIds: [] };
    const rows: { type: string; key: string; body: string }[] = [];
    for (const o of wanted) {
      try {
        const envelope = { type: o.type, timestamp: (o.at ?? new Date()).toISOString(), data: o.data };
        rows.push({ type: o.type, key: o.key, body: serializePayload(envelope) });
      } catch (err) {
        // A notice that cannot be sent must never fail the producer's transaction (a run step, a
        // trigger job): it is dropped, loudly.
        this.logger.error(
          { siteId, type: o.type, key: o.key, err: (err as Error).message },
          'system event dropped',
        );
      }
    }
    if (rows.length === 0) return { messageIds: [] };
    const created = await this.repo.insertSystemMessages(tx ?? this.db, siteId, rows);
    if (created.length) await this.afterCommit.run(tx, () => this.enqueueMany(siteId, created));
    return { messageIds: created.map((c) => c.id) };
  }

  /**
   * Deterministic job id per (message, attempt): a duplicate enqueue while the job waits is a no-op
   * in BullMQ. Messages due now that are enqueued in the same turn of the event loop (the dispatches
   * of transactions committing together) share jobs, `DELIVER_BATCH` messages of a site per job.
   */
  async enqueue(siteId: string, messageId: string, attempt: number, delayMs = 0): Promise<void> {
    if (delayMs > 0)
      await this.queues.enqueue(
        JobName.WebhookMessageDeliver,
        { siteId, messageId, attempt },
        deliverJobOpts(messageId, attempt, delayMs),
      );
    else await this.dueNow.add(siteId, { id: messageId, attempt_count: attempt });
  }

  /**
   * Re-sends finished messages (resend, recover). A finished job with the same deterministic id (a
   * job BullMQ gave up on, or one that ended without recording an attempt) would make the new add a
   * no-op, so it is removed first.
   */
  async enqueueAgain(siteId: string, messages: { id: string; attempt_count: number }[]): Promise<void> {
    const queue = this.queues.queue(QueueName.Webhooks);
    for (let i = 0; i < messages.length; i += 100)
      await Promise.all(
        messages.slice(i, i + 100).map(async (m) => {
          const job = await queue.getJob(deliverJobId(m.id, m.attempt_count));
          if (job && ['completed', 'failed'].includes(await job.getState())) await job.remove();
        }),
      );
    await this.enqueueMany(siteId, messages);
  }

  /** One job per message, never shared (a message that failed in a batch fails on its own next). */
  async enqueueEach(siteId: string, messages: { id: string; attempt_count: number }[]): Promise<void> {
    await this.queues.enqueueBulk(
      JobName.WebhookMessageDeliver,
      deliverJobs(
        messages.map((m) => ({ siteId, id: m.id, attempt: m.attempt_count })),
        1,
      ),
    );
  }

  /** Messages due now share a job per `DELIVER_BATCH` of their site; later ones get one each. */
  async enqueueMany(
    siteId: string | undefined,
    messages: { id: string; attempt_count: number; site_id?: string; delayMs?: number }[],
  ): Promise<void> {
    await this.queues.enqueueBulk(
      JobName.WebhookMessageDeliver,
      deliverJobs(
        messages.map((m) => ({
          siteId: (siteId ?? m.site_id)!,
          id: m.id,
          attempt: m.attempt_count,
          delayMs: m.delayMs,
        })),
      ),
    );
  }
}
