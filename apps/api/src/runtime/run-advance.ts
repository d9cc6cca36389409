import {
  AdvanceResult,
  advanceRun,
  applyVisitorUpdate,
  CompiledFlow,
  EngineEffect,
  EngineInput,
  eventsOfInterest,
  FlowEvent,
  RunState,
  VisitorSnapshot,
} from '@nudgeflow/engine';
import type { RunTransition } from './run-batch.sql';
import type { NewRunStep, RunError, RunRow, SettledStatus, StepInput } from './runtime.types';

/** A timer that fires a few ms early (clock skew between Redis and this process) still counts. */
export const EARLY_MS = 50;

/** What an advance left: nothing to do, outbound actions to perform (at `seq`), or a settled run. */
export type Transition =
  | { kind: 'noop' }
  | { kind: 'effects'; seq?: number }
  | { kind: 'settled'; seq: number; wakeAt: string | null };

export function wakeAtOf(state: RunState | null): string | null {
  const w = state?.status === 'waiting' ? state.waiting : null;
  if (!w) return null;
  return w.kind === 'timer' ? w.fireAt : w.timeoutAt;
}

/** A run's input and the ledger's record of where it came from. */
export interface RunInput {
  input: EngineInput;
  meta: StepInput;
}

/**
 * A waiting run's inputs in time order: its inbox events (in arrival order), and its timer or timeout
 * when due, placed before the first event stamped after it. An event that came after a wait-for-event
 * timed out is seen after the timeout, even when the wake-up job runs late and finds both together.
 */
export function waitingInputs(
  state: RunState | null,
  inbox: readonly { event_id: string; event: FlowEvent }[],
  now: number,
): RunInput[] {
  const inputs: RunInput[] = inbox.map((i) => ({
    input: { kind: 'event', event: i.event },
    meta: { kind: 'event', eventId: i.event_id, event: i.event.name },
  }));
  const waitingOn = state?.status === 'waiting' ? state.waiting : null;
  const wakeAt = wakeAtOf(state);
  if (!waitingOn || !wakeAt) return inputs;
  const due = Date.parse(wakeAt);
  if (due > now + EARLY_MS) return inputs;
  const kind = waitingOn.kind === 'timer' ? 'timer' : 'timeout';
  const after = inbox.findIndex(
    (i) => i.event.timestamp !== undefined && Date.parse(i.event.timestamp) > due,
  );
  inputs.splice(after === -1 ? inputs.length : after, 0, {
    input: { kind, nodeId: waitingOn.nodeId },
    meta: { kind, nodeId: waitingOn.nodeId },
  });
  return inputs;
}
/** An advance worked out under the run's lock: the write that records it, and what it moved to. */
export interface Planned {
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
 * before their ledger rows), one statement per kind: `EffectPort.performBatch`.
 */
export interface BatchWrite {
  run: RunRow;
  effect: EngineEffect;
  step: NewRunStep;
}

/** An inline effect failed in an unguarded advance: redo the advance with savepoints. */
export class InlineEffectFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(`inline effect failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What one run's advance starts from, under its row lock. */
export interface AdvanceInput {
  run: RunRow;
  flow: CompiledFlow;
  inputs: RunInput[];
  /** The site's timezone (waits, quiet hours). */
  tz: string;
  now: number;
  /** The run's last ledger position. */
  maxOrd: number;
  visitor: VisitorSnapshot;
}

/** What the engine made of the inputs: its last result (none if every input was ignored) and the steps. */
export interface EngineOutcome {
  state: RunState | null;
  last: AdvanceResult | undefined;
  steps: NewRunStep[];
  /** The visitor as the steps' updates left it. */
  visitor: VisitorSnapshot;
}

/** Feeds the pure engine the run's inputs, in order, and records one ledger step per executed node. */
export function feedEngine({ run, flow, inputs, tz, now, maxOrd, visitor }: AdvanceInput): EngineOutcome {
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
  return { state, last, steps, visitor };
}

/** Only irrelevant events came: the run keeps waiting, its wake-up time put back. */
export function keepWaiting(run: RunRow, visitor: VisitorSnapshot): Planned {
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

/** The run's new state once its inline effects ran: running while an action is pending, else settled. */
export function planOf(
  run: RunRow,
  flow: CompiledFlow,
  now: number,
  { state, last, steps, visitor }: EngineOutcome & { state: RunState; last: AdvanceResult },
): Planned {
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
