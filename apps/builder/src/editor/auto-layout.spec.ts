import ELK from 'elkjs/lib/elk.bundled.js';
import { createNode, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import { layoutPositions, type ElkLike } from './auto-layout';

describe('auto-layout', () => {
  it('lays a branching flow out top to bottom without overlaps', async () => {
    const graph: FlowGraph = {
      nodes: [
        createNode('trigger_event', 't') as FlowNode,
        createNode('condition', 'c') as FlowNode,
        createNode('exit', 'yes') as FlowNode,
        createNode('exit', 'no') as FlowNode,
      ],
      edges: [
        { id: 'a', source: 't', sourceHandle: 'next', target: 'c' },
        { id: 'b', source: 'c', sourceHandle: 'yes', target: 'yes' },
        { id: 'd', source: 'c', sourceHandle: 'no', target: 'no' },
      ],
    };
    const positions = await layoutPositions(graph, new ELK() as unknown as ElkLike);
    const y = (id: string) => positions.get(id)!.y;
    expect(y('t')).toBeLessThan(y('c'));
    expect(y('c')).toBeLessThan(y('yes'));
    expect(y('yes')).toBe(y('no'));
    expect(Math.abs(positions.get('yes')!.x - positions.get('no')!.x)).toBeGreaterThanOrEqual(240);
  });
});
