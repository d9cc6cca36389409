import { createNode, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import { issuesByNode, mergeDiagramEdges, mergeDiagramNodes, toDiagram } from './diagram';
import { moveNodes, updateNode } from './graph-edit';
import { nodeSummary } from './node-summary';

const node = (type: FlowNode['type'], id: string, position?: { x: number; y: number }): FlowNode =>
  createNode(type, id, position ? { position } : {}) as FlowNode;

const graph: FlowGraph = {
  nodes: [
    {
      ...node('trigger_event', 't', { x: 10, y: 20 }),
      config: { event: 'add_to_cart', filters: [] },
    } as FlowNode,
    node('condition', 'c', { x: 10, y: 170 }),
    node('exit', 'x'),
  ],
  edges: [
    { id: 'e1', source: 't', sourceHandle: 'next', target: 'c' },
    { id: 'e2', source: 'c', sourceHandle: 'yes', target: 'x' },
  ],
};

describe('diagram derived from the graph', () => {
  it('makes one diagram node per graph node with kind, summary and handles', () => {
    const { nodes } = toDiagram(graph);
    expect(nodes.map((n) => n.id)).toEqual(['t', 'c', 'x']);
    const trigger = nodes[0]!;
    expect(trigger.position).toEqual({ x: 10, y: 20 });
    expect(trigger.data).toMatchObject({
      kindLabel: 'Event',
      category: 'trigger',
      hasInput: false,
      summary: 'When “add_to_cart”',
    });
    const condition = nodes[1]!;
    expect(condition.data.hasInput).toBe(true);
    expect(condition.data.outputs).toEqual([
      { id: 'yes', label: 'Yes', required: true, connected: true },
      { id: 'no', label: 'No', required: true, connected: false },
    ]);
    expect(nodes[2]!.data.outputs).toEqual([]);
  });

  it('places nodes without a layout hint', () => {
    const { nodes } = toDiagram(graph);
    expect(nodes[2]!.position).toEqual({ x: 0, y: 300 });
  });

  it('makes edges with handle labels and counts', () => {
    const { edges } = toDiagram(graph, {
      counts: { c: { entered: 9, waiting: 0, exited: { yes: 4, no: 5 } } },
    });
    expect(edges[1]).toMatchObject({ source: 'c', sourceHandle: 'yes', target: 'x', targetHandle: 'in' });
    expect(edges[1]!.data).toMatchObject({ handleLabel: 'Yes', count: 4 });
  });

  it('carries errors, counts, selection and simulator highlight', () => {
    const { nodes, edges } = toDiagram(graph, {
      errors: new Map([['c', ['Output "no" is not connected']]]),
      counts: { t: { entered: 3, waiting: 1, exited: {} } },
      selectedNodeIds: new Set(['x']),
      highlight: { visited: new Set(['t']), current: 'c', edges: new Set(['e1']) },
      readOnly: true,
    });
    expect(nodes[1]!.data.errors).toEqual(['Output "no" is not connected']);
    expect(nodes[0]!.data.counts?.entered).toBe(3);
    expect(nodes[2]!.selected).toBe(true);
    expect(nodes[0]!.data.highlight).toBe('visited');
    expect(nodes[1]!.data.highlight).toBe('current');
    expect(nodes[0]!.draggable).toBe(false);
    expect(edges[0]!.animated).toBe(true);
  });

  it('keeps measured sizes and selection across re-derivations', () => {
    const first = toDiagram(graph).nodes.map((n) => ({
      ...n,
      measured: { width: 240, height: 80 },
      selected: n.id === 't',
    }));
    const merged = mergeDiagramNodes(first, toDiagram(graph).nodes);
    expect(merged[0]!.measured).toEqual({ width: 240, height: 80 });
    expect(merged[0]!.selected).toBe(true);
  });

  it('keeps the objects of nodes and edges that draw the same, so only touched ones re-render', () => {
    const first = toDiagram(graph);
    // Nothing changed: the very same arrays come back (React Flow and the node components skip work).
    expect(mergeDiagramNodes(first.nodes, toDiagram(graph).nodes)).toBe(first.nodes);
    expect(mergeDiagramEdges(first.edges, toDiagram(graph).edges)).toBe(first.edges);

    // A label edit on one node: only that node is a new object.
    const edited = updateNode(graph, 'c', { label: 'Is it big?' });
    const afterEdit = mergeDiagramNodes(first.nodes, toDiagram(edited).nodes);
    expect(afterEdit).not.toBe(first.nodes);
    expect(afterEdit.map((n, i) => n === first.nodes[i])).toEqual([true, false, true]);
    expect(afterEdit[1]!.data.title).toBe('Is it big?');

    // A move, an error or a live count on one node likewise touches that node only.
    const moved = mergeDiagramNodes(
      first.nodes,
      toDiagram(moveNodes(graph, new Map([['x', { x: 5, y: 5 }]]))).nodes,
    );
    expect(moved.map((n, i) => n === first.nodes[i])).toEqual([true, true, false]);
    const withErrors = mergeDiagramNodes(
      first.nodes,
      toDiagram(graph, { errors: new Map([['t', ['bad']]]) }).nodes,
    );
    expect(withErrors.map((n, i) => n === first.nodes[i])).toEqual([false, true, true]);
    const counted = toDiagram(graph, { counts: { t: { entered: 2, waiting: 0, exited: { next: 2 } } } });
    const withCounts = mergeDiagramNodes(first.nodes, counted.nodes);
    expect(withCounts.map((n, i) => n === first.nodes[i])).toEqual([false, true, true]);
    // The same counts again (a refresh with no news): nothing changes.
    const again = toDiagram(graph, { counts: { t: { entered: 2, waiting: 0, exited: { next: 2 } } } });
    expect(mergeDiagramNodes(withCounts, again.nodes)).toBe(withCounts);
    const edgesCounted = mergeDiagramEdges(first.edges, counted.edges);
    expect(edgesCounted.map((e, i) => e === first.edges[i])).toEqual([false, true]);
    expect(edgesCounted[0]!.data.count).toBe(2);
  });

  it('marks a backtest forecast apart from live counts, and redraws when one replaces the other', () => {
    const counts = { t: { entered: 2, waiting: 0, exited: { next: 2 } } };
    const live = toDiagram(graph, { counts });
    const forecast = toDiagram(graph, { counts, countsKind: 'forecast' });
    expect(live.nodes[0]!.data.countsKind).toBeUndefined();
    expect(forecast.nodes[0]!.data).toMatchObject({ counts: counts.t, countsKind: 'forecast' });
    expect(forecast.edges[0]!.data).toMatchObject({ count: 2, forecast: true });
    // Same numbers, other kind: the node and the edge must redraw (not be reused).
    expect(mergeDiagramNodes(live.nodes, forecast.nodes)[0]).not.toBe(live.nodes[0]);
    expect(mergeDiagramEdges(live.edges, forecast.edges)[0]).not.toBe(live.edges[0]);
    // Without counts there is nothing to mark.
    expect(toDiagram(graph, { countsKind: 'forecast' }).nodes[0]!.data.countsKind).toBeUndefined();
  });

  it('keeps an edge selected across re-derivations', () => {
    const first = toDiagram(graph).edges.map((e) => ({ ...e, selected: e.id === 'e2' }));
    const relabelled = toDiagram(updateNode(graph, 'c', { label: 'x' })).edges;
    const counted = toDiagram(graph, { counts: { c: { entered: 1, waiting: 0, exited: { yes: 1 } } } }).edges;
    expect(mergeDiagramEdges(first, relabelled)[1]!.selected).toBe(true);
    expect(mergeDiagramEdges(first, counted)[1]).toMatchObject({ selected: true, data: { count: 1 } });
  });

  it('groups issues by node, edges by their source, the rest as general', () => {
    const { byNode, general } = issuesByNode(graph, [
      { message: 'a', nodeId: 'c' },
      { message: 'b', edgeId: 'e2' },
      { message: 'c' },
      { message: 'd', nodeId: 'gone' },
    ]);
    expect(byNode.get('c')).toEqual(['a', 'b']);
    expect(general).toEqual(['c', 'd']);
  });

  it('summarises every kind in one line', () => {
    const kinds: FlowNode['type'][] = ['wait', 'split', 'update_visitor', 'send_email', 'trigger_page_visit'];
    for (const kind of kinds) expect(nodeSummary(node(kind, 'n')).length).toBeGreaterThan(0);
    expect(nodeSummary(node('wait', 'n'))).toBe('Wait 1 days');
    expect(nodeSummary(node('split', 'n'))).toBe('A 50 / B 50');
  });
});
