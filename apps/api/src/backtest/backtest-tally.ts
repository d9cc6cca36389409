import type { EffectKind, RunStatus } from '@nudgeflow/engine';

/** Per node, the runtime's stats shape: entered, still waiting at the window's end, exited per output. */
export interface NodeCounts {
  entered: number;
  waiting: number;
  exited: Record<string, number>;
}

export interface EffectCounts {
  /** Would have been performed (a CTA: shown within its caps). */
  count: number;
  /** Distinct visitors it would have reached. */
  visitors: number;
  /** CTAs only: refused by the CTA's frequency caps. */
  capped: number;
  /** Reached by held-out runs (recorded, never performed). */
  heldOut: number;
}

export interface ReplayPath {
  visitorId: string;
  runId: string;
  trigger: string;
  startedAt: string;
  status: RunStatus;
  steps: { nodeId: string; handle: string | null; at: string }[];
}

/** The persisted result (JSON): also the checkpoint a paused backtest resumes from. */
export interface BacktestResult {
  events: number;
  visitors: number;
  runs: {
    enrolled: number;
    enrolledHeldOut: number;
    converted: number;
    convertedHeldOut: number;
    completed: number;
    exited: number;
    failed: number;
  };
  enrolledVisitors: number;
  convertedVisitors: number;
  nodes: Record<string, NodeCounts>;
  effects: Partial<Record<EffectKind, EffectCounts>>;
  ctas: Record<string, { shown: number; capped: number }>;
  /** Actions skipped by the engine (an email without a recipient), per node. */
  skipped: Record<string, number>;
  samples: ReplayPath[];
}

export const MAX_SAMPLES = 20;

export function emptyResult(): BacktestResult {
  return {
    events: 0,
    visitors: 0,
    runs: {
      enrolled: 0,
      enrolledHeldOut: 0,
      converted: 0,
      convertedHeldOut: 0,
      completed: 0,
      exited: 0,
      failed: 0,
    },
    enrolledVisitors: 0,
    convertedVisitors: 0,
    nodes: {},
    effects: {},
    ctas: {},
    skipped: {},
    samples: [],
  };
}

/**
 * Accumulates a backtest's counts. Visitors are replayed one after the other, so distinct-visitor
 * counts need no set: each visitor reports what it reached once, when it is done.
 */
export class BacktestTally {
  constructor(readonly result: BacktestResult = emptyResult()) {}

  private node(id: string): NodeCounts {
    return (this.result.nodes[id] ??= { entered: 0, waiting: 0, exited: {} });
  }

  private effectCounts(kind: EffectKind): EffectCounts {
    return (this.result.effects[kind] ??= { count: 0, visitors: 0, capped: 0, heldOut: 0 });
  }

  step(nodeId: string, handle: string | null): void {
    const n = this.node(nodeId);
    n.entered += 1;
    if (handle !== null) n.exited[handle] = (n.exited[handle] ?? 0) + 1;
  }

  waiting(nodeId: string): void {
    const n = this.node(nodeId);
    n.entered += 1;
    n.waiting += 1;
  }

  skipped(nodeId: string): void {
    this.result.skipped[nodeId] = (this.result.skipped[nodeId] ?? 0) + 1;
  }

  enrolled(heldOut: boolean): void {
    this.result.runs.enrolled += 1;
    if (heldOut) this.result.runs.enrolledHeldOut += 1;
  }

  ended(status: RunStatus, heldOut: boolean): void {
    const runs = this.result.runs;
    if (status === 'converted') {
      runs.converted += 1;
      if (heldOut) runs.convertedHeldOut += 1;
    } else if (status === 'completed') runs.completed += 1;
    else if (status === 'exited') runs.exited += 1;
    else if (status === 'failed') runs.failed += 1;
  }

  effect(kind: EffectKind, _nodeId: string, outcome: 'performed' | 'capped' | 'held_out'): void {
    const e = this.effectCounts(kind);
    if (outcome === 'performed') e.count += 1;
    else if (outcome === 'capped') e.capped += 1;
    else e.heldOut += 1;
  }

  cta(ctaId: string, shown: boolean): void {
    const c = (this.result.ctas[ctaId] ??= { shown: 0, capped: 0 });
    if (shown) c.shown += 1;
    else c.capped += 1;
  }

  /** A path to record for the simulator, while the sample is not full (null otherwise). */
  samplePath(visitorId: string, runId: string, trigger: string, ts: number): ReplayPath | null {
    if (this.result.samples.length >= MAX_SAMPLES) return null;
    const path: ReplayPath = {
      visitorId,
      runId,
      trigger,
      startedAt: new Date(ts).toISOString(),
      status: 'waiting',
      steps: [],
    };
    this.result.samples.push(path);
    return path;
  }

  visitorDone(_visitorId: string, events: number, reached: ReadonlySet<string>): void {
    this.result.events += events;
    this.result.visitors += 1;
    if (reached.has('enrolled') || reached.has('enrolled_holdout')) this.result.enrolledVisitors += 1;
    if (reached.has('converted') || reached.has('converted_holdout')) this.result.convertedVisitors += 1;
    for (const key of reached)
      if (key.startsWith('effect:')) this.effectCounts(key.slice(7) as EffectKind).visitors += 1;
  }
}
