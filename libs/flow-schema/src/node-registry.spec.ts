import { FlowNodeSchema, NODE_TYPES, NodeType } from './flow-graph.schema';
import { EFFECT_KINDS, EffectKind, isEffectKind } from './node-effects';
import {
  EffectFacts,
  NODE_REGISTRY,
  NodeKindDefinition,
  createNode,
  isNodeType,
  isOutbound,
  nodeSummaryText,
  outputHandles,
} from './node-registry';

/**
 * Every fact a kind must give. The type checks below fail to compile when a fact is added to the
 * definition but not listed here; the tests fail at run time when a kind leaves one out.
 */
const NODE_FACTS = [
  'type',
  'label',
  'description',
  'icon',
  'glyph',
  'category',
  'configSchema',
  'defaults',
  'outputs',
  'fieldHelp',
  'templates',
  'refs',
  'breaksCycles',
  'summary',
  'incomingEdge',
  'sampleEvent',
  'effect',
] as const satisfies readonly (keyof NodeKindDefinition<NodeType>)[];
const EFFECT_FACTS = [
  'outbound',
  'delivery',
  'batchable',
  'timeline',
  'timelineTarget',
  'simulate',
] as const satisfies readonly (keyof EffectFacts<EffectKind>)[];
type UnlistedNodeFact = Exclude<keyof NodeKindDefinition<NodeType>, (typeof NODE_FACTS)[number]>;
type UnlistedEffectFact = Exclude<keyof EffectFacts<EffectKind>, (typeof EFFECT_FACTS)[number]>;
const nodeFactsListed: [UnlistedNodeFact] extends [never] ? true : UnlistedNodeFact = true;
const effectFactsListed: [UnlistedEffectFact] extends [never] ? true : UnlistedEffectFact = true;

describe('every node kind gives every registry fact', () => {
  const definitions = NODE_TYPES.map((type) => [type, NODE_REGISTRY[type] as unknown]) as [
    NodeType,
    Record<string, unknown>,
  ][];

  it('lists exactly the facts of the definition type', () => {
    expect([nodeFactsListed, effectFactsListed]).toEqual([true, true]);
    for (const [type, definition] of definitions) {
      const missing = NODE_FACTS.filter((fact) => definition[fact] === undefined);
      expect([type, missing]).toEqual([type, []]);
      expect([type, Object.keys(definition).sort()]).toEqual([type, [...NODE_FACTS].sort()]);
    }
  });

  it('gives facts of the right shape: a glyph of its own, a summary, templates and refs naming config fields', () => {
    const glyphs = new Set<string>();
    for (const type of NODE_TYPES) {
      const definition = NODE_REGISTRY[type] as unknown as NodeKindDefinition<NodeType>;
      expect(typeof definition.glyph === 'string' && definition.glyph.length > 0).toBe(true);
      expect([type, glyphs.has(definition.glyph)]).toEqual([type, false]);
      glyphs.add(definition.glyph);
      const node = createNode(type, 'n');
      expect(typeof nodeSummaryText(node)).toBe('string');
      expect(nodeSummaryText(node).length).toBeGreaterThan(0);
      expect(typeof definition.breaksCycles(node.config)).toBe('boolean');
      const fields = Object.keys(node.config as object);
      const named = [
        ...definition.templates.map(({ field }) => field.split('.')[0]),
        ...definition.refs.map(({ field }) => field),
      ];
      expect([type, named.filter((field) => !fields.includes(field as string))]).toEqual([type, []]);
    }
  });

  it('gives every action, and only actions, the facts of its effect', () => {
    expect([...EFFECT_KINDS].sort()).toEqual(
      NODE_TYPES.filter((t) => NODE_REGISTRY[t].category === 'action').sort(),
    );
    for (const type of NODE_TYPES) {
      const effect = NODE_REGISTRY[type].effect as Record<string, unknown> | null;
      expect([type, effect !== null]).toEqual([type, isEffectKind(type)]);
      if (effect === null) continue;
      expect([type, EFFECT_FACTS.filter((fact) => effect[fact] === undefined)]).toEqual([type, []]);
      expect([type, Object.keys(effect).sort()]).toEqual([type, [...EFFECT_FACTS].sort()]);
      // A batched write is a database write: nothing deferred (network I/O) may ride in a batch.
      if (effect.batchable) expect([type, effect.delivery]).toEqual([type, 'inline']);
      expect(['inline', 'deferred']).toContain(effect.delivery);
      expect(typeof effect.outbound).toBe('boolean');
    }
  });

  it('gives every trigger, and only triggers, a sample event, and refuses incoming edges at triggers and goals', () => {
    for (const type of NODE_TYPES) {
      const definition = NODE_REGISTRY[type] as unknown as NodeKindDefinition<NodeType>;
      const trigger = definition.category === 'trigger';
      expect([type, typeof definition.sampleEvent]).toEqual([type, trigger ? 'function' : 'object']);
      if (trigger) {
        const node = createNode(type, 'n');
        const sample = (definition.sampleEvent as (config: unknown) => unknown)(node.config);
        expect([type, typeof sample === 'object' && sample !== null]).toEqual([type, true]);
      } else expect([type, definition.sampleEvent]).toEqual([type, null]);
      const refused = definition.incomingEdge === 'accepted' ? null : definition.incomingEdge.refused;
      expect([type, refused]).toEqual([
        type,
        trigger ? 'TRIGGER_HAS_INPUT' : type === 'goal' ? 'GOAL_HAS_INPUT' : null,
      ]);
    }
  });

  it('holds back exactly the outbound actions in quiet hours', () => {
    expect(NODE_TYPES.filter(isOutbound).sort()).toEqual([
      'notify',
      'send_email',
      'send_sms',
      'send_webhook',
    ]);
  });
});

describe('node registry', () => {
  it('has one entry per node kind of the discriminated union, keyed by its type', () => {
    expect(Object.keys(NODE_REGISTRY).sort()).toEqual([...NODE_TYPES].sort());
    for (const type of NODE_TYPES) expect(NODE_REGISTRY[type].type).toBe(type);
    expect(NODE_TYPES).toHaveLength(18);
  });

  it('gives defaults that are valid or only miss required ids/names', () => {
    for (const type of NODE_TYPES) {
      const node = createNode(type, `n_${type}`, { position: { x: 1, y: 2 } });
      expect(node).toMatchObject({ id: `n_${type}`, type, position: { x: 1, y: 2 } });
      const result = FlowNodeSchema.safeParse(node);
      if (!result.success) {
        for (const issue of result.error.issues) {
          expect(['too_small', 'invalid_format', 'custom']).toContain(issue.code);
          expect(issue.path[0]).toBe('config');
        }
      }
    }
  });

  it('returns fresh default objects', () => {
    const a = createNode('split', 'a');
    const b = createNode('split', 'b');
    a.config.branches[0]!.weight = 1;
    expect(b.config.branches[0]!.weight).toBe(50);
  });

  it('lists output handles per kind, split handles from its branches', () => {
    expect(outputHandles(createNode('condition', 'c'))).toEqual(['yes', 'no']);
    expect(outputHandles(createNode('wait_for_event', 'w'))).toEqual(['matched', 'timeout']);
    expect(outputHandles(createNode('show_cta', 's'))).toEqual(['next']);
    expect(outputHandles(createNode('trigger_event', 't'))).toEqual(['next']);
    expect(outputHandles(createNode('exit', 'x'))).toEqual([]);
    expect(outputHandles(createNode('goal', 'g'))).toEqual([]);
    const split = createNode('split', 'sp');
    split.config.branches.push({ id: 'holdout', weight: 10 });
    expect(outputHandles(split)).toEqual(['a', 'b', 'holdout']);
  });

  it('knows its types', () => {
    expect(isNodeType('condition')).toBe(true);
    expect(isNodeType('toString')).toBe(false);
    expect(NODE_REGISTRY.send_email.category).toBe('action');
    expect(NODE_REGISTRY.trigger_page_visit.category).toBe('trigger');
    expect(NODE_REGISTRY.wait.category).toBe('logic');
  });
});

describe('node config schemas', () => {
  const parse = (node: unknown) => FlowNodeSchema.safeParse(node);

  it('rejects operator/value mismatches in rules', () => {
    const bad = parse({
      id: 'c',
      type: 'condition',
      config: {
        group: {
          kind: 'group',
          combinator: 'and',
          rules: [{ kind: 'rule', source: 'visit_count', operator: 'gt' }],
        },
      },
    });
    expect(bad.success).toBe(false);
    const missingKey = parse({
      id: 'c',
      type: 'condition',
      config: {
        group: {
          kind: 'group',
          combinator: 'or',
          rules: [{ kind: 'rule', source: 'trait', operator: 'exists' }],
        },
      },
    });
    expect(missingKey.success).toBe(false);
  });

  it('accepts nested groups up to the depth limit only', () => {
    const rule = { kind: 'rule', source: 'tags', operator: 'contains', value: 'vip' };
    const nest = (depth: number): unknown =>
      depth === 1
        ? { kind: 'group', combinator: 'and', rules: [rule] }
        : { kind: 'group', combinator: 'or', rules: [nest(depth - 1)] };
    expect(parse({ id: 'c', type: 'condition', config: { group: nest(4) } }).success).toBe(true);
    expect(parse({ id: 'c', type: 'condition', config: { group: nest(5) } }).success).toBe(false);
  });

  it('rejects duplicate split branch ids and all-zero weights', () => {
    const split = (branches: unknown) => parse({ id: 's', type: 'split', config: { branches } });
    expect(
      split([
        { id: 'a', weight: 1 },
        { id: 'a', weight: 1 },
      ]).success,
    ).toBe(false);
    expect(
      split([
        { id: 'a', weight: 0 },
        { id: 'b', weight: 0 },
      ]).success,
    ).toBe(false);
    expect(
      split([
        { id: 'a', weight: 0 },
        { id: 'b', weight: 3 },
      ]).success,
    ).toBe(true);
  });

  it('checks waits', () => {
    const wait = (config: unknown) => parse({ id: 'w', type: 'wait', config });
    expect(wait({ mode: 'duration', duration: { amount: 3, unit: 'hours' } }).success).toBe(true);
    expect(wait({ mode: 'duration', duration: { amount: 400, unit: 'days' } }).success).toBe(false);
    expect(wait({ mode: 'duration', duration: { amount: 0, unit: 'days' } }).success).toBe(false);
    expect(wait({ mode: 'time_window', window: { days: ['mon'], from: '22:00', to: '06:00' } }).success).toBe(
      true,
    );
    expect(wait({ mode: 'time_window', window: { days: ['mon'], from: '09:00', to: '24:00' } }).success).toBe(
      true,
    );
    expect(wait({ mode: 'time_window', window: { days: [], from: '09:00', to: '10:00' } }).success).toBe(
      false,
    );
    expect(wait({ mode: 'time_window', window: { days: ['mon'], from: '9:00', to: '10:00' } }).success).toBe(
      false,
    );
    expect(wait({ mode: 'time_window', window: { days: ['mon'], from: '10:00', to: '10:00' } }).success).toBe(
      false,
    );
  });

  it('fills list defaults and the email recipient default', () => {
    const result = parse({
      id: 'e',
      type: 'send_email',
      config: { senderId: 's', subject: 'Hi', text: 'Hello' },
    });
    expect(result.success && result.data.type === 'send_email' && result.data.config.to).toBe(
      '{{visitor.traits.email}}',
    );
    const trigger = parse({ id: 't', type: 'trigger_event', config: { event: 'signup' } });
    expect(trigger.success && trigger.data.type === 'trigger_event' && trigger.data.config.filters).toEqual(
      [],
    );
  });

  it('rejects unknown config keys (typos in flows-as-code)', () => {
    expect(parse({ id: 't', type: 'trigger_event', config: { event: 'x', filter: [] } }).success).toBe(false);
  });
});
