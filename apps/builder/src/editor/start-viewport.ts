/**
 * Where a big flow opens. Fitting 300 steps into the canvas gives a zoom near 0.1 where nothing is
 * readable and every step must be drawn; a big flow instead opens on its start (triggers and the first
 * steps after them) at a readable zoom, and only the steps in view are drawn. "Fit view" still shows it
 * all, and the minimap gives the overview.
 */
import { nodeCategory, type FlowGraph } from '@nudgeflow/flow-schema';
import { boundsOf } from './diagram';

/** Flows with more steps than this open on their start instead of fit-to-view. */
export const BIG_FLOW_NODES = 120;
const START_NODES = 12;

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** The triggers, then the steps after them breadth-first, up to `limit` ids. */
export function startNodeIds(graph: FlowGraph, limit = START_NODES): string[] {
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) next.set(edge.source, [...(next.get(edge.source) ?? []), edge.target]);
  const triggers = graph.nodes.filter((node) => nodeCategory(node.type) === 'trigger').map((n) => n.id);
  const queue = triggers.length ? triggers : graph.nodes.slice(0, 1).map((n) => n.id);
  const seen = new Set<string>();
  while (queue.length && seen.size < limit) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(next.get(id) ?? []));
  }
  return [...seen];
}

/**
 * The viewport showing the start of the flow in a canvas of `size`: centred horizontally, from the top,
 * zoom between `minZoom` and `maxZoom`.
 */
export function startViewport(
  graph: FlowGraph,
  size: { width: number; height: number },
  { minZoom = 0.6, maxZoom = 1, padding = 40 } = {},
): Viewport {
  const ids = new Set(startNodeIds(graph));
  const box = boundsOf(graph.nodes.filter((node) => ids.has(node.id)));
  const fit = Math.min(
    (size.width - 2 * padding) / Math.max(box.width, 1),
    (size.height - 2 * padding) / Math.max(box.height, 1),
  );
  const zoom = Math.min(maxZoom, Math.max(minZoom, fit));
  return {
    x: size.width / 2 - (box.x + box.width / 2) * zoom,
    y: padding - box.y * zoom,
    zoom,
  };
}
