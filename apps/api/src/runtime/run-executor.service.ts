import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AdvanceResult,
  EngineEffect,
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
import { TickBatcher } from '../common/tick-batcher';
import { TtlCache } from '../common/ttl-cache';
import { OnJob } from '../jobs/job-handler.decorator';
import type { JobContext } from '../jobs/job-registry';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { SystemEvents } from '../webhooks/system-events';
import { retryDelayMs, runJobId, toVisitorSnapshot } from './engine-event';
import { EffectPerformer, isPermanent } from './effect-performer';
import { FlowIndex } from './flow-index';
import { RunJob, RunQueueService } from './run-queue.service';
import { InboxRow, RunRepository, RunTransition } from './run.repository';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';
import { RuntimeMetrics } from './runtime-metrics';
import type { NewRunStep, RunError, RunRow, SettledStatus, StepInput } from './runtime.types';

/** A timer that fires a few ms early (clock skew between Redis and this process) still counts. */
const EARLY_MS = 50;
/** At most this many runs advance in one shared transaction (steps jobs; wake jobs take WAKE_BATCH). */
const BATCH_RUNS = 50;
const WAKE_BATCH = 500;
/** Runs advanced between two yields to the event loop. */
const YIELD_EVERY = 25;
const WAKE_ROUNDS = 20;

/** What an advance left: nothing to do, outbound actions to perform (at `seq`), or a settled run. */
export type Transition =
  | { kind: 'noop' }
  | { kind: 'effects'; seq?: number }
  | { kind: 'settled'; seq: number; wakeAt: string | null };

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

/** An advance worked out under the run's lock: the write that records it, and what it moved to. */
interface Planned {
  run: RunRow;
  transition: RunTransition;
  steps: NewRunStep[];
  /** The visitor as this advance's updates left it. */
  visitor: VisitorSnapshot;
  /** Null when only irrelevant events came (the run keeps waiting). */
  moved: { pending: boolean; settled: SettledStatus; wakeAt: string | null } | null;
}

/**
 * Inline effects of an unguarded batch that are written together after every run of it advanced (and
 * before their ledger rows), one statement per kind: `EffectPerformer.performBatch`.
 */
interface BatchWrite {
  run: RunRow;
  effect: EngineEffect;
  step: NewRunStep;
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
  private readonly batches = new TickBatcher<string, Transition>(
    (siteId, runIds) => this.transitionBatch(siteId, runIds),
    BATCH_RUNS,
    1, // one batch of a site at a time per worker: the next one gathers meanwhile (group commit)
  );

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

  /** Waits due within the horizon become wake-ups now; later ones are promoted by the reconciler. */
  private async schedule(siteId: string, runId: string, seq: number, wakeAt: string | null): Promise<void> {
    if (!wakeAt) return;
    await this.followUp(siteId, new Map([[runId, { kind: 'settled', seq, wakeAt }]]));
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
   * One advance of a run. Runs of one site whose steps start in the same event-loop turn advance
   * together, in one transaction of a few statements (lock all, their inbox, one state + ledger write);
   * if anything in that shared transaction fails, it rolls back whole and each run advances alone, so
   * one run's failure stays its own.
   */
  private transition(siteId: string, runId: string): Promise<Transition> {
    return this.batches.add(siteId, runId);
  }

  private async transitionBatch(siteId: string, runIds: string[]): Promise<Transition[]> {
    const unique = [...new Set(runIds)];
    if (unique.length > 1) {
      try {
        const res = await this.transitionOnce(siteId, unique, false);
        return runIds.map((id) => res.get(id) ?? { kind: 'noop' });
      } catch (err) {
        this.logger.debug(
          { siteId, runs: unique.length, err: (err as Error).message },
          'batch advance redone per run',
        );
      }
    }
    // One at a time (a run listed twice sees the state its first advance left).
    const out: Transition[] = [];
    for (const id of runIds) out.push(await this.transitionAlone(siteId, id));
    return out;
  }

  /**
   * A run's advance in a transaction of its own. Inline effects first run without savepoints (two
   * round trips fewer each); if one fails, that transaction rolls back whole and the advance is redone
   * with a savepoint around each inline effect, so the failure stays the effect's alone.
   */
  private async transitionAlone(siteId: string, runId: string): Promise<Transition> {
    try {
      return (await this.transitionOnce(siteId, [runId], false)).get(runId) ?? { kind: 'noop' };
    } catch (err) {
      if (!(err instanceof InlineEffectFailed)) throw err;
      return (await this.transitionOnce(siteId, [runId], true)).get(runId) ?? { kind: 'noop' };
    }
  }

  private async transitionOnce(
    siteId: string,
    runIds: string[],
    guarded: boolean,
  ): Promise<Map<string, Transition>> {
    const tz = await this.timezone(siteId);
    return this.runs.transaction((tx) => this.advanceLocked(tx, siteId, runIds, tz, guarded));
  }

  /**
   * Advances runs a trigger job just created, inside its transaction, so a run whose first steps are
   * instantaneous (conditions, visitor updates, on-site messages, webhook requests) is done when the
   * enrolment commits: no steps job, no second transaction. If anything fails, the savepoint undoes
   * the advances (never the enrolment) and the runs stay pending for their steps jobs, as before.
   * Returns null then. Call `followUp` after the commit.
   */
  async advanceEnrolled(
    tx: EntityManager,
    siteId: string,
    runIds: string[],
  ): Promise<Map<string, Transition> | null> {
    if (!runIds.length) return new Map();
    const tz = await this.timezone(siteId);
    await tx.query(`SAVEPOINT enrolled_advance`);
    try {
      const res = await this.advanceLocked(tx, siteId, runIds, tz, false);
      await tx.query(`RELEASE SAVEPOINT enrolled_advance`);
      return res;
    } catch (err) {
      await tx.query(`ROLLBACK TO SAVEPOINT enrolled_advance`);
      this.logger.debug(
        { siteId, runs: runIds.length, err: (err as Error).message },
        'enrolled runs left to steps jobs',
      );
      return null;
    }
  }

  /**
   * The jobs advanced runs still need once their transaction committed: a steps job for outbound
   * actions, a wake-up for a wait within the timer horizon (later waits are the reconciler's). A crash
   * before this leaves them due in PostgreSQL, where the reconciler finds them.
   */
  async followUp(siteId: string, advanced: Map<string, Transition>): Promise<void> {
    const jobs: RunJob[] = [];
    const wakes: { runId: string; dueAt: number }[] = [];
    const horizon = Date.now() + this.cfg.RUNTIME_TIMER_HORIZON_MS;
    for (const [runId, t] of advanced) {
      if (t.kind === 'effects' && t.seq !== undefined)
        jobs.push({ siteId, runId, jobId: runJobId.due(runId, t.seq) });
      if (t.kind === 'settled' && t.wakeAt) {
        const dueAt = Date.parse(t.wakeAt);
        if (dueAt <= horizon) wakes.push({ runId, dueAt });
      }
    }
    await this.queue.enqueueRuns(jobs);
    await this.queue.enqueueWakes(siteId, wakes);
  }

  /**
   * A site's waiting runs whose timer or timeout has come, advanced WAKE_BATCH at a time (one
   * transaction each, see `transitionBatch`) instead of one steps job per run. Bounded: a backlog
   * larger than WAKE_ROUNDS batches continues in a follow-up job, so the site slot is not held long.
   */
  @OnJob(JobName.RunsWake)
  async wake(data: JobPayloadMap[JobName.RunsWake], ctx: JobContext): Promise<{ woken: number }> {
    const { siteId } = data;
    const token = `${ctx.jobId ?? 'wake'}:${randomUUID()}`;
    if (!(await this.queue.acquireSlot(siteId, token, this.cfg.RUNTIME_SITE_CONCURRENCY))) {
      // Over the site's budget: other sites go first; the wake-up comes back shortly.
      await this.queue.requeueWake(siteId, Date.now() + 250 + Math.random() * 500);
      return { woken: 0 };
    }
    let woken = 0;
    try {
      for (let round = 0; round < WAKE_ROUNDS; round++) {
        const results = await this.wakeDue(siteId, new Date(Date.now() + EARLY_MS));
        await this.followUp(siteId, results);
        woken += results.size;
        if (results.size < WAKE_BATCH) break;
        if (round === WAKE_ROUNDS - 1) await this.queue.requeueWake(siteId, Date.now());
      }
    } finally {
      await this.queue.releaseSlot(siteId, token);
    }
    return { woken };
  }

  /**
   * Up to WAKE_BATCH of the site's waiting runs due by `dueBy`, advanced in one transaction. Runs
   * another wake job holds are skipped (SKIP LOCKED), so the wake jobs of a site's time slices share
   * a backlog instead of queueing on each other's locks. If the shared transaction fails, the same
   * runs advance one by one.
   */
  private async wakeDue(siteId: string, dueBy: Date): Promise<Map<string, Transition>> {
    const tz = await this.timezone(siteId);
    try {
      return await this.runs.transaction((tx) =>
        this.advanceLocked(tx, siteId, { dueBy, limit: WAKE_BATCH }, tz, false),
      );
    } catch (err) {
      this.logger.debug({ siteId, err: (err as Error).message }, 'wake batch redone per run');
      const ids = await this.runs.dueWaiting(siteId, dueBy, WAKE_BATCH);
      const results = new Map<string, Transition>();
      for (const id of ids) results.set(id, await this.transitionAlone(siteId, id));
      return results;
    }
  }

  /** `runs`: the run ids to lock, or the wake-up cut-off for a site's due waiting runs (see `wakeDue`). */
  private async advanceLocked(
    tx: EntityManager,
    siteId: string,
    runs: string[] | { dueBy: Date; limit: number },
    tz: string,
    guarded: boolean,
  ): Promise<Map<string, Transition>> {
    const locked = Array.isArray(runs)
      ? await this.runs.lockRunsForAdvance(tx, siteId, runs)
      : await this.runs.lockDueForAdvance(tx, siteId, runs.dueBy, runs.limit);
    const waiting = locked.filter((r) => r.status === 'waiting').map((r) => r.id);
    const inbox = new Map<string, InboxRow[]>();
    for (const row of await this.runs.inboxes(tx, siteId, waiting)) {
      const list = inbox.get(row.run_id);
      if (list) list.push(row);
      else inbox.set(row.run_id, [row]);
    }
    const now = Date.now();
    const results = new Map<string, Transition>();
    const planned: Planned[] = [];
    const cleared: { runId: string; eventId: string }[] = [];
    // A visitor in two runs of the batch: the second sees what the first one's updates left.
    const visitors = new Map<string, VisitorSnapshot>();
    // Unguarded, the batch's visitor updates and on-site messages share a statement per kind (a
    // failure rolls the batch back, and each run is redone alone, guarded if need be).
    const writes: BatchWrite[] | null = guarded ? null : [];
    let sinceYield = 0;
    for (const { max_ord: maxOrd, visitor_row: visitorRow, ...run } of locked) {
      // A batch of hundreds of runs is CPU work with no I/O in between: let other jobs' replies in.
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      results.set(run.id, { kind: run.status === 'running' ? 'effects' : 'noop' });
      if (run.status !== 'pending' && run.status !== 'waiting') continue;
      const flow = await this.flows.version(siteId, run.flow_id, run.flow_version, tx);
      if (!flow) {
        await this.runs.failRun(tx, run, {
          code: 'FLOW_VERSION_MISSING',
          message: `flow version ${run.flow_version} not found`,
          nodeId: null,
        });
        continue;
      }
      const inputs: { input: EngineInput; meta: StepInput }[] = [];
      if (run.status === 'pending') {
        inputs.push({
          input: { kind: 'start', event: run.trigger_event, triggerNodeId: run.trigger_node_id },
          meta: { kind: 'start', eventId: run.trigger_event_id },
        });
      } else {
        for (const i of inbox.get(run.id) ?? []) {
          cleared.push({ runId: run.id, eventId: i.event_id });
          inputs.push({
            input: { kind: 'event', event: i.event },
            meta: { kind: 'event', eventId: i.event_id, event: i.event.name },
          });
        }
        const waitingOn = run.state?.waiting;
        const wakeAt = wakeAtOf(run.state);
        if (waitingOn && wakeAt && Date.parse(wakeAt) <= now + EARLY_MS) {
          const kind = waitingOn.kind === 'timer' ? 'timer' : 'timeout';
          inputs.push({
            input: { kind, nodeId: waitingOn.nodeId },
            meta: { kind, nodeId: waitingOn.nodeId },
          });
        }
      }
      if (!inputs.length) continue;
      const visitor =
        visitors.get(run.visitor_id) ?? toVisitorSnapshot(visitorRow ?? undefined, run.visitor_id);
      const plan = await this.advance(tx, run, flow, inputs, tz, now, maxOrd ?? 0, visitor, guarded, writes);
      visitors.set(run.visitor_id, plan.visitor);
      planned.push(plan);
    }
    if (writes) await this.writeBatch(tx, siteId, writes);
    await this.runs.clearInboxes(tx, siteId, cleared);
    const seqs = await this.runs.applyTransitions(tx, siteId, planned);
    for (const plan of planned) {
      const { run, moved } = plan;
      if (!moved) continue; // only irrelevant events: the run keeps waiting (its wake-up time put back)
      const seq = seqs.get(run.id) ?? run.seq + 1;
      if (!moved.pending)
        await this.systemEvents.runEnded(tx, run, moved.settled, seq, plan.transition.error); // webhooks: run.completed/failed
      if (run.status === 'pending') {
        const receivedAt = Date.parse(run.trigger_event.timestamp ?? '');
        if (Number.isFinite(receivedAt))
          this.metrics.triggerToEffect.observe(Math.max(0, now - receivedAt) / 1000);
      }
      results.set(
        run.id,
        moved.pending ? { kind: 'effects', seq } : { kind: 'settled', seq, wakeAt: moved.wakeAt },
      );
    }
    return results;
  }

  /** The batch's deferred inline effects; each step records its effect's result. */
  private async writeBatch(tx: EntityManager, siteId: string, writes: BatchWrite[]): Promise<void> {
    if (!writes.length) return;
    let results: Record<string, unknown>[];
    try {
      results = await this.effects.performBatch(tx, siteId, writes);
    } catch (err) {
      throw new InlineEffectFailed(err);
    }
    writes.forEach((w, i) => (w.step.effectResult = results[i]));
  }

  /** Feeds the engine, performs the inline effects in `tx`, and returns the write that records it all. */
  private async advance(
    tx: EntityManager,
    run: RunRow,
    flow: CompiledFlow,
    inputs: { input: EngineInput; meta: StepInput }[],
    tz: string,
    now: number,
    maxOrd: number,
    visitor: VisitorSnapshot,
    guarded: boolean,
    writes: BatchWrite[] | null,
  ): Promise<Planned> {
    let state = run.state;
    let last: AdvanceResult | undefined;
    let ord = maxOrd;
    const steps: NewRunStep[] = [];
    for (const { input, meta } of inputs) {
      if (state && state.status !== 'waiting') break;
      const res = advanceRun(flow, state, input, {
        now,
        siteTimezone: tz,
        siteId: run.site_id,
        visitor,
        runId: run.id,
      });
      if (res.ignored) continue;
      state = res.state;
      last = res;
      for (const s of res.steps) {
        const effect = s.effects[0] ?? null;
        if (effect?.kind === 'update_visitor' && !run.held_out) visitor = applyVisitorUpdate(visitor, effect);
        steps.push({
          nodeId: s.nodeId,
          iteration: s.iteration,
          ord: ++ord,
          nodeType: s.type,
          handle: s.handle,
          input: meta,
          effect,
          // A held-out run records the action it reached and never performs it.
          effectStatus: effect ? (run.held_out ? 'skipped' : 'pending') : 'none',
          effectResult: effect && run.held_out ? { heldOut: true } : null,
          skipped: s.skipped ?? null,
          at: s.at,
        });
      }
    }
    if (!last || !state) {
      // Only irrelevant events: keep waiting, and put the wake-up time back.
      const transition: RunTransition = {
        state: run.state as RunState,
        status: run.status,
        settled: 'waiting',
        nextStepAt: wakeAtOf(run.state),
        waitNodeId: run.wait_node_id,
        interests: run.interests,
        error: null,
        ended: false,
      };
      return { run, transition, steps: [], visitor, moved: null };
    }
    // Database effects ride in this transaction until the first outbound one (order is kept).
    let blocked = false;
    for (const s of steps) {
      if (!s.effect || s.effectStatus === 'skipped') continue;
      if (blocked || !this.effects.isInline(s.effect.kind)) {
        blocked = true;
        continue;
      }
      if (writes && this.effects.isBatchable(s.effect.kind)) {
        writes.push({ run, effect: s.effect, step: s });
        s.effectStatus = 'done';
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
    const transition: RunTransition = {
      state,
      status: pending ? 'running' : settled,
      settled,
      nextStepAt: pending ? new Date(now).toISOString() : wakeAt,
      waitNodeId: state.waiting?.nodeId ?? null,
      interests: eventsOfInterest(flow, state),
      error,
      ended: !pending && settled !== 'waiting',
    };
    return { run, transition, steps, visitor, moved: { pending, settled, wakeAt } };
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
