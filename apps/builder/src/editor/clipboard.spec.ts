import { createNode, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import { copySelection, parseClipboard, pasteInto, serializeClipboard } from './clipboard';

const node = (type: FlowNode['type'], id: string, x = 0, y = 0): FlowNode =>
  createNode(type, id, { position: { x, y } }) as FlowNode;

const graph: FlowGraph = {
  nodes: [node('trigger_event', 't'), node('wait', 'w', 0, 150), node('exit', 'x', 0, 300)],
  edges: [
    { id: 'e1', source: 't', sourceHandle: 'next', target: 'w' },
    { id: 'e2', source: 'w', sourceHandle: 'next', target: 'x' },
  ],
};

describe('clipboard', () => {
  it('copies selected nodes with only the edges between them', () => {
    const payload = copySelection(graph, ['w', 'x']);
    expect(payload?.nodes.map((n) => n.id)).toEqual(['w', 'x']);
    expect(payload?.edges.map((e) => e.id)).toEqual(['e2']);
    expect(copySelection(graph, [])).toBeNull();
  });

  it('the copy is independent of the graph', () => {
    const payload = copySelection(graph, ['w'])!;
    (payload.nodes[0] as { label?: string }).label = 'changed';
    expect(graph.nodes[1]?.label).toBeUndefined();
  });

  it('round-trips through text and rejects foreign content', () => {
    const payload = copySelection(graph, ['t', 'w'])!;
    expect(parseClipboard(serializeClipboard(payload))).toEqual(payload);
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"format":"other"}')).toBeNull();
    expect(
      parseClipboard(JSON.stringify({ ...payload, nodes: [{ id: 'a', type: 'rm_rf', config: {} }] })),
    ).toBeNull();
  });

  it('pastes with fresh ids, remapped edges and an offset', () => {
    const payload = copySelection(graph, ['w', 'x'])!;
    const { graph: pasted, nodeIds } = pasteInto(graph, payload);
    expect(nodeIds).toEqual(['w_2', 'x_2']);
    expect(pasted.nodes).toHaveLength(5);
    const copyEdge = pasted.edges[2]!;
    expect(copyEdge).toMatchObject({ source: 'w_2', target: 'x_2', sourceHandle: 'next' });
    expect(copyEdge.id).not.toBe('e2');
    expect(pasted.nodes[3]?.position).toEqual({ x: 40, y: 190 });
  });

  it('pastes into another flow at a given point, twice without clashes', () => {
    const payload = parseClipboard(serializeClipboard(copySelection(graph, ['w', 'x'])!))!;
    const other: FlowGraph = { nodes: [node('trigger_event', 'w')], edges: [] };
    const once = pasteInto(other, payload, { at: { x: 500, y: 500 } });
    expect(once.nodeIds).toEqual(['w_2', 'x']);
    expect(once.graph.nodes[1]?.position).toEqual({ x: 500, y: 500 });
    expect(once.graph.nodes[2]?.position).toEqual({ x: 500, y: 650 });
    const twice = pasteInto(once.graph, payload);
    const ids = [...twice.graph.nodes.map((n) => n.id), ...twice.graph.edges.map((e) => e.id)];
    expect(new Set(ids).size).toBe(ids.length);
  });
});
