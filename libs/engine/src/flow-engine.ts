import {
  DEFAULT_FLOW_SETTINGS,
  EventMatcher,
  FlowGraph,
  FlowNode,
  FlowSettings,
  durationToMs,
  isOutbound,
  SMS_OPT_OUT_TRAIT,
} from '@nudgeflow/flow-schema';
import {
  AdvanceResult,
  EngineContext,
  EngineEffect,
  EngineFailureCode,
  EngineInput,
  EngineStep,
  EventSnapshot,
  FlowEvent,
  IgnoredReason,
  JsonValue,
  RunEnd,
  RunState,
  RunWaiting,
  SkipReason,
  TraitValue,
  VisitorSnapshot,
} from './engine-types';
import { getPath, hasOwn, toJsonObject, toJsonValue } from './json-value';
import { evaluateRuleGroup, matchesFilters } from './rule-evaluation';
import { pickWeighted, stableUnit } from './stable-hash';
import { renderJsonTemplate, renderTemplate } from './template-rendering';
import { nextWindowInstant, quietHoursEnd, safeTimeZone } from './time-window';
import { isTriggerNode, matchesEventMatcher, matchingTriggers } from './trigger-matching';

/** A valid graph visits each node at most once between two waits, so this is far above any real advance. */
export const MAX_STEPS_PER_ADVANCE = 1000;
export const DEFAULT_CTA_PRIORITY = 50;

export interface FlowDefinition {
  graph: FlowGraph;
  settings?: FlowSettings;
}

export interface CompiledFlow {
  readonly compiled: true;
  readonly graph: FlowGraph;
  readonly settings: FlowSettings;
  readonly nodes: ReadonlyMap<string, FlowNode>;
  /** `${source}\0${sourceHandle}` -> target; the first edge of a handle wins. */
  readonly edges: ReadonlyMap<string, string>;
  readonly goals: ReadonlyArray<{ nodeId: string | null; matcher: EventMatcher }>;
}

/** Indexes a flow version once; the worker can cache the result per published version. */
export function compileFlow(flow: FlowDefinition | CompiledFlow): CompiledFlow {
  if ('compiled' in flow) return flow;
  const settings = flow.settings ?? DEFAULT_FLOW_SETTINGS;
  const nodes = new Map<string, FlowNode>();
  for (const node of flow.graph.nodes) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const edges = new Map<string, string>();
  for (const edge of flow.graph.edges) {
    const key = `${edge.source}\u0000${edge.sourceHandle}`;
    if (!edges.has(key)) edges.set(key, edge.target);
  }
  const goals: Array<{ nodeId: string | null; matcher: EventMatcher }> = [];
  for (const node of nodes.values())
    if (node.type === 'goal') goals.push({ nodeId: node.id, matcher: node.config });
  if (settings.goal) goals.push({ nodeId: null, matcher: settings.goal });
  return { compiled: true, graph: flow.graph, settings, nodes, edges, goals };
}

/** Event names that can change a run in its current state; the runtime may skip all others. */
export function eventsOfInterest(flow: FlowDefinition | CompiledFlow, state: RunState | null): string[] {
  if (!state || state.status !== 'waiting') return [];
  const compiled = compileFlow(flow);
  const names = new Set<string>(compiled.goals.map((goal) => goal.matcher.event));
  for (const condition of compiled.settings.exitConditions) names.add(condition.event);
  if (state.waiting?.kind === 'event') names.add(state.waiting.event);
  return [...names];
}

function snapshot(event: FlowEvent): EventSnapshot {
  return {
    ...(event.id !== undefined ? { id: event.id } : {}),
    name: event.name,
    properties: toJsonObject(event.properties),
    ...(event.timestamp !== undefined ? { timestamp: event.timestamp } : {}),
  };
}

function toInstant(now: string | number): number {
  return typeof now === 'number' ? now : Date.parse(now);
}

type Outcome =
  | { kind: 'next'; handle: string; effects: EngineEffect[]; skipped?: SkipReason }
  | { kind: 'wait'; waiting: RunWaiting }
  | { kind: 'end'; status: 'completed' | 'exited'; ended: RunEnd }
  | { kind: 'fail'; code: EngineFailureCode; message: string };

interface Cursor {
  nodeId: string;
  /** Set when resuming a node whose iteration was allocated when it was entered. */
  iteration?: number;
  skipQuietHours?: boolean;
}

const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;
/** E.164 once spaces, dots, dashes and parentheses are gone: `+`, then 7 to 15 digits. */
const PHONE_NUMBER = /^\+[1-9]\d{6,14}$/;

class RunAdvance {
  readonly steps: EngineStep[] = [];
  readonly effects: EngineEffect[] = [];
  private readonly visits: Map<string, number>;
  private readonly timeZone: string;
  private readonly nowIso: string;
  private visitor: VisitorSnapshot;
  private view: unknown = null;

  constructor(
    private readonly flow: CompiledFlow,
    readonly state: RunState,
    private readonly context: EngineContext,
    private readonly now: number,
  ) {
    this.visits = new Map(Object.entries(state.visits));
    this.timeZone = safeTimeZone(context.siteTimezone);
    this.nowIso = new Date(now).toISOString();
    this.visitor = context.visitor;
    state.updatedAt = this.nowIso;
  }

  run(start: Cursor): void {
    let cursor: Cursor | null = start;
    while (cursor) {
      if (this.steps.length >= MAX_STEPS_PER_ADVANCE) {
        this.fail(
          'STEP_LIMIT_EXCEEDED',
          `More than ${MAX_STEPS_PER_ADVANCE} steps in one advance`,
          cursor.nodeId,
        );
        return;
      }
      const node = this.flow.nodes.get(cursor.nodeId);
      if (!node) {
        this.fail('NODE_NOT_FOUND', `Node "${cursor.nodeId}" is not in the flow`, cursor.nodeId);
        return;
      }
      const iteration = cursor.iteration ?? this.enter(node.id);
      const outcome = this.execute(node, iteration, cursor.skipQuietHours ?? false);
      switch (outcome.kind) {
        case 'next':
          this.record(node, iteration, outcome.handle, outcome.effects, outcome.skipped);
          cursor = this.follow(node.id, outcome.handle);
          break;
        case 'wait':
          this.state.waiting = outcome.waiting;
          this.state.status = 'waiting';
          return;
        case 'end':
          this.record(node, iteration, null, []);
          this.end(outcome.status, outcome.ended);
          return;
        case 'fail':
          this.fail(outcome.code, outcome.message, node.id);
          return;
        default: {
          const _never: never = outcome;
          return _never;
        }
      }
    }
  }

  /** Completes a waiting node through `handle` and continues from its target. */
  resume(waiting: RunWaiting, handle: string): void {
    const node = this.flow.nodes.get(waiting.nodeId);
    if (!node) {
      this.fail('NODE_NOT_FOUND', `Node "${waiting.nodeId}" is not in the flow`, waiting.nodeId);
      return;
    }
    this.state.waiting = null;
    this.state.status = 'running';
    this.record(node, waiting.iteration, handle, []);
    const next = this.follow(node.id, handle);
    if (next) this.run(next);
  }

  enter(nodeId: string): number {
    const iteration = (this.visits.get(nodeId) ?? 0) + 1;
    this.visits.set(nodeId, iteration);
    this.state.visits = Object.fromEntries(this.visits);
    return iteration;
  }

  record(
    node: FlowNode,
    iteration: number,
    handle: string | null,
    effects: EngineEffect[],
    skipped?: SkipReason,
  ) {
    this.steps.push({
      nodeId: node.id,
      type: node.type,
      iteration,
      handle,
      effects,
      ...(skipped ? { skipped } : {}),
      at: this.nowIso,
    });
    this.effects.push(...effects);
  }

  end(status: 'completed' | 'exited' | 'converted', ended: RunEnd): void {
    this.state.status = status;
    this.state.waiting = null;
    this.state.ended = ended;
  }

  fail(code: EngineFailureCode, message: string, nodeId: string | null): void {
    this.state.status = 'failed';
    this.state.waiting = null;
    this.state.ended = { reason: 'failed', code, message, nodeId };
  }

  private follow(nodeId: string, handle: string): Cursor | null {
    const target = this.flow.edges.get(`${nodeId}\u0000${handle}`);
    if (target === undefined) {
      this.end('completed', { reason: 'end_of_path', nodeId });
      return null;
    }
    return { nodeId: target };
  }

  private templateView(): unknown {
    if (this.view === null) {
      const visitor = this.visitor;
      const event = this.state.lastEvent ?? this.state.trigger;
      this.view = {
        visitor: toJsonValue({
          id: visitor.id,
          anonymousId: visitor.anonymousId,
          userId: visitor.userId,
          traits: visitor.traits ?? {},
          tags: visitor.tags ?? [],
          visitCount: visitor.visitCount,
          firstSeenAt: visitor.firstSeenAt,
          device: visitor.device,
          utm: visitor.utm ?? {},
          pageUrl: visitor.pageUrl,
        }),
        event,
        trigger: this.state.trigger,
        run: { id: this.context.runId },
        site: { id: this.context.siteId, timezone: this.timeZone },
        now: this.nowIso,
      };
    }
    return this.view;
  }

  private text(template: string): string | { error: string } {
    const result = renderTemplate(template, 'text', this.templateView());
    return result.ok ? result.output : { error: result.message };
  }

  private base(node: FlowNode, iteration: number) {
    return { nodeId: node.id, iteration, idempotencyKey: `${this.context.runId}:${node.id}:${iteration}` };
  }

  private execute(node: FlowNode, iteration: number, skipQuietHours: boolean): Outcome {
    const next = (handle: string, effects: EngineEffect[] = []): Outcome => ({
      kind: 'next',
      handle,
      effects,
    });
    const templateError = (message: string): Outcome => ({ kind: 'fail', code: 'TEMPLATE_ERROR', message });
    const quiet = this.flow.settings.quietHours;
    if (quiet && !skipQuietHours && isOutbound(node.type)) {
      const resumeAt = quietHoursEnd(this.now, quiet, safeTimeZone(quiet.timezone ?? this.timeZone));
      if (resumeAt > this.now) {
        const fireAt = new Date(resumeAt).toISOString();
        return {
          kind: 'wait',
          waiting: { kind: 'timer', nodeId: node.id, iteration, fireAt, reason: 'quiet_hours' },
        };
      }
    }
    switch (node.type) {
      case 'trigger_event':
      case 'trigger_page_visit':
      case 'trigger_cta_interaction':
      case 'trigger_visitor_identified':
      case 'trigger_trait_changed':
      case 'trigger_inbound_webhook':
        return next('next');
      case 'condition': {
        const event = this.state.lastEvent ?? this.state.trigger;
        return next(
          evaluateRuleGroup(node.config.group, { visitor: this.visitor, event, now: this.now })
            ? 'yes'
            : 'no',
        );
      }
      case 'split': {
        const { branches } = node.config;
        const index = pickWeighted(
          stableUnit(this.context.runId, node.id),
          branches.map((branch) => branch.weight),
        );
        return next(branches[index]?.id ?? 'next');
      }
      case 'wait': {
        const config = node.config;
        const fireAtMs =
          config.mode === 'duration'
            ? this.now + durationToMs(config.duration)
            : nextWindowInstant(this.now, config.window, this.timeZone);
        if (fireAtMs <= this.now) return next('next');
        const fireAt = new Date(fireAtMs).toISOString();
        return {
          kind: 'wait',
          waiting: { kind: 'timer', nodeId: node.id, iteration, fireAt, reason: 'wait' },
        };
      }
      case 'wait_for_event': {
        const { correlationProperty, event, timeout } = node.config;
        const value = correlationProperty
          ? toJsonValue(getPath(this.state.trigger?.properties, correlationProperty))
          : undefined;
        const correlation =
          correlationProperty && value !== undefined && value !== null
            ? { property: correlationProperty, value }
            : null;
        const timeoutAt = new Date(this.now + durationToMs(timeout)).toISOString();
        return {
          kind: 'wait',
          waiting: { kind: 'event', nodeId: node.id, iteration, event, correlation, timeoutAt },
        };
      }
      case 'goal':
        return { kind: 'end', status: 'completed', ended: { reason: 'end_of_path', nodeId: node.id } };
      case 'exit':
        return { kind: 'end', status: 'exited', ended: { reason: 'exit_node', nodeId: node.id } };
      case 'show_cta':
        return next('next', [
          {
            kind: 'show_cta',
            ...this.base(node, iteration),
            ctaId: node.config.ctaId,
            priority: node.config.priority ?? DEFAULT_CTA_PRIORITY,
          },
        ]);
      case 'send_webhook': {
        const body = renderJsonTemplate(node.config.bodyTemplate, this.templateView());
        if (!body.ok) return templateError(body.message);
        return next('next', [
          {
            kind: 'send_webhook',
            ...this.base(node, iteration),
            endpointId: node.config.endpointId,
            body: body.value,
          },
        ]);
      }
      case 'update_visitor': {
        const setTraits: Record<string, TraitValue> = {};
        for (const trait of node.config.setTraits) {
          const rendered = this.text(trait.value);
          if (typeof rendered !== 'string') return templateError(rendered.error);
          Object.defineProperty(setTraits, trait.key, {
            value: convertTrait(rendered, trait.valueType),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        const effect: EngineEffect = {
          kind: 'update_visitor',
          ...this.base(node, iteration),
          setTraits,
          unsetTraits: [...node.config.unsetTraits],
          addTags: [...node.config.addTags],
          removeTags: [...node.config.removeTags],
        };
        this.visitor = applyVisitorUpdate(this.visitor, effect);
        this.view = null;
        return next('next', [effect]);
      }
      case 'send_email': {
        const { senderId, html, text } = node.config;
        const to = this.text(node.config.to);
        const subject = this.text(node.config.subject);
        if (typeof to !== 'string') return templateError(to.error);
        if (typeof subject !== 'string') return templateError(subject.error);
        const recipient = singleLine(to);
        if (!EMAIL_ADDRESS.test(recipient))
          return { kind: 'next', handle: 'next', effects: [], skipped: 'NO_RECIPIENT' };
        let htmlBody: string | null = null;
        if (html?.trim()) {
          const rendered = renderTemplate(html, 'html', this.templateView());
          if (!rendered.ok) return templateError(rendered.message);
          htmlBody = rendered.output;
        }
        let textBody: string | null = null;
        if (text?.trim()) {
          const rendered = this.text(text);
          if (typeof rendered !== 'string') return templateError(rendered.error);
          textBody = rendered;
        }
        return next('next', [
          {
            kind: 'send_email',
            ...this.base(node, iteration),
            senderId,
            to: recipient,
            subject: singleLine(subject),
            html: htmlBody,
            text: textBody,
          },
        ]);
      }
      case 'notify': {
        const text = this.text(node.config.text);
        if (typeof text !== 'string') return templateError(text.error);
        return next('next', [
          { kind: 'notify', ...this.base(node, iteration), endpointId: node.config.endpointId, text },
        ]);
      }
      case 'send_sms': {
        const traits = this.visitor.traits ?? {};
        const trait = (key: string): unknown => (hasOwn(traits, key) ? traits[key] : undefined);
        if (isTrue(trait(SMS_OPT_OUT_TRAIT)))
          return { kind: 'next', handle: 'next', effects: [], skipped: 'OPTED_OUT' };
        const to = phoneNumber(trait(node.config.phoneTrait));
        if (to === null) return { kind: 'next', handle: 'next', effects: [], skipped: 'NO_RECIPIENT' };
        const body = this.text(node.config.body);
        if (typeof body !== 'string') return templateError(body.error);
        return next('next', [{ kind: 'send_sms', ...this.base(node, iteration), to, body }]);
      }
      default: {
        const _never: never = node;
        return _never;
      }
    }
  }
}

/** A trait that says yes: `true`, `"true"`, `"yes"`, `"1"` or `1` (an opt-out flag). */
function isTrue(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && ['true', 'yes', '1'].includes(value.trim().toLowerCase());
}

/** A trait value as an E.164 number, or null when it is none (separators are dropped). */
function phoneNumber(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const compact = value.replace(/[\s().-]/g, '');
  return PHONE_NUMBER.test(compact) ? compact : null;
}

/** Header values must not carry line breaks (header injection). */
function singleLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

function convertTrait(rendered: string, valueType: 'string' | 'number' | 'boolean'): TraitValue {
  switch (valueType) {
    case 'string':
      return rendered;
    case 'number': {
      const value = rendered.trim() === '' ? NaN : Number(rendered);
      return Number.isFinite(value) ? value : null;
    }
    case 'boolean': {
      const value = rendered.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no', ''].includes(value)) return false;
      return null;
    }
    default: {
      const _never: never = valueType;
      return _never;
    }
  }
}

/** Applies an update_visitor effect in the order the runtime must use: set, unset, remove tags, add tags. */
export function applyVisitorUpdate(
  visitor: VisitorSnapshot,
  update: Pick<
    Extract<EngineEffect, { kind: 'update_visitor' }>,
    'setTraits' | 'unsetTraits' | 'addTags' | 'removeTags'
  >,
): VisitorSnapshot {
  const traits: Record<string, unknown> = {};
  const assign = (key: string, value: unknown) =>
    Object.defineProperty(traits, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [key, value] of Object.entries(visitor.traits ?? {})) assign(key, value);
  for (const [key, value] of Object.entries(update.setTraits)) assign(key, value);
  for (const key of update.unsetTraits) if (hasOwn(traits, key)) delete traits[key];
  const removed = new Set(update.removeTags);
  const tags = (visitor.tags ?? []).filter((tag) => !removed.has(tag));
  for (const tag of update.addTags) if (!tags.includes(tag)) tags.push(tag);
  return { ...visitor, traits, tags };
}

function sameCorrelation(actual: unknown, expected: JsonValue): boolean {
  const scalar = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (scalar(actual) && scalar(expected)) return String(actual) === String(expected);
  return JSON.stringify(toJsonValue(actual) ?? null) === JSON.stringify(expected);
}

function initialState(nowIso: string, event: FlowEvent | null, triggerNodeId: string | null): RunState {
  const trigger = event ? snapshot(event) : null;
  return {
    version: 1,
    status: 'running',
    triggerNodeId,
    visits: {},
    waiting: null,
    trigger,
    lastEvent: trigger,
    startedAt: nowIso,
    updatedAt: nowIso,
    ended: null,
  };
}

function cloneState(state: RunState): RunState {
  return { ...state, visits: { ...state.visits } };
}

function buildResult(
  state: RunState,
  steps: EngineStep[],
  effects: EngineEffect[],
  ignored?: IgnoredReason,
): AdvanceResult {
  const waiting = state.status === 'waiting' ? state.waiting : null;
  const result: AdvanceResult = {
    state,
    status: state.status === 'running' ? 'failed' : state.status,
    steps,
    effects,
    timers: waiting?.kind === 'timer' ? [{ nodeId: waiting.nodeId, fireAt: waiting.fireAt }] : [],
  };
  if (waiting?.kind === 'event') {
    result.awaiting = {
      nodeId: waiting.nodeId,
      event: waiting.event,
      ...(waiting.correlation ? { correlation: waiting.correlation } : {}),
      timeoutAt: waiting.timeoutAt,
    };
  }
  if (waiting) result.wakeAt = waiting.kind === 'timer' ? waiting.fireAt : waiting.timeoutAt;
  if (state.ended) result.ended = state.ended;
  if (ignored) result.ignored = ignored;
  return result;
}

function ignore(state: RunState, reason: IgnoredReason): AdvanceResult {
  return buildResult(state, [], [], reason);
}

/**
 * Moves a run forward for one input and returns what to persist and perform. Pure and
 * deterministic: the same flow, state, input and context always give the same result, and the
 * input state is never mutated. The returned state is settled: waiting or ended.
 */
export function advanceRun(
  flow: FlowDefinition | CompiledFlow,
  state: RunState | null,
  input: EngineInput,
  context: EngineContext,
): AdvanceResult {
  const now = toInstant(context.now);
  const nowIso = Number.isFinite(now) ? new Date(now).toISOString() : new Date(0).toISOString();
  try {
    if (!Number.isFinite(now) || typeof context.runId !== 'string' || context.runId === '') {
      const failed = state
        ? cloneState(state)
        : initialState(nowIso, input.kind === 'start' ? input.event : null, null);
      failed.status = 'failed';
      failed.waiting = null;
      failed.ended = {
        reason: 'failed',
        code: 'INVALID_CONTEXT',
        message: 'now and runId are required',
        nodeId: null,
      };
      return buildResult(failed, [], []);
    }
    const compiled = compileFlow(flow);
    if (input.kind === 'start') {
      if (state) return ignore(state, 'ALREADY_STARTED');
      return start(compiled, input, context, now, nowIso);
    }
    if (!state) return ignore(initialState(nowIso, null, null), 'NOT_STARTED');
    if (state.status !== 'waiting' || !state.waiting) return ignore(state, 'RUN_ENDED');
    const waiting = state.waiting;
    switch (input.kind) {
      case 'timer': {
        if (waiting.kind !== 'timer' || waiting.nodeId !== input.nodeId)
          return ignore(state, 'NOT_WAITING_ON_NODE');
        const advance = new RunAdvance(compiled, cloneState(state), context, now);
        if (waiting.reason === 'wait') {
          advance.resume(waiting, 'next');
        } else {
          advance.state.waiting = null;
          advance.state.status = 'running';
          advance.run({ nodeId: waiting.nodeId, iteration: waiting.iteration, skipQuietHours: true });
        }
        return buildResult(advance.state, advance.steps, advance.effects);
      }
      case 'timeout': {
        if (waiting.kind !== 'event' || waiting.nodeId !== input.nodeId)
          return ignore(state, 'NOT_WAITING_ON_NODE');
        const advance = new RunAdvance(compiled, cloneState(state), context, now);
        advance.resume(waiting, 'timeout');
        return buildResult(advance.state, advance.steps, advance.effects);
      }
      case 'event':
        return onEvent(compiled, state, waiting, input.event, context, now);
      default: {
        const _never: never = input;
        return _never;
      }
    }
  } catch (error) {
    // Never throw into the runtime: a bug surfaces as a visible, retryable failed run.
    const failed = state ? cloneState(state) : initialState(nowIso, null, null);
    failed.status = 'failed';
    failed.waiting = null;
    failed.ended = {
      reason: 'failed',
      code: 'INTERNAL_ERROR',
      message: error instanceof Error ? error.message : String(error),
      nodeId: null,
    };
    return buildResult(failed, [], []);
  }
}

function start(
  flow: CompiledFlow,
  input: Extract<EngineInput, { kind: 'start' }>,
  context: EngineContext,
  now: number,
  nowIso: string,
): AdvanceResult {
  const pinned = input.triggerNodeId !== undefined ? flow.nodes.get(input.triggerNodeId) : undefined;
  const trigger =
    input.triggerNodeId !== undefined
      ? pinned && isTriggerNode(pinned)
        ? pinned
        : undefined
      : matchingTriggers(flow.graph, input.event)[0];
  const state = initialState(nowIso, input.event, trigger?.id ?? null);
  const advance = new RunAdvance(flow, state, context, now);
  if (!trigger) {
    advance.fail('NO_MATCHING_TRIGGER', `No trigger of this flow matches event "${input.event.name}"`, null);
  } else {
    advance.run({ nodeId: trigger.id });
  }
  return buildResult(advance.state, advance.steps, advance.effects);
}

function onEvent(
  flow: CompiledFlow,
  state: RunState,
  waiting: RunWaiting,
  event: FlowEvent,
  context: EngineContext,
  now: number,
): AdvanceResult {
  const goal = flow.goals.find((candidate) => matchesEventMatcher(candidate.matcher, event));
  if (goal) {
    const advance = new RunAdvance(flow, cloneState(state), context, now);
    advance.state.lastEvent = snapshot(event);
    const goalNode = goal.nodeId !== null ? flow.nodes.get(goal.nodeId) : undefined;
    if (goalNode) advance.record(goalNode, advance.enter(goalNode.id), null, []);
    advance.end('converted', { reason: 'goal', nodeId: goal.nodeId, event: event.name });
    return buildResult(advance.state, advance.steps, advance.effects);
  }
  if (flow.settings.exitConditions.some((condition) => matchesEventMatcher(condition, event))) {
    const advance = new RunAdvance(flow, cloneState(state), context, now);
    advance.state.lastEvent = snapshot(event);
    advance.end('exited', { reason: 'exit_condition', event: event.name });
    return buildResult(advance.state, advance.steps, advance.effects);
  }
  if (waiting.kind === 'event' && event.name === waiting.event) {
    const node = flow.nodes.get(waiting.nodeId);
    const filters = node?.type === 'wait_for_event' ? node.config.filters : [];
    const properties = event.properties ?? {};
    const correlated =
      waiting.correlation === null ||
      sameCorrelation(getPath(properties, waiting.correlation.property), waiting.correlation.value);
    if (correlated && matchesFilters(filters, properties)) {
      const advance = new RunAdvance(flow, cloneState(state), context, now);
      advance.state.lastEvent = snapshot(event);
      advance.resume(waiting, 'matched');
      return buildResult(advance.state, advance.steps, advance.effects);
    }
  }
  return ignore(state, 'EVENT_NOT_RELEVANT');
}
