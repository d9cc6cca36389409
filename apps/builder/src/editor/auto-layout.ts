/**
 * Layered top-to-bottom layout with elkjs. The result only updates position hints in the graph; the
 * ELK instance is passed in so the heavy library loads lazily in the browser and directly in tests.
 */
import { outputHandles, type FlowGraph, type Position } from '@nudgeflow/flow-schema';
import { NODE_HEIGHT, NODE_WIDTH } from './diagram';

interface ElkNodeIn {
  id: string;
  width: number;
  height: number;
  ports?: { id: string; layoutOptions?: Record<string, string> }[];
  layoutOptions?: Record<string, string>;
}
export interface ElkLike {
  layout(graph: {
    id: string;
    layoutOptions: Record<string, string>;
    children: ElkNodeIn[];
    edges: { id: string; sources: string[]; targets: string[] }[];
  }): Promise<{ children?: { id: string; x?: number; y?: number }[] }>;
}

export async function layoutPositions(
  graph: FlowGraph,
  elk: ElkLike,
  sizes: ReadonlyMap<string, { width: number; height: number }> = new Map(),
): Promise<Map<string, Position>> {
  const ids = new Set(graph.nodes.map((node) => node.id));
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.spacing.nodeNode': '50',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.nodes.map((node) => {
      let handles: string[] = [];
      try {
        handles = outputHandles(node);
      } catch {
        handles = [];
      }
      return {
        id: node.id,
        width: sizes.get(node.id)?.width ?? NODE_WIDTH,
        height: sizes.get(node.id)?.height ?? NODE_HEIGHT,
        layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
        ports: [
          { id: `${node.id}::in`, layoutOptions: { 'elk.port.side': 'NORTH' } },
          ...handles.map((handle) => ({
            id: `${node.id}::${handle}`,
            layoutOptions: { 'elk.port.side': 'SOUTH' },
          })),
        ],
      };
    }),
    edges: graph.edges
      .filter((edge) => ids.has(edge.source) && ids.has(edge.target))
      .map((edge) => ({
        id: edge.id,
        sources: [`${edge.source}::${edge.sourceHandle}`],
        targets: [`${edge.target}::in`],
      })),
  });
  const positions = new Map<string, Position>();
  for (const child of result.children ?? []) {
    positions.set(child.id, { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) });
  }
  return positions;
}
