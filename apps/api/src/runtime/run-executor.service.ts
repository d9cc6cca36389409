import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { OnJob } from '../jobs/job-handler.decorator';
import type { JobContext } from '../jobs/job-registry';
import { JobName, JobPayloadMap } from '../jobs/job.types';
import { retryDelayMs, runJobId } from './engine-event';
import { EffectPort, isPermanent } from './effect-port';
import { EARLY_MS, Transition, wakeAtOf } from './run-advance';
import { RunAdvancer, WAKE_BATCH } from './run-advancer.service';
import { RunJob, RunQueueService } from './run-queue.service';
import { RunRepository } from './run.repository';
import { RUNTIME_CONFIG, RuntimeConfig } from './runtime-config';
import { RuntimeMetrics } from './runtime-metrics';

export type { Transition } from './run-advance';

const WAKE_ROUNDS = 20;

type EffectOutcome =
  | { kind: 'continue' }
  | { kind: 'stop' }
  | { kind: 'retry'; seq: number; delayMs: number }
  | { kind: 'settled'; seq: number; wakeAt: string | null };

/**
 * The `steps` and `wake` jobs: advance the run (`RunAdvancer`: new state, ledger rows and database
 * effects in one transaction), then perform its outbound actions (email, SMS) one at a time, each
 * in a transaction that re-checks the run under its row lock and flips the ledger row to done.
 */
@Injectable()
export class RunExecutor {
  constructor(
    private readonly runs: RunRepository,
    private readonly advancer: RunAdvancer,
    private readonly effects: EffectPort,
    private readonly queue: RunQueueService,
    private readonly metrics: RuntimeMetrics,
    @Inject(RUNTIME_CONFIG) private readonly cfg: RuntimeConfig,
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
    const t = await this.advancer.transition(siteId, runId);
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
        const results = await this.advancer.wakeDue(siteId, new Date(Date.now() + EARLY_MS));
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
  /** One outbound action under the run's row lock; a cancel committed before this sees no effect. */
  private async performNext(siteId: string, runId: string): Promise<EffectOutcome> {
    return this.runs.transaction(async (tx) => {
      const run = await this.runs.lockRun(tx, siteId, runId);
      if (!run || run.status !== 'running') return { kind: 'stop' };
      if (run.next_step_at && run.next_step_at.getTime() > Date.now() + EARLY_MS) return { kind: 'stop' };
      const step = await this.runs.nextPendingEffect(tx, siteId, runId);
      if (!step || !step.effect) {
        const seq = await this.runs.settle(tx, run);
        await this.effects.runEnded(tx, run, run.settled_status, seq, run.error);
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
        await this.runs.markEffect(tx, siteId, runId, step, { status: 'done', result, error: null });
        this.metrics.stepDuration.observe({ phase: kind }, (performance.now() - started) / 1000);
        return { kind: 'continue' };
      } catch (err) {
        await tx.query(`ROLLBACK TO SAVEPOINT effect`);
        const message = err instanceof Error ? err.message : String(err);
        const attempts = step.attempts + 1;
        const final = attempts >= this.cfg.RUNTIME_EFFECT_ATTEMPTS || isPermanent(err);
        this.metrics.failures.inc({ node_kind: kind, final: String(final) });
        if (final) {
          await this.runs.markEffect(tx, siteId, runId, step, {
            status: 'failed',
            result: null,
            error: message,
          });
          const code = (err as { code?: unknown }).code;
          const error = {
            code: typeof code === 'string' ? code : 'ACTION_FAILED',
            message: `${kind} failed after ${attempts} attempt(s): ${message}`,
            nodeId: step.node_id,
          };
          await this.runs.failRun(tx, run, error);
          await this.effects.runEnded(tx, run, 'failed', run.seq + 1, error); // failRun: seq + 1
          return { kind: 'stop' };
        }
        await this.runs.markEffect(tx, siteId, runId, step, {
          status: 'pending',
          result: null,
          error: message,
        });
        const delayMs = retryDelayMs(attempts, this.cfg.RUNTIME_RETRY_BASE_MS, this.cfg.RUNTIME_RETRY_MAX_MS);
        const seq = await this.runs.scheduleRetry(tx, siteId, runId, new Date(Date.now() + delayMs));
        return { kind: 'retry', seq, delayMs };
      }
    });
  }
}
