/**
 * Runs a flow in the browser with the shared engine against a sample visitor and an event timeline,
 * firing due timers and timeouts between events, and returns every step for the step-by-step view.
 */
import {
  advanceRun,
  compileFlow,
  isTriggerNode,
  matchingTriggers,
  triggerEventName,
  type AdvanceResult,
  type EngineEffect,
  type EngineInput,
  type RecordedEvent,
  type RecordedVisitor,
  type RunState,
  toFlowEvent,
  toVisitorSnapshot,
  type VisitorSnapshot,
} from '@nudgeflow/engine';
import { effectText, sampleEventProperties, type FlowGraph, type FlowSettings } from '@nudgeflow/flow-schema';

export interface TimelineEvent {
  /** Minutes after the start of the simulation. */
  atMinutes: number;
  name: string;
  properties: Record<string, unknown>;
}

export interface SimStep {
  nodeId: string;
  handle: string | null;
  /** Edge taken out of this node, when there is one. */
  edgeId?: string;
  at: string;
  effects: EngineEffect[];
  cause: string;
}

export interface SimulationResult {
  steps: SimStep[];
  /** What happened to each input, in order, for the timeline list. */
  log: { at: string; text: string }[];
  status: AdvanceResult['status'] | 'not_started';
  ended?: AdvanceResult['ended'];
}

export interface SimulationOptions {
  start?: Date;
  timezone?: string;
  /** Keep firing timers after the last event until the run ends (at most `maxWakeups`). */
  runToEnd?: boolean;
  maxWakeups?: number;
}

export function simulate(
  graph: FlowGraph,
  settings: FlowSettings,
  visitor: VisitorSnapshot,
  timeline: readonly TimelineEvent[],
  options: SimulationOptions = {},
): SimulationResult {
  const flow = compileFlow({ graph, settings });
  const start = (options.start ?? new Date('2025-01-06T09:00:00Z')).getTime();
  const context = (at: number) => ({
    now: at,
    siteTimezone: options.timezone ?? 'UTC',
    visitor,
    runId: 'simulation',
  });
  const edgeOf = new Map(graph.edges.map((edge) => [`${edge.source}\u0000${edge.sourceHandle}`, edge.id]));
  const steps: SimStep[] = [];
  const log: SimulationResult['log'] = [];
  let state: RunState | null = null;
  let last: AdvanceResult | null = null;

  const apply = (input: EngineInput, at: number, cause: string) => {
    const result = advanceRun(flow, state, input, context(at));
    if (result.ignored) {
      log.push({
        at: iso(at),
        text: `${cause}: ignored (${result.ignored.toLowerCase().replace(/_/g, ' ')})`,
      });
      return;
    }
    state = result.state;
    last = result;
    for (const step of result.steps) {
      steps.push({
        nodeId: step.nodeId,
        handle: step.handle,
        edgeId: step.handle ? edgeOf.get(`${step.nodeId}\u0000${step.handle}`) : undefined,
        at: step.at,
        effects: step.effects,
        cause,
      });
    }
    log.push({ at: iso(at), text: `${cause}: ${describeResult(result)}` });
  };

  const wake = (until: number) => {
    for (let guard = 0; guard < (options.maxWakeups ?? 50); guard++) {
      const current = last as AdvanceResult | null;
      if (!current || current.status !== 'waiting' || !current.wakeAt) return;
      const wakeAt = Date.parse(current.wakeAt);
      if (!(wakeAt <= until)) return;
      if (current.awaiting) apply({ kind: 'timeout', nodeId: current.awaiting.nodeId }, wakeAt, 'Timed out');
      else if (current.timers[0])
        apply({ kind: 'timer', nodeId: current.timers[0].nodeId }, wakeAt, 'Wait ended');
      else return;
    }
  };

  const ordered = [...timeline].sort((a, b) => a.atMinutes - b.atMinutes);
  for (const item of ordered) {
    const at = start + item.atMinutes * 60_000;
    wake(at);
    const event = { name: item.name, properties: item.properties, timestamp: iso(at) };
    if (state === null) {
      if (matchingTriggers(graph, event).length === 0) {
        log.push({ at: iso(at), text: `“${item.name}”: no trigger matches, the visitor does not enter` });
        continue;
      }
      apply({ kind: 'start', event }, at, `“${item.name}” started the run`);
    } else apply({ kind: 'event', event }, at, `“${item.name}”`);
  }
  if (options.runToEnd !== false) wake(Number.POSITIVE_INFINITY);
  const final = last as AdvanceResult | null;
  return { steps, log, status: final ? final.status : 'not_started', ended: final?.ended };
}

export interface RecordedReplay {
  visitor: VisitorSnapshot;
  /** When the first replayed event happened: the simulation's start, so time windows see real times. */
  start: Date | null;
  events: TimelineEvent[];
}

/**
 * A real visitor's recorded events (in any order) as a simulator timeline, oldest first, in minutes after
 * the first of them, named and shaped as the runtime hands them to the engine (`toFlowEvent`). Events
 * flagged as bots' are left out: the runtime never enrols them either.
 */
export function recordedReplay(
  visitor: RecordedVisitor,
  recorded: readonly (RecordedEvent & { isBot?: boolean })[],
): RecordedReplay {
  const events = recorded
    .filter((event) => !event.isBot)
    .map((recorded, order) => {
      const event = toFlowEvent(recorded);
      return { event, order, at: Date.parse(event.timestamp ?? '') };
    })
    .filter(({ at }) => Number.isFinite(at))
    .sort((a, b) => a.at - b.at || a.order - b.order);
  const first = events[0]?.at;
  return {
    visitor: toVisitorSnapshot(visitor),
    start: first === undefined ? null : new Date(first),
    events: events.map(({ event, at }) => ({
      atMinutes: Math.round((at - (first ?? at)) / 600) / 100,
      name: event.name,
      properties: event.properties ?? {},
    })),
  };
}

/** A first timeline for the flow: its first trigger's sample event (registry), so "Run" shows something. */
export function suggestTimeline(graph: FlowGraph): TimelineEvent[] {
  const trigger = graph.nodes.find(isTriggerNode);
  if (!trigger) return [];
  const name = triggerEventName(trigger) || 'page_view';
  return [{ atMinutes: 0, name, properties: sampleEventProperties(trigger) }];
}

/** The simulator's line for an effect: the registry's `simulate` of its kind. */
export function describeEffect(effect: EngineEffect): string {
  return effectText(effect);
}

function describeResult(result: AdvanceResult): string {
  if (result.ended) {
    const end = result.ended;
    switch (end.reason) {
      case 'goal':
        return `converted (goal “${end.event}”)`;
      case 'exit_node':
        return `exited at ${end.nodeId}`;
      case 'end_of_path':
        return `completed after ${end.nodeId}`;
      case 'exit_condition':
        return `exited on “${end.event}”`;
      case 'failed':
        return `failed: ${end.message}`;
      default:
        return result.status;
    }
  }
  if (result.awaiting)
    return `waiting at ${result.awaiting.nodeId} for “${result.awaiting.event}” until ${result.awaiting.timeoutAt}`;
  if (result.timers[0]) return `waiting at ${result.timers[0].nodeId} until ${result.timers[0].fireAt}`;
  return result.status;
}

const iso = (ms: number) => new Date(ms).toISOString();
