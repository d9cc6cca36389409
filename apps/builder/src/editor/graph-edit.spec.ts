import { createNode, validateFlow, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import {
  addNode,
  canInsertOnEdge,
  connect,
  insertOnEdge,
  moveNodes,
  openOutputs,
  removeElements,
  uniqueId,
  updateNode,
} from './graph-edit';

const node = (type: FlowNode['type'], id: string, y = 0): FlowNode =>
  createNode(type, id, { position: { x: 0, y } }) as FlowNode;

function sample(): FlowGraph {
  const trigger = node('trigger_event', 'start');
  (trigger as Extract<FlowNode, { type: 'trigger_event' }>).config.event = 'add_to_cart';
  return {
    nodes: [trigger, node('wait', 'wait', 150), node('exit', 'done', 300)],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'next', target: 'wait' },
      { id: 'e2', source: 'wait', sourceHandle: 'next', target: 'done' },
    ],
  };
}

describe('graph edits', () => {
  it('gives readable unique ids', () => {
    expect(uniqueId([], 'wait')).toBe('wait');
    expect(uniqueId(['wait', 'wait_2'], 'wait')).toBe('wait_3');
    expect(uniqueId([], 'bad id!')).toBe('bad_id_');
  });

  it('adds a node with the registry defaults at a rounded position', () => {
    const { graph, node: added } = addNode(sample(), 'wait', { x: 10.4, y: 20.6 });
    expect(added.id).toBe('wait_2');
    expect(added.position).toEqual({ x: 10, y: 21 });
    expect(added.config).toEqual({ mode: 'duration', duration: { amount: 1, unit: 'days' } });
    expect(graph.nodes).toHaveLength(4);
  });

  it('removing a node removes its edges', () => {
    const graph = removeElements(sample(), ['wait']);
    expect(graph.nodes.map((n) => n.id)).toEqual(['start', 'done']);
    expect(graph.edges).toEqual([]);
    expect(removeElements(sample(), [], ['e2']).edges.map((e) => e.id)).toEqual(['e1']);
  });

  it('moves nodes and keeps identity when nothing changes', () => {
    const graph = sample();
    expect(moveNodes(graph, new Map([['wait', { x: 0, y: 150 }]]))).toBe(graph);
    const moved = moveNodes(graph, new Map([['wait', { x: 33.3, y: 99 }]]));
    expect(moved.nodes[1]?.position).toEqual({ x: 33, y: 99 });
  });

  it('connects through the shared rules and refuses what cannot be published', () => {
    const graph = removeElements(sample(), [], ['e2']);
    const ok = connect(graph, { source: 'wait', sourceHandle: 'next', target: 'done' });
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.edge).toMatchObject({ source: 'wait', sourceHandle: 'next', target: 'done' });

    expect(connect(sample(), { source: 'wait', sourceHandle: 'next', target: 'done' })).toMatchObject({
      ok: false,
      code: 'HANDLE_ALREADY_CONNECTED',
    });
    expect(connect(graph, { source: 'wait', sourceHandle: 'next', target: 'start' })).toMatchObject({
      ok: false,
      code: 'TRIGGER_HAS_INPUT',
    });
    expect(connect(graph, { source: 'wait', sourceHandle: 'nope', target: 'done' })).toMatchObject({
      ok: false,
      code: 'INVALID_HANDLE',
    });
  });

  it('refuses a loop without a wait but allows one through a duration wait', () => {
    const graph: FlowGraph = {
      nodes: [node('trigger_event', 't'), node('condition', 'c'), node('show_cta', 's'), node('wait', 'w')],
      edges: [
        { id: 'a', source: 't', sourceHandle: 'next', target: 'c' },
        { id: 'b', source: 'c', sourceHandle: 'yes', target: 's' },
        { id: 'd', source: 'c', sourceHandle: 'no', target: 'w' },
      ],
    };
    expect(connect(graph, { source: 's', sourceHandle: 'next', target: 'c' })).toMatchObject({
      ok: false,
      code: 'CYCLE_WITHOUT_WAIT',
    });
    expect(connect(graph, { source: 'w', sourceHandle: 'next', target: 'c' }).ok).toBe(true);
  });

  it('inserts a node in the middle of an edge', () => {
    const result = insertOnEdge(sample(), 'e1', 'show_cta');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { graph, node: added } = result;
    expect(added.position).toEqual({ x: 0, y: 75 });
    const edges = graph.edges.map((e) => `${e.source}:${e.sourceHandle}->${e.target}`).sort();
    expect(edges).toEqual(['show_cta:next->wait', 'start:next->show_cta', 'wait:next->done']);
    expect(new Set(graph.edges.map((e) => e.id)).size).toBe(graph.edges.length);
  });

  it('does not insert triggers, goals or exits on an edge', () => {
    expect(canInsertOnEdge('trigger_event')).toBe(false);
    expect(canInsertOnEdge('goal')).toBe(false);
    expect(canInsertOnEdge('exit')).toBe(false);
    expect(canInsertOnEdge('condition')).toBe(true);
    expect(insertOnEdge(sample(), 'e1', 'exit')).toMatchObject({ ok: false });
    expect(insertOnEdge(sample(), 'missing', 'wait')).toMatchObject({ ok: false });
  });

  it('updating a split drops edges of removed branches', () => {
    const split = node('split', 'split');
    const graph: FlowGraph = {
      nodes: [split, node('exit', 'x'), node('exit', 'y')],
      edges: [
        { id: 'a', source: 'split', sourceHandle: 'a', target: 'x' },
        { id: 'b', source: 'split', sourceHandle: 'b', target: 'y' },
      ],
    };
    const next = updateNode(graph, 'split', {
      config: {
        branches: [
          { id: 'a', weight: 1 },
          { id: 'c', weight: 1 },
        ],
      },
    });
    expect(next.edges.map((e) => e.id)).toEqual(['a']);
    expect(openOutputs(next, next.nodes[0] as FlowNode)).toEqual(['c']);
  });

  it('sets and clears labels', () => {
    const labelled = updateNode(sample(), 'wait', { label: 'Cool down' });
    expect(labelled.nodes[1]?.label).toBe('Cool down');
    expect(updateNode(labelled, 'wait', { label: ' ' }).nodes[1]).not.toHaveProperty('label');
  });

  it('the sample graph built with these edits validates', () => {
    expect(validateFlow(sample())).toEqual([]);
  });
});
