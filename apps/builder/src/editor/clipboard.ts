/**
 * Copy/paste of a selection as plain JSON, so it also works across flows and browser tabs (through
 * the system clipboard or localStorage). Pasted nodes get fresh ids; edges inside the selection follow.
 */
import { FlowNodeSchema, type FlowEdge, type FlowGraph, type FlowNode } from '@nudgeflow/flow-schema';
import { uniqueId } from './graph-edit';

export const CLIPBOARD_FORMAT = 'nudgeflow/nodes';
export const CLIPBOARD_STORAGE_KEY = 'nudgeflow:clipboard';

export interface ClipboardPayload {
  format: typeof CLIPBOARD_FORMAT;
  version: 1;
  nodes: FlowNode[];
  /** Only edges whose both ends are in `nodes`. */
  edges: FlowEdge[];
}

export function copySelection(graph: FlowGraph, nodeIds: Iterable<string>): ClipboardPayload | null {
  const ids = new Set(nodeIds);
  const nodes = graph.nodes.filter((node) => ids.has(node.id));
  if (nodes.length === 0) return null;
  const edges = graph.edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target));
  return structuredCloneJson({ format: CLIPBOARD_FORMAT, version: 1, nodes, edges });
}

export function serializeClipboard(payload: ClipboardPayload): string {
  return JSON.stringify(payload);
}

/**
 * Reads a payload back from text; anything else (plain text, another app's JSON, unknown node kinds)
 * gives null. Node shapes are checked loosely: a half-configured node may be copied and pasted.
 */
export function parseClipboard(text: string): ClipboardPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || value.format !== CLIPBOARD_FORMAT || value.version !== 1) return null;
  if (!Array.isArray(value.nodes) || !Array.isArray(value.edges)) return null;
  const nodes: FlowNode[] = [];
  for (const raw of value.nodes) {
    if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.type !== 'string') return null;
    const typeOption = FlowNodeSchema.options.find((option) => option.shape.type.value === raw.type);
    if (!typeOption) return null;
    nodes.push(raw as unknown as FlowNode);
  }
  const ids = new Set(nodes.map((node) => node.id));
  const edges: FlowEdge[] = [];
  for (const raw of value.edges) {
    if (
      isRecord(raw) &&
      typeof raw.id === 'string' &&
      typeof raw.source === 'string' &&
      typeof raw.target === 'string' &&
      typeof raw.sourceHandle === 'string' &&
      ids.has(raw.source) &&
      ids.has(raw.target)
    ) {
      edges.push({ id: raw.id, source: raw.source, target: raw.target, sourceHandle: raw.sourceHandle });
    }
  }
  return { format: CLIPBOARD_FORMAT, version: 1, nodes, edges };
}

export interface PasteOptions {
  /** Where the top-left of the pasted selection goes; defaults to the original place plus `offset`. */
  at?: { x: number; y: number };
  offset?: { x: number; y: number };
}

export function pasteInto(
  graph: FlowGraph,
  payload: ClipboardPayload,
  options: PasteOptions = {},
): { graph: FlowGraph; nodeIds: string[] } {
  const taken = new Set([...graph.nodes.map((node) => node.id), ...graph.edges.map((edge) => edge.id)]);
  const rename = new Map<string, string>();
  const xs = payload.nodes.map((node) => node.position?.x ?? 0);
  const ys = payload.nodes.map((node) => node.position?.y ?? 0);
  const origin = { x: Math.min(...xs), y: Math.min(...ys) };
  const offset = options.at
    ? { x: options.at.x - origin.x, y: options.at.y - origin.y }
    : (options.offset ?? { x: 40, y: 40 });

  const nodes = payload.nodes.map((node) => {
    const id = uniqueId(taken, node.id);
    taken.add(id);
    rename.set(node.id, id);
    const position = node.position ?? { x: 0, y: 0 };
    return {
      ...structuredCloneJson(node),
      id,
      position: { x: Math.round(position.x + offset.x), y: Math.round(position.y + offset.y) },
    };
  });
  const edges = payload.edges.map((edge) => {
    const id = uniqueId(taken, edge.id);
    taken.add(id);
    return {
      id,
      source: rename.get(edge.source) as string,
      sourceHandle: edge.sourceHandle,
      target: rename.get(edge.target) as string,
    };
  });
  return {
    graph: { nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] },
    nodeIds: nodes.map((node) => node.id),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function structuredCloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
