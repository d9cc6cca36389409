import {
  createNode,
  EFFECT_KINDS,
  FLOW_TEMPLATES,
  FlowGraph,
  FlowNode,
  FlowSettings,
  findFlowTemplate,
  isOutbound,
} from '@nudgeflow/flow-schema';
import { EngineContext, RunState } from './engine-types';
import { MAX_STEPS_PER_ADVANCE, advanceRun, applyVisitorUpdate, eventsOfInterest } from './flow-engine';
import { toVisitorSnapshot } from './recorded-event';

const NOW = '2025-01-15T10:00:00.000Z'; // a Wednesday
const ctx = (overrides: Partial<EngineContext> = {}): EngineContext => ({
  now: NOW,
  siteTimezone: 'Europe/Paris',
  runId: 'run-1',
  visitor: {
    id: 'v1',
    traits: { email: 'ada@example.com', first_name: 'Ada' },
    tags: ['lead'],
    visitCount: 3,
    firstSeenAt: '2025-01-01T00:00:00Z',
    device: 'mobile',
    utm: { source: 'newsletter' },
  },
  ...overrides,
});
const edge = (source: string, sourceHandle: string, target: string) => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});
const trigger: FlowNode = { id: 't', type: 'trigger_event', config: { event: 'signup', filters: [] } };
const start = {
  kind: 'start' as const,
  event: { name: 'signup', properties: { plan: 'pro', cart_id: 'c1' } },
};
const graphOf = (nodes: FlowNode[], edges: FlowGraph['edges']): FlowGraph => ({
  nodes: [trigger, ...nodes],
  edges,
});

describe('advanceRun', () => {
  it('runs actions, renders templates and completes at an open output', () => {
    const graph = graphOf(
      [
        { id: 's', type: 'show_cta', config: { ctaId: 'cta1' } },
        {
          id: 'm',
          type: 'send_email',
          config: {
            senderId: 'snd',
            to: '{{visitor.traits.email}}',
            subject: 'Hi {{visitor.traits.first_name}}\r\nBcc: x@y.z',
            html: '<p>{{event.properties.plan}} & {{visitor.traits.first_name}}<script></p>',
            text: 'Plan: {{event.properties.plan}} <b>',
          },
        },
      ],
      [edge('t', 'next', 's'), edge('s', 'next', 'm')],
    );
    const result = advanceRun({ graph }, null, start, ctx());
    expect(result.status).toBe('completed');
    expect(result.ended).toEqual({ reason: 'end_of_path', nodeId: 'm' });
    expect(result.steps.map((s) => [s.nodeId, s.iteration, s.handle])).toEqual([
      ['t', 1, 'next'],
      ['s', 1, 'next'],
      ['m', 1, 'next'],
    ]);
    expect(result.effects).toEqual([
      {
        kind: 'show_cta',
        nodeId: 's',
        iteration: 1,
        idempotencyKey: 'run-1:s:1',
        ctaId: 'cta1',
        priority: 50,
      },
      {
        kind: 'send_email',
        nodeId: 'm',
        iteration: 1,
        idempotencyKey: 'run-1:m:1',
        senderId: 'snd',
        to: 'ada@example.com',
        subject: 'Hi Ada Bcc: x@y.z',
        html: '<p>pro & Ada<script></p>',
        text: 'Plan: pro <b>',
      },
    ]);
    expect(result.timers).toEqual([]);
    expect(JSON.parse(JSON.stringify(result.state))).toEqual(result.state);
  });

  it('HTML-escapes values (not the template) in html bodies', () => {
    const graph = graphOf(
      [
        {
          id: 'm',
          type: 'send_email',
          config: { senderId: 's', to: 'a@b.c', subject: 'x', html: '<b>{{visitor.traits.first_name}}</b>' },
        },
      ],
      [edge('t', 'next', 'm')],
    );
    const result = advanceRun(
      { graph },
      null,
      start,
      ctx({ visitor: { traits: { first_name: '<img onerror=1>' } } }),
    );
    expect(result.effects[0]).toMatchObject({ html: '<b>&lt;img onerror&#x3D;1&gt;</b>', text: null });
  });

  it('renders the visitor ids, the run and the site of the template catalogue', () => {
    const graph = graphOf(
      [
        {
          id: 'n',
          type: 'notify',
          config: {
            endpointId: 'ep',
            text: '{{visitor.anonymousId}}|{{visitor.userId}}|{{visitor.id}}|{{site.id}}|{{site.timezone}}',
          },
        },
      ],
      [edge('t', 'next', 'n')],
    );
    const result = advanceRun(
      { graph },
      null,
      start,
      ctx({
        siteId: 'site-1',
        siteTimezone: 'Europe/Paris',
        visitor: toVisitorSnapshot({
          id: 'v-1',
          anonymousIds: ['anon-old', 'anon-new'],
          userId: 'cus_9',
          traits: {},
          tags: [],
          visitCount: null,
          firstSeenAt: null,
          device: null,
          utm: null,
          lastPageUrl: null,
        }),
      }),
    );
    expect(result.effects[0]).toMatchObject({ text: 'anon-new|cus_9|v-1|site-1|Europe/Paris' });
  });

  it('skips an email without a recipient and continues', () => {
    const graph = graphOf(
      [
        {
          id: 'm',
          type: 'send_email',
          config: { senderId: 's', to: '{{visitor.traits.email}}', subject: 'x', text: 'y' },
        },
        { id: 's', type: 'show_cta', config: { ctaId: 'c' } },
      ],
      [edge('t', 'next', 'm'), edge('m', 'next', 's')],
    );
    const result = advanceRun({ graph }, null, start, ctx({ visitor: {} }));
    expect(result.steps[1]).toMatchObject({ nodeId: 'm', skipped: 'NO_RECIPIENT', effects: [] });
    expect(result.effects.map((e) => e.kind)).toEqual(['show_cta']);
  });

  it('renders webhook bodies as JSON, escaping values in strings and embedding values outside', () => {
    const graph = graphOf(
      [
        {
          id: 'h',
          type: 'send_webhook',
          config: {
            endpointId: 'ep',
            bodyTemplate:
              '{"name": "{{visitor.traits.first_name}}", "plan": {{event.properties.plan}}, "visits": {{visitor.visitCount}}, "missing": {{visitor.traits.nope}}, "tags": {{visitor.tags}}}',
          },
        },
      ],
      [edge('t', 'next', 'h')],
    );
    const visitor = { traits: { first_name: 'A "quoted"\nname' }, tags: ['x'], visitCount: 2 };
    const result = advanceRun({ graph }, null, start, ctx({ visitor }));
    expect(result.effects[0]).toMatchObject({
      kind: 'send_webhook',
      body: { name: 'A "quoted"\nname', plan: 'pro', visits: 2, missing: null, tags: ['x'] },
    });
  });

  it('fails the run (does not throw) when a template renders invalid JSON', () => {
    const graph = graphOf(
      [
        {
          id: 'h',
          type: 'send_webhook',
          config: { endpointId: 'ep', bodyTemplate: '{"a": 1{{#visitor.tags}},{{/visitor.tags}}}' },
        },
      ],
      [edge('t', 'next', 'h')],
    );
    const result = advanceRun({ graph }, null, start, ctx({ visitor: { tags: ['a', 'b'] } }));
    expect(result.status).toBe('failed');
    expect(result.ended).toMatchObject({ reason: 'failed', code: 'TEMPLATE_ERROR', nodeId: 'h' });
  });

  it('never calls into prototypes from templates', () => {
    const graph = graphOf(
      [
        {
          id: 'n',
          type: 'notify',
          config: {
            endpointId: 'e',
            text: '[{{visitor.constructor}}][{{#visitor.tags.constructor}}x{{/visitor.tags.constructor}}][{{visitor.traits.__proto__}}]',
          },
        },
      ],
      [edge('t', 'next', 'n')],
    );
    expect(advanceRun({ graph }, null, start, ctx()).effects[0]).toMatchObject({ text: '[][][]' });
  });

  it('updates the visitor and later conditions see the change', () => {
    const graph = graphOf(
      [
        {
          id: 'u',
          type: 'update_visitor',
          config: {
            setTraits: [
              { key: 'plan', value: '{{event.properties.plan}}', valueType: 'string' },
              { key: 'score', value: '42', valueType: 'number' },
              { key: 'vip', value: 'yes', valueType: 'boolean' },
            ],
            unsetTraits: ['first_name'],
            addTags: ['customer'],
            removeTags: ['lead'],
          },
        },
        {
          id: 'c',
          type: 'condition',
          config: {
            group: {
              kind: 'group',
              combinator: 'and',
              rules: [
                { kind: 'rule', source: 'tags', operator: 'contains', value: 'customer' },
                { kind: 'rule', source: 'trait', key: 'score', operator: 'gt', value: 40 },
                { kind: 'rule', source: 'trait', key: 'first_name', operator: 'not_exists' },
              ],
            },
          },
        },
        { id: 'yes', type: 'exit', config: {} },
        { id: 'no', type: 'exit', config: {} },
      ],
      [edge('t', 'next', 'u'), edge('u', 'next', 'c'), edge('c', 'yes', 'yes'), edge('c', 'no', 'no')],
    );
    const result = advanceRun({ graph }, null, start, ctx());
    expect(result.effects[0]).toMatchObject({
      setTraits: { plan: 'pro', score: 42, vip: true },
      unsetTraits: ['first_name'],
      addTags: ['customer'],
      removeTags: ['lead'],
    });
    expect(result.status).toBe('exited');
    expect(result.ended).toEqual({ reason: 'exit_node', nodeId: 'yes' });
  });

  it('evaluates condition sources: device, utm, page url, event property, days since first seen, OR groups', () => {
    const condition = (rules: unknown[]): FlowGraph =>
      graphOf(
        [
          {
            id: 'c',
            type: 'condition',
            config: { group: { kind: 'group', combinator: 'and', rules } },
          } as FlowNode,
          { id: 'y', type: 'exit', config: {} },
          { id: 'n', type: 'exit', config: {} },
        ],
        [edge('t', 'next', 'c'), edge('c', 'yes', 'y'), edge('c', 'no', 'n')],
      );
    const taken = (rules: unknown[], visitorPatch = {}) =>
      advanceRun(
        { graph: condition(rules) },
        null,
        start,
        ctx({ visitor: { ...ctx().visitor, ...visitorPatch } }),
      ).steps[1]?.handle;
    expect(taken([{ kind: 'rule', source: 'device', operator: 'eq', value: 'MOBILE' }])).toBe('yes');
    expect(
      taken([{ kind: 'rule', source: 'utm', key: 'source', operator: 'in', value: ['ads', 'newsletter'] }]),
    ).toBe('yes');
    expect(
      taken([{ kind: 'rule', source: 'event_property', key: 'plan', operator: 'neq', value: 'pro' }]),
    ).toBe('no');
    expect(taken([{ kind: 'rule', source: 'days_since_first_seen', operator: 'gte', value: 14 }])).toBe(
      'yes',
    );
    expect(taken([{ kind: 'rule', source: 'days_since_first_seen', operator: 'gte', value: 15 }])).toBe('no');
    expect(
      taken([{ kind: 'rule', source: 'page_url', operator: 'matches', value: '*/pricing*' }], {
        pageUrl: 'https://shop.test/en/pricing?x=1',
      }),
    ).toBe('yes');
    expect(
      taken([
        {
          kind: 'group',
          combinator: 'or',
          rules: [
            { kind: 'rule', source: 'visit_count', operator: 'lt', value: 2 },
            { kind: 'rule', source: 'tags', operator: 'contains', value: 'LEAD' },
          ],
        },
      ]),
    ).toBe('yes');
  });

  it('waits for a duration, then continues on the timer with the same iteration', () => {
    const graph = graphOf(
      [
        { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 2, unit: 'hours' } } },
        { id: 's', type: 'show_cta', config: { ctaId: 'c' } },
      ],
      [edge('t', 'next', 'w'), edge('w', 'next', 's')],
    );
    const first = advanceRun({ graph }, null, start, ctx());
    expect(first.status).toBe('waiting');
    expect(first.timers).toEqual([{ nodeId: 'w', fireAt: '2025-01-15T12:00:00.000Z' }]);
    expect(first.wakeAt).toBe('2025-01-15T12:00:00.000Z');
    expect(first.steps.map((s) => s.nodeId)).toEqual(['t']);
    expect(advanceRun({ graph }, first.state, { kind: 'timer', nodeId: 'x' }, ctx()).ignored).toBe(
      'NOT_WAITING_ON_NODE',
    );
    const second = advanceRun(
      { graph },
      first.state,
      { kind: 'timer', nodeId: 'w' },
      ctx({ now: '2025-01-15T12:00:00Z' }),
    );
    expect(second.status).toBe('completed');
    expect(second.steps.map((s) => [s.nodeId, s.iteration, s.handle])).toEqual([
      ['w', 1, 'next'],
      ['s', 1, 'next'],
    ]);
    expect(advanceRun({ graph }, second.state, { kind: 'timer', nodeId: 'w' }, ctx()).ignored).toBe(
      'RUN_ENDED',
    );
  });

  it('waits until a time window in the site time zone, or passes straight through inside it', () => {
    const graph = graphOf(
      [
        {
          id: 'w',
          type: 'wait',
          config: { mode: 'time_window', window: { days: ['thu'], from: '09:00', to: '12:00' } },
        },
        { id: 's', type: 'show_cta', config: { ctaId: 'c' } },
      ],
      [edge('t', 'next', 'w'), edge('w', 'next', 's')],
    );
    expect(advanceRun({ graph }, null, start, ctx()).timers).toEqual([
      { nodeId: 'w', fireAt: '2025-01-16T08:00:00.000Z' },
    ]);
    const inside = advanceRun({ graph }, null, start, ctx({ now: '2025-01-16T09:00:00Z' }));
    expect(inside.status).toBe('completed');
  });

  it('waits for a correlated event, with timeout', () => {
    const cart = findFlowTemplate('abandoned-cart')!;
    const flow = { graph: cart.graph, settings: cart.settings };
    const addToCart = {
      kind: 'start' as const,
      event: { name: 'add_to_cart', properties: { cart_id: 'c1' } },
    };
    const first = advanceRun(flow, null, addToCart, ctx());
    expect(first.awaiting).toEqual({
      nodeId: 'wait_checkout',
      event: 'checkout_completed',
      correlation: { property: 'cart_id', value: 'c1' },
      timeoutAt: '2025-01-15T11:00:00.000Z',
    });
    expect(eventsOfInterest(flow, first.state).sort()).toEqual(['checkout_completed', 'purchase']);
    const otherCart = advanceRun(
      flow,
      first.state,
      { kind: 'event', event: { name: 'checkout_completed', properties: { cart_id: 'c2' } } },
      ctx(),
    );
    expect(otherCart.ignored).toBe('EVENT_NOT_RELEVANT');
    expect(otherCart.state).toEqual(first.state);
    const matched = advanceRun(
      flow,
      first.state,
      { kind: 'event', event: { name: 'checkout_completed', properties: { cart_id: 'c1' } } },
      ctx(),
    );
    expect(matched.status).toBe('exited');
    expect(matched.steps.map((s) => [s.nodeId, s.handle])).toEqual([
      ['wait_checkout', 'matched'],
      ['checked_out', null],
    ]);
    const timedOut = advanceRun(
      flow,
      first.state,
      { kind: 'timeout', nodeId: 'wait_checkout' },
      ctx({ now: '2025-01-15T11:00:00Z' }),
    );
    expect(timedOut.status).toBe('completed');
    expect(timedOut.effects.map((e) => e.kind)).toEqual(['show_cta', 'send_email']);
    const converted = advanceRun(flow, first.state, { kind: 'event', event: { name: 'purchase' } }, ctx());
    expect(converted.status).toBe('converted');
    expect(converted.ended).toEqual({ reason: 'goal', nodeId: 'purchased', event: 'purchase' });
    expect(converted.steps).toEqual([
      expect.objectContaining({ nodeId: 'purchased', iteration: 1, handle: null }),
    ]);
  });

  it('exits on flow exit conditions and converts on the settings goal', () => {
    const graph = graphOf(
      [{ id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'days' } } }],
      [edge('t', 'next', 'w')],
    );
    const settings: FlowSettings = {
      reEntry: { mode: 'once' },
      maxConcurrentRunsPerVisitor: 1,
      goal: { event: 'purchase', filters: [{ property: 'total', operator: 'gte', value: 10 }] },
      exitConditions: [{ event: 'unsubscribed', filters: [] }],
    };
    const waiting = advanceRun({ graph, settings }, null, start, ctx()).state;
    const small = advanceRun(
      { graph, settings },
      waiting,
      { kind: 'event', event: { name: 'purchase', properties: { total: 5 } } },
      ctx(),
    );
    expect(small.ignored).toBe('EVENT_NOT_RELEVANT');
    const big = advanceRun(
      { graph, settings },
      waiting,
      { kind: 'event', event: { name: 'purchase', properties: { total: '12' } } },
      ctx(),
    );
    expect(big.ended).toEqual({ reason: 'goal', nodeId: null, event: 'purchase' });
    const out = advanceRun(
      { graph, settings },
      waiting,
      { kind: 'event', event: { name: 'unsubscribed' } },
      ctx(),
    );
    expect(out.status).toBe('exited');
    expect(out.ended).toEqual({ reason: 'exit_condition', event: 'unsubscribed' });
  });

  it('defers outbound messages during quiet hours and sends them once on the timer', () => {
    const graph = graphOf(
      [
        { id: 's', type: 'show_cta', config: { ctaId: 'c' } },
        { id: 'n', type: 'notify', config: { endpointId: 'slack', text: 'hi' } },
      ],
      [edge('t', 'next', 's'), edge('s', 'next', 'n')],
    );
    const settings: FlowSettings = {
      reEntry: { mode: 'once' },
      maxConcurrentRunsPerVisitor: 1,
      exitConditions: [],
      quietHours: { from: '21:00', to: '08:00', timezone: 'UTC' },
    };
    const night = advanceRun({ graph, settings }, null, start, ctx({ now: '2025-01-15T23:00:00Z' }));
    expect(night.effects.map((e) => e.kind)).toEqual(['show_cta']);
    expect(night.timers).toEqual([{ nodeId: 'n', fireAt: '2025-01-16T08:00:00.000Z' }]);
    const morning = advanceRun(
      { graph, settings },
      night.state,
      { kind: 'timer', nodeId: 'n' },
      ctx({ now: '2025-01-16T08:00:00Z' }),
    );
    expect(morning.effects).toEqual([
      expect.objectContaining({ kind: 'notify', iteration: 1, idempotencyKey: 'run-1:n:1' }),
    ]);
    expect(morning.status).toBe('completed');
  });

  it('holds back in quiet hours exactly the kinds the registry calls outbound', () => {
    const settings: FlowSettings = {
      reEntry: { mode: 'once' },
      maxConcurrentRunsPerVisitor: 1,
      exitConditions: [],
      quietHours: { from: '21:00', to: '08:00', timezone: 'UTC' },
    };
    const visitor = { id: 'v1', traits: { email: 'ada@example.com', phone: '+4915112345678' } };
    for (const kind of EFFECT_KINDS) {
      const graph = graphOf([createNode(kind, 'a')], [edge('t', 'next', 'a')]);
      const night = advanceRun(
        { graph, settings },
        null,
        start,
        ctx({ now: '2025-01-15T23:00:00Z', visitor }),
      );
      if (isOutbound(kind)) {
        expect([kind, night.effects, night.timers]).toEqual([
          kind,
          [],
          [{ nodeId: 'a', fireAt: '2025-01-16T08:00:00.000Z' }],
        ]);
      } else {
        expect([kind, night.effects.map((e) => e.kind), night.status]).toEqual([kind, [kind], 'completed']);
      }
    }
  });

  describe('send_sms', () => {
    const sms = (config: Partial<{ phoneTrait: string; body: string }> = {}): FlowNode => ({
      id: 'sms',
      type: 'send_sms',
      config: {
        phoneTrait: 'phone',
        body: 'Hi {{visitor.traits.first_name}}, {{event.properties.plan}}',
        ...config,
      },
    });
    const graph = (node: FlowNode = sms()) => graphOf([node], [edge('t', 'next', 'sms')]);
    const withTraits = (traits: Record<string, unknown>) =>
      ctx({ visitor: { id: 'v1', traits: { first_name: 'Ada', ...traits } } });

    it('renders the body and texts the number from the trait, separators dropped', () => {
      const result = advanceRun(
        { graph: graph() },
        null,
        start,
        withTraits({ phone: '+49 (151) 1234-5678' }),
      );
      expect(result.effects).toEqual([
        {
          kind: 'send_sms',
          nodeId: 'sms',
          iteration: 1,
          idempotencyKey: 'run-1:sms:1',
          to: '+4915112345678',
          body: 'Hi Ada, pro',
        },
      ]);
      expect(result.status).toBe('completed');
    });

    it('reads the configured trait', () => {
      const result = advanceRun(
        { graph: graph(sms({ phoneTrait: 'mobile' })) },
        null,
        start,
        withTraits({ phone: '+15005550006', mobile: '+15005550009' }),
      );
      expect(result.effects).toMatchObject([{ to: '+15005550009' }]);
    });

    it('skips opted-out visitors and continues', () => {
      for (const flag of [true, 'true', 'YES', '1', 1]) {
        const result = advanceRun(
          { graph: graph() },
          null,
          start,
          withTraits({ phone: '+15005550006', sms_opt_out: flag }),
        );
        expect([flag, result.effects, result.steps[1]?.skipped]).toEqual([flag, [], 'OPTED_OUT']);
        expect(result.status).toBe('completed');
      }
      for (const flag of [false, 'false', 0, null, 'no']) {
        const result = advanceRun(
          { graph: graph() },
          null,
          start,
          withTraits({ phone: '+15005550006', sms_opt_out: flag }),
        );
        expect([flag, result.effects.length]).toEqual([flag, 1]);
      }
    });

    it('skips visitors without a usable number, never reading prototypes', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{}, 'phone'],
        [{ phone: '' }, 'phone'],
        [{ phone: '0151 1234' }, 'phone'],
        [{ phone: 4915112345678 }, 'phone'],
        [{ phone: '+4915112345678\n+1555' }, 'phone'],
        [{}, '__proto__'],
        [{}, 'constructor'],
      ];
      for (const [traits, phoneTrait] of cases) {
        const result = advanceRun({ graph: graph(sms({ phoneTrait })) }, null, start, withTraits(traits));
        expect([traits, result.steps[1]?.skipped, result.effects]).toEqual([traits, 'NO_RECIPIENT', []]);
      }
    });
  });

  it('picks split branches stably per run id', () => {
    const graph = graphOf(
      [
        {
          id: 'sp',
          type: 'split',
          config: {
            branches: [
              { id: 'a', weight: 1 },
              { id: 'b', weight: 1 },
              { id: 'never', weight: 0 },
            ],
          },
        },
        { id: 'x', type: 'exit', config: {} },
      ],
      [edge('t', 'next', 'sp'), edge('sp', 'a', 'x'), edge('sp', 'b', 'x'), edge('sp', 'never', 'x')],
    );
    const branch = (runId: string) => advanceRun({ graph }, null, start, ctx({ runId })).steps[1]?.handle;
    const seen = new Set<string | null | undefined>();
    for (let i = 0; i < 50; i += 1) {
      expect(branch(`r${i}`)).toBe(branch(`r${i}`));
      seen.add(branch(`r${i}`));
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('counts iterations across loops through a wait', () => {
    const graph = graphOf(
      [
        { id: 's', type: 'show_cta', config: { ctaId: 'c' } },
        { id: 'w', type: 'wait', config: { mode: 'duration', duration: { amount: 1, unit: 'days' } } },
      ],
      [edge('t', 'next', 's'), edge('s', 'next', 'w'), edge('w', 'next', 's')],
    );
    let result = advanceRun({ graph }, null, start, ctx());
    const keys = result.effects.map((e) => e.idempotencyKey);
    for (let i = 0; i < 3; i += 1) {
      result = advanceRun({ graph }, result.state, { kind: 'timer', nodeId: 'w' }, ctx());
      keys.push(...result.effects.map((e) => e.idempotencyKey));
    }
    expect(keys).toEqual(['run-1:s:1', 'run-1:s:2', 'run-1:s:3', 'run-1:s:4']);
  });

  it('fails with STEP_LIMIT_EXCEEDED on a loop without a wait (invalid graph) instead of hanging', () => {
    const graph = graphOf(
      [{ id: 's', type: 'show_cta', config: { ctaId: 'c' } }],
      [edge('t', 'next', 's'), edge('s', 'next', 's')],
    );
    const result = advanceRun({ graph }, null, start, ctx());
    expect(result.status).toBe('failed');
    expect(result.ended).toMatchObject({ code: 'STEP_LIMIT_EXCEEDED' });
    expect(result.steps).toHaveLength(MAX_STEPS_PER_ADVANCE);
  });

  it('reports unmatched triggers, bad context, and misuse without throwing', () => {
    const graph = graphOf([], []);
    expect(
      advanceRun({ graph }, null, { kind: 'start', event: { name: 'other' } }, ctx()).ended,
    ).toMatchObject({
      code: 'NO_MATCHING_TRIGGER',
    });
    expect(advanceRun({ graph }, null, start, ctx({ now: 'not a date' })).ended).toMatchObject({
      code: 'INVALID_CONTEXT',
    });
    expect(advanceRun({ graph }, null, { kind: 'timer', nodeId: 'w' }, ctx()).ignored).toBe('NOT_STARTED');
    const done = advanceRun({ graph }, null, start, ctx());
    expect(done.status).toBe('completed');
    expect(advanceRun({ graph }, done.state, start, ctx()).ignored).toBe('ALREADY_STARTED');
    expect(advanceRun({ graph }, null, { ...start, triggerNodeId: 'nope' }, ctx()).status).toBe('failed');
    const odd = advanceRun({ graph }, null, start, ctx({ siteTimezone: 'Not/AZone' }));
    expect(odd.status).toBe('completed');
  });

  it('does not mutate the input state', () => {
    const template = FLOW_TEMPLATES[2]!;
    const flow = { graph: template.graph, settings: template.settings };
    const first = advanceRun(flow, null, { kind: 'start', event: { name: '$identify' } }, ctx());
    const frozen: RunState = JSON.parse(JSON.stringify(first.state));
    advanceRun(
      flow,
      first.state,
      { kind: 'timer', nodeId: 'wait_two_days' },
      ctx({ now: '2025-01-17T10:00:00Z' }),
    );
    expect(first.state).toEqual(frozen);
  });
});

describe('applyVisitorUpdate', () => {
  it('sets, unsets, removes then adds tags', () => {
    expect(
      applyVisitorUpdate(
        { traits: { a: 1, b: 2 }, tags: ['x', 'y'] },
        { setTraits: { c: 3 }, unsetTraits: ['a'], addTags: ['z', 'x'], removeTags: ['x'] },
      ),
    ).toEqual({ traits: { b: 2, c: 3 }, tags: ['y', 'z', 'x'] });
  });
});
