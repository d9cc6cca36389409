import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AdvanceResult,
  applyVisitorUpdate,
  advanceRun,
  CompiledFlow,
  EngineInput,
  eventsOfInterest,
  RunState,
  VisitorSnapshot,
} from '@nudgeflow/engine';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EntityManager } from 'typeorm';
import { TtlCache } from '../common/ttl-cache';
import { OnJob } from '../jobs/job-handler.decorator';
import type { JobContext } from '../jobs/job-registry';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { SystemEvents } from '../webhooks/system-events';
import { retryDelayMs, runJobId, StoredVisitor, toVisitorSnapshot } from './engine-event';
import { EffectPerformer, isPermanent } from './effect-performer';
import { FlowIndex } from './flow-index';
import { RunQueueService } from './run-queue.service';
import { RunRepository } from './run.repository';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';
import { RuntimeMetrics } from './runtime-metrics';
import type { NewRunStep, RunError, RunRow, StepInput } from './runtime.types';

/** A timer that fires a few ms early (clock skew between Redis and this process) still counts. */
const EARLY_MS = 50;

type Transition =
  { kind: 'noop' } | { kind: 'effects' } | { kind: 'settled'; seq: number; wakeAt: string | null };

type EffectOutcome =
  | { kind: 'continue' }
  | { kind: 'stop' }
  | { kind: 'retry'; seq: number; delayMs: number }
  | { kind: 'settled'; seq: number; wakeAt: string | null };

function wakeAtOf(state: RunState | null): string | null {
  const w = state?.status === 'waiting' ? state.waiting : null;
  if (!w) return null;
  return w.kind === 'timer' ? w.fireAt : w.timeoutAt;
}

/** An inline effect failed in an unguarded advance: redo the advance with savepoints. */
class InlineEffectFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(`inline effect failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * The `steps` job: load the run under a row lock, feed the pure engine whatever is due (start,
 * inbox events, timer/timeout), and in the same transaction write the new state, one ledger row per
 * executed node and every database effect. Outbound actions (email) then run one at a time, each in
 * a transaction that re-checks the run under its row lock and flips the ledger row to done.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);
  private readonly timezones = new TtlCache<string, string>(300_000, 10_000);

  constructor(
    private readonly runs: RunRepository,
    private readonly flows: FlowIndex,
    private readonly effects: EffectPerformer,
    private readonly queue: RunQueueService,
    private readonly metrics: RuntimeMetrics,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
    private readonly systemEvents: SystemEvents,
  ) {}

  @OnJob(JobName.RunStep)
  async step(data: JobPayloadMap[JobName.RunStep], ctx: JobContext): Promise<{ outcome: string }> {
    const token = `${ctx.jobId ?? 'job'}:${randomUUID()}`;
    if (!(await this.queue.acquireSlot(data.siteId, token, this.cfg.RUNTIME_SITE_CONCURRENCY))) {
      // Over the site's budget: hand the slot to other sites and come back shortly (idempotent job).
      await this.queue.enqueueRuns([
        {
          siteId: data.siteId,
          runId: data.runId,
          jobId: runJobId.deferred(ctx.jobId ?? runJobId.due(data.runId, 0), Date.now()),
          delayMs: 250 + Math.random() * 500,
        },
      ]);
      return { outcome: 'deferred' };
    }
    const startedAt = Date.now();
    let outcome: string;
    try {
      outcome = await this.execute(data.siteId, data.runId);
    } catch (err) {
      await this.queue.releaseSlot(data.siteId, token);
      throw err;
    }
    await this.queue.settleAndRelease(data.runId, startedAt, data.siteId, token);
    return { outcome };
  }

  async execute(siteId: string, runId: string): Promise<string> {
    const started = performance.now();
    const t = await this.transition(siteId, runId);
    this.metrics.stepDuration.observe({ phase: 'transition' }, (performance.now() - started) / 1000);
    if (t.kind === 'noop') return 'noop';
    if (t.kind === 'settled') {
      await this.schedule(siteId, runId, t.seq, t.wakeAt);
      return 'settled';
    }
    for (;;) {
      const r = await this.performNext(siteId, runId);
      switch (r.kind) {
        case 'continue':
          continue;
        case 'stop':
          return 'stopped';
        case 'retry':
          await this.queue.enqueueDue(siteId, runId, r.seq, r.delayMs);
          return 'retry';
        case 'settled':
          await this.schedule(siteId, runId, r.seq, r.wakeAt);
          return 'settled';
        default: {
          const _never: never = r;
          return _never;
        }
      }
    }
  }

  /** Waits due within the horizon become delayed jobs now; later ones are promoted by the reconciler. */
  private async schedule(siteId: string, runId: string, seq: number, wakeAt: string | null): Promise<void> {
    if (!wakeAt) return;
    const delay = Date.parse(wakeAt) - Date.now();
    if (delay > this.cfg.RUNTIME_TIMER_HORIZON_MS) return;
    await this.queue.enqueueDue(siteId, runId, seq, Math.max(0, delay));
  }

  private async timezone(siteId: string): Promise<string> {
    let tz = this.timezones.get(siteId);
    if (!tz) {
      tz = (await this.runs.siteTimezone(siteId)) ?? 'UTC';
      this.timezones.set(siteId, tz);
    }
    return tz;
  }

  /**
   * One advance of a run in one transaction. Inline effects first run without savepoints (two round
   * trips fewer each); if one fails, that transaction rolls back whole and the advance is redone with a
   * savepoint around each inline effect, so the failure stays the effect's alone.
   */
  private async transition(siteId: string, runId: string): Promise<Transition> {
    try {
      return await this.transitionOnce(siteId, runId, false);
    } catch (err) {
      if (!(err instanceof InlineEffectFailed)) throw err;
      return this.transitionOnce(siteId, runId, true);
    }
  }

  private async transitionOnce(siteId: string, runId: string, guarded: boolean): Promise<Transition> {
    const tz = await this.timezone(siteId);
    return this.runs.transaction(async (tx) => {
      const locked = await this.runs.lockRunForAdvance(tx, siteId, runId);
      if (!locked) return { kind: 'noop' };
      const { max_ord: maxOrd, visitor_row: visitorRow, ...run } = locked;
      if (run.status === 'running') return { kind: 'effects' };
      if (run.status !== 'pending' && run.status !== 'waiting') return { kind: 'noop' };
      const flow = await this.flows.version(siteId, run.flow_id, run.flow_version, tx);
      if (!flow) {
        await this.runs.failRun(tx, run, {
          code: 'FLOW_VERSION_MISSING',
          message: `flow version ${run.flow_version} not found`,
          nodeId: null,
        });
        return { kind: 'noop' };
      }
      const now = Date.now();
      const inputs: { input: EngineInput; meta: StepInput }[] = [];
      let inboxIds: string[] = [];
      if (run.status === 'pending') {
        inputs.push({
          input: { kind: 'start', event: run.trigger_event, triggerNodeId: run.trigger_node_id },
          meta: { kind: 'start', eventId: run.trigger_event_id },
        });
      } else {
        const inbox = await this.runs.inbox(tx, siteId, runId);
        inboxIds = inbox.map((i) => i.event_id);
        for (const i of inbox)
          inputs.push({
            input: { kind: 'event', event: i.event },
            meta: { kind: 'event', eventId: i.event_id, event: i.event.name },
          });
        const waiting = run.state?.waiting;
        const wakeAt = wakeAtOf(run.state);
        if (waiting && wakeAt && Date.parse(wakeAt) <= now + EARLY_MS) {
          const kind = waiting.kind === 'timer' ? 'timer' : 'timeout';
          inputs.push({ input: { kind, nodeId: waiting.nodeId }, meta: { kind, nodeId: waiting.nodeId } });
        }
      }
      if (!inputs.length) return { kind: 'noop' };
      return this.advance(
        tx,
        run,
        flow,
        inputs,
        inboxIds,
        tz,
        now,
        maxOrd ?? 0,
        visitorRow ?? undefined,
        guarded,
      );
    });
  }

  private async advance(
    tx: EntityManager,
    run: RunRow,
    flow: CompiledFlow,
    inputs: { input: EngineInput; meta: StepInput }[],
    inboxIds: string[],
    tz: string,
    now: number,
    maxOrd: number,
    visitorRow: StoredVisitor | undefined,
    guarded: boolean,
  ): Promise<Transition> {
    let visitor: VisitorSnapshot = toVisitorSnapshot(visitorRow, run.visitor_id);
    let state = run.state;
    let last: AdvanceResult | undefined;
    let ord = maxOrd;
    const steps: NewRunStep[] = [];
    for (const { input, meta } of inputs) {
      if (state && state.status !== 'waiting') break;
      const res = advanceRun(flow, state, input, { now, siteTimezone: tz, visitor, runId: run.id });
      if (res.ignored) continue;
      state = res.state;
      last = res;
      for (const s of res.steps) {
        const effect = s.effects[0] ?? null;
        if (effect?.kind === 'update_visitor') visitor = applyVisitorUpdate(visitor, effect);
        steps.push({
          nodeId: s.nodeId,
          iteration: s.iteration,
          ord: ++ord,
          nodeType: s.type,
          handle: s.handle,
          input: meta,
          effect,
          effectStatus: effect ? 'pending' : 'none',
          effectResult: null,
          skipped: s.skipped ?? null,
          at: s.at,
        });
      }
    }
    await this.runs.clearInbox(tx, run.site_id, run.id, inboxIds);
    if (!last || !state) {
      // Only irrelevant events: keep waiting, and put the wake-up time back.
      await this.runs.applyTransition(tx, run, {
        state: run.state as RunState,
        status: run.status,
        settled: 'waiting',
        nextStepAt: wakeAtOf(run.state),
        waitNodeId: run.wait_node_id,
        interests: run.interests,
        error: null,
        ended: false,
      });
      return { kind: 'noop' };
    }
    // Database effects ride in this transaction until the first outbound one (order is kept).
    let blocked = false;
    for (const s of steps) {
      if (!s.effect) continue;
      if (blocked || !this.effects.isInline(s.effect.kind)) {
        blocked = true;
        continue;
      }
      if (guarded) await tx.query(`SAVEPOINT effect`);
      try {
        s.effectResult = await this.effects.perform(tx, run, s.effect);
        s.effectStatus = 'done';
        if (guarded) await tx.query(`RELEASE SAVEPOINT effect`);
      } catch (err) {
        if (!guarded) throw new InlineEffectFailed(err);
        await tx.query(`ROLLBACK TO SAVEPOINT effect`);
        this.metrics.failures.inc({ node_kind: s.effect.kind, final: 'false' });
        this.logger.warn(
          { runId: run.id, nodeId: s.nodeId, err: (err as Error).message },
          'inline action failed',
        );
        blocked = true;
      }
    }
    const pending = steps.some((s) => s.effectStatus === 'pending');
    const settled = last.status;
    const ended = last.ended;
    const error: RunError | null =
      ended?.reason === 'failed' ? { code: ended.code, message: ended.message, nodeId: ended.nodeId } : null;
    const wakeAt = last.wakeAt ?? null;
    const seq = await this.runs.applyTransition(
      tx,
      run,
      {
        state,
        status: pending ? 'running' : settled,
        settled,
        nextStepAt: pending ? new Date(now).toISOString() : wakeAt,
        waitNodeId: state.waiting?.nodeId ?? null,
        interests: eventsOfInterest(flow, state),
        error,
        ended: !pending && settled !== 'waiting',
      },
      steps,
    );
    if (!pending) await this.systemEvents.runEnded(tx, run, settled, seq, error); // webhooks: run.completed/failed
    if (run.status === 'pending') {
      const receivedAt = Date.parse(run.trigger_event.timestamp ?? '');
      if (Number.isFinite(receivedAt))
        this.metrics.triggerToEffect.observe(Math.max(0, now - receivedAt) / 1000);
    }
    return pending ? { kind: 'effects' } : { kind: 'settled', seq, wakeAt };
  }

  /** One outbound action under the run's row lock; a cancel committed before this sees no effect. */
  private async performNext(siteId: string, runId: string): Promise<EffectOutcome> {
    return this.runs.transaction(async (tx) => {
      const run = await this.runs.lockRun(tx, siteId, runId);
      if (!run || run.status !== 'running') return { kind: 'stop' };
      if (run.next_step_at && run.next_step_at.getTime() > Date.now() + EARLY_MS) return { kind: 'stop' };
      const step = await this.runs.nextPendingEffect(tx, siteId, runId);
      if (!step || !step.effect) {
        const seq = await this.runs.settle(tx, run);
        await this.systemEvents.runEnded(tx, run, run.settled_status, seq, run.error); // webhooks
        return {
          kind: 'settled',
          seq,
          wakeAt: run.settled_status === 'waiting' ? wakeAtOf(run.state) : null,
        };
      }
      const kind = step.effect.kind;
      const started = performance.now();
      await tx.query(`SAVEPOINT effect`);
      try {
        const result = await this.effects.perform(tx, run, step.effect);
        await tx.query(`RELEASE SAVEPOINT effect`);
        await this.runs.markEffect(tx, siteId, runId, step, 'done', result, null);
        this.metrics.stepDuration.observe({ phase: kind }, (performance.now() - started) / 1000);
        return { kind: 'continue' };
      } catch (err) {
        await tx.query(`ROLLBACK TO SAVEPOINT effect`);
        const message = err instanceof Error ? err.message : String(err);
        const attempts = step.attempts + 1;
        const final = attempts >= this.cfg.RUNTIME_EFFECT_ATTEMPTS || isPermanent(err);
        this.metrics.failures.inc({ node_kind: kind, final: String(final) });
        if (final) {
          await this.runs.markEffect(tx, siteId, runId, step, 'failed', null, message);
          const code = (err as { code?: unknown }).code;
          const error = {
            code: typeof code === 'string' ? code : 'ACTION_FAILED',
            message: `${kind} failed after ${attempts} attempt(s): ${message}`,
            nodeId: step.node_id,
          };
          await this.runs.failRun(tx, run, error);
          await this.systemEvents.runEnded(tx, run, 'failed', run.seq + 1, error); // failRun: seq + 1
          return { kind: 'stop' };
        }
        await this.runs.markEffect(tx, siteId, runId, step, 'pending', null, message);
        const delayMs = retryDelayMs(attempts, this.cfg.RUNTIME_RETRY_BASE_MS, this.cfg.RUNTIME_RETRY_MAX_MS);
        const seq = await this.runs.scheduleRetry(tx, siteId, runId, new Date(Date.now() + delayMs));
        return { kind: 'retry', seq, delayMs };
      }
    });
  }
}
