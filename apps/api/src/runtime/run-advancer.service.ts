import { Injectable, Logger } from '@nestjs/common';
import type { VisitorSnapshot } from '@nudgeflow/engine';
import type { EntityManager } from 'typeorm';
import { TickBatcher } from '../common/tick-batcher';
import { TtlCache } from '../common/ttl-cache';
import { SiteRepository } from '../sites/site.repository';
import { toVisitorSnapshot } from './engine-event';
import { EffectPort } from './effect-port';
import { FlowIndex } from './flow-index';
import {
  AdvanceInput,
  BatchWrite,
  feedEngine,
  InlineEffectFailed,
  keepWaiting,
  Planned,
  planOf,
  RunInput,
  Transition,
  waitingInputs,
} from './run-advance';
import { InboxRow, RunRepository } from './run.repository';
import { RuntimeMetrics } from './runtime-metrics';

/** At most this many runs advance in one shared transaction (steps jobs; wake jobs take WAKE_BATCH). */
const BATCH_RUNS = 50;
export const WAKE_BATCH = 500;
/** Runs advanced between two yields to the event loop. */
const YIELD_EVERY = 25;

/**
 * How runs advance: load them under their row locks, feed the pure engine whatever is due (start,
 * inbox events, timer/timeout), and in the same transaction write the new states, one ledger row per
 * executed node and every database effect (through the effect port). Outbound actions are left
 * pending for `RunExecutor`.
 */
@Injectable()
export class RunAdvancer {
  private readonly logger = new Logger(RunAdvancer.name);
  private readonly timezones = new TtlCache<string, string>(300_000, 10_000);
  private readonly batches = new TickBatcher<string, Transition>(
    (siteId, runIds) => this.transitionBatch(siteId, runIds),
    BATCH_RUNS,
    1, // one batch of a site at a time per worker: the next one gathers meanwhile (group commit)
  );

  constructor(
    private readonly runs: RunRepository,
    private readonly flows: FlowIndex,
    private readonly effects: EffectPort,
    private readonly sites: SiteRepository,
    private readonly metrics: RuntimeMetrics,
  ) {}

  private async timezone(siteId: string): Promise<string> {
    let tz = this.timezones.get(siteId);
    if (!tz) {
      tz = (await this.sites.timezone(siteId)) ?? 'UTC';
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
  transition(siteId: string, runId: string): Promise<Transition> {
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
   * Returns null then. Call `RunExecutor.followUp` after the commit.
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
   * Up to WAKE_BATCH of the site's waiting runs due by `dueBy`, advanced in one transaction. Runs
   * another wake job holds are skipped (SKIP LOCKED), so the wake jobs of a site's time slices share
   * a backlog instead of queueing on each other's locks. If the shared transaction fails, the same
   * runs advance one by one.
   */
  async wakeDue(siteId: string, dueBy: Date): Promise<Map<string, Transition>> {
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
      let inputs: RunInput[];
      if (run.status === 'pending') {
        inputs = [
          {
            input: { kind: 'start', event: run.trigger_event, triggerNodeId: run.trigger_node_id },
            meta: { kind: 'start', eventId: run.trigger_event_id },
          },
        ];
      } else {
        const events = inbox.get(run.id) ?? [];
        for (const i of events) cleared.push({ runId: run.id, eventId: i.event_id });
        inputs = waitingInputs(run.state, events, now);
      }
      if (!inputs.length) continue;
      const visitor =
        visitors.get(run.visitor_id) ?? toVisitorSnapshot(visitorRow ?? undefined, run.visitor_id);
      const plan = await this.advance(
        tx,
        { run, flow, inputs, tz, now, maxOrd: maxOrd ?? 0, visitor },
        { guarded, writes },
      );
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
      if (!moved.pending) await this.effects.runEnded(tx, run, moved.settled, seq, plan.transition.error);
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

  /**
   * Feeds the engine, performs the inline effects in `tx`, and returns the write that records it all.
   * `guarded`: a savepoint around each inline effect (a failure stays the effect's); `writes`: where an
   * unguarded batch collects its batchable effects (null when guarded).
   */
  private async advance(
    tx: EntityManager,
    input: AdvanceInput,
    { guarded, writes }: { guarded: boolean; writes: BatchWrite[] | null },
  ): Promise<Planned> {
    const { run } = input;
    const outcome = feedEngine(input);
    const { state, last, steps } = outcome;
    if (!last || !state) return keepWaiting(run, outcome.visitor);
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
    return planOf(run, input.flow, input.now, { ...outcome, state, last });
  }
}
