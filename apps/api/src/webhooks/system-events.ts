import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SystemEventOccurrence, WebhookDispatcher } from './webhook-dispatcher';
import { SystemEventSubscriptions } from './system-event-subscriptions';
import { WebhookRepository } from './webhook.repository';

/** The run columns a run.completed / run.failed notice carries. */
export interface EndedRun {
  site_id: string;
  id: string;
  flow_id: string;
  flow_version: number;
  visitor_id: string;
}

/** The event columns the trigger job already read (the runtime's StoredEvent). */
export interface HandedOffEvent {
  id: string;
  visitor_id: string;
  message_id: string;
  type: string;
  name: string;
  ts: Date | string;
  properties: Record<string, unknown> | null;
  is_bot: boolean;
}

/** Run statuses that end a run normally (run.completed) or not (run.failed); others send nothing. */
const RUN_EVENT: Record<string, 'run.completed' | 'run.failed' | undefined> = {
  completed: 'run.completed',
  converted: 'run.completed',
  exited: 'run.completed',
  failed: 'run.failed',
};

const CTA_CONVERTED_EVENT = 'cta_converted';

/**
 * What producers call, always inside the transaction of their state change, so a system event is
 * sent exactly when that change commits (webhook messages are rows in the same transaction):
 *
 *   await systemEvents.runEnded(tx, run, 'failed', seq, error);   // runtime, where a run ends
 *   await systemEvents.fromEvents(tx, siteId, events);            // trigger job, per handed-off batch
 *
 * Each occurrence has a stable key (run id + the transition's seq; the event's id), so a retried
 * transaction or job keeps the first message and its webhook-id. When no enabled endpoint of the
 * site subscribes to the type, nothing is queried at all (per-site cache, see
 * SystemEventSubscriptions).
 */
@Injectable()
export class SystemEvents {
  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly subscriptions: SystemEventSubscriptions,
    private readonly repo: WebhookRepository,
  ) {}

  /** `status` is the run's new status; `seq` the run's seq after the transition (the occurrence key). */
  async runEnded(
    tx: EntityManager,
    run: EndedRun,
    status: string | null,
    seq: number,
    error?: { code: string; message: string; nodeId: string | null } | null,
  ): Promise<void> {
    const type = status ? RUN_EVENT[status] : undefined;
    if (!type) return;
    await this.dispatcher.emitSystemEvents(
      run.site_id,
      [
        {
          type,
          key: `${run.id}:${seq}`,
          data: {
            runId: run.id,
            flowId: run.flow_id,
            flowVersion: run.flow_version,
            visitorId: run.visitor_id,
            status,
            ...(type === 'run.failed' ? { error: error ?? null } : {}),
          },
        },
      ],
      tx,
    );
  }

  /**
   * Ingested events handed to the trigger job (ingestion's outbox): identify → visitor.identified,
   * the embed's `cta_converted` track → cta.converted. Bots send nothing.
   */
  async fromEvents(tx: EntityManager, siteId: string, events: HandedOffEvent[]): Promise<void> {
    const subscribed = await this.subscriptions.typesOf(siteId);
    const wantIdentify = subscribed.has('visitor.identified');
    const wantCta = subscribed.has('cta.converted');
    if (!wantIdentify && !wantCta) return;
    const identifies = wantIdentify ? events.filter((e) => !e.is_bot && e.type === 'identify') : [];
    const details = identifies.length
      ? new Map(
          (
            await this.repo.identifyDetails(
              tx,
              siteId,
              identifies.map((e) => e.id),
            )
          ).map((d) => [d.id, d]),
        )
      : new Map();
    const occurrences: SystemEventOccurrence[] = [];
    for (const e of events) {
      if (e.is_bot) continue;
      const at = new Date(e.ts);
      if (wantIdentify && e.type === 'identify') {
        const d = details.get(e.id);
        occurrences.push({
          type: 'visitor.identified',
          key: e.id,
          at,
          data: {
            visitorId: e.visitor_id,
            userId: d?.user_id ?? null,
            anonymousId: d?.anonymous_id ?? null,
            traits: d?.traits ?? {},
            messageId: e.message_id,
          },
        });
      } else if (wantCta && e.type === 'track' && e.name === CTA_CONVERTED_EVENT) {
        const p = e.properties ?? {};
        occurrences.push({
          type: 'cta.converted',
          key: e.id,
          at,
          data: {
            visitorId: e.visitor_id,
            ctaId: p.ctaId ?? p.cta_id ?? null,
            variantId: p.variantId ?? p.variant_id ?? null,
            properties: p,
            messageId: e.message_id,
          },
        });
      }
    }
    await this.dispatcher.emitSystemEvents(siteId, occurrences, tx);
  }
}
