import { FlowGraph, FlowNode } from './flow-graph.schema';
import { canConnect, validateFlow } from './graph-validation';
import { createNode } from './node-registry';

const trigger = (): FlowNode => ({
  id: 't',
  type: 'trigger_event',
  config: { event: 'signup', filters: [] },
});
const show = (id: string, ctaId = 'cta1'): FlowNode => ({ id, type: 'show_cta', config: { ctaId } });
const edge = (id: string, source: string, sourceHandle: string, target: string) => ({
  id,
  source,
  sourceHandle,
  target,
});
const codes = (graph: unknown, settings?: unknown, refs?: Parameters<typeof validateFlow>[2]) =>
  validateFlow(graph, settings, refs).map((error) => error.code);

describe('validateFlow', () => {
  const minimal: FlowGraph = { nodes: [trigger(), show('s')], edges: [edge('e1', 't', 'next', 's')] };

  it('accepts a minimal flow (an action output may stay open)', () => {
    expect(validateFlow(minimal, { reEntry: { mode: 'every_time' } })).toEqual([]);
  });

  it('reports a malformed graph as INVALID_GRAPH with paths', () => {
    const errors = validateFlow({ nodes: 'nope', edges: [] });
    expect(errors[0]).toMatchObject({ code: 'INVALID_GRAPH', path: ['nodes'] });
  });

  it('requires a trigger', () => {
    expect(codes({ nodes: [show('s')], edges: [] })).toEqual(['NO_TRIGGER', 'UNREACHABLE_NODE']);
  });

  it('reports duplicate ids, unknown types and invalid configs with node ids and zod paths', () => {
    const errors = validateFlow({
      nodes: [
        trigger(),
        { id: 't', type: 'exit', config: {} },
        { id: 'u', type: 'teleport', config: {} },
        { id: 'c', type: 'condition', config: { group: { kind: 'group', combinator: 'xor', rules: [] } } },
      ],
      edges: [edge('e1', 't', 'next', 'c')],
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'DUPLICATE_ID', nodeId: 't', path: ['nodes', 1, 'id'] }),
        expect.objectContaining({ code: 'UNKNOWN_NODE_TYPE', nodeId: 'u' }),
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          nodeId: 'c',
          path: ['nodes', 3, 'config', 'group', 'combinator'],
        }),
      ]),
    );
  });

  it('reports dangling edges, invalid handles, and a second edge on one handle', () => {
    const errors = validateFlow({
      nodes: [trigger(), show('a'), show('b')],
      edges: [
        edge('e1', 't', 'next', 'a'),
        edge('e2', 't', 'next', 'b'),
        edge('e3', 'a', 'yes', 'b'),
        edge('e4', 'a', 'next', 'ghost'),
        edge('e1', 'a', 'next', 'b'),
      ],
    });
    expect(errors.map((e) => [e.code, e.edgeId])).toEqual([
      ['HANDLE_ALREADY_CONNECTED', 'e2'],
      ['INVALID_HANDLE', 'e3'],
      ['DANGLING_EDGE', 'e4'],
      ['DUPLICATE_ID', 'e1'],
      ['UNREACHABLE_NODE', undefined],
    ]);
  });

  it('rejects edges into triggers and goals', () => {
    const goal: FlowNode = { id: 'g', type: 'goal', config: { event: 'purchase', filters: [] } };
    expect(
      codes({
        nodes: [trigger(), show('a'), goal, { ...trigger(), id: 't2' }],
        edges: [edge('e1', 't', 'next', 'a'), edge('e2', 'a', 'next', 'g'), edge('e3', 't2', 'next', 't')],
      }),
    ).toEqual(['GOAL_HAS_INPUT', 'TRIGGER_HAS_INPUT']);
  });

  it('does not require goals to be reachable', () => {
    const goal: FlowNode = { id: 'g', type: 'goal', config: { event: 'purchase', filters: [] } };
    expect(codes({ ...minimal, nodes: [...minimal.nodes, goal] })).toEqual([]);
  });

  it('requires condition, split, wait_for_event and trigger outputs to be connected', () => {
    const split = createNode('split', 'sp');
    const waitFor: FlowNode = {
      id: 'w',
      type: 'wait_for_event',
      config: { event: 'checkout', filters: [], timeout: { amount: 1, unit: 'hours' } },
    };
    const errors = validateFlow({
      nodes: [trigger(), { ...trigger(), id: 't2' }, split, waitFor, show('s')],
      edges: [edge('e1', 't', 'next', 'sp'), edge('e2', 'sp', 'a', 'w'), edge('e3', 'w', 'matched', 's')],
    });
    expect(errors.map((e) => [e.code, e.nodeId, e.handle])).toEqual([
      ['OUTPUT_NOT_CONNECTED', 't2', 'next'],
      ['OUTPUT_NOT_CONNECTED', 'sp', 'b'],
      ['OUTPUT_NOT_CONNECTED', 'w', 'timeout'],
    ]);
  });

  it('reports loops without a wait, but accepts loops through a duration wait or wait_for_event', () => {
    const condition = createNode('condition', 'c');
    const loop = {
      nodes: [trigger(), condition, show('s')],
      edges: [
        edge('e1', 't', 'next', 'c'),
        edge('e2', 'c', 'yes', 's'),
        edge('e3', 's', 'next', 'c'),
        edge('e4', 'c', 'no', 's'),
      ],
    };
    // e4 is a second way into s; still one loop c -> s -> c.
    expect(validateFlow(loop)).toEqual([
      expect.objectContaining({
        code: 'CYCLE_WITHOUT_WAIT',
        nodeId: 'c',
        message: expect.stringContaining('"s"'),
      }),
    ]);
    const wait = createNode('wait', 'w');
    const withWait = {
      nodes: [trigger(), condition, show('s'), wait, { id: 'x', type: 'exit', config: {} }],
      edges: [
        edge('e1', 't', 'next', 'c'),
        edge('e2', 'c', 'yes', 's'),
        edge('e3', 's', 'next', 'w'),
        edge('e4', 'w', 'next', 'c'),
        edge('e5', 'c', 'no', 'x'),
      ],
    };
    expect(validateFlow(withWait)).toEqual([]);
    const windowWait: FlowNode = {
      id: 'w',
      type: 'wait',
      config: { mode: 'time_window', window: { days: ['mon'], from: '09:00', to: '10:00' } },
    };
    expect(
      codes({ ...withWait, nodes: [trigger(), condition, show('s'), windowWait, withWait.nodes[4]] }),
    ).toEqual(['CYCLE_WITHOUT_WAIT']);
  });

  it('reports a self loop', () => {
    expect(
      codes({
        nodes: [trigger(), show('s')],
        edges: [edge('e1', 't', 'next', 's'), edge('e2', 's', 'next', 's')],
      }),
    ).toEqual(['CYCLE_WITHOUT_WAIT']);
  });

  it('checks refs only for the kinds given', () => {
    const nodes: FlowNode[] = [
      trigger(),
      show('s', 'cta-x'),
      { id: 'h', type: 'send_webhook', config: { endpointId: 'ep-x', bodyTemplate: '{}' } },
      {
        id: 'm',
        type: 'send_email',
        config: { senderId: 'snd-x', to: '{{visitor.traits.email}}', subject: 'Hi', text: 'Yo' },
      },
      { id: 'n', type: 'notify', config: { endpointId: 'slack-x', text: 'hi' } },
    ];
    const graph = {
      nodes,
      edges: [
        edge('e1', 't', 'next', 's'),
        edge('e2', 's', 'next', 'h'),
        edge('e3', 'h', 'next', 'm'),
        edge('e4', 'm', 'next', 'n'),
      ],
    };
    expect(codes(graph)).toEqual([]);
    expect(codes(graph, undefined, { ctaIds: ['cta-x'] })).toEqual([]);
    expect(
      codes(graph, undefined, {
        ctaIds: [],
        webhookEndpointIds: new Set(['other']),
        emailSenderIds: [],
        notifyEndpointIds: [],
      }),
    ).toEqual(['UNKNOWN_CTA', 'UNKNOWN_WEBHOOK_ENDPOINT', 'UNKNOWN_EMAIL_SENDER', 'UNKNOWN_NOTIFY_ENDPOINT']);
  });

  it('checks templates (syntax, and JSON for webhook bodies)', () => {
    const nodes: FlowNode[] = [
      trigger(),
      { id: 'h', type: 'send_webhook', config: { endpointId: 'ep', bodyTemplate: '{"a": {{visitor.id}' } },
      {
        id: 'm',
        type: 'send_email',
        config: { senderId: 's', to: '{{visitor.traits.email}}', subject: 'Hi', html: '{{{raw}}}' },
      },
    ];
    const errors = validateFlow({
      nodes,
      edges: [edge('e1', 't', 'next', 'h'), edge('e2', 'h', 'next', 'm')],
    });
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['INVALID_TEMPLATE', ['nodes', 1, 'config', 'bodyTemplate']],
      ['INVALID_TEMPLATE', ['nodes', 2, 'config', 'html']],
    ]);
  });

  it('checks the SMS body template and its config', () => {
    const sms = (config: unknown) =>
      validateFlow({
        nodes: [trigger(), { id: 's', type: 'send_sms', config }],
        edges: [edge('e1', 't', 'next', 's')],
      }).map((e) => [e.code, e.path]);
    expect(sms({ body: 'Hi {{visitor.traits.first_name}}' })).toEqual([]);
    expect(sms({ phoneTrait: 'mobile', body: 'Hi {{#visitor}}' })).toEqual([
      ['INVALID_TEMPLATE', ['nodes', 1, 'config', 'body']],
    ]);
    expect(sms({ body: 'Hi {{visitr.name}}' })).toEqual([
      ['UNKNOWN_TEMPLATE_VARIABLE', ['nodes', 1, 'config', 'body']],
    ]);
    expect(sms({ phoneTrait: 'bad key', body: 'x' })).toEqual([
      ['INVALID_CONFIG', ['nodes', 1, 'config', 'phoneTrait']],
    ]);
    expect(sms({ body: '' })).toEqual([['INVALID_CONFIG', ['nodes', 1, 'config', 'body']]]);
  });

  it('reports invalid settings with a settings path', () => {
    expect(validateFlow(minimal, { reEntry: { mode: 'once_per_days' } })).toEqual([
      expect.objectContaining({ code: 'INVALID_SETTINGS', path: ['settings', 'reEntry', 'days'] }),
    ]);
    expect(
      validateFlow(minimal, { quietHours: { from: '21:00', to: '08:00', timezone: 'Mars/Olympus' } }),
    ).toEqual([
      expect.objectContaining({ code: 'INVALID_SETTINGS', path: ['settings', 'quietHours', 'timezone'] }),
    ]);
  });
});

describe('canConnect', () => {
  const condition = createNode('condition', 'c');
  const wait = createNode('wait', 'w');
  const graph: FlowGraph = {
    nodes: [trigger(), condition, show('s'), wait],
    edges: [edge('e1', 't', 'next', 'c'), edge('e2', 'c', 'yes', 's')],
  };

  it('accepts a valid connection and fills a single handle', () => {
    expect(canConnect(graph, { source: 'c', sourceHandle: 'no', target: 'w' })).toEqual({
      ok: true,
      sourceHandle: 'no',
    });
    expect(canConnect(graph, { source: 's', sourceHandle: null, target: 'w' })).toEqual({
      ok: true,
      sourceHandle: 'next',
    });
  });

  it('rejects bad handles, taken handles, trigger targets and loops without a wait', () => {
    expect(canConnect(graph, { source: 'c', sourceHandle: 'maybe', target: 'w' })).toMatchObject({
      code: 'INVALID_HANDLE',
    });
    expect(canConnect(graph, { source: 'c', sourceHandle: null, target: 'w' })).toMatchObject({
      code: 'INVALID_HANDLE',
    });
    expect(canConnect(graph, { source: 'c', sourceHandle: 'yes', target: 'w' })).toMatchObject({
      code: 'HANDLE_ALREADY_CONNECTED',
    });
    expect(canConnect(graph, { source: 's', sourceHandle: 'next', target: 't' })).toMatchObject({
      code: 'TRIGGER_HAS_INPUT',
    });
    expect(canConnect(graph, { source: 's', sourceHandle: 'next', target: 'c' })).toMatchObject({
      code: 'CYCLE_WITHOUT_WAIT',
    });
    expect(canConnect(graph, { source: 's', sourceHandle: 'next', target: 'nope' })).toMatchObject({
      code: 'DANGLING_EDGE',
    });
  });

  it('allows a loop back through a wait', () => {
    const withWait: FlowGraph = { ...graph, edges: [...graph.edges, edge('e3', 's', 'next', 'w')] };
    expect(canConnect(withWait, { source: 'w', sourceHandle: 'next', target: 'c' }).ok).toBe(true);
  });
});
