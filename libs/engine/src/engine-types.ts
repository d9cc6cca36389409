import type {
  EffectKind,
  EffectPayloads,
  JsonObject,
  JsonValue,
  NodeType,
  TraitValue,
  UTM_KEYS,
} from '@nudgeflow/flow-schema';

export type { JsonObject, JsonValue, TraitValue };

/** An event as the engine sees it. System events (page views, CTA interactions...) use SYSTEM_EVENTS names. */
export interface FlowEvent {
  /** The ingestion messageId, kept for tracing. */
  id?: string;
  name: string;
  properties?: Record<string, unknown>;
  timestamp?: string;
}

/** Stored copy of an event inside run state (JSON-safe). */
export interface EventSnapshot {
  id?: string;
  name: string;
  properties: JsonObject;
  timestamp?: string;
}

export type UtmKey = (typeof UTM_KEYS)[number];

export interface VisitorSnapshot {
  id?: string;
  /** The latest anonymous id (embed script or SDK). */
  anonymousId?: string;
  /** The customer's own id, once identified. */
  userId?: string;
  traits?: Record<string, unknown>;
  tags?: readonly string[];
  visitCount?: number;
  /** ISO string or epoch ms. */
  firstSeenAt?: string | number;
  /** desktop | mobile | tablet (free text, compared case-insensitively). */
  device?: string;
  utm?: Partial<Record<UtmKey, string>>;
  /** URL of the page the visitor is on, for `page_url` rules; falls back to the event's `url` property. */
  pageUrl?: string;
}

export interface EngineContext {
  /** ISO string or epoch ms; the only clock the engine reads. */
  now: string | number;
  /** IANA zone of the site; unknown zones fall back to UTC. */
  siteTimezone: string;
  /** For `{{site.id}}` in templates. */
  siteId?: string;
  visitor: VisitorSnapshot;
  runId: string;
}

export type EngineInput =
  /** `triggerNodeId` pins the trigger that enrolled the run; otherwise the first matching trigger is used. */
  | { kind: 'start'; event: FlowEvent; triggerNodeId?: string }
  | { kind: 'timer'; nodeId: string }
  | { kind: 'event'; event: FlowEvent }
  | { kind: 'timeout'; nodeId: string };

/** `running` is the runtime's in-flight status; `advanceRun` always returns a settled one. */
export type RunStatus = 'running' | 'waiting' | 'completed' | 'converted' | 'exited' | 'failed';

export type RunWaiting =
  | { kind: 'timer'; nodeId: string; iteration: number; fireAt: string; reason: 'wait' | 'quiet_hours' }
  | {
      kind: 'event';
      nodeId: string;
      iteration: number;
      event: string;
      correlation: { property: string; value: JsonValue } | null;
      timeoutAt: string;
    };

export type EngineFailureCode =
  | 'STEP_LIMIT_EXCEEDED'
  | 'NODE_NOT_FOUND'
  | 'NO_MATCHING_TRIGGER'
  | 'TEMPLATE_ERROR'
  | 'INVALID_CONTEXT'
  | 'INTERNAL_ERROR';

export type RunEnd =
  | { reason: 'end_of_path'; nodeId: string }
  | { reason: 'exit_node'; nodeId: string }
  | { reason: 'goal'; nodeId: string | null; event: string }
  | { reason: 'exit_condition'; event: string }
  | { reason: 'failed'; code: EngineFailureCode; message: string; nodeId: string | null };

export interface RunState {
  version: 1;
  status: RunStatus;
  triggerNodeId: string | null;
  /** Times each node was entered; the entry count is the node's iteration number. */
  visits: Record<string, number>;
  waiting: RunWaiting | null;
  /** The event that enrolled the run. */
  trigger: EventSnapshot | null;
  /** The latest event that moved the run (matched wait_for_event), else the trigger. */
  lastEvent: EventSnapshot | null;
  startedAt: string;
  updatedAt: string;
  ended: RunEnd | null;
}

interface EffectBase {
  nodeId: string;
  iteration: number;
  /** `${runId}:${nodeId}:${iteration}` — unique per run step, stable when an input is replayed. */
  idempotencyKey: string;
}

/** One effect per action kind, its payload from `EffectPayloads` (libs/flow-schema). */
export type EngineEffect = { [K in EffectKind]: EffectBase & { kind: K } & EffectPayloads[K] }[EffectKind];

export type { EffectKind };

/** Why an action produced no effect: no usable recipient, or the visitor opted out (SMS). */
export type SkipReason = 'NO_RECIPIENT' | 'OPTED_OUT';

export interface EngineStep {
  nodeId: string;
  type: NodeType;
  iteration: number;
  /** Output handle taken; null when the node ended the run. */
  handle: string | null;
  effects: EngineEffect[];
  /** Set when an action produced no effect, e.g. `NO_RECIPIENT` for an email without address. */
  skipped?: SkipReason;
  at: string;
}

export interface EngineTimer {
  nodeId: string;
  fireAt: string;
}

export interface EngineAwaiting {
  nodeId: string;
  event: string;
  correlation?: { property: string; value: JsonValue };
  timeoutAt: string;
}

export type IgnoredReason =
  'RUN_ENDED' | 'ALREADY_STARTED' | 'NOT_STARTED' | 'NOT_WAITING_ON_NODE' | 'EVENT_NOT_RELEVANT';

export interface AdvanceResult {
  state: RunState;
  status: Exclude<RunStatus, 'running'>;
  steps: EngineStep[];
  effects: EngineEffect[];
  /** Wait timers to schedule (input `{kind:'timer', nodeId}` at fireAt). */
  timers: EngineTimer[];
  /** Set while waiting for an event; send `{kind:'timeout', nodeId}` at timeoutAt. */
  awaiting?: EngineAwaiting;
  /** Earliest instant the runtime must call back (timer fireAt or event timeout), for `next_step_at`. */
  wakeAt?: string;
  ended?: RunEnd;
  /** Set when the input did not apply to this run; the state is returned unchanged. */
  ignored?: IgnoredReason;
}
