/**
 * Pure edits of the domain graph (the source of truth). The React Flow diagram is derived from the
 * result; nothing here knows about React.
 */
import {
  canConnect,
  createNode,
  isTriggerType,
  outputHandles,
  type ConnectionCheck,
  type FlowEdge,
  type FlowGraph,
  type FlowNode,
  type NodeType,
  type Position,
} from '@nudgeflow/flow-schema';

export const EMPTY_GRAPH: FlowGraph = { nodes: [], edges: [] };

/** A readable, unique id such as `send_email_2`; ids stay stable once created. */
export function uniqueId(taken: Iterable<string>, base: string): string {
  const used = new Set(taken);
  const stem = base.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 100) || 'node';
  if (!used.has(stem)) return stem;
  for (let index = 2; ; index++) {
    const candidate = `${stem}_${index}`;
    if (!used.has(candidate)) return candidate;
  }
}

const allIds = (graph: FlowGraph): string[] => [
  ...graph.nodes.map((n) => n.id),
  ...graph.edges.map((e) => e.id),
];

export function addNode(
  graph: FlowGraph,
  type: NodeType,
  position: Position,
): { graph: FlowGraph; node: FlowNode } {
  const node = createNode(type, uniqueId(allIds(graph), type), {
    position: roundPosition(position),
  }) as FlowNode;
  return { graph: { ...graph, nodes: [...graph.nodes, node] }, node };
}

export function removeElements(
  graph: FlowGraph,
  nodeIds: Iterable<string>,
  edgeIds: Iterable<string> = [],
): FlowGraph {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  if (nodes.size === 0 && edges.size === 0) return graph;
  return {
    nodes: graph.nodes.filter((node) => !nodes.has(node.id)),
    edges: graph.edges.filter(
      (edge) => !edges.has(edge.id) && !nodes.has(edge.source) && !nodes.has(edge.target),
    ),
  };
}

export function moveNodes(graph: FlowGraph, positions: ReadonlyMap<string, Position>): FlowGraph {
  if (positions.size === 0) return graph;
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    const position = positions.get(node.id);
    if (!position) return node;
    const rounded = roundPosition(position);
    if (node.position && node.position.x === rounded.x && node.position.y === rounded.y) return node;
    changed = true;
    return { ...node, position: rounded };
  });
  return changed ? { ...graph, nodes } : graph;
}

export type ConnectResult =
  { ok: true; graph: FlowGraph; edge: FlowEdge } | Extract<ConnectionCheck, { ok: false }>;

export function connect(
  graph: FlowGraph,
  connection: { source: string; sourceHandle?: string | null; target: string },
): ConnectResult {
  const check = checkConnection(graph, connection);
  if (!check.ok) return check;
  const edge: FlowEdge = {
    id: uniqueId(allIds(graph), `e_${connection.source}_${check.sourceHandle}`),
    source: connection.source,
    sourceHandle: check.sourceHandle,
    target: connection.target,
  };
  return { ok: true, graph: { ...graph, edges: [...graph.edges, edge] }, edge };
}

/** The shared rules from flow-schema: right handle, one edge per output, no input on triggers or goals, no loop without a wait. */
export function checkConnection(
  graph: FlowGraph,
  connection: { source: string; sourceHandle?: string | null; target: string },
): ConnectionCheck {
  return canConnect(graph, connection);
}

/** Kinds that can sit in the middle of an edge: they take an input and have at least one output. */
export function canInsertOnEdge(
  type: NodeType,
  probe: FlowNode = createNode(type, 'probe') as FlowNode,
): boolean {
  return !isTriggerType(type) && type !== 'goal' && outputHandles(probe).length > 0;
}

/**
 * Puts a new node of `type` in the middle of an edge: source → new → old target, using the new node's
 * first output. The new node sits between the two ends.
 */
export function insertOnEdge(
  graph: FlowGraph,
  edgeId: string,
  type: NodeType,
): { ok: true; graph: FlowGraph; node: FlowNode } | { ok: false; message: string } {
  const edge = graph.edges.find((candidate) => candidate.id === edgeId);
  if (!edge) return { ok: false, message: 'That connection no longer exists' };
  if (!canInsertOnEdge(type))
    return { ok: false, message: 'This kind of node cannot be placed between two steps' };
  const source = graph.nodes.find((node) => node.id === edge.source);
  const target = graph.nodes.find((node) => node.id === edge.target);
  const position =
    source?.position && target?.position
      ? { x: (source.position.x + target.position.x) / 2, y: (source.position.y + target.position.y) / 2 }
      : (source?.position ?? { x: 0, y: 0 });
  const added = addNode(graph, type, position);
  const handle = outputHandles(added.node)[0] as string;
  const withoutEdge = {
    ...added.graph,
    edges: added.graph.edges.filter((candidate) => candidate.id !== edgeId),
  };
  const first: FlowEdge = {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.sourceHandle,
    target: added.node.id,
  };
  const secondId = uniqueId([...allIds(withoutEdge), first.id], `e_${added.node.id}_${handle}`);
  const second: FlowEdge = { id: secondId, source: added.node.id, sourceHandle: handle, target: edge.target };
  return {
    ok: true,
    graph: { ...withoutEdge, edges: [...withoutEdge.edges, first, second] },
    node: added.node,
  };
}

/**
 * Replaces a node's config and label. Edges leaving through outputs the node no longer has (a removed
 * split branch) are dropped, so the graph never points at a missing handle.
 */
export function updateNode(
  graph: FlowGraph,
  nodeId: string,
  patch: { config?: unknown; label?: string },
): FlowGraph {
  let updated: FlowNode | undefined;
  const nodes = graph.nodes.map((node) => {
    if (node.id !== nodeId) return node;
    const next = { ...node } as FlowNode;
    if (patch.config !== undefined) (next as { config: unknown }).config = patch.config;
    if (patch.label !== undefined) {
      if (patch.label.trim()) next.label = patch.label;
      else delete next.label;
    }
    updated = next;
    return next;
  });
  if (!updated) return graph;
  let handles: Set<string>;
  try {
    handles = new Set(outputHandles(updated));
  } catch {
    // A half-edited config may not yield outputs yet; keep the edges until it does.
    return { ...graph, nodes };
  }
  const edges = graph.edges.filter((edge) => edge.source !== nodeId || handles.has(edge.sourceHandle));
  return { nodes, edges: edges.length === graph.edges.length ? graph.edges : edges };
}

export function roundPosition(position: Position): Position {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

/** Output handles of a node that no edge leaves from. */
export function openOutputs(graph: FlowGraph, node: FlowNode): string[] {
  const used = new Set(
    graph.edges.filter((edge) => edge.source === node.id).map((edge) => edge.sourceHandle),
  );
  return outputHandles(node).filter((handle) => !used.has(handle));
}
