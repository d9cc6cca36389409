/**
 * The React Flow diagram derived from the domain graph. Positions in the graph are layout hints: a
 * node without one still gets a place. Types here are structural so this module needs no React.
 */
import {
  NODE_REGISTRY,
  outputHandleDefinitions,
  type FlowGraph,
  type FlowNode,
  type NodeCategory,
  type Position,
} from '@nudgeflow/flow-schema';
import { nodeSummary } from './node-summary';

export interface NodeCounts {
  entered: number;
  waiting: number;
  exited: Record<string, number>;
}

export type NodeHighlight = 'current' | 'visited';

export type FlowNodeData = {
  node: FlowNode;
  title: string;
  kindLabel: string;
  /** The registry's plain-text symbol for the kind. */
  glyph: string;
  category: NodeCategory;
  summary: string;
  hasInput: boolean;
  outputs: { id: string; label: string; connected: boolean; required: boolean }[];
  errors: string[];
  counts?: NodeCounts;
  /** `forecast`: the counts come from a backtest, not from live runs (drawn and labelled apart). */
  countsKind?: 'live' | 'forecast';
  highlight?: NodeHighlight;
};

export type FlowEdgeData = {
  handleLabel: string;
  count?: number;
  forecast?: boolean;
  highlighted?: boolean;
  readOnly?: boolean;
};

export interface DiagramNode {
  id: string;
  type: 'flow';
  position: Position;
  data: FlowNodeData;
  selected?: boolean;
  draggable?: boolean;
  measured?: { width?: number; height?: number };
}

export interface DiagramEdge {
  id: string;
  type: 'flow';
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: 'in';
  data: FlowEdgeData;
  selected?: boolean;
  animated?: boolean;
}

export interface DiagramOptions {
  errors?: ReadonlyMap<string, readonly string[]>;
  counts?: Readonly<Record<string, NodeCounts>>;
  /** What `counts` are: live runs (default) or a backtest's forecast. */
  countsKind?: 'live' | 'forecast';
  highlight?: { visited: ReadonlySet<string>; current?: string; edges?: ReadonlySet<string> };
  selectedNodeIds?: ReadonlySet<string>;
  selectedEdgeIds?: ReadonlySet<string>;
  readOnly?: boolean;
}

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 96;
const FALLBACK_GAP_Y = 150;

export function toDiagram(
  graph: FlowGraph,
  options: DiagramOptions = {},
): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
  const connected = new Set(graph.edges.map((edge) => `${edge.source}\u0000${edge.sourceHandle}`));
  const handleLabels = new Map<string, string>();

  const nodes = graph.nodes.map((node, index): DiagramNode => {
    const definition = NODE_REGISTRY[node.type];
    let outputs: FlowNodeData['outputs'] = [];
    try {
      outputs = outputHandleDefinitions(node).map((handle) => ({
        id: handle.id,
        label: handle.label,
        required: handle.required,
        connected: connected.has(`${node.id}\u0000${handle.id}`),
      }));
    } catch {
      outputs = [];
    }
    for (const output of outputs) handleLabels.set(`${node.id}\u0000${output.id}`, output.label);
    const highlight = options.highlight;
    return {
      id: node.id,
      type: 'flow',
      position: node.position ?? { x: 0, y: index * FALLBACK_GAP_Y },
      selected: options.selectedNodeIds?.has(node.id) ?? false,
      draggable: !options.readOnly,
      data: {
        node,
        title: node.label?.trim() || definition.label,
        kindLabel: definition.label,
        glyph: definition.glyph,
        category: definition.category,
        summary: nodeSummary(node),
        hasInput: definition.incomingEdge === 'accepted',
        outputs,
        errors: [...(options.errors?.get(node.id) ?? [])],
        counts: options.counts?.[node.id],
        ...(options.counts && options.countsKind === 'forecast' ? { countsKind: 'forecast' as const } : {}),
        highlight:
          highlight?.current === node.id
            ? 'current'
            : highlight?.visited.has(node.id)
              ? 'visited'
              : undefined,
      },
    };
  });

  const edges = graph.edges.map((edge): DiagramEdge => ({
    id: edge.id,
    type: 'flow',
    source: edge.source,
    sourceHandle: edge.sourceHandle,
    target: edge.target,
    targetHandle: 'in',
    selected: options.selectedEdgeIds?.has(edge.id) ?? false,
    animated: options.highlight?.edges?.has(edge.id) ?? false,
    data: {
      handleLabel: handleLabels.get(`${edge.source}\u0000${edge.sourceHandle}`) ?? edge.sourceHandle,
      count: options.counts?.[edge.source]?.exited[edge.sourceHandle],
      ...(options.counts && options.countsKind === 'forecast' ? { forecast: true } : {}),
      highlighted: options.highlight?.edges?.has(edge.id) ?? false,
      readOnly: options.readOnly,
    },
  }));
  return { nodes, edges };
}

const sameList = <T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean =>
  a.length === b.length && a.every((x, i) => same(x, b[i] as T));

const sameCounts = (a?: NodeCounts, b?: NodeCounts): boolean => {
  if (a === b) return true;
  if (!a || !b || a.entered !== b.entered || a.waiting !== b.waiting) return false;
  const keys = Object.keys(a.exited);
  return keys.length === Object.keys(b.exited).length && keys.every((k) => a.exited[k] === b.exited[k]);
};

/** Whether a node card would draw the same (the domain node itself compared by reference). */
export function sameNodeData(a: FlowNodeData, b: FlowNodeData): boolean {
  return (
    a.node === b.node &&
    a.title === b.title &&
    a.summary === b.summary &&
    a.hasInput === b.hasInput &&
    a.highlight === b.highlight &&
    a.countsKind === b.countsKind &&
    sameList(a.errors, b.errors, (x, y) => x === y) &&
    sameList(
      a.outputs,
      b.outputs,
      (x, y) =>
        x.id === y.id && x.label === y.label && x.connected === y.connected && x.required === y.required,
    ) &&
    sameCounts(a.counts, b.counts)
  );
}

/**
 * Keeps what React Flow learnt about nodes (measured size, selection) when the graph changes, so a
 * re-derivation does not make every node re-measure or lose its selection. A node that would draw the
 * same keeps its very object (and the array its identity when nothing changed), so an edit, a count
 * refresh or a validation pass re-renders only the nodes it touched, not all 300.
 */
export function mergeDiagramNodes(previous: readonly DiagramNode[], next: DiagramNode[]): DiagramNode[] {
  const byId = new Map(previous.map((node) => [node.id, node]));
  let reused = 0;
  const merged = next.map((node, index) => {
    const before = byId.get(node.id);
    if (!before) return node;
    if (
      before.position.x === node.position.x &&
      before.position.y === node.position.y &&
      before.draggable === node.draggable &&
      sameNodeData(before.data, node.data)
    ) {
      if (previous[index] === before) reused++;
      return before;
    }
    return { ...node, measured: before.measured, selected: before.selected };
  });
  return reused === previous.length && merged.length === previous.length
    ? (previous as DiagramNode[])
    : merged;
}

const sameEdge = (a: DiagramEdge, b: DiagramEdge): boolean =>
  a.source === b.source &&
  a.sourceHandle === b.sourceHandle &&
  a.target === b.target &&
  a.animated === b.animated &&
  a.data.handleLabel === b.data.handleLabel &&
  a.data.count === b.data.count &&
  a.data.forecast === b.data.forecast &&
  a.data.highlighted === b.data.highlighted &&
  a.data.readOnly === b.data.readOnly;

/** Keeps selection, and the previous object of every edge that would draw the same. */
export function mergeDiagramEdges(previous: readonly DiagramEdge[], next: DiagramEdge[]): DiagramEdge[] {
  const byId = new Map(previous.map((edge) => [edge.id, edge]));
  let reused = 0;
  const merged = next.map((edge, index) => {
    const before = byId.get(edge.id);
    if (!before) return edge;
    if (sameEdge(before, edge)) {
      if (previous[index] === before) reused++;
      return before;
    }
    return before.selected ? { ...edge, selected: true } : edge;
  });
  return reused === previous.length && merged.length === previous.length
    ? (previous as DiagramEdge[])
    : merged;
}

/** Groups validation issues by node; issues about an edge go to the edge's source node. */
export function issuesByNode(
  graph: FlowGraph,
  issues: readonly { message: string; nodeId?: string; edgeId?: string }[],
): { byNode: Map<string, string[]>; general: string[] } {
  const edgeSource = new Map(graph.edges.map((edge) => [edge.id, edge.source]));
  const known = new Set(graph.nodes.map((node) => node.id));
  const byNode = new Map<string, string[]>();
  const general: string[] = [];
  for (const issue of issues) {
    const nodeId = issue.nodeId ?? (issue.edgeId ? edgeSource.get(issue.edgeId) : undefined);
    if (nodeId && known.has(nodeId)) byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), issue.message]);
    else general.push(issue.message);
  }
  return { byNode, general };
}

/** Bounding box of the given nodes' layout hints, for pasting and fit-to-view. */
export function boundsOf(nodes: readonly { position?: Position }[]): {
  x: number;
  y: number;
  width: number;
  height: number;
} {
  if (nodes.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  const xs = nodes.map((node) => node.position?.x ?? 0);
  const ys = nodes.map((node) => node.position?.y ?? 0);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x + NODE_WIDTH, height: Math.max(...ys) - y + NODE_HEIGHT };
}
