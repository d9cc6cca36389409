import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { matchesTrigger } from '@nudgeflow/engine';
import { OnJob } from '../jobs/job-handler.decorator';
import type { JobContext } from '../jobs/job-registry';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { IngestedEventsRepository } from '../ingest/ingested-events.repository';
import { inboundWebhookEvent, runJobId, toEngineEvent, visitorRounds } from './engine-event';
import { EffectPort } from './effect-port';
import { FlowIndex } from './flow-index';
import { Transition } from './run-advance';
import { RunAdvancer } from './run-advancer.service';
import { EnrolFlow, EnrolItem, RunEnrolmentRepository } from './run-enrolment.repository';
import { RunExecutor } from './run-executor.service';
import { RunJob, RunQueueService } from './run-queue.service';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';
import { RuntimeMetrics } from './runtime-metrics';

/**
 * The `triggers` job: for each handed-off event, enrol the live flows whose triggers match (the
 * database refuses a second enrolment by the same event and enforces re-entry and the per-visitor
 * cap) and hand the event to the visitor's waiting runs that listen for it. Jobs go out after commit.
 */
@Injectable()
export class TriggerMatcher {
  constructor(
    private readonly runs: RunEnrolmentRepository,
    private readonly events: IngestedEventsRepository,
    private readonly flows: FlowIndex,
    private readonly queue: RunQueueService,
    private readonly metrics: RuntimeMetrics,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
    private readonly effects: EffectPort,
    private readonly advancer: RunAdvancer,
    private readonly executor: RunExecutor,
  ) {}

  @OnJob(JobName.TriggersMatchEvents)
  async match(
    data: JobPayloadMap[JobName.TriggersMatchEvents],
    ctx: JobContext,
  ): Promise<{ enrolled: number; delivered: number } | { deferred: true }> {
    const { siteId, handoffId } = data;
    const token = `${ctx.jobId ?? handoffId}:${randomUUID()}`;
    const limit = this.cfg.RUNTIME_SITE_TRIGGER_CONCURRENCY;
    if (!(await this.queue.acquireSlot(siteId, token, limit, 'tslots'))) {
      // Over the site's budget: let other sites' events through and come back (idempotent job).
      const delay = 250 + Math.random() * 500;
      await this.queue.enqueueTriggers(data, `b${Date.now()}`, delay);
      return { deferred: true };
    }
    const startedAt = Date.now();
    try {
      const result = await this.matchEvents(data);
      await this.queue.settle('handoffs', RunQueueService.handoffField(siteId, handoffId), startedAt);
      return result;
    } finally {
      await this.queue.releaseSlot(siteId, token, 'tslots');
    }
  }

  private async matchEvents({
    siteId,
    handoffId,
    eventIds,
    tsRange,
  }: JobPayloadMap[JobName.TriggersMatchEvents]): Promise<{ enrolled: number; delivered: number }> {
    // In the hand-off's order (the fold's: each event, then the trait changes it caused), not by id: on
    // Citus a `$trait_changed` id can sort before its cause (the fold's insert and the write path's
    // draw from different nodes' sequences).
    const position = new Map(eventIds.map((id, i) => [id, i]));
    const events = (await this.events.forTriggers(siteId, eventIds, tsRange ?? null)).sort(
      (a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0),
    );
    const index = await this.flows.forSite(siteId);
    const jobs: RunJob[] = [];
    let advanced: Map<string, Transition> | null = null;
    const created: string[] = [];
    const claimed = await this.runs.transaction(async (tx) => {
      if (!(await this.runs.claimHandoff(tx, siteId, handoffId))) return false;
      await this.effects.eventsHandedOff(tx, siteId, events); // visitor.identified, cta.converted
      const live = events.filter((row) => !row.is_bot).map((row) => ({ row, event: toEngineEvent(row) }));
      const delivered = await this.runs.deliverToWaiting(
        tx,
        siteId,
        live.map(({ row, event }) => ({ visitorId: row.visitor_id, eventId: row.id, event })),
      );
      for (const d of delivered)
        jobs.push({ siteId, runId: d.run_id, jobId: runJobId.event(d.run_id, d.event_id) });
      // Per flow, in event order; a visitor's repeat waits for the next round (its guard must see the first).
      const byFlow = new Map<string, { flow: EnrolFlow; items: EnrolItem[] }>();
      for (const { row, event } of live) {
        // An inbound hook's event is also `$webhook` to triggers; one event enrols a flow once.
        const webhook = inboundWebhookEvent(row);
        const matched = new Set<string>();
        for (const view of webhook ? [event, webhook] : [event])
          for (const flow of index.byEvent.get(view.name) ?? []) {
            if (matched.has(flow.flowId)) continue;
            const trigger = flow.triggers.find((t) => matchesTrigger(t, view));
            if (!trigger) continue;
            matched.add(flow.flowId);
            const { reEntry, maxConcurrentRunsPerVisitor } = flow.compiled.settings;
            const entry = byFlow.get(flow.flowId) ?? {
              flow: {
                flowId: flow.flowId,
                version: flow.version,
                reEntry: reEntry.mode,
                reEntryDays: reEntry.mode === 'once_per_days' ? reEntry.days : 0,
                maxConcurrent: reEntry.mode === 'once' ? 1 : maxConcurrentRunsPerVisitor,
                holdoutPercent: flow.compiled.settings.holdoutPercent ?? 0,
              },
              items: [],
            };
            entry.items.push({
              visitorId: row.visitor_id,
              eventId: row.id,
              triggerNodeId: trigger.id,
              event: view,
            });
            byFlow.set(flow.flowId, entry);
          }
      }
      for (const { flow, items } of byFlow.values())
        for (const round of visitorRounds(items))
          created.push(...(await this.runs.enrolBatch(tx, siteId, flow, round)));
      // The new runs' instantaneous first steps happen in this transaction (no steps job for them).
      advanced = await this.advancer.advanceEnrolled(tx, siteId, created);
      return true;
    });
    if (!claimed) return { enrolled: 0, delivered: 0 };
    this.metrics.enrolled.inc(created.length);
    const delivered = jobs.length;
    // The new runs still pending (their first steps failed in the enrolment's transaction) get their
    // steps job (same job ids). A crash between COMMIT and here leaves them to the overdue reconciler
    // (`claimOverdue`: their `next_step_at` is their enrolment); the hand-off is gone with the COMMIT,
    // so a retry of this job stops at its claim.
    const pending = await this.runs.pendingRuns(siteId, created);
    for (const r of pending) jobs.push({ siteId, runId: r.id, jobId: runJobId.due(r.id, r.seq) });
    await this.queue.enqueueRuns(jobs);
    if (advanced) await this.executor.followUp(siteId, advanced);
    return { enrolled: created.length, delivered };
  }
}
