import fc from 'fast-check';
import {
  FlowEdge,
  FlowGraph,
  FlowNode,
  FlowSettings,
  createNode,
  TimeWindow,
  WEEKDAYS,
  isCycleBreaker,
  outputHandleDefinitions,
  validateFlow,
} from '@nudgeflow/flow-schema';
import { AdvanceResult, EngineContext, EngineInput, FlowEvent, RunState } from './engine-types';
import { MAX_STEPS_PER_ADVANCE, advanceRun } from './flow-engine';
import { wildcardMatch } from './rule-evaluation';
import { pickWeighted, stableUnit } from './stable-hash';
import { nextWindowInstant } from './time-window';

const TIME_ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const EVENT_NAMES = ['checkout', 'purchase', 'click', 'unsub', 'noise'];
const START = Date.parse('2024-01-01T00:00:00Z');
const END = Date.parse('2027-01-01T00:00:00Z');

const timeArb = fc
  .integer({ min: 0, max: 23 })
  .chain((hour) =>
    fc.constantFrom('00', '15', '30', '45').map((minute) => `${String(hour).padStart(2, '0')}:${minute}`),
  );
const windowArb: fc.Arbitrary<TimeWindow> = fc
  .record({
    days: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }),
    from: timeArb,
    to: fc.oneof(timeArb, fc.constant('24:00')),
  })
  .filter((window) => window.from !== window.to);

const ruleArb = fc.oneof(
  fc.record({
    kind: fc.constant('rule' as const),
    source: fc.constant('visit_count' as const),
    operator: fc.constantFrom('gt' as const, 'lte' as const),
    value: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('rule' as const),
    source: fc.constant('tags' as const),
    operator: fc.constantFrom('contains' as const, 'not_contains' as const),
    value: fc.constantFrom('vip', 'lead'),
  }),
  fc.record({
    kind: fc.constant('rule' as const),
    source: fc.constant('event_property' as const),
    key: fc.constant('plan'),
    operator: fc.constantFrom('eq' as const, 'exists' as const, 'matches' as const),
    value: fc.constantFrom('pro', 'p*'),
  }),
);

type BodyConfig = Omit<FlowNode, 'id'>;

const bodyArb: fc.Arbitrary<BodyConfig> = fc.oneof(
  fc.record({
    type: fc.constant('condition' as const),
    config: fc.record({
      group: fc.record({
        kind: fc.constant('group' as const),
        combinator: fc.constantFrom('and' as const, 'or' as const),
        rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
      }),
    }),
  }),
  fc.integer({ min: 2, max: 4 }).chain((count) =>
    fc.record({
      type: fc.constant('split' as const),
      config: fc.record({
        branches: fc
          .array(fc.integer({ min: 0, max: 10 }), { minLength: count, maxLength: count })
          .filter((weights) => weights.some((w) => w > 0))
          .map((weights) => weights.map((weight, index) => ({ id: `b${index}`, weight }))),
      }),
    }),
  ),
  fc.record({
    type: fc.constant('wait' as const),
    config: fc.oneof(
      fc.record({
        mode: fc.constant('duration' as const),
        duration: fc.record({
          amount: fc.integer({ min: 1, max: 48 }),
          unit: fc.constantFrom('seconds' as const, 'minutes' as const, 'hours' as const, 'days' as const),
        }),
      }),
      fc.record({ mode: fc.constant('time_window' as const), window: windowArb }),
    ),
  }),
  fc.record({
    type: fc.constant('wait_for_event' as const),
    config: fc.record({
      event: fc.constantFrom('checkout', 'click'),
      correlationProperty: fc.option(fc.constant('cart_id'), { nil: undefined }),
      filters: fc.constant([]),
      timeout: fc.record({ amount: fc.integer({ min: 1, max: 72 }), unit: fc.constant('hours' as const) }),
    }),
  }),
  fc.constant({ type: 'exit' as const, config: {} }),
  fc.record({
    type: fc.constant('show_cta' as const),
    config: fc.record({ ctaId: fc.constantFrom('cta1', 'cta2') }),
  }),
  fc.constant({
    type: 'send_webhook' as const,
    config: {
      endpointId: 'ep',
      bodyTemplate: '{"v": "{{visitor.traits.name}}", "n": {{visitor.visitCount}}}',
    },
  }),
  fc.constant({
    type: 'update_visitor' as const,
    config: {
      setTraits: [{ key: 'seen', value: '{{event.name}}', valueType: 'string' as const }],
      unsetTraits: [],
      addTags: ['vip'],
      removeTags: [],
    },
  }),
  fc.constant({
    type: 'send_email' as const,
    config: {
      senderId: 's',
      to: '{{visitor.traits.email}}',
      subject: 'Hi {{visitor.traits.name}}',
      html: '<p>{{event.properties.plan}}</p>',
    },
  }),
  fc.constant({ type: 'notify' as const, config: { endpointId: 'slack', text: '{{visitor.traits.name}}' } }),
  fc.constant({
    type: 'send_sms' as const,
    config: { phoneTrait: 'phone', body: 'Hi {{visitor.traits.name}}' },
  }),
) as fc.Arbitrary<BodyConfig>;

const settingsArb: fc.Arbitrary<FlowSettings> = fc.record({
  reEntry: fc.constant({ mode: 'every_time' as const }),
  maxConcurrentRunsPerVisitor: fc.constant(1),
  goal: fc.option(fc.constant({ event: 'purchase', filters: [] }), { nil: undefined }),
  exitConditions: fc.constantFrom([], [{ event: 'unsub', filters: [] }]),
  quietHours: fc.option(
    fc.record({ from: timeArb, to: timeArb }).filter((q) => q.from !== q.to),
    { nil: undefined },
  ),
});

/**
 * Valid graphs by construction: triggers first, body nodes in order, then a final exit. Forward
 * edges only, except that outputs of duration waits / wait_for_event may loop back, so every cycle
 * passes through a wait. Nodes left unreachable are dropped (only unreachable nodes point at them).
 */
const graphArb: fc.Arbitrary<{ graph: FlowGraph; settings: FlowSettings }> = fc
  .record({
    pageTrigger: fc.boolean(),
    extraTrigger: fc.boolean(),
    body: fc.array(bodyArb, { maxLength: 10 }),
    goalNode: fc.boolean(),
    choices: fc.array(fc.nat({ max: 1000 }), { minLength: 64, maxLength: 64 }),
    settings: settingsArb,
  })
  .map(({ pageTrigger, extraTrigger, body, goalNode, choices, settings }) => {
    let cursor = 0;
    const choose = (range: number) => (choices[cursor++ % choices.length] as number) % range;
    const triggers: FlowNode[] = [
      pageTrigger
        ? {
            id: 't0',
            type: 'trigger_page_visit',
            config: { urlRules: [{ target: 'path', operator: 'starts_with', value: '/' }], queryFilters: [] },
          }
        : { id: 't0', type: 'trigger_event', config: { event: 'go', filters: [] } },
    ];
    if (extraTrigger)
      triggers.push({ id: 't1', type: 'trigger_event', config: { event: 'go2', filters: [] } });
    const bodyNodes = body.map((node, index) => ({ ...node, id: `n${index}` }) as FlowNode);
    const finalExit: FlowNode = { id: 'end', type: 'exit', config: {} };
    const ordered = [...bodyNodes, finalExit];
    const edges: FlowEdge[] = [];
    const connect = (source: FlowNode, handle: string, target: FlowNode) =>
      edges.push({ id: `e${edges.length}`, source: source.id, sourceHandle: handle, target: target.id });
    for (const trigger of triggers) connect(trigger, 'next', ordered[choose(ordered.length)] as FlowNode);
    bodyNodes.forEach((node, index) => {
      for (const handle of outputHandleDefinitions(node)) {
        if (isCycleBreaker(node) && choose(4) === 0) {
          connect(node, handle.id, bodyNodes[choose(index + 1)] as FlowNode);
        } else if (!handle.required && choose(3) === 0) {
          continue;
        } else {
          const later = ordered.slice(index + 1);
          connect(node, handle.id, later[choose(later.length)] as FlowNode);
        }
      }
    });
    const reachable = new Set(triggers.map((t) => t.id));
    const queue = [...reachable];
    while (queue.length > 0) {
      const id = queue.pop() as string;
      for (const edge of edges) {
        if (edge.source === id && !reachable.has(edge.target)) {
          reachable.add(edge.target);
          queue.push(edge.target);
        }
      }
    }
    const nodes = [...triggers, ...ordered.filter((node) => reachable.has(node.id))];
    if (goalNode) nodes.push({ id: 'goal', type: 'goal', config: { event: 'purchase', filters: [] } });
    return {
      graph: { nodes, edges: edges.filter((edge) => reachable.has(edge.source)) },
      settings,
    };
  });

type Op = { kind: 'fire'; delay: number } | { kind: 'event'; delay: number; event: FlowEvent };

const eventArb: fc.Arbitrary<FlowEvent> = fc.record({
  name: fc.constantFrom(...EVENT_NAMES),
  properties: fc.record({ cart_id: fc.constantFrom('c1', 'c2'), plan: fc.constantFrom('pro', 'free') }),
});
const opsArb: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('fire' as const), delay: fc.integer({ min: 0, max: 3 * 86_400_000 }) }),
    fc.record({
      kind: fc.constant('event' as const),
      delay: fc.integer({ min: 0, max: 86_400_000 }),
      event: eventArb,
    }),
  ),
  { maxLength: 25 },
);

const scenarioArb = fc.record({
  flow: graphArb,
  ops: opsArb,
  start: fc.integer({ min: START, max: END }),
  timeZone: fc.constantFrom(...TIME_ZONES),
  runId: fc.string({ minLength: 1, maxLength: 12 }),
  visitor: fc.record({
    traits: fc.record({
      name: fc.string({ maxLength: 8 }),
      email: fc.constantFrom('a@b.c', '', 'bad'),
      phone: fc.constantFrom('+15005550006', '', 'bad'),
      sms_opt_out: fc.boolean(),
    }),
    tags: fc.subarray(['vip', 'lead']),
    visitCount: fc.integer({ min: 0, max: 6 }),
  }),
});

function startInput(graph: FlowGraph): EngineInput {
  const first = graph.nodes[0] as FlowNode;
  return first.type === 'trigger_page_visit'
    ? {
        kind: 'start',
        event: { name: '$page', properties: { url: 'https://shop.test/a?utm_source=x', cart_id: 'c1' } },
      }
    : { kind: 'start', event: { name: 'go', properties: { cart_id: 'c1', plan: 'pro' } } };
}

function checkResult(result: AdvanceResult, graph: FlowGraph): void {
  expect(result.status).not.toBe('failed');
  expect(result.steps.length).toBeLessThanOrEqual(Math.min(MAX_STEPS_PER_ADVANCE, graph.nodes.length + 1));
  if (result.ignored) return;
  if (result.status === 'waiting') {
    expect(result.timers.length + (result.awaiting ? 1 : 0)).toBe(1);
    expect(result.wakeAt).toBeDefined();
    expect(result.ended).toBeUndefined();
  } else {
    expect(['completed', 'converted', 'exited']).toContain(result.status);
    expect(result.timers).toEqual([]);
    expect(result.awaiting).toBeUndefined();
    expect(result.ended).toBeDefined();
  }
  expect(result.effects).toEqual(result.steps.flatMap((step) => step.effects));
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}

describe('engine properties', () => {
  it('generated graphs are valid', () => {
    fc.assert(
      fc.property(graphArb, ({ graph, settings }) => {
        expect(validateFlow(graph, settings)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws or fails on valid graphs, stays bounded, settles every advance, and replays identically', () => {
    fc.assert(
      fc.property(scenarioArb, ({ flow, ops, start, timeZone, runId, visitor }) => {
        let now = start;
        const context = (): EngineContext => ({ now, siteTimezone: timeZone, runId, visitor });
        const advance = (state: RunState | null, input: EngineInput): AdvanceResult => {
          const result = advanceRun(flow, state, input, context());
          expect(advanceRun(flow, state, input, context())).toEqual(result);
          checkResult(result, flow.graph);
          return result;
        };
        let result = advance(null, startInput(flow.graph));
        const keys = new Set<string>();
        const record = (r: AdvanceResult) => {
          for (const step of r.steps) {
            const key = `${step.nodeId}:${step.iteration}`;
            expect(keys.has(key)).toBe(false);
            keys.add(key);
          }
        };
        record(result);
        for (const op of ops) {
          if (result.status !== 'waiting') break;
          now += op.delay;
          let input: EngineInput;
          if (op.kind === 'event') {
            input = { kind: 'event', event: op.event };
          } else if (result.timers[0]) {
            now = Math.max(now, Date.parse(result.timers[0].fireAt));
            input = { kind: 'timer', nodeId: result.timers[0].nodeId };
          } else {
            const awaiting = result.awaiting!;
            now = Math.max(now, Date.parse(awaiting.timeoutAt));
            input = { kind: 'timeout', nodeId: awaiting.nodeId };
          }
          const next = advance(result.state, input);
          if (next.ignored) {
            expect(next.state).toEqual(result.state);
            continue;
          }
          record(next);
          if (next.timers[0]) expect(Date.parse(next.timers[0].fireAt)).toBeGreaterThanOrEqual(now);
          result = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('runs without waits always finish within one advance', () => {
    const noWaits = graphArb.filter(
      ({ graph }) => !graph.nodes.some((n) => n.type === 'wait' || n.type === 'wait_for_event'),
    );
    fc.assert(
      fc.property(noWaits, fc.integer({ min: START, max: END }), ({ graph }, now) => {
        const settings: FlowSettings = {
          reEntry: { mode: 'once' },
          maxConcurrentRunsPerVisitor: 1,
          exitConditions: [],
        };
        const result = advanceRun({ graph, settings }, null, startInput(graph), {
          now,
          siteTimezone: 'UTC',
          runId: 'r',
          visitor: {},
        });
        expect(['completed', 'exited']).toContain(result.status);
      }),
      { numRuns: 200 },
    );
  });

  it('split ratios follow the weights over many run ids', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 2, maxLength: 4 }),
        fc.string(),
        (weights, nodeId) => {
          const runs = 4000;
          const counts = weights.map(() => 0);
          for (let index = 0; index < runs; index += 1) {
            const picked = pickWeighted(stableUnit(`run-${index}`, nodeId), weights);
            counts[picked] = (counts[picked] ?? 0) + 1;
          }
          const total = weights.reduce((a, b) => a + b, 0);
          weights.forEach((weight, index) => {
            expect(Math.abs((counts[index] ?? 0) / runs - weight / total)).toBeLessThan(0.04);
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('split through the engine matches the hash and spreads sequential uuids-like ids', () => {
    const graph: FlowGraph = {
      nodes: [
        { id: 't', type: 'trigger_event', config: { event: 'go', filters: [] } },
        createNode('split', 's'),
      ],
      edges: [{ id: 'e', source: 't', sourceHandle: 'next', target: 's' }],
    };
    let a = 0;
    const runs = 2000;
    for (let index = 0; index < runs; index += 1) {
      const result = advanceRun(
        { graph },
        null,
        { kind: 'start', event: { name: 'go' } },
        {
          now: 0,
          siteTimezone: 'UTC',
          runId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
          visitor: {},
        },
      );
      if (result.steps[1]?.handle === 'a') a += 1;
    }
    expect(Math.abs(a / runs - 0.5)).toBeLessThan(0.05);
  });
});

describe('helper properties', () => {
  const reference = (pattern: string, text: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'is',
    ).test(text);

  it('wildcardMatch agrees with a regex reference', () => {
    const chars = fc.constantFrom('a', 'b', '/', '*', '.');
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '/', '.'), maxLength: 10 }),
        (pattern, text) => {
          expect(wildcardMatch(pattern, text)).toBe(reference(pattern, text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('nextWindowInstant lands at a window opening (or now) and is a fixed point', () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.integer({ min: START, max: END }),
        fc.constantFrom(...TIME_ZONES),
        (window, now, tz) => {
          const next = nextWindowInstant(now, window, tz);
          expect(next).toBeGreaterThanOrEqual(now);
          expect(next - now).toBeLessThanOrEqual(8 * 86_400_000);
          expect(nextWindowInstant(next, window, tz)).toBe(next);
          if (next > now) expect(nextWindowInstant(next - 1000, window, tz)).toBe(next);
        },
      ),
      { numRuns: 500 },
    );
  });
});
