import type { EngineEffect, FlowEvent, RunState } from '@nudgeflow/engine';

export const ACTIVE_STATUSES = ['pending', 'running', 'waiting'] as const;
export const TERMINAL_STATUSES = ['completed', 'converted', 'exited', 'failed', 'cancelled'] as const;
export type RunStatusValue = (typeof ACTIVE_STATUSES)[number] | (typeof TERMINAL_STATUSES)[number];
export type SettledStatus = 'waiting' | 'completed' | 'converted' | 'exited' | 'failed';
export type EffectStatus = 'none' | 'pending' | 'done' | 'failed' | 'skipped' | 'cancelled';

export interface RunError {
  code: string;
  message: string;
  nodeId: string | null;
}

export interface RunRow {
  site_id: string;
  id: string;
  flow_id: string;
  flow_version: number;
  visitor_id: string;
  trigger_event_id: string;
  trigger_node_id: string;
  trigger_event: FlowEvent;
  status: RunStatusValue;
  settled_status: SettledStatus | null;
  state: RunState | null;
  seq: number;
  next_step_at: Date | null;
  wait_node_id: string | null;
  interests: string[];
  error: RunError | null;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  /** In the flow's holdout: the run is recorded step by step, its effects are not performed. */
  held_out: boolean;
}

/** What started one engine advance, kept on each ledger row for the run timeline. */
export type StepInput =
  | { kind: 'start'; eventId: string }
  | { kind: 'timer' | 'timeout'; nodeId: string }
  | { kind: 'event'; eventId: string; event: string }
  | { kind: 'resume' };

export interface RunStepRow {
  site_id: string;
  run_id: string;
  node_id: string;
  iteration: number;
  flow_id: string;
  ord: number;
  node_type: string;
  handle: string | null;
  input: StepInput;
  effect: EngineEffect | null;
  effect_status: EffectStatus;
  effect_result: Record<string, unknown> | null;
  attempts: number;
  error: string | null;
  skipped: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface NewRunStep {
  nodeId: string;
  iteration: number;
  ord: number;
  nodeType: string;
  handle: string | null;
  input: StepInput;
  effect: EngineEffect | null;
  effectStatus: EffectStatus;
  effectResult: Record<string, unknown> | null;
  skipped: string | null;
  at: string;
}

/** A run whose next job the reconciler (re-)enqueues. */
export interface DueRun {
  site_id: string;
  id: string;
  seq: number;
  status: RunStatusValue;
  next_step_at: Date;
}
