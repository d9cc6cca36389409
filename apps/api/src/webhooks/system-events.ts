import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IngestedEventsRepository } from '../ingest/ingested-events.repository';
import { HandedOffEvent, isIdentify, occurrencesOfEvents, RUN_EVENT } from './system-event-mapping';
import { WebhookDispatcher } from './webhook-dispatcher';
import { SystemEventSubscriptions } from './system-event-subscriptions';

/** The run columns a run.completed / run.failed notice carries. */
export interface EndedRun {
  site_id: string;
  id: string;
  flow_id: string;
  flow_version: number;
  visitor_id: string;
}

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
    private readonly events: IngestedEventsRepository,
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
    if (!subscribed.has('visitor.identified') && !subscribed.has('cta.converted')) return;
    const identifies = subscribed.has('visitor.identified') ? events.filter(isIdentify) : [];
    const details = new Map(
      identifies.length
        ? (await this.events.identifyDetails(tx, siteId, identifies)).map((d) => [d.id, d])
        : [],
    );
    await this.dispatcher.emitSystemEvents(siteId, occurrencesOfEvents(events, subscribed, details), tx);
  }
}
