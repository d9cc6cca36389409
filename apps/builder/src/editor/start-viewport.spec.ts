import type { FlowGraph, FlowNode } from '@nudgeflow/flow-schema';
import { startNodeIds, startViewport } from './start-viewport';

/** A chain t0 → n1 → … laid out in a column, 200 px apart. */
function chain(count: number, trigger = true): FlowGraph {
  const nodes = Array.from({ length: count }, (_, i) => ({
    id: i === 0 ? 't0' : `n${i}`,
    type: i === 0 && trigger ? 'trigger_event' : 'exit',
    position: { x: 1000, y: 500 + i * 200 },
    config: {},
  })) as unknown as FlowNode[];
  const edges = nodes.slice(1).map((node, i) => ({
    id: `e${i}`,
    source: nodes[i]!.id,
    sourceHandle: 'next',
    target: node.id,
  }));
  return { nodes, edges };
}

describe('where a big flow opens', () => {
  it('starts from the triggers and follows the connections breadth-first', () => {
    expect(startNodeIds(chain(30), 4)).toEqual(['t0', 'n1', 'n2', 'n3']);
    const twoTriggers: FlowGraph = {
      nodes: [
        { id: 'a', type: 'trigger_event', config: {} },
        { id: 'b', type: 'trigger_page_visit', config: {} },
        { id: 'x', type: 'exit', config: {} },
      ] as unknown as FlowNode[],
      edges: [{ id: 'e', source: 'a', sourceHandle: 'next', target: 'x' }],
    };
    expect(startNodeIds(twoTriggers)).toEqual(['a', 'b', 'x']);
    // No trigger yet: the first step.
    expect(startNodeIds(chain(3, false))).toEqual(['t0', 'n1', 'n2']);
  });

  it('shows the start at a readable zoom, centred, from the top', () => {
    const view = startViewport(chain(300), { width: 600, height: 500 });
    expect(view.zoom).toBe(0.6);
    // The start column (x 1000..1240) is centred: its middle lands in the middle of the canvas.
    expect(1120 * view.zoom + view.x).toBeCloseTo(300);
    // The trigger is at the top, inside the padding.
    expect(500 * view.zoom + view.y).toBeCloseTo(40);
  });

  it('does not zoom past 100% for a small start', () => {
    const view = startViewport(chain(2), { width: 1200, height: 900 });
    expect(view.zoom).toBe(1);
  });
});
